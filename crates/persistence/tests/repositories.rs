//! The repositories against a real database ("the second ring"): what the unit tests of the
//! domain cannot see — unique indexes, foreign keys, version-guarded updates, the overlap
//! check of memberships, keyset paging and transactions. Every test gets a migrated database
//! of its own: SQLite by default, PostgreSQL with `TEST_DATABASE_URL=postgres://…`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

// The library is `inclusion_persistence`; the rest of the workspace knows it as `persistence`.
extern crate inclusion_persistence as persistence;

mod support;

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Days, Utc};
use domain::DomainError;
use domain::codelist::ThematicArea;
use domain::registry::{PersonData, WorkingGroupData};
use persistence::page::CursorKey;
use persistence::{PageRequest, StoreError, memberships, organizations, partnerships, people, territorial_units, working_groups};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use support::{TestDb, day, membership, new_organization, new_partnership, organization, territorial_unit};
use uuid::Uuid;

fn assert_conflict_on(result: Result<impl std::fmt::Debug, StoreError>, field: &str, case: &str) {
    match result {
        Err(StoreError::Conflict { field: Some(f), .. }) if f == field => {}
        other => panic!("{case}: expected a conflict on `{field}`, got {other:?}"),
    }
}

/// A 422 `reference_not_found` on `field`, never a database error (a 500).
fn assert_reference_not_found(result: Result<impl std::fmt::Debug, StoreError>, field: &str, case: &str) {
    match result {
        Err(StoreError::Domain(DomainError::Invalid(errors))) => {
            assert!(errors.iter().any(|e| e.code == "reference_not_found" && e.field == field), "{case}: expected `{field}`, got {errors:?}");
        }
        other => panic!("{case}: expected 422 reference_not_found on `{field}` (never a database error), got {other:?}"),
    }
}

