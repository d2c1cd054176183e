//! The `strategic_plans` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "strategic_plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub partnership_id: Uuid,
    pub lineage_id: Uuid,
    pub version_number: i32,
    pub predecessor_id: Option<Uuid>,
    pub analysis_id: Option<Uuid>,
    pub title: String,
    pub valid_from: Date,
    pub valid_to: Date,
    pub status: String,
    pub submitted_on: Option<Date>,
    pub council_approved_on: Option<Date>,
    pub council_resolution: Option<String>,
    pub assembly_approved_on: Option<Date>,
    pub assembly_resolution: Option<String>,
    pub ended_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
