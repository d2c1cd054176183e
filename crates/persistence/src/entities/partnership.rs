//! The `partnerships` table.

use super::JsonOf;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "partnerships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub external_ref: Option<String>,
    pub name: String,
    pub status: String,
    pub established_on: Option<Date>,
    pub memorandum_signed_on: Option<Date>,
    pub founding_act: Option<String>,
    /// A copy of `partnership_territorial_units`, in order.
    pub territorial_unit_ids: JsonOf<Vec<Uuid>>,
    /// A copy of `partnership_consultants`, in order.
    pub consultant_ids: JsonOf<Vec<Uuid>>,
    /// The name folded for sorting (case and diacritics ignored), identical on every database.
    pub sort_name: String,
    pub search_text: String,
    /// The region codes of the territorial units, each enclosed in commas (`,CZ041,CZ042,`),
    /// for the list's region filter; kept by `partnerships` (migration 000150).
    pub regions: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
