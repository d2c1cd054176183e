//! An index of the regions a partnership covers, on PostgreSQL (issue 11): a GIN index of the
//! codes in `partnerships.regions` (`,CZ041,CZ042,` → `{"",CZ041,CZ042,""}`), which the region
//! filter asks as `string_to_array(regions, ',') @> string_to_array(code, ',')` (`persistence::partnerships`).
//! With `LIKE '%,CZ041,%'` PostgreSQL read the whole table and tested every row's text; with
//! the index it reads the rows of the region only (the registry's list filtered by region on the
//! bench data, PostgreSQL alone under `pgbench`: ≈ 4,700 → 5,600 statements/s). SQLite needs
//! nothing: it has no such index, and its `instr` over the covering index's rows is cheaper than
//! any join (`m20261202_000150_partnership_regions`).
//!
//! Dropped again by `m20261204_000180_drop_partnership_regions_index`: PostgreSQL never chose
//! the index for the list (it scanned the table, splitting every active row's text), and the
//! figures above were not the list's plan; a substring search answers it ~3 times as often.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000170_partnership_regions_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        m.get_connection()
            .execute_unprepared("CREATE INDEX ix_partnerships_regions ON partnerships USING gin (string_to_array(regions, ','))")
            .await
            .map(|_| ())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        m.get_connection().execute_unprepared("DROP INDEX ix_partnerships_regions").await.map(|_| ())
    }
}
