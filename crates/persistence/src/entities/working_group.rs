//! The `working_groups` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "working_groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    /// The client's own key for idempotent imports (unique where set).
    pub external_ref: Option<String>,
    pub partnership_id: Uuid,
    pub thematic_area: String,
    pub name: String,
    pub coordinator_id: Option<Uuid>,
    /// The name folded for sorting (case and diacritics ignored), identical on every database.
    pub sort_name: String,
    pub search_text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
