//! Bulk imports (`/imports`): rows written by the single-row use cases, with their checks and
//! codes; atomic and per-row modes, dry runs, unchanged rows, stored reports.

use domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Res, TestApp, spawn_app};

pub(crate) const UNITS: &str = "external_ref,kind,name,municipality_code,region,population\n\
U-ZLU,town,Žlutice,555771,CZ041,2400\n\
U-VAL,town,Valeč,555860,CZ041,500\n\
U-MR,microregion,Mikroregion Žluticko,,CZ041,\n";

pub(crate) const ORGANIZATIONS: &str = "external_ref,name,kind,ico,address,web\n\
O-ZLU,Město Žlutice,municipality,00551023,\"Velké náměstí 1, Žlutice\",https://www.zlutice.cz\n\
O-ZS,Základní škola Žlutice,school,27082440,,\n\
O-UP,Úřad práce Karlovy Vary,labour_office,00254657,,\n";

pub(crate) const PEOPLE: &str = "external_ref,name,email,organization_ref,job_title\n\
P-1,Jana Nováková,jana@example.cz,O-ZLU,starostka\n\
P-2,Petr Svoboda,,O-ZS,ředitel\n";

pub(crate) const PARTNERSHIPS: &str = "external_ref,name,territorial_unit_refs,established_on,founding_act\n\
LP-ZLU,Lokální partnerství Žluticko,U-ZLU|U-VAL|U-MR,2024-03-01,memorandum\n";

pub(crate) const MEMBERSHIPS: &str = "external_ref,partnership_ref,organization_ref,joined_on,representative_refs,note\n\
M-1,LP-ZLU,O-ZLU,2024-03-01,P-1:starostka,\n\
M-2,LP-ZLU,O-ZS,2024-03-01,P-2:ředitel|P-1,zakládající člen\n\
M-3,LP-ZLU,O-UP,2024-04-01,,\n";

