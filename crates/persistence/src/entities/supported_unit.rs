//! The `supported_units` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "supported_units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub support_project_id: Uuid,
    pub territorial_unit_id: Uuid,
    pub cooperation_id: Option<Uuid>,
    pub joined_on: Date,
    pub description_agreed_on: Option<Date>,
    pub scope: Option<String>,
    pub thematic_areas: Json,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
