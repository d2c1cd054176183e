//! Timeline templates an admin defines, besides the two built into the program: the code
//! cooperations and recruitment rounds name them by (unique, also once archived, so that an
//! archived cooperation's code keeps its meaning), and the phases as a JSON list on the row
//! (read and written with their template, never queried apart).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000120_timeline_templates"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("timeline_templates")
                .col(uuid("id").primary_key())
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("archived_at"))
                .col(string("code"))
                .col(string("name"))
                .col(integer("months"))
                .col(text("description"))
                .col(json("phases"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_timeline_templates_code").table("timeline_templates").col("code").unique().take()).await?;
        // Whether a template is in use is asked of cooperations and rounds by their template.
        m.create_index(Index::create().name("ix_cooperations_template").table("cooperations").col("template").take()).await?;
        m.create_index(Index::create().name("ix_recruitment_rounds_template").table("recruitment_rounds").col("template").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_recruitment_rounds_template").table("recruitment_rounds").to_owned()).await?;
        m.drop_index(Index::drop().name("ix_cooperations_template").table("cooperations").to_owned()).await?;
        m.drop_table(Table::drop().table("timeline_templates").take()).await
    }
}
