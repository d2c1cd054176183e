//! Exports (`/exports`): the import's columns, CSV (also for Excel) or JSON, streamed; an export
//! imports back with every row `unchanged`; visibility as on the lists.

use domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
// The same files the import tests load; people and memberships differ on purpose (quoting,
// a membership row without external_ref).
use crate::imports::{ORGANIZATIONS, PARTNERSHIPS, UNITS};

const PEOPLE: &str = "external_ref,name,email,organization_ref,job_title\n\
P-1,Jana Nováková,jana@example.cz,O-ZLU,starostka\n\
P-2,Petr Svoboda,,O-ZS,\"ředitel; \"\"školy\"\"\"\n";

const MEMBERSHIPS: &str = "partnership_ref,organization_ref,joined_on,representative_refs,note\n\
LP-ZLU,O-ZLU,2024-03-01,P-1:starostka,\n\
LP-ZLU,O-ZS,2024-03-01,P-2:ředitel|P-1,\"zakládající člen, 1; 2\"\n\
LP-ZLU,O-UP,2024-04-01,,\n";

const RESOURCES: [&str; 5] = ["territorial-units", "organizations", "people", "partnerships", "memberships"];

async fn post_import(app: &TestApp, token: &str, resource: &str, query: &str, content_type: &str, body: Vec<u8>) -> Value {
    let url = format!("{}/api/v1/imports/{resource}?{query}", app.base);
    let resp = app.client.post(url).bearer_auth(token).header("content-type", content_type).body(body).send().await.expect("request");
    let status = resp.status();
    let body: Value = resp.json().await.expect("a report");
    assert_eq!(status, StatusCode::OK, "{resource}: {body}");
    body
}

