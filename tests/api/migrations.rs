//! Migrations over data written by older code: the pre-migration state is built with raw SQL
//! after running the migrations up to that point, then the rest is run.

use crate::helpers::scratch_database;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement, Value};
use uuid::Uuid;

async fn exec(db: &DatabaseConnection, sql: &str, values: Vec<Value>) {
    let backend = db.get_database_backend();
    let sql = match backend {
        // `?` placeholders, numbered for PostgreSQL.
        DatabaseBackend::Postgres => {
            let mut out = String::new();
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => sql.to_owned(),
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await.unwrap_or_else(|e| panic!("{e}"));
}

/// A partnership as the first migrations' schema holds it.
async fn partnership_row(db: &DatabaseConnection) -> Uuid {
    let id = Uuid::now_v7();
    exec(
        db,
        "INSERT INTO partnerships (id, version, created_at, updated_at, sort_name, name, status, territorial_unit_ids, consultant_ids, search_text) \
         VALUES (?, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'p', 'P', 'active', '[]', '[]', '')",
        vec![id.into()],
    )
    .await;
    id
}

async fn plan(db: &DatabaseConnection, partnership: Uuid, lineage: Uuid, number: i32, predecessor: Option<Uuid>) -> Uuid {
    let id = Uuid::now_v7();
    exec(
        db,
        "INSERT INTO strategic_plans (id, version, created_at, updated_at, partnership_id, lineage_id, version_number, predecessor_id, title, valid_from, valid_to, status) \
         VALUES (?, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?, ?, ?, ?, 'Plan', '2026-01-01', '2029-12-31', 'draft')",
        vec![id.into(), partnership.into(), lineage.into(), number.into(), predecessor.into()],
    )
    .await;
    id
}

async fn measure(db: &DatabaseConnection, partnership: Uuid, plan: Uuid, goal: Uuid, code: &str) -> Uuid {
    let id = Uuid::now_v7();
    exec(
        db,
        "INSERT INTO measures (id, version, created_at, updated_at, plan_id, partnership_id, goal_id, kind, code, title, thematic_area, need_ids, co_implementer_ids, budget, predefined_activity, indicators, search_text) \
         VALUES (?, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?, ?, ?, 'measure', ?, 'Measure', 'employment', '[]', '[]', '[]', ?, '[]', '')",
        vec![id.into(), plan.into(), partnership.into(), goal.into(), code.into(), false.into()],
    )
    .await;
    id
}

async fn goal(db: &DatabaseConnection, plan: Uuid) -> Uuid {
    let id = Uuid::now_v7();
    exec(
        db,
        "INSERT INTO goals (id, version, created_at, updated_at, plan_id, code, title, level) VALUES (?, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?, 'G1', 'Goal', 'general')",
        vec![id.into(), plan.into()],
    )
    .await;
    id
}

/// A report as the old `revise` copied it: every field the same but id, measure and plan.
async fn report(db: &DatabaseConnection, measure: Uuid, plan: Uuid, partnership: Uuid, reported_on: &str, percent: i32, created_at: &str) -> Uuid {
    let id = Uuid::now_v7();
    exec(
        db,
        "INSERT INTO progress_reports (id, measure_id, plan_id, partnership_id, reported_on, status, percent_done, indicator_values, comment, author_subject, author_person_id, created_at) \
         VALUES (?, ?, ?, ?, ?, 'in_progress', ?, '[]', NULL, 'user-1', NULL, ?)",
        vec![
            id.into(),
            measure.into(),
            plan.into(),
            partnership.into(),
            reported_on.parse::<chrono::NaiveDate>().unwrap().into(),
            percent.into(),
            created_at.parse::<chrono::DateTime<chrono::Utc>>().unwrap().into(),
        ],
    )
    .await;
    id
}

async fn key_of(db: &DatabaseConnection, measure: Uuid) -> Uuid {
    let backend = db.get_database_backend();
    let p = if backend == DatabaseBackend::Postgres { "$1" } else { "?" };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, format!("SELECT measure_key FROM measures WHERE id = {p}"), vec![measure.into()]))
        .await
        .unwrap()
        .expect("the measure exists");
    row.try_get("", "measure_key").unwrap()
}

