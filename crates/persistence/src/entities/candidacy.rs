//! The `candidacies` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "candidacies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub round_id: Uuid,
    pub territorial_unit_id: Uuid,
    pub answers: Json,
    pub resolution: Json,
    pub activities: Json,
    pub co_financing: Json,
    pub scores: Json,
    pub outcome: Option<String>,
    pub rank: Option<i32>,
    pub selection_reason: Option<String>,
    pub partnership_id: Option<Uuid>,
    pub cooperation_id: Option<Uuid>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