/// 1. A duplicate in a unique index names the field the client must change, on both databases
/// (PostgreSQL reports the index name, SQLite the table's columns).
#[tokio::test]
async fn a_unique_violation_names_its_field() {
    let db = TestDb::new().await;
    let tx = db.begin().await;
    organizations::create(&tx, organization("Člověk v tísni", Some("25755277"), Some("org-1"))).await.unwrap();
    territorial_units::create(&tx, territorial_unit("Žlutice", Some("555762"))).await.unwrap();
    people::create(&tx, person("Jana Nováková", Some("person-1"))).await.unwrap();
    tx.commit().await.unwrap();

    // Each case in a write of its own, rolled back after the failure.
    let cases: &[(&str, &str)] = &[
        ("organization with the same ico", "ico"),
        ("organization with the same external_ref", "external_ref"),
        ("territorial unit with the same municipality_code", "municipality_code"),
        ("person with the same external_ref", "external_ref"),
    ];
    for (case, field) in cases {
        let tx = db.begin().await;
        let result = match *case {
            "organization with the same ico" => organizations::create(&tx, organization("Another", Some("25755277"), Some("org-2"))).await.map(|_| ()),
            "organization with the same external_ref" => organizations::create(&tx, organization("Another", Some("00254657"), Some("org-1"))).await.map(|_| ()),
            "territorial unit with the same municipality_code" => territorial_units::create(&tx, territorial_unit("Another", Some("555762"))).await.map(|_| ()),
            "person with the same external_ref" => people::create(&tx, person("Another", Some("person-1"))).await.map(|_| ()),
            _ => unreachable!(),
        };
        assert_conflict_on(result, field, case);
        drop(tx);
    }

    // An update into a taken value is refused the same way.
    let tx = db.begin().await;
    let other = organizations::create(&tx, organization("Third", Some("00254657"), None)).await.unwrap();
    tx.commit().await.unwrap();
    let tx = db.begin().await;
    assert_conflict_on(organizations::update(&tx, &other, organization("Third", Some("25755277"), None)).await, "ico", "update to a taken ico");
    drop(tx);

    // NULLs are not duplicates: any number of organizations without an ico or external_ref.
    let tx = db.begin().await;
    for name in ["No ico 1", "No ico 2", "No ico 3"] {
        organizations::create(&tx, organization(name, None, None)).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn person(name: &str, external_ref: Option<&str>) -> PersonData {
    PersonData { external_ref: external_ref.map(Into::into), name: name.into(), email: None, phone: None, organization_id: None, job_title: None }
}

/// 2. A row referring to one that does not exist is the client's error (422
/// `reference_not_found`), not a 500: on PostgreSQL and on SQLite, where the store turns the
/// `foreign_keys` pragma on for every connection.
#[tokio::test]
async fn a_foreign_key_violation_is_a_client_error() {
    let db = TestDb::new().await;
    if !db.is_postgres() {
        // SQLite enforces foreign keys only with the pragma on, per connection: check all of the
        // pool's connections that a burst of reads opens (the pool's: reads outside a write run
        // on read-only connections of their own, `persistence::reader`; writes on the process's
        // own connection, whose enforcement the writes below show).
        let mut reads = Vec::new();
        for _ in 0..4 {
            let conn = db.store.conn().pool().clone();
            reads.push(tokio::spawn(async move {
                let row = conn.query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA foreign_keys")).await.unwrap().unwrap();
                row.try_get_by_index::<i32>(0).unwrap()
            }));
        }
        for read in reads {
            assert_eq!(read.await.unwrap(), 1, "PRAGMA foreign_keys is off on a pool connection");
        }
    }
    let organization_id = new_organization(&db, "Member").await;
    let partnership_id = new_partnership(&db, "Partnership").await;
    let missing = Uuid::now_v7();
    // PostgreSQL names the constraint (`fk_{table}_{column}`), so the error names the field;
    // SQLite says only "FOREIGN KEY constraint failed": the field is the whole `body`.
    let named = |field: &'static str| if db.is_postgres() { field } else { "body" };

    // Through the repositories: they check some references themselves (organization_id of a
    // membership, people) and leave the partnership to the foreign key.
    {
        let tx = db.begin().await;
        let result = memberships::create(&tx, membership(missing, organization_id, "2024-01-01", None)).await;
        assert_reference_not_found(result, named("partnership_id"), "membership of a missing partnership");
    }
    {
        let tx = db.begin().await;
        let data = WorkingGroupData {
            external_ref: None,
            partnership_id: missing,
            thematic_area: ThematicArea::Housing,
            name: "Housing".into(),
            coordinator_id: None,
            member_ids: vec![],
        };
        let result = working_groups::create(&tx, data).await;
        assert_reference_not_found(result, named("partnership_id"), "working group of a missing partnership");
    }

    // Directly, around the repositories: a membership row naming a missing partnership, and one
    // naming a missing organization. Both must fail in the database itself.
    let now = persistence::now();
    let insert_membership = |id: Uuid, partnership: Uuid, organization: Uuid| {
        Query::insert()
            .into_table(Alias::new("memberships"))
            .columns(["id", "version", "created_at", "updated_at", "partnership_id", "organization_id", "joined_on"].map(Alias::new))
            .values([id.into(), 1.into(), now.into(), now.into(), partnership.into(), organization.into(), day("2024-01-01").into()])
            .unwrap()
            .to_owned()
    };
    let cases = [("missing partnership", missing, organization_id, "partnership_id"), ("missing organization", partnership_id, missing, "organization_id")];
    for (case, partnership, organization, field) in cases {
        let tx = db.begin().await;
        let err = tx.conn().execute(&insert_membership(Uuid::now_v7(), partnership, organization)).await.expect_err(case);
        assert_reference_not_found(Err::<(), _>(StoreError::from(err)), named(field), case);
    }

    // Nothing of the above was stored.
    let standing = memberships::standing(db.store.conn(), partnership_id, organization_id).await.unwrap();
    assert!(standing.memberships.is_empty());
}

/// 2b. Removing a row that another still refers to (the application archives instead; a
/// delete is refused by the `ON DELETE RESTRICT` foreign key) is a 409, never a 500.
#[tokio::test]
async fn removing_a_referenced_row_is_no_database_error() {
    let db = TestDb::new().await;
    let organization_id = new_organization(&db, "Member").await;
    let partnership_id = new_partnership(&db, "Partnership").await;
    let tx = db.begin().await;
    memberships::create(&tx, membership(partnership_id, organization_id, "2024-01-01", None)).await.unwrap();
    tx.commit().await.unwrap();

    let cases = [("organizations", organization_id), ("partnerships", partnership_id)];
    for (table, id) in cases {
        let tx = db.begin().await;
        let delete = Query::delete().from_table(Alias::new(table)).and_where(Expr::col(Alias::new("id")).eq(id)).to_owned();
        let result = StoreError::from(tx.conn().execute(&delete).await.expect_err(table));
        drop(tx);
        if db.is_postgres() {
            assert!(matches!(&result, StoreError::Conflict { field: None, message } if message.contains("memberships")), "{table}: {result:?}");
        } else {
            // SQLite enforces RESTRICT with a trigger-class error (code 1811) that names no
            // table; error.rs maps it to the same conflict.
            assert!(matches!(result, StoreError::Conflict { field: None, .. }), "{table}: {result:?}");
        }
    }
    assert!(organizations::get(db.store.conn(), organization_id).await.is_ok());
    assert!(partnerships::exists(db.store.conn(), partnership_id).await.unwrap());
}

/// 3. An update that read version 1 after another write made it version 2 changes nothing and
/// answers a conflict (the service turns a stale `If-Match` into 412 before it gets here; this
/// is the guard against the race between its check and the write).
#[tokio::test]
async fn a_stale_update_writes_nothing() {
    let db = TestDb::new().await;
    let tx = db.begin().await;
    let v1 = organizations::create(&tx, organization("Original", Some("25755277"), None)).await.unwrap();
    let p1 = people::create(&tx, person("Original", None)).await.unwrap();
    let u1 = territorial_units::create(&tx, territorial_unit("Original", None)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(v1.meta.version, 1);

    let tx = db.begin().await;
    let v2 = organizations::update(&tx, &v1, organization("Second", Some("25755277"), None)).await.unwrap();
    let p2 = people::update(&tx, &p1, person("Second", None)).await.unwrap();
    let u2 = territorial_units::update(&tx, &u1, territorial_unit("Second", None)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((v2.meta.version, p2.meta.version, u2.meta.version), (2, 2, 2));

    let cases =
        ["organizations::update", "organizations::archive", "people::update", "people::archive", "territorial_units::update", "territorial_units::archive"];
    for case in cases {
        let tx = db.begin().await;
        let result = match case {
            "organizations::update" => organizations::update(&tx, &v1, organization("Stale", Some("25755277"), None)).await.map(|_| ()),
            "organizations::archive" => organizations::archive(&tx, &v1).await.map(|_| ()),
            "people::update" => people::update(&tx, &p1, person("Stale", None)).await.map(|_| ()),
            "people::archive" => people::archive(&tx, &p1).await.map(|_| ()),
            "territorial_units::update" => territorial_units::update(&tx, &u1, territorial_unit("Stale", None)).await.map(|_| ()),
            "territorial_units::archive" => territorial_units::archive(&tx, &u1).await.map(|_| ()),
            _ => unreachable!(),
        };
        assert!(matches!(result, Err(StoreError::Conflict { field: None, .. })), "{case}: {result:?}");
        // Even a caller that commits after the refusal stores nothing.
        tx.commit().await.unwrap();
    }

    let conn = db.store.conn();
    assert_eq!(organizations::get(conn, v1.meta.id).await.unwrap(), v2);
    assert_eq!(people::get(conn, p1.meta.id, None).await.unwrap(), p2);
    assert_eq!(territorial_units::get(conn, u1.meta.id).await.unwrap(), u2);

    // The current version goes through.
    let tx = db.begin().await;
    let v3 = organizations::update(&tx, &v2, organization("Third", Some("25755277"), None)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((v3.meta.version, v3.data.name.as_str()), (3, "Third"));
}

/// 4a. `standing` loads an organization's memberships of a partnership that are not archived
/// and whether the organization is archived; `is_member_on` judges the days at the edges.
#[tokio::test]
async fn standing_and_membership_days() {
    let db = TestDb::new().await;
    let partnership_id = new_partnership(&db, "Partnership").await;
    let other_partnership = new_partnership(&db, "Other").await;
    let member = new_organization(&db, "Member").await;
    let future_member = new_organization(&db, "Future member").await;
    let outsider = new_organization(&db, "Outsider").await;
    let today = Utc::now().date_naive();
    let in_a_month = today.checked_add_days(Days::new(30)).unwrap();

    let tx = db.begin().await;
    let old = memberships::create(&tx, membership(partnership_id, member, "2019-01-01", Some("2020-01-01"))).await.unwrap();
    memberships::create(&tx, membership(partnership_id, member, "2022-03-01", Some("2023-03-01"))).await.unwrap();
    memberships::create(&tx, membership(other_partnership, member, "2010-01-01", None)).await.unwrap();
    memberships::create(&tx, membership(partnership_id, future_member, &in_a_month.to_string(), None)).await.unwrap();
    memberships::archive(&tx, &old).await.unwrap();
    tx.commit().await.unwrap();

    let standing = memberships::standing(db.store.conn(), partnership_id, member).await.unwrap();
    assert!(!standing.organization_archived);
    let periods: Vec<_> = standing.memberships.iter().map(|m| (m.partnership_id, m.joined_on, m.left_on)).collect();
    assert_eq!(periods, vec![(partnership_id, day("2022-03-01"), Some(day("2023-03-01")))], "only the non-archived membership of this partnership");

    let cases: &[(&str, &str, bool)] = &[
        ("the day before joined_on", "2022-02-28", false),
        ("joined_on itself", "2022-03-01", true),
        ("inside the period", "2022-09-15", true),
        ("the day before left_on", "2023-02-28", true),
        ("left_on itself", "2023-03-01", false),
        ("after left_on", "2024-01-01", false),
        ("in an archived membership's period", "2019-06-01", false),
    ];
    for (case, on, expected) in cases {
        assert_eq!(standing.is_member_on(day(on)), *expected, "{case} ({on})");
    }

    let future = memberships::standing(db.store.conn(), partnership_id, future_member).await.unwrap();
    assert!(!future.is_member_on(today), "joined_on in the future: no member today");
    assert!(future.is_member_on(in_a_month), "a member from joined_on");

    let none = memberships::standing(db.store.conn(), partnership_id, outsider).await.unwrap();
    assert!(none.memberships.is_empty() && !none.organization_archived && !none.is_member_on(today));

    // An archived organization is no member, whatever its memberships say.
    let tx = db.begin().await;
    let current = organizations::get(tx.conn(), member).await.unwrap();
    organizations::archive(&tx, &current).await.unwrap();
    tx.commit().await.unwrap();
    let archived = memberships::standing(db.store.conn(), partnership_id, member).await.unwrap();
    assert!(archived.organization_archived);
    assert_eq!(archived.memberships.len(), 1);
    assert!(!archived.is_member_on(day("2022-09-15")));
}

/// 4b. An organization has at most one membership of a partnership at a time; periods that
/// touch (one ends the day the other begins) do not overlap.
#[tokio::test]
async fn overlapping_memberships_conflict() {
    let db = TestDb::new().await;
    let partnership_id = new_partnership(&db, "Partnership").await;
    let other_partnership = new_partnership(&db, "Other").await;
    let organization_id = new_organization(&db, "Member").await;
    let tx = db.begin().await;
    // The standing membership: [2022-01-01, 2024-01-01).
    let existing = memberships::create(&tx, membership(partnership_id, organization_id, "2022-01-01", Some("2024-01-01"))).await.unwrap();
    tx.commit().await.unwrap();

    // (case, partnership, joined_on, left_on, overlaps)
    let cases: &[(&str, Uuid, &str, Option<&str>, bool)] = &[
        ("open-ended, starting inside", partnership_id, "2023-01-01", None, true),
        ("ending the day after it begins", partnership_id, "2021-01-01", Some("2022-01-02"), true),
        ("containing it", partnership_id, "2020-01-01", None, true),
        ("inside it", partnership_id, "2022-06-01", Some("2022-07-01"), true),
        ("the same period", partnership_id, "2022-01-01", Some("2024-01-01"), true),
        ("ending the day it begins", partnership_id, "2021-01-01", Some("2022-01-01"), false),
        ("beginning the day it ends", partnership_id, "2024-01-01", None, false),
        ("of another partnership", other_partnership, "2023-01-01", None, false),
    ];
    for (case, partnership, joined_on, left_on, overlaps) in cases {
        let tx = db.begin().await;
        let result = memberships::create(&tx, membership(*partnership, organization_id, joined_on, *left_on)).await;
        if *overlaps {
            assert_conflict_on(result, "organization_id", case);
        } else {
            assert!(result.is_ok(), "{case}: {result:?}");
        }
        // Rolled back: every case meets only the standing membership.
        drop(tx);
    }

    // A membership does not overlap itself: it can be edited.
    let tx = db.begin().await;
    let edited = memberships::update(&tx, &existing, membership(partnership_id, organization_id, "2021-06-01", None)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((edited.meta.version, edited.data.left_on), (2, None));

    // An archived membership no longer blocks the period.
    let tx = db.begin().await;
    memberships::archive(&tx, &edited).await.unwrap();
    memberships::create(&tx, membership(partnership_id, organization_id, "2023-01-01", None)).await.unwrap();
    tx.commit().await.unwrap();
}

fn request(limit: u64, sort: Option<&str>, cursor: Option<String>, key: CursorKey) -> PageRequest {
    PageRequest { limit, cursor, sort: sort.map(Into::into), count: true, list: "/api/v1/organizations".into(), cursor_key: key, updated_since: None }
}

/// 5. Keyset paging: following `next_cursor` hands out every row exactly once, in the sort
/// order (ties broken by id); the count is of all matching rows. A cursor is signed and bound
/// to its list, key and sort: anything else is refused as an invalid query.
#[tokio::test]
async fn keyset_paging_hands_out_every_row_once() {
    let db = TestDb::new().await;
    let key = CursorKey::derive(b"repository test secret");
    // Two pairs of equal sort names ("beta", and "Alfa"/"alfa" fold to the same), so that the
    // id decides between them and a page boundary falls inside a tie.
    let names = ["delta", "alfa", "charlie", "beta", "beta", "echo", "Alfa"];
    let tx = db.begin().await;
    let mut created = Vec::new();
    for name in names {
        created.push(organizations::create(&tx, organization(name, None, None)).await.unwrap());
    }
    // Archived: not listed, not counted.
    let gone = organizations::create(&tx, organization("archived", None, None)).await.unwrap();
    organizations::archive(&tx, &gone).await.unwrap();
    tx.commit().await.unwrap();

    for sort in [None, Some("-name"), Some("name,-created_at")] {
        // The order the sort defines, computed here: sort keys, then the id ascending.
        let mut expected: Vec<&organizations::Organization> = created.iter().collect();
        expected.sort_by(|a, b| {
            let (name_a, name_b) = (domain::search::fold(&a.data.name), domain::search::fold(&b.data.name));
            let by_keys = match sort {
                None => name_a.cmp(&name_b),
                Some("-name") => name_b.cmp(&name_a),
                Some("name,-created_at") => name_a.cmp(&name_b).then(b.meta.created_at.cmp(&a.meta.created_at)),
                Some(other) => unreachable!("{other}"),
            };
            by_keys.then(a.meta.id.cmp(&b.meta.id))
        });
        let expected: Vec<Uuid> = expected.into_iter().map(|o| o.meta.id).collect();

        let (mut seen, mut sizes, mut cursor) = (Vec::new(), Vec::new(), None);
        loop {
            let page = organizations::list(db.store.conn(), &organizations::Filter::default(), &request(3, sort, cursor.take(), key)).await.unwrap();
            assert_eq!(page.total, Some(7), "sort {sort:?}: the count is of all rows, on every page");
            sizes.push(page.items.len());
            seen.extend(page.items.iter().map(|o| o.meta.id));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
            assert!(sizes.len() < 10, "sort {sort:?}: the cursor does not advance");
        }
        assert_eq!(sizes, vec![3, 3, 1], "sort {sort:?}");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7, "sort {sort:?}: a row was handed out twice");
        assert_eq!(seen, expected, "sort {sort:?}");
    }

    // An exact multiple of the limit ends without an empty last page.
    let page = organizations::list(db.store.conn(), &organizations::Filter::default(), &request(7, None, None, key)).await.unwrap();
    assert_eq!((page.items.len(), page.next_cursor.is_none()), (7, true));

    // Cursors that this list did not issue for this request.
    let first = organizations::list(db.store.conn(), &organizations::Filter::default(), &request(3, None, None, key)).await.unwrap();
    let issued = first.next_cursor.unwrap();
    let (payload, tag) = issued.split_once('.').unwrap();
    let mut decoded: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    decoded["v"][0] = serde_json::json!("a");
    let edited_payload = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(decoded.to_string()));
    // The tag's first character changed: still valid base64, no longer the MAC.
    let flipped = if tag.starts_with('A') { 'B' } else { 'A' };
    let flipped_tag = format!("{payload}.{flipped}{}", &tag[1..]);

    let other_list = PageRequest { list: "/api/v1/people".into(), ..request(3, None, Some(issued.clone()), key) };
    let other_key = request(3, None, Some(issued.clone()), CursorKey::derive(b"another secret"));
    let cases: Vec<(&str, PageRequest)> = vec![
        ("edited payload", request(3, None, Some(edited_payload), key)),
        ("edited tag", request(3, None, Some(flipped_tag), key)),
        ("unsigned payload", request(3, None, Some(payload.to_owned()), key)),
        ("garbage", request(3, None, Some("not a cursor".into()), key)),
        ("issued by another list", other_list),
        ("signed with another key", other_key),
        ("issued for another sort", request(3, Some("-name"), Some(issued.clone()), key)),
    ];
    for (case, req) in cases {
        let result = organizations::list(db.store.conn(), &organizations::Filter::default(), &req).await;
        assert!(matches!(&result, Err(StoreError::InvalidQuery(e)) if e.field == "cursor"), "{case}: {result:?}");
    }
    // The genuine cursor still works.
    let second = organizations::list(db.store.conn(), &organizations::Filter::default(), &request(3, None, Some(issued), key)).await.unwrap();
    assert_eq!(second.items.len(), 3);

    // An unknown sort field is an invalid query too.
    let result = organizations::list(db.store.conn(), &organizations::Filter::default(), &request(3, Some("ico"), None, key)).await;
    assert!(matches!(&result, Err(StoreError::InvalidQuery(e)) if e.field == "sort"), "{result:?}");
}

/// 6. A write that is dropped without commit leaves nothing behind, and frees the writer.
#[tokio::test]
async fn a_rolled_back_write_leaves_nothing() {
    let db = TestDb::new().await;
    let (organization_id, partnership_id) = {
        let tx = db.begin().await;
        let o = organizations::create(&tx, organization("Rolled back", Some("25755277"), Some("rb-1"))).await.unwrap();
        let unit = territorial_units::create(&tx, territorial_unit("Rolled back town", None)).await.unwrap();
        let p = partnerships::create(&tx, support::partnership("Rolled back partnership", unit.meta.id)).await.unwrap();
        tx.audit("create", "organization", o.meta.id, None, None).await.unwrap();
        // Visible inside the write.
        assert_eq!(organizations::get(tx.conn(), o.meta.id).await.unwrap().data.name, "Rolled back");
        (o.meta.id, p.meta.id)
        // Dropped here without commit.
    };
    let conn = db.store.conn();
    assert!(matches!(organizations::get(conn, organization_id).await, Err(StoreError::NotFound)));
    assert!(matches!(partnerships::get(conn, partnership_id).await, Err(StoreError::NotFound)));
    assert!(!partnerships::exists(conn, partnership_id).await.unwrap());
    let all = PageRequest { limit: 10, count: true, ..Default::default() };
    let filter = organizations::Filter { include_archived: true, ..Default::default() };
    assert_eq!(organizations::list(conn, &filter, &all).await.unwrap().total, Some(0));
    assert_eq!(territorial_units::list(conn, &territorial_units::Filter { include_archived: true, ..Default::default() }, &all).await.unwrap().total, Some(0));

    // The next write can begin (the writer is free) and the unique values are free again.
    let tx = db.begin().await;
    let again = organizations::create(&tx, organization("Committed", Some("25755277"), Some("rb-1"))).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(organizations::get(conn, again.meta.id).await.unwrap().data.name, "Committed");
    assert_eq!(organizations::list(conn, &filter, &all).await.unwrap().total, Some(1));
}

/// 7. A timeline template an admin defined: its phases round-trip through the JSON column, its
/// code stays taken once archived (409 `code`), only a template that is not archived is usable,
/// and its uses count the cooperations and rounds that are not archived.
#[tokio::test]
async fn a_stored_timeline_template_round_trips_and_counts_its_uses() {
    use domain::cooperation::{CooperationData, PhaseTemplate, Source, Template, TemplateUses};
    use persistence::{cooperations, timeline_templates as templates};

    let db = TestDb::new().await;
    let template = Template {
        code: "pilot_12".to_owned().into(),
        name: "Pilotní spolupráce".to_owned().into(),
        months: 12,
        description: String::new().into(),
        phases: vec![
            PhaseTemplate {
                code: "analysis".to_owned().into(),
                name: "Analýza".to_owned().into(),
                from_month: 1,
                to_month: 3,
                source: Source::Analysis,
                only_if_committed: false,
            },
            PhaseTemplate {
                code: "pilot".to_owned().into(),
                name: "Pilot".to_owned().into(),
                from_month: 4,
                to_month: 12,
                source: Source::Milestones,
                only_if_committed: true,
            },
        ]
        .into(),
    };
    let tx = db.begin().await;
    let stored = templates::create(&tx, template.clone().validate().unwrap()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(stored.data, template);
    let conn = db.store.conn();
    assert_eq!(templates::get(conn, "pilot_12").await.unwrap(), stored);
    assert_eq!(templates::usable(conn, "pilot_12").await.unwrap(), Some(template.clone()));
    assert_eq!(templates::uses(conn, "pilot_12").await.unwrap(), TemplateUses::default());

    let partnership = new_partnership(&db, "LP Bečovsko").await;
    let cooperation = |months| CooperationData {
        partnership_id: partnership,
        start_on: day("2024-01-01"),
        months,
        template: "pilot_12".into(),
        predefined_activities: vec![],
        consultant_ids: vec![],
        note: None,
    };
    let tx = db.begin().await;
    let kept = cooperations::create(&tx, cooperation(12)).await.unwrap();
    let mistaken = cooperations::create(&tx, cooperation(18)).await.unwrap();
    cooperations::archive(&tx, &mistaken).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(templates::uses(conn, "pilot_12").await.unwrap(), TemplateUses { cooperations: 1, rounds: 0 });
    let tx = db.begin().await;
    cooperations::archive(&tx, &kept).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(templates::uses(conn, "pilot_12").await.unwrap(), TemplateUses::default());

    let tx = db.begin().await;
    templates::lock(&tx, &stored).await.unwrap();
    let archived = templates::archive(&tx, &stored).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(archived.meta.version, 2);
    assert!(archived.meta.archived_at.is_some());
    assert_eq!(templates::usable(conn, "pilot_12").await.unwrap(), None);
    assert_eq!(templates::usable_codes(conn).await.unwrap(), Vec::<String>::new());
    assert_eq!(templates::all(conn, true).await.unwrap().len(), 1);
    assert!(templates::all(conn, false).await.unwrap().is_empty());
    let tx = db.begin().await;
    assert_conflict_on(templates::create(&tx, template).await, "code", "a template with an archived one's code");
}

/// 9. SQLite reads on the calling thread (`persistence::reader`): the reader knows the type of
/// every column of the migrated schema (a table or column added without its entity would be
/// read by SQLite's own type, which sea-orm refuses for `i32` and UUIDs), and it answers what
/// sqlx answers: the same records, pages, counts and computed columns, byte for byte.
#[tokio::test]
async fn the_sqlite_reader_answers_what_sqlx_answers() {
    let db = TestDb::new().await;
    if db.is_postgres() {
        return;
    }
    let pool = db.store.conn().pool();
    let rows = pool
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'seaql_migrations' ORDER BY 1, 2",
        ))
        .await
        .unwrap();
    let schema: Vec<(String, String)> = rows.iter().map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap())).collect();
    let mut described: Vec<(String, String)> = persistence::reader::described_columns().into_iter().map(|(t, c)| (t.to_owned(), c.to_owned())).collect();
    described.sort();
    assert_eq!(schema, described, "every column of the schema, and only those, has its entity's type in persistence::reader");

    let key = CursorKey::derive(b"repository test secret");
    let tx = db.begin().await;
    let unit = territorial_units::create(&tx, territorial_unit("Žlutice", Some("555762"))).await.unwrap();
    let mut first = None;
    for (i, name) in ["Ústí", "Brno", "Aš", "Cheb"].iter().enumerate() {
        organizations::create(&tx, organization(name, None, Some(&format!("o-{i}")))).await.unwrap();
        let p = partnerships::create(&tx, support::partnership(name, unit.meta.id)).await.unwrap();
        first.get_or_insert(p.meta.id);
    }
    // Meetings: a JSON column read as a `serde_json::Value` (`agenda`), where a partnership's
    // are read into their own type (`territorial_unit_ids`, `entities::JsonOf`).
    for (i, item) in ["Úvod", "Různé \"uvozovky\""].iter().enumerate() {
        let meeting = domain::registry::MeetingData {
            external_ref: None,
            partnership_id: first.unwrap(),
            working_group_id: None,
            title: format!("Setkání {i}"),
            starts_at: Utc::now(),
            ends_at: None,
            place: None,
            agenda: vec![(*item).to_owned(), "Závěr".to_owned()],
            minutes: None,
            attendance: Vec::new(),
            resolutions: Vec::new(),
        };
        persistence::meetings::create(&tx, meeting).await.unwrap();
    }
    tx.commit().await.unwrap();
    let before = db.store.conn().local_reads();
    let models_before = db.store.conn().local_model_reads();
    let filter = partnerships::Filter { region: Some(domain::codelist::Region::Cz042), ..Default::default() };
    let page = request(2, Some("name,-updated_at"), None, key);
    let local = partnerships::list(db.store.conn(), &filter, &page).await.unwrap();
    let sqlx = partnerships::list(pool, &filter, &page).await.unwrap();
    assert_eq!(local.items.len(), 2);
    assert_eq!(format!("{local:?}"), format!("{sqlx:?}"));
    let next = request(2, Some("name,-updated_at"), local.next_cursor.clone(), key);
    let local = partnerships::list(db.store.conn(), &filter, &next).await.unwrap();
    assert_eq!(format!("{local:?}"), format!("{:?}", partnerships::list(pool, &filter, &next).await.unwrap()));
    let orgs = request(10, Some("-name"), None, key);
    let local = organizations::list(db.store.conn(), &Default::default(), &orgs).await.unwrap();
    assert_eq!(local.total, Some(4));
    assert_eq!(format!("{local:?}"), format!("{:?}", organizations::list(pool, &Default::default(), &orgs).await.unwrap()));
    let meetings = request(10, None, None, key);
    let local = persistence::meetings::list(db.store.conn(), &Default::default(), &meetings).await.unwrap();
    assert_eq!(local.items.len(), 2);
    assert_eq!(local.items[1].data.agenda, ["Různé \"uvozovky\"", "Závěr"]);
    assert_eq!(format!("{local:?}"), format!("{:?}", persistence::meetings::list(pool, &Default::default(), &meetings).await.unwrap()));
    // A computed column (`MAX(position)`, NULL on an empty feed).
    assert_eq!(persistence::changes::last_position(db.store.conn()).await.unwrap(), persistence::changes::last_position(pool).await.unwrap());
    let unit_local = territorial_units::get(db.store.conn(), unit.meta.id).await.unwrap();
    assert_eq!(format!("{unit_local:?}"), format!("{unit:?}"));
    // Each read above through `conn()` ran on the reader's own connection (not on sqlx): two
    // pages of partnerships, one of organizations and one of meetings, each with its count, the
    // meetings' attendance, the last position and a unit.
    assert_eq!(db.store.conn().local_reads() - before, 11);
    // The four pages' rows were decoded straight into models (`page::fetch`), JSON columns of
    // both kinds included, and so were the meetings' attendance (`page::models`) and the unit
    // read by id (`page::by_id`).
    assert_eq!(db.store.conn().local_model_reads() - models_before, 6);
}

/// 9b. On PostgreSQL a page's rows are decoded by `persistence::reader::pg_models`, not by
/// sea-orm's derived readers (whose null columns cost a formatted string each): it decodes
/// every row of every table as sea-orm does (null and non-null columns, JSON columns read as a
/// `serde_json::Value` and into their own type), and falls back to sea-orm on none of them.
#[tokio::test]
async fn postgres_pages_are_decoded_as_sea_orm_decodes_them() {
    let db = TestDb::new().await;
    if !db.is_postgres() {
        return;
    }
    let tx = db.begin().await;
    let unit = territorial_units::create(&tx, territorial_unit("Žlutice", Some("555762"))).await.unwrap();
    let mut first = None;
    for (i, name) in ["Ústí", "Brno"].iter().enumerate() {
        // One organization with an external reference and one without (a null column).
        organizations::create(&tx, organization(name, None, (i == 0).then_some("o-1"))).await.unwrap();
        let p = partnerships::create(&tx, support::partnership(name, unit.meta.id)).await.unwrap();
        first.get_or_insert(p.meta.id);
    }
    let meeting = domain::registry::MeetingData {
        external_ref: None,
        partnership_id: first.unwrap(),
        working_group_id: None,
        title: "Setkání".to_owned(),
        starts_at: Utc::now(),
        ends_at: None,
        place: Some("Radnice".to_owned()),
        agenda: vec!["Úvod".to_owned(), "Různé \"uvozovky\"".to_owned()],
        minutes: None,
        attendance: Vec::new(),
        resolutions: Vec::new(),
    };
    persistence::meetings::create(&tx, meeting).await.unwrap();
    tx.commit().await.unwrap();
    // (The rows above, their audit entries and changes, and every table's empty answer.)
    let differ = persistence::reader::pg_models_differ(db.store.conn().pool()).await.unwrap();
    assert!(differ.is_empty(), "decoded otherwise than by sea-orm, or left to it: {differ:?}");
}

/// 10. On an SQLite file a write runs on the process's own connection (`local_write`), not on
/// sqlx, and what it commits every connection reads: the reader's and sqlx's pool alike.
#[tokio::test]
async fn sqlite_writes_run_on_the_writer_and_every_connection_reads_them() {
    let db = TestDb::new().await;
    if db.is_postgres() {
        return;
    }
    let tx = db.begin().await;
    assert!(matches!(tx.conn(), persistence::TxConn::Local(_)), "an SQLite file is written on the process's own connection");
    let unit = territorial_units::create(&tx, territorial_unit("Žlutice", Some("555762"))).await.unwrap();
    // Not yet visible outside the write.
    assert!(matches!(territorial_units::get(db.store.conn(), unit.meta.id).await, Err(StoreError::NotFound)));
    tx.commit().await.unwrap();
    let pool = db.store.conn().pool();
    assert_eq!(format!("{:?}", territorial_units::get(pool, unit.meta.id).await.unwrap()), format!("{unit:?}"));
    assert_eq!(format!("{:?}", territorial_units::get(db.store.conn(), unit.meta.id).await.unwrap()), format!("{unit:?}"));
    // A write of sqlx's (a background job on the pool) and the writer's take turns.
    pool.execute_unprepared("UPDATE territorial_units SET population = 7 WHERE population IS NOT NULL").await.unwrap();
    let tx = db.begin().await;
    assert_eq!(territorial_units::get(tx.conn(), unit.meta.id).await.unwrap().data.population, Some(7));
    tx.commit().await.unwrap();
}

/// 10b. On an SQLite file the WAL is checkpointed after commits by a task of its own, not
/// inside a request's `COMMIT` (`local_write::WriteLock::checkpoint_soon`), and what it
/// checkpointed every connection still reads.
#[tokio::test]
async fn sqlite_commits_are_checkpointed_off_the_request_threads() {
    let db = TestDb::new().await;
    if db.is_postgres() {
        assert_eq!(db.store.sqlite_checkpoints(), 0);
        return;
    }
    let before = db.store.sqlite_checkpoints();
    let mut ids = Vec::new();
    for i in 0..20 {
        let tx = db.begin().await;
        ids.push(territorial_units::create(&tx, territorial_unit(&format!("Obec {i}"), None)).await.unwrap().meta.id);
        tx.commit().await.unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while db.store.sqlite_checkpoints() == before {
        assert!(std::time::Instant::now() < deadline, "no checkpoint within 10 s of 20 commits");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for id in &ids {
        territorial_units::get(db.store.conn(), *id).await.unwrap();
        territorial_units::get(db.store.conn().pool(), *id).await.unwrap();
    }
    // Writes go on after a checkpoint, on a WAL started afresh: it holds the frames of this
    // write alone, not those of the twenty before it (a WAL never started afresh grows
    // without end, and with it the index every connection maps).
    let checkpointed = db.store.sqlite_checkpoints();
    let tx = db.begin().await;
    let unit = territorial_units::create(&tx, territorial_unit("Po kontrolním bodu", None)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(territorial_units::get(db.store.conn(), unit.meta.id).await.unwrap().data.name, "Po kontrolním bodu");
    let file = Statement::from_string(DbBackend::Sqlite, "SELECT file FROM pragma_database_list WHERE name = 'main'");
    let path: String = db.store.conn().pool().query_one_raw(file).await.unwrap().unwrap().try_get_by_index(0).unwrap();
    let frames: i64 = rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1)).unwrap();
    assert!((1..=8).contains(&frames), "the WAL holds {frames} frames after one write");

    // A checkpoint scheduled on a runtime that shut down before it ran (an actix worker that
    // restarted) does not stop the later ones. (First the one this test's last write scheduled.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while db.store.sqlite_checkpoints() == checkpointed {
        assert!(std::time::Instant::now() < deadline, "no checkpoint after the last write");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let checkpointed = db.store.sqlite_checkpoints();
    let store = db.store.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let tx = store.begin(persistence::Actor { subject: "t".into(), role: "admin".into(), request_id: "t".into() }).await.unwrap();
            territorial_units::create(&tx, territorial_unit("Na jiném běhovém prostředí", None)).await.unwrap();
            tx.commit().await.unwrap();
        });
    })
    .join()
    .unwrap();
    let before = db.store.sqlite_checkpoints();
    assert_eq!(before, checkpointed, "the other runtime's checkpoint was dropped with it, not run");
    let tx = db.begin().await;
    territorial_units::create(&tx, territorial_unit("Po zániku", None)).await.unwrap();
    tx.commit().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while db.store.sqlite_checkpoints() == before {
        assert!(std::time::Instant::now() < deadline, "no checkpoint after a runtime with a scheduled one shut down");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// 11. On an SQLite file a write waits for another connection's write lock (another process,
/// a migration) without blocking its thread, then runs: on this one-thread runtime the test's
/// own task goes on meanwhile.
#[tokio::test(flavor = "current_thread")]
async fn a_write_waits_for_another_connections_lock_without_blocking_its_thread() {
    let db = TestDb::new().await;
    if db.is_postgres() {
        return;
    }
    let file = Statement::from_string(DbBackend::Sqlite, "SELECT file FROM pragma_database_list WHERE name = 'main'");
    let path: String = db.store.conn().pool().query_one_raw(file).await.unwrap().unwrap().try_get_by_index(0).unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let store = db.store.clone();
    let write = tokio::spawn(async move {
        let tx = store.begin(persistence::Actor { subject: "t".into(), role: "admin".into(), request_id: "t".into() }).await?;
        let unit = territorial_units::create(&tx, territorial_unit("Waited", None)).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(unit.meta.id)
    });
    let started = std::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "the waiting write blocked the thread for {:?}", started.elapsed());
    assert!(!write.is_finished(), "the write waits while the other connection holds the lock");
    other.execute_batch("COMMIT").unwrap();
    let id = write.await.unwrap().unwrap();
    assert_eq!(territorial_units::get(db.store.conn(), id).await.unwrap().data.name, "Waited");
}

