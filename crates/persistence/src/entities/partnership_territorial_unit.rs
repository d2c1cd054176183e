//! The `partnership_territorial_units` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "partnership_territorial_units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub partnership_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub territorial_unit_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
