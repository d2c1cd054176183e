//! The regions a partnership covers, kept on its row (issue 11): the list's region filter read
//! them through its territorial units (`id IN (SELECT … FROM partnership_territorial_units JOIN
//! territorial_units …)`), which SQLite built into a temporary index on every request and which
//! was most of the list's SQL on both databases (SQLite: 0.19 → 0.12 ms for the bench's list;
//! PostgreSQL: 2,260 → 4,120 list queries/s alone). `regions` is the set of the region codes
//! of the partnership's territorial units, each enclosed in commas (`,CZ041,CZ042,`; empty
//! without units), matched with `LIKE '%,CZ041,%'`. The persistence layer keeps it: on every
//! write of the partnership's units and on every change of a unit's region. It is not part of
//! any representation. The list's covering index gets the column, so that SQLite decides
//! which rows belong to the page from the index alone, as it did with the subquery.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000150_partnership_regions"
    }
}

const INDEX: &str = "ix_partnerships_status_name_updated";

fn list_index(with_regions: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(INDEX).table("partnerships").col("status").col("sort_name").col(("updated_at", IndexOrder::Desc)).col("id").col("archived_at");
    if with_regions {
        index.col("regions");
    }
    index.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("partnerships").add_column(ColumnDef::new("regions").text().not_null().default("")).take()).await?;
        let regions = match m.get_database_backend() {
            DbBackend::Postgres => "string_agg(DISTINCT tu.region, ',' ORDER BY tu.region)",
            _ => "group_concat(DISTINCT tu.region)",
        };
        m.get_connection()
            .execute_unprepared(&format!(
                "UPDATE partnerships SET regions = COALESCE((SELECT ',' || {regions} || ',' FROM partnership_territorial_units ptu \
                 JOIN territorial_units tu ON tu.id = ptu.territorial_unit_id WHERE ptu.partnership_id = partnerships.id), '')"
            ))
            .await?;
        m.drop_index(Index::drop().name(INDEX).table("partnerships").to_owned()).await?;
        m.create_index(list_index(true)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(INDEX).table("partnerships").to_owned()).await?;
        m.create_index(list_index(false)).await?;
        m.alter_table(Table::alter().table("partnerships").drop_column("regions").take()).await
    }
}
