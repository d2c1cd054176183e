//! The registry of local partnerships, the audit trail and idempotency keys.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000001_registry"
    }
}

/// A resource table: UUID key, optimistic-locking version, timestamps, soft archive.
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

fn unique(table: &'static str, name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    index(table, name, cols).unique().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            resource("territorial_units")
                .col(string_null("external_ref"))
                .col(string("sort_name"))
                .col(string("kind"))
                .col(string("name"))
                .col(string_null("municipality_code"))
                .col(string("region"))
                .col(big_integer_null("population"))
                .col(text("search_text"))
                .take(),
        )
        .await?;
        m.create_index(unique("territorial_units", "external_ref", &["external_ref"])).await?;
        m.create_index(unique("territorial_units", "municipality_code", &["municipality_code"])).await?;
        m.create_index(index("territorial_units", "name", &["sort_name", "id"])).await?;
        m.create_index(index("territorial_units", "region", &["region", "id"])).await?;

        m.create_table(
            resource("excluded_localities")
                .col(uuid("territorial_unit_id"))
                .col(string("name"))
                .col(big_integer_null("estimated_residents"))
                .col(text_null("description"))
                .foreign_key(&mut fk("excluded_localities", "territorial_unit_id", "territorial_units"))
                .take(),
        )
        .await?;
        m.create_index(index("excluded_localities", "unit", &["territorial_unit_id"])).await?;

        m.create_table(
            resource("organizations")
                .col(string_null("external_ref"))
                .col(string("sort_name"))
                .col(string("name"))
                .col(string("kind"))
                .col(string_null("ico"))
                .col(string_null("address"))
                .col(string_null("web"))
                .col(text("search_text"))
                .take(),
        )
        .await?;
        m.create_index(unique("organizations", "external_ref", &["external_ref"])).await?;
        m.create_index(unique("organizations", "ico", &["ico"])).await?;
        m.create_index(index("organizations", "name", &["sort_name", "id"])).await?;

        m.create_table(
            resource("people")
                .col(string_null("external_ref"))
                .col(string("sort_name"))
                .col(string("name"))
                .col(string_null("email"))
                .col(string_null("phone"))
                .col(uuid_null("organization_id"))
                .col(string_null("job_title"))
                .col(text("search_text"))
                .foreign_key(&mut fk("people", "organization_id", "organizations"))
                .take(),
        )
        .await?;
        m.create_index(unique("people", "external_ref", &["external_ref"])).await?;
        m.create_index(index("people", "organization", &["organization_id"])).await?;
        m.create_index(index("people", "name", &["sort_name", "id"])).await?;

        m.create_table(
            resource("partnerships")
                .col(string_null("external_ref"))
                .col(string("sort_name"))
                .col(string("name"))
                .col(string("status"))
                .col(date_null("established_on"))
                .col(date_null("memorandum_signed_on"))
                .col(text_null("founding_act"))
                // Copies of the join tables below, kept in the same transaction, so that a page
                // of partnerships is one query; the join tables serve the filters.
                .col(json("territorial_unit_ids"))
                .col(json("consultant_ids"))
                .col(text("search_text"))
                .take(),
        )
        .await?;
        m.create_index(unique("partnerships", "external_ref", &["external_ref"])).await?;
        m.create_index(index("partnerships", "name", &["sort_name", "id"])).await?;
        m.create_index(index("partnerships", "status_name", &["status", "sort_name", "id"])).await?;
        m.create_index(index("partnerships", "updated", &["updated_at", "id"])).await?;

        m.create_table(
            Table::create()
                .table("partnership_territorial_units")
                .col(uuid("partnership_id"))
                .col(uuid("territorial_unit_id"))
                .primary_key(Index::create().col("partnership_id").col("territorial_unit_id"))
                .foreign_key(&mut cascade("partnership_territorial_units", "partnership_id", "partnerships"))
                .foreign_key(&mut fk("partnership_territorial_units", "territorial_unit_id", "territorial_units"))
                .take(),
        )
        .await?;
        m.create_index(index("partnership_territorial_units", "unit", &["territorial_unit_id", "partnership_id"])).await?;

        m.create_table(
            Table::create()
                .table("partnership_consultants")
                .col(uuid("partnership_id"))
                .col(uuid("person_id"))
                .primary_key(Index::create().col("partnership_id").col("person_id"))
                .foreign_key(&mut cascade("partnership_consultants", "partnership_id", "partnerships"))
                .foreign_key(&mut fk("partnership_consultants", "person_id", "people"))
                .take(),
        )
        .await?;
        m.create_index(index("partnership_consultants", "person", &["person_id", "partnership_id"])).await?;

        m.create_table(
            resource("memberships")
                .col(uuid("partnership_id"))
                .col(uuid("organization_id"))
                .col(date("joined_on"))
                .col(date_null("left_on"))
                .col(text_null("note"))
                .foreign_key(&mut fk("memberships", "partnership_id", "partnerships"))
                .foreign_key(&mut fk("memberships", "organization_id", "organizations"))
                .take(),
        )
        .await?;
        m.create_index(index("memberships", "partnership", &["partnership_id", "joined_on", "id"])).await?;
        m.create_index(index("memberships", "organization", &["organization_id"])).await?;

        m.create_table(
            Table::create()
                .table("membership_representatives")
                .col(uuid("membership_id"))
                .col(uuid("person_id"))
                .col(integer("position"))
                .col(string_null("function"))
                .primary_key(Index::create().col("membership_id").col("person_id"))
                .foreign_key(&mut cascade("membership_representatives", "membership_id", "memberships"))
                .foreign_key(&mut fk("membership_representatives", "person_id", "people"))
                .take(),
        )
        .await?;
        m.create_index(index("membership_representatives", "person", &["person_id"])).await?;

        m.create_table(
            resource("working_groups")
                .col(uuid("partnership_id"))
                .col(string("sort_name"))
                .col(string("thematic_area"))
                .col(string("name"))
                .col(uuid_null("coordinator_id"))
                .col(text("search_text"))
                .foreign_key(&mut fk("working_groups", "partnership_id", "partnerships"))
                .foreign_key(&mut fk("working_groups", "coordinator_id", "people"))
                .take(),
        )
        .await?;
        m.create_index(index("working_groups", "partnership", &["partnership_id", "sort_name", "id"])).await?;

        m.create_table(
            Table::create()
                .table("working_group_members")
                .col(uuid("working_group_id"))
                .col(uuid("person_id"))
                .col(integer("position"))
                .primary_key(Index::create().col("working_group_id").col("person_id"))
                .foreign_key(&mut cascade("working_group_members", "working_group_id", "working_groups"))
                .foreign_key(&mut fk("working_group_members", "person_id", "people"))
                .take(),
        )
        .await?;

        m.create_table(
            resource("meetings")
                .col(uuid("partnership_id"))
                .col(uuid_null("working_group_id"))
                .col(string("title"))
                .col(timestamp_with_time_zone("starts_at"))
                .col(timestamp_with_time_zone_null("ends_at"))
                .col(string_null("place"))
                .col(json("agenda"))
                .col(text_null("minutes"))
                .col(json("resolutions"))
                .col(text("search_text"))
                .foreign_key(&mut fk("meetings", "partnership_id", "partnerships"))
                .foreign_key(&mut fk("meetings", "working_group_id", "working_groups"))
                .take(),
        )
        .await?;
        m.create_index(index("meetings", "partnership", &["partnership_id", "starts_at", "id"])).await?;
        m.create_index(index("meetings", "starts", &["starts_at", "id"])).await?;

        m.create_table(
            Table::create()
                .table("meeting_attendance")
                .col(uuid("meeting_id"))
                .col(uuid("person_id"))
                .col(integer("position"))
                .col(string("status"))
                .primary_key(Index::create().col("meeting_id").col("person_id"))
                .foreign_key(&mut cascade("meeting_attendance", "meeting_id", "meetings"))
                .foreign_key(&mut fk("meeting_attendance", "person_id", "people"))
                .take(),
        )
        .await?;

        m.create_table(
            resource("action_items")
                .col(uuid("partnership_id"))
                .col(uuid("meeting_id"))
                .col(string("title"))
                .col(uuid_null("owner_id"))
                .col(date_null("due_on"))
                .col(string("status"))
                .foreign_key(&mut fk("action_items", "partnership_id", "partnerships"))
                .foreign_key(&mut fk("action_items", "meeting_id", "meetings"))
                .foreign_key(&mut fk("action_items", "owner_id", "people"))
                .take(),
        )
        .await?;
        m.create_index(index("action_items", "meeting", &["meeting_id"])).await?;
        m.create_index(index("action_items", "owner", &["owner_id"])).await?;
        m.create_index(index("action_items", "partnership", &["partnership_id", "due_on"])).await?;

        m.create_table(
            Table::create()
                .table("audit_entries")
                .col(uuid("id").primary_key())
                .col(timestamp_with_time_zone("occurred_at"))
                .col(string("actor"))
                .col(string("actor_role"))
                .col(string("action"))
                .col(string("resource_type"))
                .col(uuid("resource_id"))
                .col(json_null("before"))
                .col(json_null("after"))
                .col(string("request_id"))
                .take(),
        )
        .await?;
        m.create_index(index("audit_entries", "resource", &["resource_type", "resource_id", "id"])).await?;

        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .col(string("actor"))
                .col(string("key"))
                .col(string("request_hash"))
                .col(integer("status"))
                .col(string_null("location"))
                .col(text("body"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("actor").col("key"))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "idempotency_keys",
            "audit_entries",
            "action_items",
            "meeting_attendance",
            "meetings",
            "working_group_members",
            "working_groups",
            "membership_representatives",
            "memberships",
            "partnership_consultants",
            "partnership_territorial_units",
            "partnerships",
            "people",
            "organizations",
            "excluded_localities",
            "territorial_units",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
