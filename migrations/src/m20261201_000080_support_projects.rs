//! The Agency's support projects ("Rozvoj systémů pro sociální začleňování"): the project, its
//! supported territorial units with their descriptions of cooperation, quality criteria (their
//! assessments a JSON list on the row), participatory procedures, KA03 analytical findings,
//! KA01/KA02 documents (the findings they reference a JSON list), and KA04 good-practice
//! events (the managers' attendance a JSON list on the row).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000080_support_projects"
    }
}

/// The columns every resource carries.
fn resource(table: &str) -> TableCreateStatement {
    Table::create()
        .table(table.to_owned())
        .col(uuid("id").primary_key())
        .col(integer("version"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .col(timestamp_with_time_zone_null("archived_at"))
        .take()
}

fn fk(name: &str, from: &str, column: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name.to_owned()).from(from.to_owned(), column.to_owned()).to(to.to_owned(), "id").on_delete(ForeignKeyAction::Restrict).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            resource("support_projects")
                .col(string("registration_number"))
                .col(string("title"))
                .col(string("programme"))
                .col(date("start_on"))
                .col(date("end_on"))
                .col(json("key_activities"))
                .col(json("competence_rule"))
                .col(text_null("note"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_support_projects_registration_number").table("support_projects").col("registration_number").unique().take())
            .await?;
        m.create_index(Index::create().name("ix_support_projects_start_on").table("support_projects").col("start_on").col("id").take()).await?;

        m.create_table(
            resource("supported_units")
                .col(uuid("support_project_id"))
                .col(uuid("territorial_unit_id"))
                .col(uuid_null("cooperation_id"))
                .col(date("joined_on"))
                .col(date_null("description_agreed_on"))
                .col(text_null("scope"))
                .col(json("thematic_areas"))
                .col(text_null("note"))
                .foreign_key(&mut fk("fk_supported_units_project", "supported_units", "support_project_id", "support_projects"))
                .foreign_key(&mut fk("fk_supported_units_unit", "supported_units", "territorial_unit_id", "territorial_units"))
                .foreign_key(&mut fk("fk_supported_units_cooperation", "supported_units", "cooperation_id", "cooperations"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_supported_units_project_unit")
                .table("supported_units")
                .col("support_project_id")
                .col("territorial_unit_id")
                .unique()
                .take(),
        )
        .await?;

        m.create_table(
            resource("quality_criteria")
                .col(uuid("supported_unit_id"))
                .col(string("title"))
                .col(text_null("description"))
                .col(integer("scale_min"))
                .col(integer("scale_max"))
                .col(json("assessments"))
                .foreign_key(&mut fk("fk_quality_criteria_unit", "quality_criteria", "supported_unit_id", "supported_units"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_quality_criteria_unit").table("quality_criteria").col("supported_unit_id").take()).await?;

        m.create_table(
            resource("participatory_procedures")
                .col(uuid("supported_unit_id"))
                .col(date("applied_on"))
                .col(string("title"))
                .col(text("evidence"))
                .foreign_key(&mut fk("fk_participatory_procedures_unit", "participatory_procedures", "supported_unit_id", "supported_units"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_participatory_procedures_unit").table("participatory_procedures").col("supported_unit_id").take()).await?;

        m.create_table(
            resource("analytical_findings")
                .col(uuid("support_project_id"))
                .col(string("title"))
                .col(date("published_on"))
                .col(text_null("summary"))
                .foreign_key(&mut fk("fk_analytical_findings_project", "analytical_findings", "support_project_id", "support_projects"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_analytical_findings_project").table("analytical_findings").col("support_project_id").take()).await?;

        m.create_table(
            resource("support_project_documents")
                .col(uuid("support_project_id"))
                .col(uuid_null("supported_unit_id"))
                .col(string("key_activity"))
                .col(string("kind"))
                .col(string("title"))
                .col(date("issued_on"))
                .col(json("finding_ids"))
                .foreign_key(&mut fk("fk_support_project_documents_project", "support_project_documents", "support_project_id", "support_projects"))
                .foreign_key(&mut fk("fk_support_project_documents_unit", "support_project_documents", "supported_unit_id", "supported_units"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_support_project_documents_project").table("support_project_documents").col("support_project_id").take())
            .await?;

        m.create_table(
            resource("good_practice_events")
                .col(uuid("support_project_id"))
                .col(string("kind"))
                .col(string("title"))
                .col(date("held_on"))
                .col(integer("minutes"))
                .col(json("presenters"))
                .col(boolean("central_bodies_attended"))
                .col(boolean("presents_data_and_recommendations"))
                .col(json("attendance"))
                .foreign_key(&mut fk("fk_good_practice_events_project", "good_practice_events", "support_project_id", "support_projects"))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("ix_good_practice_events_project").table("good_practice_events").col("support_project_id").take()).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "good_practice_events",
            "support_project_documents",
            "analytical_findings",
            "participatory_procedures",
            "quality_criteria",
            "supported_units",
            "support_projects",
        ] {
            m.drop_table(Table::drop().table(table.to_owned()).take()).await?;
        }
        Ok(())
    }
}
