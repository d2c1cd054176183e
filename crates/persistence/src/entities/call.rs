//! The `calls` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "calls")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub external_ref: Option<String>,
    pub programme_id: Uuid,
    pub number: String,
    pub title: String,
    pub specific_objective: Option<String>,
    pub opens_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    pub allocation_minor: i64,
    pub currency: String,
    pub min_project_minor: Option<i64>,
    pub max_project_minor: Option<i64>,
    pub support_rate_bp: i32,
    pub kpsvl: bool,
    pub open_to: Json,
    pub search_text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
