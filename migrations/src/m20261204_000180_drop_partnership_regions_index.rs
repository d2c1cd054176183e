//! Drops the GIN index of the regions a partnership covers (`m20261203_000170_partnership_regions_index`,
//! PostgreSQL only), which PostgreSQL never used for the registry's list (issue 11): with it the
//! region filter asked for the containment of the code in `string_to_array(regions, ',')`, and
//! PostgreSQL, estimating a sequential scan of the partnerships cheaper, split the text of every
//! active row at each request; alone under `pgbench -M prepared` (bench data, 8 clients) the list's
//! statement ran ~1,700–2,300 times a second that way against ~5,400–6,600 with the substring
//! search the filter now uses (`strpos(regions, ',CZ041,') > 0`, `persistence::partnerships`),
//! which no index answers. The index only cost every write of a partnership's regions. SQLite
//! never had it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000180_drop_partnership_regions_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        m.get_connection().execute_unprepared("DROP INDEX IF EXISTS ix_partnerships_regions").await.map(|_| ())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        m.get_connection()
            .execute_unprepared("CREATE INDEX ix_partnerships_regions ON partnerships USING gin (string_to_array(regions, ','))")
            .await
            .map(|_| ())
    }
}
