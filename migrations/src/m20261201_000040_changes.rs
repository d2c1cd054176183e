//! The change feed: one row per committed write of a resource, numbered by `position` in the
//! order the writes committed (assigned at commit under a lock, so that a reader never sees a
//! later position before an earlier one: see `persistence::write`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000040_changes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("changes")
                .col(big_integer("position").primary_key())
                .col(string("resource_type"))
                .col(uuid("resource_id"))
                .col(string("action"))
                .col(integer_null("version"))
                .col(uuid_null("partnership_id"))
                .col(string("actor"))
                .col(timestamp_with_time_zone("occurred_at"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_changes_resource").table("changes").col("resource_type").col("position").take()).await?;
        m.create_index(Index::create().name("ix_changes_partnership").table("changes").col("partnership_id").col("position").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("changes").take()).await
    }
}
