//! The reports of bulk imports (`/imports`): who imported what, how, with which outcome, and
//! each refused row's reasons. The rows themselves are not kept (they may hold personal data):
//! only the SHA-256 of the body, to recognise a file sent again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000060_imports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("import_reports")
                .col(uuid("id").primary_key())
                .col(timestamp_with_time_zone("created_at"))
                .col(string("actor"))
                .col(string("actor_role"))
                .col(string("resource"))
                .col(string("mode"))
                .col(string("strategy"))
                .col(boolean("dry_run"))
                .col(boolean("committed"))
                .col(string("body_sha256"))
                .col(integer("rows"))
                .col(integer("created"))
                .col(integer("updated"))
                .col(integer("unchanged"))
                .col(integer("failed"))
                .col(json("errors"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_import_reports_actor").table("import_reports").col("actor").col("created_at").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("import_reports").take()).await
    }
}
