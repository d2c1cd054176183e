//! The `indicator_values` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "indicator_values")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub measure_id: Uuid,
    pub plan_id: Uuid,
    pub partnership_id: Uuid,
    pub indicator_key: String,
    pub period_start: Date,
    pub period_end: Date,
    #[sea_orm(column_type = "Double", nullable)]
    pub value: Option<f64>,
    pub text: Option<String>,
    pub comment: Option<String>,
    pub reported_by: String,
    pub recorded_at: DateTimeUtc,
    pub superseded_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
