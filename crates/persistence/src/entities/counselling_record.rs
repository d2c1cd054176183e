//! The `counselling_records` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "counselling_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub partnership_id: Uuid,
    pub consultant_id: Uuid,
    pub organization_ids: Json,
    pub held_on: Date,
    pub duration_minutes: i32,
    pub topic: String,
    pub call_id: Option<Uuid>,
    pub project_id: Option<Uuid>,
    pub notes: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
