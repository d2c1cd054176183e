//! One stable identity for a measure across plan versions: `measure_key`, shared by a measure
//! and its copies in later versions (a revision copies it). Monitoring, indicator values and
//! project links follow the key. Existing measures get their own id as key; then the copies
//! an earlier `revise` made (same `code` in the successor plan) take their predecessor's key,
//! and the progress reports that `revise` had copied onto them are removed, since monitoring
//! now lists a key's reports across versions and would show each one twice.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000020_measure_key"
    }
}

/// A measure of a revised plan takes the key of the predecessor plan's measure with its code.
const LINK_TO_PREDECESSOR: &str = "UPDATE measures SET measure_key = (\
        SELECT pm.measure_key FROM measures pm JOIN strategic_plans sp ON sp.predecessor_id = pm.plan_id \
        WHERE sp.id = measures.plan_id AND pm.code = measures.code) \
    WHERE EXISTS (\
        SELECT 1 FROM measures pm JOIN strategic_plans sp ON sp.predecessor_id = pm.plan_id \
        WHERE sp.id = measures.plan_id AND pm.code = measures.code AND pm.measure_key <> measures.measure_key)";

/// A report on a later version's measure with an identical twin (every field the old `revise`
/// copied: partnership, date, status, percent, indicator values, comment, author, creation
/// time) on an earlier version's measure of the same key is a copy. The original stays.
const DELETE_COPIED_REPORTS: &str = "DELETE FROM progress_reports WHERE EXISTS (\
        SELECT 1 FROM measures cm \
        JOIN strategic_plans cp ON cp.id = cm.plan_id \
        JOIN measures om ON om.measure_key = cm.measure_key AND om.id <> cm.id \
        JOIN strategic_plans op ON op.id = om.plan_id AND op.version_number < cp.version_number \
        JOIN progress_reports o ON o.measure_id = om.id \
        WHERE cm.id = progress_reports.measure_id \
          AND o.partnership_id = progress_reports.partnership_id \
          AND o.reported_on = progress_reports.reported_on \
          AND o.status = progress_reports.status \
          AND o.percent_done = progress_reports.percent_done \
          AND CAST(o.indicator_values AS TEXT) = CAST(progress_reports.indicator_values AS TEXT) \
          AND (o.comment = progress_reports.comment OR (o.comment IS NULL AND progress_reports.comment IS NULL)) \
          AND o.author_subject = progress_reports.author_subject \
          AND (o.author_person_id = progress_reports.author_person_id \
               OR (o.author_person_id IS NULL AND progress_reports.author_person_id IS NULL)) \
          AND o.created_at = progress_reports.created_at)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("measures").add_column(ColumnDef::new("measure_key").uuid().null()).take()).await?;
        let db = m.get_connection();
        db.execute_unprepared("UPDATE measures SET measure_key = id WHERE measure_key IS NULL").await?;
        // Down the revision chain, one version per round: a chain of n versions needs n - 1
        // rounds (the `<>` makes a settled row drop out, so the last round changes nothing).
        for _ in 0..50 {
            let changed = db.execute_unprepared(LINK_TO_PREDECESSOR).await?.rows_affected();
            if changed == 0 {
                break;
            }
        }
        db.execute_unprepared(DELETE_COPIED_REPORTS).await?;
        m.create_index(Index::create().name("ix_measures_measure_key").table("measures").col("measure_key").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_measures_measure_key").table("measures").to_owned()).await?;
        m.alter_table(Table::alter().table("measures").drop_column("measure_key").take()).await
    }
}
