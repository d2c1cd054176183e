//! Recruitment rounds (výběrová řízení) and the candidacies of territorial units; the
//! questionnaire, criteria, predefined activities, answers and assessors' scores are JSON
//! lists on their rows (they are read and written with their round or candidacy, never
//! queried apart).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000100_recruitment"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("recruitment_rounds")
                .col(uuid("id").primary_key())
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("archived_at"))
                .col(integer("year"))
                .col(string("title"))
                .col(integer("places"))
                .col(timestamp_with_time_zone("applications_until"))
                .col(date("cooperation_start_on"))
                .col(string("template"))
                .col(json("questions"))
                .col(json("criteria"))
                .col(json("activities"))
                .col(string("status"))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(text_null("decision_note"))
                .col(text_null("note"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_recruitment_rounds_deadline").table("recruitment_rounds").col("applications_until").col("id").take()).await?;
        m.create_table(
            Table::create()
                .table("candidacies")
                .col(uuid("id").primary_key())
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("archived_at"))
                .col(uuid("round_id"))
                .col(uuid("territorial_unit_id"))
                .col(json("answers"))
                .col(json("resolution"))
                .col(json("activities"))
                .col(json("co_financing"))
                .col(json("scores"))
                .col(string_null("outcome"))
                .col(integer_null("rank"))
                .col(text_null("selection_reason"))
                .col(uuid_null("partnership_id"))
                .col(uuid_null("cooperation_id"))
                .col(text_null("note"))
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk_candidacies_round_id")
                        .from("candidacies", "round_id")
                        .to("recruitment_rounds", "id")
                        .on_delete(ForeignKeyAction::Restrict)
                        .take(),
                )
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk_candidacies_territorial_unit_id")
                        .from("candidacies", "territorial_unit_id")
                        .to("territorial_units", "id")
                        .on_delete(ForeignKeyAction::Restrict)
                        .take(),
                )
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_candidacies_round").table("candidacies").col("round_id").col("created_at").col("id").take()).await?;
        // One standing candidacy per unit per round; a withdrawn (archived) one does not count.
        m.get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX ix_candidacies_round_unit ON candidacies (round_id, territorial_unit_id) WHERE archived_at IS NULL")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("candidacies").take()).await?;
        m.drop_table(Table::drop().table("recruitment_rounds").take()).await
    }
}
