//! The `progress_reports` table.

use super::JsonOf;
use crate::plans::IndicatorValue;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "progress_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub measure_id: Uuid,
    pub plan_id: Uuid,
    pub partnership_id: Uuid,
    pub reported_on: Date,
    pub status: String,
    pub percent_done: i32,
    pub indicator_values: JsonOf<Vec<IndicatorValue>>,
    pub comment: Option<String>,
    pub author_subject: String,
    pub author_person_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    /// The client's own key for idempotent imports (unique where set).
    pub external_ref: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