async fn report_ids(db: &DatabaseConnection) -> Vec<Uuid> {
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(Statement::from_string(backend, "SELECT id FROM progress_reports")).await.unwrap();
    let mut ids: Vec<Uuid> = rows.iter().map(|r| r.try_get("", "id").unwrap()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn measure_key_links_earlier_revisions_and_drops_the_copied_reports() {
    let scratch = scratch_database().await;
    let db = Database::connect(&scratch.url).await.expect("connect");
    Migrator::up(&db, Some(3)).await.expect("migrations up to 000003");

    let partnership = partnership_row(&db).await;
    // Three versions of one plan, as the old `revise` made them, and an unrelated plan.
    let lineage = Uuid::now_v7();
    let v1 = plan(&db, partnership, lineage, 1, None).await;
    let v2 = plan(&db, partnership, lineage, 2, Some(v1)).await;
    let v3 = plan(&db, partnership, lineage, 3, Some(v2)).await;
    let other = plan(&db, partnership, Uuid::now_v7(), 1, None).await;
    let (g1, g2, g3, go) = (goal(&db, v1).await, goal(&db, v2).await, goal(&db, v3).await, goal(&db, other).await);
    let m1_v1 = measure(&db, partnership, v1, g1, "M1").await;
    let m2_v1 = measure(&db, partnership, v1, g1, "M2").await;
    let m1_v2 = measure(&db, partnership, v2, g2, "M1").await;
    let m2_v2 = measure(&db, partnership, v2, g2, "M2").await;
    let m1_v3 = measure(&db, partnership, v3, g3, "M1").await;
    let m3_v3 = measure(&db, partnership, v3, g3, "M3").await;
    let m1_other = measure(&db, partnership, other, go, "M1").await;

    // R1 reported on v1, copied to v2 and v3; R2 reported on v2, copied to v3; R3 on v3.
    let r1 = report(&db, m1_v1, v1, partnership, "2026-03-01", 10, "2026-03-01T10:00:00Z").await;
    report(&db, m1_v2, v2, partnership, "2026-03-01", 10, "2026-03-01T10:00:00Z").await;
    report(&db, m1_v3, v3, partnership, "2026-03-01", 10, "2026-03-01T10:00:00Z").await;
    let r2 = report(&db, m1_v2, v2, partnership, "2026-06-01", 40, "2026-06-01T10:00:00Z").await;
    report(&db, m1_v3, v3, partnership, "2026-06-01", 40, "2026-06-01T10:00:00Z").await;
    let r3 = report(&db, m1_v3, v3, partnership, "2026-09-01", 70, "2026-09-01T10:00:00Z").await;
    // Same fields as R1 but on another measure (another key): not a copy.
    let r4 = report(&db, m2_v2, v2, partnership, "2026-03-01", 10, "2026-03-01T10:00:00Z").await;
    // Same fields as R1 on the unrelated plan's M1: not a copy either.
    let r5 = report(&db, m1_other, other, partnership, "2026-03-01", 10, "2026-03-01T10:00:00Z").await;

    Migrator::up(&db, None).await.expect("the remaining migrations");

    for m in [m1_v1, m1_v2, m1_v3] {
        assert_eq!(key_of(&db, m).await, m1_v1, "M1 of every version follows the first version's key");
    }
    assert_eq!(key_of(&db, m2_v1).await, m2_v1);
    assert_eq!(key_of(&db, m2_v2).await, m2_v1);
    assert_eq!(key_of(&db, m3_v3).await, m3_v3, "a measure new in v3 keeps its own id");
    assert_eq!(key_of(&db, m1_other).await, m1_other, "another lineage's M1 is not linked");

    let mut expected = vec![r1, r2, r3, r4, r5];
    expected.sort();
    assert_eq!(report_ids(&db).await, expected, "the copies of R1 (v2, v3) and of R2 (v3) are removed; originals stay");
    db.close().await.ok();
}

#[tokio::test]
async fn partnership_regions_are_filled_from_the_regions_of_their_units() {
    let scratch = scratch_database().await;
    let db = Database::connect(&scratch.url).await.expect("connect");
    Migrator::up(&db, Some(16)).await.expect("migrations up to 000140");

    let unit = async |region: &str| {
        let id = Uuid::now_v7();
        exec(
            &db,
            "INSERT INTO territorial_units (id, version, created_at, updated_at, sort_name, kind, name, region, search_text) \
             VALUES (?, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'u', 'town', 'U', ?, '')",
            vec![id.into(), region.into()],
        )
        .await;
        id
    };
    let partnership = async |units: &[Uuid]| {
        let id = partnership_row(&db).await;
        for u in units {
            exec(&db, "INSERT INTO partnership_territorial_units (partnership_id, territorial_unit_id) VALUES (?, ?)", vec![id.into(), (*u).into()]).await;
        }
        id
    };
    let (a, b, c) = (unit("CZ041").await, unit("CZ080").await, unit("CZ041").await);
    let two = partnership(&[a, b, c]).await;
    let one = partnership(&[a]).await;
    let none = partnership(&[]).await;

    Migrator::up(&db, None).await.expect("the remaining migrations");

    let backend = db.get_database_backend();
    for (id, expected) in [(two, ",CZ041,CZ080,"), (one, ",CZ041,"), (none, "")] {
        let sql = match backend {
            DatabaseBackend::Postgres => "SELECT regions FROM partnerships WHERE id = $1",
            _ => "SELECT regions FROM partnerships WHERE id = ?",
        };
        let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, [id.into()])).await.unwrap().unwrap();
        let regions: String = row.try_get("", "regions").unwrap();
        // The set, each code enclosed in commas; SQLite's aggregate does not promise an order.
        let mut codes: Vec<&str> = regions.trim_matches(',').split(',').filter(|c| !c.is_empty()).collect();
        codes.sort_unstable();
        let set = if codes.is_empty() { String::new() } else { format!(",{},", codes.join(",")) };
        assert!(regions.is_empty() || (regions.starts_with(',') && regions.ends_with(',')), "{regions}");
        assert_eq!(set, expected, "partnership with {regions}");
    }
    db.close().await.ok();
}
