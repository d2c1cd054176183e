//! The `projects` table.

use super::JsonOf;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub external_ref: Option<String>,
    pub partnership_id: Uuid,
    pub applicant_organization_id: Uuid,
    pub call_id: Option<Uuid>,
    pub title: String,
    pub summary: Option<String>,
    pub period_from: Option<Date>,
    pub period_to: Option<Date>,
    pub total_eligible_minor: i64,
    pub requested_minor: i64,
    pub own_financing_minor: i64,
    pub currency: String,
    pub measure_ids: JsonOf<Vec<Uuid>>,
    pub status: String,
    pub recommended_on: Option<Date>,
    pub recommendation_resolution: Option<String>,
    pub recommended_by_working_group_id: Option<Uuid>,
    pub submitted_on: Option<Date>,
    pub registration_number: Option<String>,
    pub decided_on: Option<Date>,
    pub approved_minor: Option<i64>,
    pub decision_note: Option<String>,
    pub started_on: Option<Date>,
    pub completed_on: Option<Date>,
    pub withdrawn_on: Option<Date>,
    pub withdrawal_reason: Option<String>,
    pub search_text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
