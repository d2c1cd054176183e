//! One stable identity for a measure across plan versions: `measure_key`, shared by a measure
//! and its copies in later versions (a revision copies it). Monitoring, indicator values and
//! project links follow the key. Existing measures get their own id as key.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000020_measure_key"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("measures").add_column(ColumnDef::new("measure_key").uuid().null()).take()).await?;
        m.get_connection().execute_unprepared("UPDATE measures SET measure_key = id WHERE measure_key IS NULL").await?;
        m.create_index(Index::create().name("ix_measures_measure_key").table("measures").col("measure_key").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_measures_measure_key").table("measures").to_owned()).await?;
        m.alter_table(Table::alter().table("measures").drop_column("measure_key").take()).await
    }
}