/// The folded names lists sort by compare byte by byte on PostgreSQL too (`COLLATE "C"`, as
/// SQLite's `BINARY`), whatever the database's collation: the paging test above expects that
/// order, which a national collation (`cs_CZ`: "ch" after "h", spaces ignored) would break.
#[tokio::test]
async fn sort_names_compare_byte_by_byte_on_postgresql() {
    let db = TestDb::new().await;
    if !db.is_postgres() {
        return;
    }
    let rows = db
        .store
        .conn()
        .pool()
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT table_name::text || ' ' || data_type::text || ' ' || is_nullable::text || ' ' || COALESCE(collation_name::text, '-') \
             FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'sort_name' ORDER BY 1",
        ))
        .await
        .unwrap();
    let columns: Vec<String> = rows.iter().map(|r| r.try_get_by_index(0).unwrap()).collect();
    let expected: Vec<String> =
        ["organizations", "partnerships", "people", "territorial_units", "working_groups"].iter().map(|t| format!("{t} character varying NO C")).collect();
    assert_eq!(columns, expected);
    // Compared as bytes whatever the database's collation: " " (0x20) before "b", "h" before
    // "ch" nowhere.
    let tx = db.begin().await;
    for (i, name) in ["ab c", "Chrudim", "a bd", "Hodonín"].iter().enumerate() {
        organizations::create(&tx, organization(name, None, Some(&format!("o-{i}")))).await.unwrap();
    }
    tx.commit().await.unwrap();
    let page = organizations::list(db.store.conn(), &organizations::Filter::default(), &request(10, None, None, CursorKey::derive(b"k"))).await.unwrap();
    let names: Vec<&str> = page.items.iter().map(|o| o.data.name.as_str()).collect();
    assert_eq!(names, ["a bd", "ab c", "Chrudim", "Hodonín"]);
}

