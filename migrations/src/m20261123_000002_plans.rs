//! Situational analyses and their needs; strategic plans with goals and measures; progress
//! reports and evaluations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_plans"
    }
}

// The small table helpers are repeated in each migration on purpose: a migration is a frozen
// snapshot, and a shared helper edited later would silently change what old migrations create.
fn resource(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(uuid("id").primary_key())
        .col(integer("version"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .col(timestamp_with_time_zone_null("archived_at"))
        .take()
}

fn fk(from_table: &'static str, from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(format!("fk_{from_table}_{from_col}")).from(from_table, from_col).to(to_table, "id").on_delete(ForeignKeyAction::Restrict).take()
}

fn index(table: &'static str, name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{name}")).table(table);
    for col in cols {
        stmt.col(*col);
    }
    stmt.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            resource("situational_analyses")
                .col(uuid("partnership_id"))
                .col(string("title"))
                .col(string("status"))
                .col(date_null("fieldwork_from"))
                .col(date_null("fieldwork_to"))
                .col(json("author_organization_ids"))
                .col(json("author_person_ids"))
                .col(json("findings"))
                .col(uuid_null("supersedes_id"))
                .foreign_key(&mut fk("situational_analyses", "partnership_id", "partnerships"))
                .foreign_key(&mut fk("situational_analyses", "supersedes_id", "situational_analyses"))
                .take(),
        )
        .await?;
        m.create_index(index("situational_analyses", "partnership", &["partnership_id", "created_at", "id"])).await?;

        m.create_table(
            resource("needs")
                .col(uuid("analysis_id"))
                .col(uuid("partnership_id"))
                .col(string("thematic_area"))
                .col(text("description"))
                .col(string("priority"))
                .col(big_integer_null("people_affected"))
                .col(text_null("evidence"))
                .foreign_key(&mut fk("needs", "analysis_id", "situational_analyses"))
                .take(),
        )
        .await?;
        m.create_index(index("needs", "analysis", &["analysis_id"])).await?;

        m.create_table(
            resource("strategic_plans")
                .col(uuid("partnership_id"))
                .col(uuid("lineage_id"))
                .col(integer("version_number"))
                .col(uuid_null("predecessor_id"))
                .col(uuid_null("analysis_id"))
                .col(string("title"))
                .col(date("valid_from"))
                .col(date("valid_to"))
                .col(string("status"))
                .col(date_null("submitted_on"))
                .col(date_null("council_approved_on"))
                .col(string_null("council_resolution"))
                .col(date_null("assembly_approved_on"))
                .col(string_null("assembly_resolution"))
                .col(date_null("ended_on"))
                .foreign_key(&mut fk("strategic_plans", "partnership_id", "partnerships"))
                .foreign_key(&mut fk("strategic_plans", "predecessor_id", "strategic_plans"))
                .foreign_key(&mut fk("strategic_plans", "analysis_id", "situational_analyses"))
                .take(),
        )
        .await?;
        m.create_index(index("strategic_plans", "partnership", &["partnership_id", "created_at", "id"])).await?;
        m.create_index(index("strategic_plans", "lineage", &["lineage_id", "version_number"]).unique().take()).await?;
        // At most one plan in force per partnership, guaranteed by the database as well.
        m.get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX ix_strategic_plans_one_in_force ON strategic_plans (partnership_id) WHERE status = 'in_force'")
            .await?;

        m.create_table(
            resource("goals")
                .col(uuid("plan_id"))
                .col(string("code"))
                .col(string("title"))
                .col(string_null("thematic_area"))
                .col(string("level"))
                .col(uuid_null("parent_goal_id"))
                .col(text_null("description"))
                .foreign_key(&mut fk("goals", "plan_id", "strategic_plans"))
                .foreign_key(&mut fk("goals", "parent_goal_id", "goals"))
                .take(),
        )
        .await?;
        m.create_index(index("goals", "code", &["plan_id", "code"]).unique().take()).await?;

        m.create_table(
            resource("measures")
                .col(uuid("plan_id"))
                .col(uuid("partnership_id"))
                .col(uuid("goal_id"))
                .col(string("kind"))
                .col(uuid_null("parent_measure_id"))
                .col(string("code"))
                .col(string("title"))
                .col(text_null("description"))
                .col(string("thematic_area"))
                .col(json("need_ids"))
                .col(uuid_null("responsible_organization_id"))
                .col(json("co_implementer_ids"))
                .col(date_null("starts_on"))
                .col(date_null("deadline"))
                .col(json("budget"))
                .col(big_integer_null("budget_total_minor"))
                .col(string_null("budget_currency"))
                .col(boolean("predefined_activity"))
                .col(json("indicators"))
                // The latest progress report, kept by the report's transaction. Not part of the
                // measure's content: it does not bump `version`, so monitoring never causes a
                // spurious 412 for someone editing the measure.
                .col(string_null("current_status"))
                .col(integer_null("current_percent"))
                .col(date_null("last_reported_on"))
                .col(text("search_text"))
                .foreign_key(&mut fk("measures", "plan_id", "strategic_plans"))
                .foreign_key(&mut fk("measures", "goal_id", "goals"))
                .foreign_key(&mut fk("measures", "parent_measure_id", "measures"))
                .foreign_key(&mut fk("measures", "responsible_organization_id", "organizations"))
                .take(),
        )
        .await?;
        m.create_index(index("measures", "code", &["plan_id", "code"]).unique().take()).await?;
        m.create_index(index("measures", "responsible", &["responsible_organization_id"])).await?;
        m.create_index(index("measures", "partnership", &["partnership_id", "deadline"])).await?;

        m.create_table(
            Table::create()
                .table("progress_reports")
                .col(uuid("id").primary_key())
                .col(uuid("measure_id"))
                .col(uuid("plan_id"))
                .col(uuid("partnership_id"))
                .col(date("reported_on"))
                .col(string("status"))
                .col(integer("percent_done"))
                .col(json("indicator_values"))
                .col(text_null("comment"))
                .col(string("author_subject"))
                .col(uuid_null("author_person_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("progress_reports", "measure_id", "measures"))
                .take(),
        )
        .await?;
        m.create_index(index("progress_reports", "measure", &["measure_id", "reported_on", "id"])).await?;
        m.create_index(index("progress_reports", "plan", &["plan_id", "reported_on"])).await?;

        m.create_table(
            Table::create()
                .table("evaluations")
                .col(uuid("id").primary_key())
                .col(uuid("plan_id"))
                .col(uuid("partnership_id"))
                .col(date("as_of"))
                .col(text("narrative"))
                .col(text_null("recommendations"))
                .col(json("fulfilment"))
                .col(string("created_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("evaluations", "plan_id", "strategic_plans"))
                .take(),
        )
        .await?;
        m.create_index(index("evaluations", "plan", &["plan_id", "created_at", "id"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["evaluations", "progress_reports", "measures", "goals", "strategic_plans", "needs", "situational_analyses"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
