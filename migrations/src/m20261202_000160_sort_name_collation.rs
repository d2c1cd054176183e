//! The folded names lists sort by (`sort_name`: lower case, without diacritics,
//! `domain::search::fold`) compare byte by byte on PostgreSQL, as they always did on SQLite
//! (issue 11). With the database's collation PostgreSQL compared them through the C library's
//! `strcoll` (`C.UTF-8` is not its fast path, only `C` is), and under a national collation
//! (`cs_CZ`: "ch" after "h", spaces ignored) the order of a list, and so its cursors, differed
//! between the two databases. (The registry's list was not measurably faster for it: its sort
//! is of ~100 rows.) The indexes on the column are rebuilt with it. SQLite needs nothing: its
//! default collation is already `BINARY`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000160_sort_name_collation"
    }
}

const TABLES: [&str; 5] = ["partnerships", "organizations", "territorial_units", "working_groups", "people"];

async fn collate(m: &SchemaManager<'_>, collation: &str) -> Result<(), DbErr> {
    if m.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for table in TABLES {
        m.get_connection().execute_unprepared(&format!("ALTER TABLE {table} ALTER COLUMN sort_name TYPE varchar COLLATE {collation}")).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        collate(m, "\"C\"").await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        collate(m, "\"default\"").await
    }
}