pub(crate) async fn import(app: &TestApp, token: &str, resource: &str, query: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Res {
    let url = format!("{}/api/v1/imports/{resource}{}{query}", app.base, if query.is_empty() { "" } else { "?" });
    let resp = app.client.post(url).bearer_auth(token).header("content-type", content_type).body(body.into()).send().await.expect("request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    assert!(status.as_u16() < 500, "server error {status}: {body}");
    Res { status, headers, body }
}

pub(crate) async fn csv(app: &TestApp, token: &str, resource: &str, query: &str, body: &str) -> Value {
    let res = import(app, token, resource, query, "text/csv", body).await;
    assert_eq!(res.status, StatusCode::OK, "{resource}: {}", res.body);
    res.body
}

pub(crate) fn counts(report: &Value) -> [u64; 4] {
    ["created", "updated", "unchanged", "failed"].map(|k| report[k].as_u64().unwrap_or_else(|| panic!("{k} in {report}")))
}

pub(crate) async fn audit_count(app: &TestApp, resource_type: &str) -> u64 {
    let res = app.get(&format!("/api/v1/audit?resource_type={resource_type}&count=true&limit=1"), Some(&app.admin())).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body["total"].as_u64().expect("total")
}

pub(crate) async fn load_zluticko(app: &TestApp, token: &str) -> Vec<Value> {
    let mut reports = Vec::new();
    for (resource, body) in
        [("territorial-units", UNITS), ("organizations", ORGANIZATIONS), ("people", PEOPLE), ("partnerships", PARTNERSHIPS), ("memberships", MEMBERSHIPS)]
    {
        reports.push(csv(app, token, resource, "", body).await);
    }
    reports
}

#[tokio::test]
async fn a_partnership_is_imported_from_csv_files_and_a_rerun_changes_nothing() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    let reports = load_zluticko(&app, &importer).await;
    let expected = [3, 3, 2, 1, 3];
    for (report, n) in reports.iter().zip(expected) {
        assert_eq!(counts(report), [n, 0, 0, 0], "{report}");
        assert_eq!(report["committed"], true);
        assert_eq!(report["errors"], json!([]));
    }
    // The partnership names the units by reference; the memberships their representatives.
    let lp = app.get("/api/v1/partnerships?external_ref=LP-ZLU", None).await.body["items"][0].clone();
    assert_eq!(lp["territorial_unit_ids"].as_array().map(Vec::len), Some(3));
    let lp_id = lp["id"].as_str().expect("partnership id");
    let members = app.get(&format!("/api/v1/partnerships/{lp_id}/memberships"), Some(&app.admin())).await.body;
    let items = members["items"].as_array().expect("memberships");
    assert_eq!(items.len(), 3);
    let with_two = items.iter().find(|m| m["representatives"].as_array().map(Vec::len) == Some(2)).expect("M-2");
    assert!(with_two["representatives"].as_array().is_some_and(|r| r.iter().any(|r| r["function"] == "ředitel")));
    assert_eq!(with_two["note"], "zakládající člen");

    let audited = audit_count(&app, "organization").await + audit_count(&app, "membership").await + audit_count(&app, "partnership").await;
    assert_eq!(audited, 3 + 3 + 1, "every imported row is audited");
    let versions = app.get("/api/v1/organizations?external_ref=O-ZLU", None).await.body["items"][0]["version"].clone();

    // The same files again: every row unchanged, nothing written.
    let again = load_zluticko(&app, &importer).await;
    for (report, n) in again.iter().zip(expected) {
        assert_eq!(counts(report), [0, 0, n, 0], "{report}");
    }
    let audited_again = audit_count(&app, "organization").await + audit_count(&app, "membership").await + audit_count(&app, "partnership").await;
    assert_eq!(audited_again, audited, "an unchanged row is not audited");
    assert_eq!(app.get("/api/v1/organizations?external_ref=O-ZLU", None).await.body["items"][0]["version"], versions);

    // A changed cell updates the one row (a new version), the others stay.
    let changed = ORGANIZATIONS.replace("Úřad práce Karlovy Vary", "Úřad práce ČR – Karlovy Vary");
    assert_eq!(counts(&csv(&app, &importer, "organizations", "", &changed).await), [0, 1, 2, 0]);
    assert_eq!(app.get("/api/v1/organizations?external_ref=O-UP", None).await.body["items"][0]["version"], 2);
    // Strategy `create` refuses an existing one, `update` a missing one.
    let created = csv(&app, &importer, "organizations", "strategy=create", "external_ref,name,kind\nO-ZLU,Město Žlutice,municipality\n").await;
    assert_eq!(created["errors"][0]["code"], "conflict", "{created}");
    let updated = csv(&app, &importer, "organizations", "strategy=update", "external_ref,name,kind\nO-NEW,Nová,ngo\n").await;
    assert_eq!((updated["errors"][0]["field"].clone(), updated["errors"][0]["code"].clone()), (json!("external_ref"), json!("not_found")));
}

const WITH_TWO_BAD_ROWS: &str = "external_ref,name,kind,ico\n\
O-A,Spolek A,ngo,25401726\n\
O-B,Spolek B,ngo,00551024\n\
O-C,Spolek C,ngo,\n";

const MEMBERSHIPS_WITH_BAD_DATE: &str = "external_ref,partnership_ref,organization_ref,joined_on\n\
M-1,LP-ZLU,O-ZLU,2024-03-01\n\
M-4,LP-ZLU,O-A,2024-02-30\n";

/// A report without what differs between two runs of the same file.
pub(crate) fn comparable(report: &Value) -> Value {
    let mut r = report.clone();
    for key in ["id", "dry_run", "created_at"] {
        r.as_object_mut().expect("report").remove(key);
    }
    r
}

#[tokio::test]
async fn a_dry_run_reports_the_bad_rows_as_the_real_import_does_and_writes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin();
    let before = audit_count(&app, "organization").await;

    let dry = csv(&app, &admin, "organizations", "dry_run=true", WITH_TWO_BAD_ROWS).await;
    assert_eq!(counts(&dry), [2, 0, 0, 1], "{dry}");
    assert_eq!(dry["errors"], json!([{"row": 2, "external_ref": "O-B", "field": "ico", "code": "check_digit", "message": dry["errors"][0]["message"]}]));
    assert_eq!((dry["dry_run"].clone(), dry["committed"].clone()), (json!(true), json!(false)));
    assert_eq!(app.get("/api/v1/organizations?external_ref=O-A", None).await.body["items"], json!([]));

    // Atomic: the same errors, nothing kept.
    let real = csv(&app, &admin, "organizations", "", WITH_TWO_BAD_ROWS).await;
    assert_eq!(comparable(&real), comparable(&dry));
    assert_eq!(real["dry_run"], false);
    assert_eq!(app.get("/api/v1/organizations?external_ref=O-A", None).await.body["items"], json!([]));
    assert_eq!(audit_count(&app, "organization").await, before);

    // Per row: the good rows are kept.
    let per_row = csv(&app, &admin, "organizations", "mode=per_row", WITH_TWO_BAD_ROWS).await;
    assert_eq!(counts(&per_row), [2, 0, 0, 1]);
    assert_eq!(per_row["committed"], true);
    assert_eq!(app.get("/api/v1/organizations?external_ref=O-C", None).await.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.get("/api/v1/organizations?external_ref=O-B", None).await.body["items"], json!([]));

    // A bad date (memberships): the row named with field and code, the same for real.
    load_zluticko(&app, &admin).await;
    let dry = csv(&app, &admin, "memberships", "dry_run=true", MEMBERSHIPS_WITH_BAD_DATE).await;
    assert_eq!(counts(&dry), [0, 0, 1, 1], "{dry}");
    let errors: Vec<(Value, Value, Value)> =
        dry["errors"].as_array().expect("errors").iter().map(|e| (e["row"].clone(), e["field"].clone(), e["code"].clone())).collect();
    assert_eq!(errors, vec![(json!(2), json!("joined_on"), json!("malformed"))], "{dry}");
    let real = csv(&app, &admin, "memberships", "", MEMBERSHIPS_WITH_BAD_DATE).await;
    assert_eq!(comparable(&real), comparable(&dry));
}

