//! The `recruitment_rounds` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "recruitment_rounds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub year: i32,
    pub title: String,
    pub places: i32,
    pub applications_until: DateTimeUtc,
    pub cooperation_start_on: Date,
    pub template: String,
    pub questions: Json,
    pub criteria: Json,
    pub activities: Json,
    pub status: String,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_note: Option<String>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