/// An HTTP worker's store (`Store::for_worker`): on PostgreSQL a pool of its own, which opens
/// nothing until it is used and then reads and writes the same database as the shared store,
/// with transactions of its own; on SQLite the shared store itself (one write lock).
#[tokio::test]
async fn a_workers_store_opens_its_connections_on_first_use_and_sees_what_the_shared_store_sees() {
    let db = TestDb::new().await;
    let connections = || async {
        let stmt = Statement::from_string(DbBackend::Postgres, "SELECT count(*)::bigint AS n FROM pg_stat_activity WHERE datname = current_database()");
        let row = db.store.conn().query_one_raw(stmt).await.unwrap().unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    let before = if db.is_postgres() { connections().await } else { 0 };
    let worker = db.store.for_worker(2).expect("a worker's store");
    if db.is_postgres() {
        assert_eq!(connections().await, before, "a worker's pool opens no connection before its first use");
    }
    let actor = persistence::Actor { subject: "worker-test".into(), role: "admin".into(), request_id: "test".into() };
    let tx = worker.begin(actor).await.unwrap();
    let unit = territorial_units::create(&tx, territorial_unit("Bečov nad Teplou", Some("554979"))).await.unwrap();
    tx.commit().await.unwrap();
    if db.is_postgres() {
        assert_eq!(connections().await, before + 1, "the worker's write opened one connection of its own");
    }
    // Written through the worker, read through the shared store, and the other way round.
    assert_eq!(territorial_units::get(db.store.conn(), unit.meta.id).await.unwrap().data.name, "Bečov nad Teplou");
    let tx = db.begin().await;
    let other = territorial_units::create(&tx, territorial_unit("Toužim", Some("555657"))).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(territorial_units::get(worker.conn(), other.meta.id).await.unwrap().data.name, "Toužim");
    worker.ping().await.unwrap();
}
