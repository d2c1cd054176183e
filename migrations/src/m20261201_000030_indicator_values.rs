//! Indicator values per reporting period: one row per reported value of one indicator of a
//! measure. A correction of the same period inserts a new row and marks the old one
//! `superseded_by` it, so history is kept; the current values are those not superseded.
//! Keyed by `measure_id` for now; it is meant to follow the measure's stable `measure_key`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000030_indicator_values"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("indicator_values")
                .col(uuid("id").primary_key())
                .col(uuid("measure_id"))
                .col(uuid("plan_id"))
                .col(uuid("partnership_id"))
                .col(string("indicator_key"))
                .col(date("period_start"))
                .col(date("period_end"))
                .col(double_null("value"))
                .col(text_null("text"))
                .col(text_null("comment"))
                .col(string("reported_by"))
                .col(timestamp_with_time_zone("recorded_at"))
                .col(uuid_null("superseded_by"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_indicator_values_measure_id")
                        .from("indicator_values", "measure_id")
                        .to("measures", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_indicator_values_superseded_by")
                        .from("indicator_values", "superseded_by")
                        .to("indicator_values", "id")
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_indicator_values_series").table("indicator_values").col("measure_id").col("indicator_key").col("period_start").take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_indicator_values_plan").table("indicator_values").col("plan_id").col("period_end").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("indicator_values").to_owned()).await
    }
}