/// An export's status, content type and raw body.
async fn export(app: &TestApp, token: Option<&str>, resource: &str, query: &str, accept: Option<&str>) -> (StatusCode, String, Vec<u8>) {
    let mut req = app.client.get(format!("{}/api/v1/exports/{resource}?{query}", app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, content_type, resp.bytes().await.expect("body").to_vec())
}

/// The Žlutice data, every record with an `external_ref`.
async fn load_keyed(app: &TestApp, token: &str) {
    for (resource, body) in
        [("territorial-units", UNITS), ("organizations", ORGANIZATIONS), ("people", PEOPLE), ("partnerships", PARTNERSHIPS), ("memberships", MEMBERSHIPS)]
    {
        let report = post_import(app, token, resource, "", "text/csv", body.as_bytes().to_vec()).await;
        assert_eq!(report["failed"], 0, "{report}");
    }
}

/// The Žlutice data, plus records that have no `external_ref` (referenced by ids in an export):
/// an organization that is a member, and a person who is its representative and a consultant.
async fn load(app: &TestApp, token: &str) -> (String, String) {
    load_keyed(app, token).await;
    let admin = app.admin();
    let org = app.org(&admin, "Spolek bez klíče", "ngo", None).await;
    let person = app.person(&admin, "Bez Klíče", &org).await;
    let partnerships = app.get("/api/v1/partnerships?external_ref=LP-ZLU", Some(&admin)).await;
    let lp = partnerships.body["items"][0]["id"].as_str().expect("LP-ZLU").to_owned();
    let res = app
        .send(reqwest::Method::PATCH, &format!("/api/v1/partnerships/{lp}"), Some(&admin), Some(&json!({"consultant_ids": [person]})), &[("if-match", "*")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    app.create(
        &format!("/api/v1/partnerships/{lp}/memberships"),
        &admin,
        json!({"organization_id": org, "joined_on": "2024-05-01", "representatives": [{"person_id": person, "function": "předseda"}]}),
    )
    .await;
    (lp, person)
}

fn json_rows(body: &[u8]) -> Vec<Value> {
    serde_json::from_slice::<Vec<Value>>(body).expect("a JSON array")
}

#[tokio::test]
async fn every_export_imports_back_unchanged_as_csv_excel_csv_and_json() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    load_keyed(&app, &importer).await;
    roundtrip(&app, &importer, &RESOURCES, [3, 3, 2, 1, 3]).await;
}

#[tokio::test]
async fn references_to_records_without_external_ref_are_written_as_ids_and_import_back() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    load(&app, &importer).await;
    // A row of a record without `external_ref` can only create (the import cannot match it), so
    // the roundtrip holds for the rows that reference such records.
    roundtrip(&app, &importer, &["partnerships", "memberships"], [1, 4]).await;
    let (_, _, body) = export(&app, Some(&importer), "memberships", "format=csv", None).await;
    let text = String::from_utf8_lossy(&body).into_owned();
    assert!(text.contains(r#","[{""person_id"":""#) && text.contains(r#",""function"":""předseda""}]","#), "{text}");
}

async fn roundtrip<const N: usize>(app: &TestApp, importer: &str, resources: &[&str; N], expected_rows: [usize; N]) {
    for (resource, rows) in resources.iter().copied().zip(expected_rows) {
        for (query, accept, content_type) in [
            ("", Some("text/csv"), "text/csv"),
            ("format=csv&excel=true", None, "text/csv"),
            ("", None, "application/json"),
            ("format=json", Some("text/csv"), "application/json"),
        ] {
            let (status, got_type, body) = export(app, Some(importer), resource, query, accept).await;
            assert_eq!(status, StatusCode::OK, "{resource} {query}: {}", String::from_utf8_lossy(&body));
            assert!(got_type.starts_with(content_type), "{resource} {query}: {got_type}");
            if query.contains("excel") {
                assert!(body.starts_with(b"\xEF\xBB\xBFexternal_ref;"), "{resource}: {}", String::from_utf8_lossy(&body));
            }
            if content_type == "application/json" {
                assert_eq!(json_rows(&body).len(), rows, "{resource}");
            }
            let report = post_import(app, importer, resource, "dry_run=true", content_type, body.clone()).await;
            assert_eq!(
                [&report["rows"], &report["created"], &report["updated"], &report["failed"], &report["unchanged"]],
                [&json!(rows), &json!(0), &json!(0), &json!(0), &json!(rows)],
                "{resource} {query}: {report}\n{}",
                String::from_utf8_lossy(&body)
            );
        }
    }
}

#[tokio::test]
async fn an_export_writes_the_imports_columns_with_refs_where_records_have_them() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    let (_, person) = load(&app, &importer).await;
    let (_, _, body) = export(&app, Some(&importer), "people", "format=csv&q=Nov", None).await;
    assert_eq!(
        String::from_utf8_lossy(&body),
        "external_ref,name,email,phone,organization_id,organization_ref,job_title\nP-1,Jana Nováková,jana@example.cz,,,O-ZLU,starostka\n"
    );
    let (_, _, body) = export(&app, Some(&importer), "partnerships", "", None).await;
    let lp = &json_rows(&body)[0];
    assert_eq!(lp["consultant_ids"], json!([person]));
    assert_eq!(lp["consultant_refs"], json!([]));
    let mut units = lp["territorial_unit_refs"].as_array().expect("refs").clone();
    units.sort_by_key(Value::to_string);
    assert_eq!(units, [json!("U-MR"), json!("U-VAL"), json!("U-ZLU")]);
    // An anonymous caller gets the public rows, but a consultant (a person) never by their ref.
    let (status, _, _) = export(&app, None, "partnerships", "format=csv", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = export(&app, None, "people", "", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = export(&app, None, "memberships", "", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Unknown parameters are refused like on the lists.
    let (status, _, _) = export(&app, Some(&importer), "organizations", "limit=5", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // updated_since: nothing changed after now.
    let (_, _, body) = export(&app, Some(&importer), "organizations", "updated_since=2999-01-01T00:00:00Z", None).await;
    assert_eq!(json_rows(&body), Vec::<Value>::new());
}

#[tokio::test]
async fn a_partner_exports_only_its_partnerships_memberships_and_people() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    let (lp, _) = load(&app, &importer).await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Jinde", "town", None).await;
    let other = app.partnership(&admin, "Jiné partnerství", &[&unit]).await;
    let org = app.org(&admin, "Cizí", "ngo", None).await;
    app.create(&format!("/api/v1/partnerships/{other}/memberships"), &admin, json!({"organization_id": org, "joined_on": "2024-01-01"})).await;
    let partner = app.token(Role::Partner, &[&lp], Some(&org));
    let (status, _, body) = export(&app, Some(&partner), "memberships", "", None).await;
    assert_eq!(status, StatusCode::OK);
    let rows = json_rows(&body);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r["partnership_ref"] == "LP-ZLU"), "{rows:?}");
    let (_, _, body) = export(&app, Some(&admin), "memberships", &format!("partnership_id={other}"), None).await;
    assert_eq!(json_rows(&body).len(), 1);
}

#[tokio::test]
async fn an_export_streams_more_rows_than_one_page() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    let mut csv = String::from("external_ref,name,kind\n");
    for i in 0..1203 {
        csv.push_str(&format!("O-{i:04},Organizace {i},ngo\n"));
    }
    let report = post_import(&app, &importer, "organizations", "", "text/csv", csv.into_bytes()).await;
    assert_eq!(report["created"], 1203, "{report}");
    let (_, _, body) = export(&app, None, "organizations", "", None).await;
    let rows = json_rows(&body);
    assert_eq!(rows.len(), 1203);
    let mut refs: Vec<&str> = rows.iter().filter_map(|r| r["external_ref"].as_str()).collect();
    refs.sort_unstable();
    refs.dedup();
    assert_eq!(refs.len(), 1203, "every row once");
    let (_, _, body) = export(&app, None, "organizations", "format=csv", None).await;
    assert_eq!(String::from_utf8_lossy(&body).lines().count(), 1204);
    let report = post_import(&app, &importer, "organizations", "dry_run=true", "text/csv", body).await;
    assert_eq!(report["unchanged"], 1203, "{report}");
}
