//! The `cooperations` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cooperations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub partnership_id: Uuid,
    pub start_on: Date,
    pub months: i32,
    pub template: String,
    pub predefined_activities: Json,
    pub consultant_ids: Json,
    pub status: String,
    pub started_on: Option<Date>,
    pub handed_over_on: Option<Date>,
    pub ended_on: Option<Date>,
    pub end_reason: Option<String>,
    pub milestones: Json,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
