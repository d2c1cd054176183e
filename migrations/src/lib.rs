//! Database migrations. They describe tables with sea-query's schema builder and never
//! import the entities, so that an old migration keeps its meaning when entities change.
//! Seed and demo data are not migrations: see `inclusion serve --demo`.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_registry;
mod m20261123_000002_plans;
mod m20261123_000003_esif;
mod m20261201_000020_measure_key;
mod m20261201_000030_indicator_values;
mod m20261201_000040_changes;
mod m20261201_000050_webhooks;
mod m20261201_000060_imports;
mod m20261201_000070_cooperations;
mod m20261201_000080_support_projects;
mod m20261201_000090_read_indexes;
mod m20261201_000100_recruitment;
mod m20261201_000110_import_refs;
mod m20261201_000120_timeline_templates;
mod m20261201_000130_pipeline_index;
mod m20261201_000140_partnership_list_index;
mod m20261202_000150_partnership_regions;
mod m20261202_000160_sort_name_collation;
mod m20261203_000170_partnership_regions_index;
mod m20261204_000180_drop_partnership_regions_index;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_registry::Migration),
            Box::new(m20261123_000002_plans::Migration),
            Box::new(m20261123_000003_esif::Migration),
            Box::new(m20261201_000020_measure_key::Migration),
            Box::new(m20261201_000030_indicator_values::Migration),
            Box::new(m20261201_000040_changes::Migration),
            Box::new(m20261201_000050_webhooks::Migration),
            Box::new(m20261201_000060_imports::Migration),
            Box::new(m20261201_000070_cooperations::Migration),
            Box::new(m20261201_000080_support_projects::Migration),
            Box::new(m20261201_000090_read_indexes::Migration),
            Box::new(m20261201_000100_recruitment::Migration),
            Box::new(m20261201_000110_import_refs::Migration),
            Box::new(m20261201_000120_timeline_templates::Migration),
            Box::new(m20261201_000130_pipeline_index::Migration),
            Box::new(m20261201_000140_partnership_list_index::Migration),
            Box::new(m20261202_000150_partnership_regions::Migration),
            Box::new(m20261202_000160_sort_name_collation::Migration),
            Box::new(m20261203_000170_partnership_regions_index::Migration),
            Box::new(m20261204_000180_drop_partnership_regions_index::Migration),
        ]
    }
}