#[tokio::test]
async fn csv_with_semicolons_and_a_bom_and_json_bodies_are_read_alike() {
    let app = spawn_app().await;
    let admin = app.admin();
    let semicolons = "\u{feff}external_ref;name;kind;address\nO-1;Obec Valeč;municipality;Valeč 1, 364 55\n";
    assert_eq!(counts(&csv(&app, &admin, "organizations", "", semicolons).await), [1, 0, 0, 0]);
    let found = app.get("/api/v1/organizations?external_ref=O-1", None).await.body["items"][0].clone();
    assert_eq!((found["name"].as_str(), found["address"].as_str()), (Some("Obec Valeč"), Some("Valeč 1, 364 55")));

    // JSON: the single-row input's fields; the same content is unchanged.
    let rows = json!([{"external_ref": "O-1", "name": "Obec Valeč", "kind": "municipality", "address": "Valeč 1, 364 55"},
                      {"external_ref": "O-2", "name": "Spolek Valeč", "kind": "ngo"}]);
    let res = import(&app, &admin, "organizations", "", "application/json", rows.to_string()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(counts(&res.body), [1, 0, 1, 0]);

    // Unreadable bodies are a 400, an unknown column named; a wrong type a 415.
    let res = import(&app, &admin, "organizations", "", "text/csv", "external_ref,nickname\nX,y\n").await;
    assert_eq!(res.problem(400)["errors"][0]["field"], "nickname");
    assert_eq!(res.error_code("nickname").as_deref(), Some("unknown_field"));
    import(&app, &admin, "organizations", "", "application/json", "{\"not\": \"an array\"}").await.problem(400);
    import(&app, &admin, "organizations", "", "text/csv", b"name,kind\n\xff\xfe,ngo\n".to_vec()).await.problem(400);
    import(&app, &admin, "organizations", "", "text/plain", "name\nx\n").await.problem(415);
    // `/imports/{id}` is read-only: another resource name is not an import.
    assert_eq!(import(&app, &admin, "nothing", "", "text/csv", "name\nx\n").await.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_partner_gets_the_rows_refused_as_the_single_requests_are() {
    let app = spawn_app().await;
    let admin = app.admin();
    load_zluticko(&app, &admin).await;
    let lp = app.get("/api/v1/partnerships?external_ref=LP-ZLU", None).await.body["items"][0]["id"].as_str().expect("id").to_owned();
    let partner = app.token(Role::Partner, &[&lp], None);

    let single = app.post("/api/v1/organizations", &partner, json!({"name": "Spolek", "kind": "ngo"})).await;
    let report = csv(&app, &partner, "organizations", "", "external_ref,name,kind\nO-X,Spolek,ngo\n").await;
    assert_eq!(single.status, StatusCode::FORBIDDEN);
    assert_eq!(counts(&report), [0, 0, 0, 1]);
    assert_eq!(report["errors"][0]["code"], "forbidden", "{report}");

    // A partnership the partner does not belong to: 403 as a POST of a membership answers.
    let other = csv(&app, &admin, "partnerships", "", "external_ref,name,territorial_unit_refs\nLP-2,Jiné partnerství,U-VAL\n").await;
    assert_eq!(counts(&other), [1, 0, 0, 0]);
    let report = csv(&app, &partner, "memberships", "", "partnership_ref,organization_ref,joined_on\nLP-2,O-UP,2024-05-01\n").await;
    assert_eq!(report["errors"][0]["code"], "forbidden", "{report}");
    // A person of the partner's partnership: it sees them, but may not edit the registry.
    let report = csv(&app, &partner, "people", "", "external_ref,name\nP-1,Jana Nováková\n").await;
    assert_eq!(report["errors"][0]["code"], "forbidden", "{report}");
}

#[tokio::test]
async fn the_report_is_stored_and_listed_for_its_owner() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    let report = csv(&app, &importer, "territorial-units", "", UNITS).await;
    let id = report["id"].as_str().expect("id");
    assert_eq!(report["body_sha256"].as_str().map(str::len), Some(64));
    assert_eq!(report["actor"], "importer-user");

    let stored = app.get(&format!("/api/v1/imports/{id}"), Some(&importer)).await;
    assert_eq!(stored.status, StatusCode::OK);
    assert_eq!(stored.body, report);
    let listed = app.get("/api/v1/imports?count=true", Some(&importer)).await;
    assert_eq!(listed.body["total"], 1);
    assert_eq!(listed.body["items"][0], report);
    // An admin sees everyone's; another caller only their own.
    assert_eq!(app.get(&format!("/api/v1/imports/{id}"), Some(&app.admin())).await.status, StatusCode::OK);
    let consultant = app.token(Role::Consultant, &[], None);
    app.get(&format!("/api/v1/imports/{id}"), Some(&consultant)).await.problem(404);
    assert_eq!(app.get("/api/v1/imports", Some(&consultant)).await.body["items"], json!([]));
}

#[tokio::test]
async fn an_import_above_its_own_limit_is_refused_but_one_above_the_json_limit_is_read() {
    let app = crate::helpers::try_spawn_app_with(|s| s.import_max_bytes = 200 * 1024).await.expect("server");
    let admin = app.admin();
    // Above the JSON limit of single requests (64 kB in tests), below the import limit.
    let mut body = String::from("external_ref,name,kind,address\n");
    for i in 0..1500 {
        body.push_str(&format!("O-{i},Spolek číslo {i},ngo,Náměstí {i} v obci s dlouhým jménem pro zkoušku velikosti\n"));
    }
    assert!(body.len() > 64 * 1024 && body.len() < 200 * 1024, "{}", body.len());
    let report = csv(&app, &admin, "organizations", "dry_run=true", &body).await;
    assert_eq!(counts(&report), [1500, 0, 0, 0]);
    let json_rows: Vec<Value> =
        (0..1500).map(|i| json!({"external_ref": format!("J-{i}"), "name": format!("Spolek {i} s dlouhým jménem"), "kind": "ngo"})).collect();
    let res = import(&app, &admin, "organizations", "dry_run=true", "application/json", Value::Array(json_rows).to_string()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // Above the import limit: 413.
    let too_big = body.repeat(3);
    import(&app, &admin, "organizations", "", "text/csv", too_big).await.problem(413);
}

/// An import's changes and webhook deliveries are written at commit; 5,000 rows (40,000 values
/// in the feed, 70,000 in the outbox) are more than one SQL statement may bind (32,766 on
/// SQLite): a 500 before the writes went in chunks. `make bench` imports 100,000.
#[tokio::test]
async fn an_import_commits_more_changes_than_one_statement_holds() {
    let app = spawn_app().await;
    let admin = app.admin();
    let hook = app.post("/api/v1/webhooks", &admin, json!({"url": "http://127.0.0.1:9/hook", "event_types": ["organization.*"]})).await;
    assert_eq!(hook.status, 201, "{}", hook.body);
    let mut body = String::from("external_ref,name,kind\n");
    for i in 0..5000 {
        body.push_str(&format!("BULK-{i:05},Organizace {i},ngo\n"));
    }
    let report = csv(&app, &admin, "organizations", "", &body).await;
    assert_eq!(counts(&report), [5000, 0, 0, 0], "{report}");
    let feed = app.get("/api/v1/changes?resource=organization&limit=1", Some(&admin)).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
    let deliveries = app.get(&format!("/api/v1/webhooks/{}/deliveries?count=true&limit=1", hook.body["id"].as_str().expect("id")), Some(&admin)).await;
    assert_eq!(deliveries.body["total"], 5000, "{}", deliveries.body);
    assert_eq!(audit_count(&app, "organization").await, 5000);
}

/// A slow upload holds no database lock: while an import's body is still arriving, other
/// writes go through; once the body ends, the import runs and reports.
#[tokio::test]
async fn a_slow_import_body_does_not_hold_up_other_writes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let admin = app.admin();
    let head = "external_ref,name,kind\n";
    let rows = "SLOW-1,Organizace během pomalého nahrávání,ngo\n";
    let length = head.len() + rows.len();
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut upload = tokio::net::TcpStream::connect(&address).await.expect("connect");
    let request = format!(
        "POST /api/v1/imports/organizations HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {admin}\r\nContent-Type: text/csv\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{head}"
    );
    upload.write_all(request.as_bytes()).await.unwrap();
    upload.flush().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // Half the body is in; a write from someone else completes meanwhile.
    let other =
        tokio::time::timeout(std::time::Duration::from_secs(5), app.post("/api/v1/organizations", &admin, json!({"name": "Zapsáno mezitím", "kind": "ngo"})))
            .await
            .expect("a write waited for the import's body");
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);

    upload.write_all(rows.as_bytes()).await.unwrap();
    let mut answer = String::new();
    upload.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"created\":1"), "{answer}");
}

