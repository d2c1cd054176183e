//! Operational programmes, calls for proposals, projects and counselling records.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000003_esif"
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

fn cascade(from_table: &'static str, from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    fk(from_table, from_col, to_table).on_delete(ForeignKeyAction::Cascade).take()
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
            resource("operational_programmes")
                .col(string("code"))
                .col(string("name_cs"))
                .col(string("name_en"))
                .col(string("period"))
                .col(json("funds"))
                .col(json("priority_axes"))
                .col(text("search_text"))
                .take(),
        )
        .await?;
        m.create_index(index("operational_programmes", "code", &["code"]).unique().take()).await?;

        m.create_table(
            resource("calls")
                .col(string_null("external_ref"))
                .col(uuid("programme_id"))
                .col(string("number"))
                .col(string("title"))
                .col(string_null("specific_objective"))
                .col(timestamp_with_time_zone("opens_at"))
                .col(timestamp_with_time_zone("closes_at"))
                .col(big_integer("allocation_minor"))
                .col(string("currency"))
                .col(big_integer_null("min_project_minor"))
                .col(big_integer_null("max_project_minor"))
                .col(integer("support_rate_bp"))
                .col(boolean("kpsvl"))
                .col(json("open_to"))
                .col(text("search_text"))
                .foreign_key(&mut fk("calls", "programme_id", "operational_programmes"))
                .take(),
        )
        .await?;
        m.create_index(index("calls", "number", &["programme_id", "number"]).unique().take()).await?;
        m.create_index(index("calls", "external_ref", &["external_ref"]).unique().take()).await?;
        m.create_index(index("calls", "closes", &["closes_at", "id"])).await?;

        m.create_table(
            Table::create()
                .table("call_partnerships")
                .col(uuid("call_id"))
                .col(uuid("partnership_id"))
                .primary_key(Index::create().col("call_id").col("partnership_id"))
                .foreign_key(&mut cascade("call_partnerships", "call_id", "calls"))
                .foreign_key(&mut fk("call_partnerships", "partnership_id", "partnerships"))
                .take(),
        )
        .await?;
        m.create_index(index("call_partnerships", "partnership", &["partnership_id", "call_id"])).await?;

        m.create_table(
            resource("projects")
                .col(string_null("external_ref"))
                .col(uuid("partnership_id"))
                .col(uuid("applicant_organization_id"))
                .col(uuid_null("call_id"))
                .col(string("title"))
                .col(text_null("summary"))
                .col(date_null("period_from"))
                .col(date_null("period_to"))
                .col(big_integer("total_eligible_minor"))
                .col(big_integer("requested_minor"))
                .col(big_integer("own_financing_minor"))
                .col(string("currency"))
                .col(json("measure_ids"))
                .col(string("status"))
                .col(date_null("recommended_on"))
                .col(string_null("recommendation_resolution"))
                .col(uuid_null("recommended_by_working_group_id"))
                .col(date_null("submitted_on"))
                .col(string_null("registration_number"))
                .col(date_null("decided_on"))
                .col(big_integer_null("approved_minor"))
                .col(text_null("decision_note"))
                .col(date_null("started_on"))
                .col(date_null("completed_on"))
                .col(date_null("withdrawn_on"))
                .col(text_null("withdrawal_reason"))
                .col(text("search_text"))
                .foreign_key(&mut fk("projects", "partnership_id", "partnerships"))
                .foreign_key(&mut fk("projects", "applicant_organization_id", "organizations"))
                .foreign_key(&mut fk("projects", "call_id", "calls"))
                .foreign_key(&mut fk("projects", "recommended_by_working_group_id", "working_groups"))
                .take(),
        )
        .await?;
        m.create_index(index("projects", "external_ref", &["external_ref"]).unique().take()).await?;
        m.create_index(index("projects", "registration_number", &["registration_number"]).unique().take()).await?;
        m.create_index(index("projects", "partnership", &["partnership_id", "created_at", "id"])).await?;
        m.create_index(index("projects", "call", &["call_id", "status"])).await?;

        m.create_table(
            Table::create()
                .table("project_measures")
                .col(uuid("project_id"))
                .col(uuid("measure_id"))
                .primary_key(Index::create().col("project_id").col("measure_id"))
                .foreign_key(&mut cascade("project_measures", "project_id", "projects"))
                .foreign_key(&mut fk("project_measures", "measure_id", "measures"))
                .take(),
        )
        .await?;
        m.create_index(index("project_measures", "measure", &["measure_id", "project_id"])).await?;

        m.create_table(
            resource("counselling_records")
                .col(uuid("partnership_id"))
                .col(uuid("consultant_id"))
                .col(json("organization_ids"))
                .col(date("held_on"))
                .col(integer("duration_minutes"))
                .col(string("topic"))
                .col(uuid_null("call_id"))
                .col(uuid_null("project_id"))
                .col(text_null("notes"))
                .foreign_key(&mut fk("counselling_records", "partnership_id", "partnerships"))
                .foreign_key(&mut fk("counselling_records", "consultant_id", "people"))
                .foreign_key(&mut fk("counselling_records", "call_id", "calls"))
                .foreign_key(&mut fk("counselling_records", "project_id", "projects"))
                .take(),
        )
        .await?;
        m.create_index(index("counselling_records", "partnership", &["partnership_id", "held_on", "id"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["counselling_records", "project_measures", "projects", "call_partnerships", "calls", "operational_programmes"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
