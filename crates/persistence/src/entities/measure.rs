//! The `measures` table.

use super::JsonOf;
use domain::plan::{BudgetLine, Indicator};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "measures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    /// The client's own key for idempotent imports (unique where set).
    pub external_ref: Option<String>,
    pub plan_id: Uuid,
    pub partnership_id: Uuid,
    pub goal_id: Uuid,
    pub kind: String,
    pub parent_measure_id: Option<Uuid>,
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub thematic_area: String,
    pub need_ids: JsonOf<Vec<Uuid>>,
    pub responsible_organization_id: Option<Uuid>,
    pub co_implementer_ids: JsonOf<Vec<Uuid>>,
    pub starts_on: Option<Date>,
    pub deadline: Option<Date>,
    pub budget: JsonOf<Vec<BudgetLine>>,
    pub budget_total_minor: Option<i64>,
    pub budget_currency: Option<String>,
    pub predefined_activity: bool,
    pub indicators: JsonOf<Vec<Indicator>>,
    pub current_status: Option<String>,
    pub current_percent: Option<i32>,
    pub last_reported_on: Option<Date>,
    pub search_text: String,
    /// Shared by the measure and its copies in later plan versions (`None` never after the
    /// migration that added it; read as the measure's own id).
    pub measure_key: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
