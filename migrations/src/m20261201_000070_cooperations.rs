//! Cooperations between the Agency and partnerships, with their timeline template and the
//! milestones recorded for phases the data does not show (a JSON list on the row).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000070_cooperations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("cooperations")
                .col(uuid("id").primary_key())
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("archived_at"))
                .col(uuid("partnership_id"))
                .col(date("start_on"))
                .col(integer("months"))
                .col(string("template"))
                .col(json("predefined_activities"))
                .col(json("consultant_ids"))
                .col(string("status"))
                .col(date_null("started_on"))
                .col(date_null("handed_over_on"))
                .col(date_null("ended_on"))
                .col(text_null("end_reason"))
                .col(json("milestones"))
                .col(text_null("note"))
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk_cooperations_partnership_id")
                        .from("cooperations", "partnership_id")
                        .to("partnerships", "id")
                        .on_delete(ForeignKeyAction::Restrict)
                        .take(),
                )
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_cooperations_partnership").table("cooperations").col("partnership_id").take()).await?;
        m.create_index(Index::create().name("ix_cooperations_start_on").table("cooperations").col("start_on").col("id").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("cooperations").take()).await
    }
}