/// Rows run in batches of 256 under one savepoint, new organizations written many to a
/// statement; a batch with a refused row (by a rule, or by the database: an IČO taken earlier in
/// the file, or twice within one batch) runs again row by row, so the report is that of rows
/// imported one at a time: the refused rows named, every other row kept (`per_row`), a key given
/// twice created once and then updated, and one audit entry and one change per written row.
#[tokio::test]
async fn batches_report_as_rows_one_by_one() {
    let app = spawn_app().await;
    let admin = app.admin();
    let mut body = String::from("external_ref,name,kind,ico\n");
    for row in 1..=600 {
        let line = match row {
            5 => "B-5,Organizace 5,ngo,27082440".to_owned(),
            20 => "B-DUP,První jméno,ngo,".to_owned(),
            21 => "B-DUP,Druhé jméno,ngo,".to_owned(),
            100 => "B-100,Organizace 100,no_such_kind,".to_owned(),
            300 => "B-300,Organizace 300,ngo,27082440".to_owned(),
            // A key PostgreSQL cannot hold: refused as a row alone (it was a 500 of the whole import).
            400 => "B-\u{0}400,Organizace 400,ngo,".to_owned(),
            550 => "B-550,Organizace 550,ngo,00254657".to_owned(),
            551 => "B-551,Organizace 551,ngo,00254657".to_owned(),
            n => format!("B-{n},Organizace {n},school,"),
        };
        body.push_str(&line);
        body.push('\n');
    }
    let report = csv(&app, &admin, "organizations", "mode=per_row", &body).await;
    assert_eq!(counts(&report), [595, 1, 0, 4], "{report}");
    assert_eq!(report["rows"], 600, "{report}");
    let refused: Vec<(u64, &str)> =
        report["errors"].as_array().expect("errors").iter().map(|e| (e["row"].as_u64().expect("row"), e["field"].as_str().unwrap_or(""))).collect();
    assert_eq!(refused, [(100, "kind"), (300, "ico"), (400, "external_ref"), (551, "ico")], "{report}");
    assert!(report["committed"].as_bool().expect("committed"), "{report}");
    assert_eq!(report["errors"][2]["external_ref"], "B-\u{FFFD}400", "the stored report shows a NUL as U+FFFD: {report}");

    let dup = app.get("/api/v1/organizations?external_ref=B-DUP", None).await;
    assert_eq!(dup.body["items"].as_array().map(Vec::len), Some(1), "{}", dup.body);
    assert_eq!(dup.body["items"][0]["name"], "Druhé jméno", "{}", dup.body);
    assert_eq!(dup.body["items"][0]["version"], 2, "{}", dup.body);
    let kept = app.get("/api/v1/organizations?external_ref=B-299", None).await;
    assert_eq!(kept.body["items"].as_array().map(Vec::len), Some(1), "a row beside a refused one is kept: {}", kept.body);
    let gone = app.get("/api/v1/organizations?external_ref=B-551", None).await;
    assert_eq!(gone.body["items"].as_array().map(Vec::len), Some(0), "{}", gone.body);

    // One audit entry and one change per write (595 creates, 1 update), none for refused rows.
    assert_eq!(audit_count(&app, "organization").await, 596);
    let mut changes = Vec::new();
    let mut after = 0;
    loop {
        let feed = app.get(&format!("/api/v1/changes?resource=organization&limit=500&after={after}"), Some(&admin)).await;
        assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
        let items = feed.body["items"].as_array().expect("items").clone();
        let Some(last) = items.last() else { break };
        after = last["position"].as_i64().expect("position");
        changes.extend(items);
    }
    assert_eq!(changes.len(), 596);
    // In the rows' order: B-DUP's creation comes before its update.
    let dup_id = dup.body["items"][0]["id"].as_str().expect("id");
    let of_dup: Vec<&str> = changes.iter().filter(|c| c["id"] == dup_id).map(|c| c["action"].as_str().unwrap_or("")).collect();
    assert_eq!(of_dup, ["create", "update"]);

    // Atomic: the same file keeps nothing, and names the same rows (its creates are now updates
    // or unchanged, but the refusals are the same).
    let again = csv(&app, &admin, "organizations", "", &body).await;
    assert!(!again["committed"].as_bool().expect("committed"), "{again}");
    let refused_again: Vec<u64> = again["errors"].as_array().expect("errors").iter().map(|e| e["row"].as_u64().expect("row")).collect();
    assert_eq!(refused_again, [100, 300, 400, 551], "{again}");
    assert_eq!(audit_count(&app, "organization").await, 596);
}
