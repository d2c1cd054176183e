//! The change feed: every committed write, in commit order, without gaps, resumable.

use std::collections::HashSet;

use domain::access::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// Reads the whole feed after `after` in pages of `limit`, checking each page's cursor.
async fn read_all(app: &TestApp, token: &str, after: &str, limit: u32, resource: Option<&str>) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    let mut cursor = after.to_owned();
    loop {
        let filter = resource.map(|r| format!("&resource={r}")).unwrap_or_default();
        let page = app.get(&format!("/api/v1/changes?after={cursor}&limit={limit}{filter}"), Some(token)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let got = page.body["items"].as_array().unwrap().clone();
        let next = page.body["next_cursor"].as_str().unwrap().to_owned();
        if got.is_empty() {
            assert_eq!(next, cursor, "an empty page keeps the position");
            return (items, next);
        }
        assert_eq!(next, got.last().unwrap()["position"].as_i64().unwrap().to_string());
        items.extend(got);
        cursor = next;
    }
}

fn positions(items: &[Value]) -> Vec<i64> {
    items.iter().map(|c| c["position"].as_i64().unwrap()).collect()
}

fn assert_gap_free(items: &[Value]) {
    let p = positions(items);
    for pair in p.windows(2) {
        assert_eq!(pair[1], pair[0] + 1, "positions {p:?} have a gap or are out of order");
    }
}

#[tokio::test]
async fn creates_updates_and_archives_appear_in_commit_order_and_resume_from_a_cursor() {
    let app = spawn_app().await;
    let admin = app.admin();
    let (start, cursor) = read_all(&app, &admin, "0", 100, None).await;
    assert_gap_free(&start);
    let org = app.org(&admin, "Obec Valeč", "municipality", None).await;
    let renamed = app.patch(&format!("/api/v1/organizations/{org}"), &admin, json!({"name": "Obec Valeč u Žlutic"})).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(app.delete(&format!("/api/v1/organizations/{org}"), &admin).await.status, 204);

    let (after, _) = read_all(&app, &admin, &cursor, 2, None).await;
    let ours: Vec<(&str, i64)> =
        after.iter().filter(|c| c["id"] == org.as_str()).map(|c| (c["action"].as_str().unwrap(), c["version"].as_i64().unwrap_or(-1))).collect();
    assert_eq!(ours, [("create", 1), ("update", 2), ("archive", 3)]);
    assert!(after.iter().all(|c| c["resource"] == "organization" && c["actor"] == "admin-user"), "{after:?}");
    assert_gap_free(&after);
    assert_eq!(positions(&after)[0], cursor.parse::<i64>().unwrap() + 1, "the feed resumes right after the cursor");

    // Filtered by resource; a malformed cursor is a 400 naming `after`; no token is a 401.
    let (units, _) = read_all(&app, &admin, "0", 100, Some("territorial_unit")).await;
    assert!(units.is_empty(), "{units:?}");
    let bad = app.get("/api/v1/changes?after=abc", Some(&admin)).await;
    bad.problem(400);
    assert_eq!(bad.error_code("after").as_deref(), Some("format"));
    assert_eq!(app.get("/api/v1/changes?resource=", Some(&admin)).await.error_code("resource").as_deref(), Some("format"));
    app.get("/api/v1/changes", None).await.problem(401);
}

#[tokio::test]
async fn a_partner_reads_the_changes_of_its_own_partnerships_without_who_wrote_them() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Žlutice", "municipality", Some("555762")).await;
    let (own, other) = (app.partnership(&admin, "LP Žluticko", &[&unit]).await, app.partnership(&admin, "LP Jiné", &[&unit]).await);
    let org = app.org(&admin, "Město Žlutice", "municipality", None).await;
    for p in [&own, &other] {
        app.create(&format!("/api/v1/partnerships/{p}/memberships"), &admin, json!({"organization_id": org, "joined_on": "2019-01-01"})).await;
    }
    let partner = app.token(Role::Partner, &[&own], Some(&org));
    let (seen, _) = read_all(&app, &partner, "0", 100, None).await;
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|c| c["partnership_id"] == own.as_str()), "{seen:?}");
    assert!(seen.iter().any(|c| c["resource"] == "membership"));
    assert!(seen.iter().all(|c| c["actor"].is_null()), "who wrote is for admins: {seen:?}");
    // A reporter (a ministry integration) sees every partnership's changes, without the actor.
    let reporter = app.token(Role::Reporter, &[], None);
    let (all, _) = read_all(&app, &reporter, "0", 100, Some("membership")).await;
    let partnerships: HashSet<&str> = all.iter().map(|c| c["partnership_id"].as_str().unwrap()).collect();
    assert_eq!(partnerships, HashSet::from([own.as_str(), other.as_str()]));
}

/// Concurrent writes through two server instances on one database: one feed, every write
/// once, positions without gaps in commit order.
#[tokio::test]
async fn concurrent_writes_through_two_instances_make_one_gap_free_feed() {
    let first = spawn_app().await;
    let second = first.another_instance().await;
    let admin = first.admin();
    let (_, cursor) = read_all(&first, &admin, "0", 100, None).await;
    let writes = (0..24).map(|i| {
        let (app, admin) = (if i % 2 == 0 { &first } else { &second }, admin.clone());
        async move { app.org(&admin, &format!("Organizace {i}"), "ngo", None).await }
    });
    let created: HashSet<String> = futures_util::future::join_all(writes).await.into_iter().collect();
    assert_eq!(created.len(), 24);
    for app in [&first, &second] {
        let (feed, _) = read_all(app, &admin, &cursor, 5, Some("organization")).await;
        assert_gap_free(&feed);
        let ids: Vec<&str> = feed.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 24, "each write once: {ids:?}");
        assert_eq!(ids.iter().map(|s| s.to_string()).collect::<HashSet<_>>(), created);
    }
}

/// An incremental pull: the rows changed since a moment, archived ones as tombstones.
#[tokio::test]
async fn lists_answer_what_changed_since_a_moment_with_tombstones() {
    let app = spawn_app().await;
    let admin = app.admin();
    let old = app.org(&admin, "Stará organizace", "ngo", None).await;
    let gone = app.org(&admin, "Zrušená organizace", "ngo", None).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let new = app.org(&admin, "Nová organizace", "ngo", None).await;
    assert_eq!(app.delete(&format!("/api/v1/organizations/{gone}"), &admin).await.status, 204);
    let pull = |archived: bool| {
        let (app, admin, since) = (&app, admin.clone(), since.clone());
        async move {
            let res =
                app.get(&format!("/api/v1/organizations?updated_since={since}&include_archived={archived}&sort=updated_at&count=true"), Some(&admin)).await;
            assert_eq!(res.status, 200, "{}", res.body);
            res.body["items"].as_array().unwrap().iter().map(|o| (o["id"].as_str().unwrap().to_owned(), o["archived_at"].is_null())).collect::<Vec<_>>()
        }
    };
    assert_eq!(pull(false).await, [(new.clone(), true)]);
    assert_eq!(pull(true).await, [(new.clone(), true), (gone.clone(), false)], "the archived one comes as a tombstone");
    assert!(!pull(true).await.iter().any(|(id, _)| *id == old));
    // A computed list takes no `updated_since`; a malformed time is a 400 too.
    let malformed = app.get("/api/v1/organizations?updated_since=yesterday", Some(&admin)).await;
    malformed.problem(400);
    let codelists = app.get(&format!("/api/v1/codelists?updated_since={since}"), None).await;
    codelists.problem(400);
}
