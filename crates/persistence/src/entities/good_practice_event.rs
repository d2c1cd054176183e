//! The `good_practice_events` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "good_practice_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub support_project_id: Uuid,
    pub kind: String,
    pub title: String,
    pub held_on: Date,
    pub minutes: i32,
    pub presenters: Json,
    pub central_bodies_attended: bool,
    pub presents_data_and_recommendations: bool,
    pub attendance: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
