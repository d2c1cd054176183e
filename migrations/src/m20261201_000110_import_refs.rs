//! `external_ref` for the records the imports of working groups, meetings, measures and
//! progress reports match rows by: the client's own stable key, nullable, unique where set
//! (NULLs are never duplicates). A measure's key is unique within its plan, since a revision
//! copies the measures of a plan, keys included, into the successor draft.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000110_import_refs"
    }
}

/// The tables, and the columns (before `external_ref`) their key is unique within.
const TABLES: &[(&str, &[&str])] = &[("working_groups", &[]), ("meetings", &[]), ("measures", &["plan_id"]), ("progress_reports", &[])];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, scope) in TABLES {
            m.alter_table(Table::alter().table(*table).add_column(ColumnDef::new("external_ref").string().null()).take()).await?;
            let mut index = Index::create();
            index.name(format!("ix_{table}_external_ref")).table(*table).unique();
            for col in *scope {
                index.col(*col);
            }
            m.create_index(index.col("external_ref").take()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, _) in TABLES.iter().rev() {
            m.drop_index(Index::drop().name(format!("ix_{table}_external_ref")).table(*table).to_owned()).await?;
            m.alter_table(Table::alter().table(*table).drop_column("external_ref").take()).await?;
        }
        Ok(())
    }
}
