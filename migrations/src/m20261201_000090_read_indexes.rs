//! Indexes for the reads `make bench` measures (issue 11): the monitoring list of measures
//! filtered by their current status and sorted by deadline (without them SQLite read every
//! measure of the plans in force and sorted them in a temporary tree: 34 ms → 4 ms per page
//! on the bench data), the plain deadline order, and the plans by status (the sub-query of
//! "measures of the plans in force").

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000090_read_indexes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(Index::create().name("ix_measures_status_deadline").table("measures").col("current_status").col("deadline").col("id").take()).await?;
        m.create_index(Index::create().name("ix_measures_deadline").table("measures").col("deadline").col("id").take()).await?;
        m.create_index(Index::create().name("ix_strategic_plans_status").table("strategic_plans").col("status").col("id").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in
            [("ix_measures_status_deadline", "measures"), ("ix_measures_deadline", "measures"), ("ix_strategic_plans_status", "strategic_plans")]
        {
            m.drop_index(Index::drop().name(name).table(table).to_owned()).await?;
        }
        Ok(())
    }
}
