//! Imports and exports of calls for proposals and projects: the same design as the others
//! (single-row use cases, upsert by `external_ref`, references by `…_ref`, unchanged rows
//! write nothing, an export imports back unchanged).

use domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::imports::{audit_count, comparable, counts, csv, import};
use crate::imports_records::{by_ref, list, plan_in_force};

const CALLS: &str = "external_ref,programme_code,number,title,specific_objective,opens_at,closes_at,allocation,min_project,max_project,support_rate_bp,kpsvl,open_to_refs\n\
C-052,OPZ,052,Podpora sociálního začleňování v SVL,2.1,2019-05-01T00:00:00Z,2019-09-30T14:00:00Z,\"{\"\"amount_minor\"\":50000000000,\"\"currency\"\":\"\"CZK\"\"}\",\"{\"\"amount_minor\"\":40000000,\"\"currency\"\":\"\"CZK\"\"}\",\"{\"\"amount_minor\"\":1000000000,\"\"currency\"\":\"\"CZK\"\"}\",9500,true,LP-ROZ\n\
C-IROP-1,IROP,001,\"Sociální bydlení, výzva 1\",,2019-01-01T00:00:00Z,2020-12-31T23:59:59Z,\"{\"\"amount_minor\"\":100000000000,\"\"currency\"\":\"\"CZK\"\"}\",,,8500,false,\n";

async fn export(app: &TestApp, token: Option<&str>, resource: &str, query: &str) -> (StatusCode, Vec<u8>) {
    let mut req = app.client.get(format!("{}/api/v1/exports/{resource}?{query}", app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("export");
    (resp.status(), resp.bytes().await.expect("body").to_vec())
}

/// Every export format of `resource` imports back as a dry run with every row unchanged.
async fn roundtrip(app: &TestApp, token: &str, resource: &str, rows: u64) {
    for (query, content_type) in [("format=csv", "text/csv"), ("format=csv&excel=true", "text/csv"), ("format=json", "application/json")] {
        let (status, body) = export(app, Some(token), resource, query).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let report = import(app, token, resource, "dry_run=true", content_type, body.clone()).await;
        assert_eq!(counts(&report.body), [0, 0, rows, 0], "{resource} {query}: {}\n{}", report.body, String::from_utf8_lossy(&body));
    }
}

/// Rozvodí with a plan in force (measures `M-1`, `M-2`), the partnership keyed `LP-ROZ`.
async fn rozvodi_keyed(app: &TestApp) -> crate::plans::Rozvodi {
    let (r, _) = plan_in_force(app).await;
    let res = app.patch(&format!("/api/v1/partnerships/{}", r.p), &app.admin(), json!({"external_ref": "LP-ROZ"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    r
}

#[tokio::test]
async fn calls_import_by_programme_code_rerun_unchanged_and_export_back_unchanged() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    let r = rozvodi_keyed(&app).await;
    let report = csv(&app, &importer, "calls", "", CALLS).await;
    assert_eq!(counts(&report), [2, 0, 0, 0], "{report}");
    let calls = list(&app, "/api/v1/calls?limit=100").await;
    let kpsvl = by_ref(&calls, "C-052");
    assert_eq!((&kpsvl["open_to"], &kpsvl["kpsvl"], &kpsvl["support_rate_bp"]), (&json!([r.p]), &json!(true), &json!(9500)));
    assert_eq!(kpsvl["min_project"], json!({"amount_minor": 40000000, "currency": "CZK"}));
    assert_eq!(by_ref(&calls, "C-IROP-1")["max_project"], Value::Null);
    assert_eq!(audit_count(&app, "call").await, 2);

    assert_eq!(counts(&csv(&app, &importer, "calls", "", CALLS).await), [0, 0, 2, 0]);
    assert_eq!(audit_count(&app, "call").await, 2);
    assert_eq!(by_ref(&list(&app, "/api/v1/calls?limit=100").await, "C-052")["version"], 1);
    roundtrip(&app, &importer, "calls", 2).await;
    // Calls are public: an anonymous export has them, in the import's columns.
    let (status, body) = export(&app, None, "calls", "format=csv&q=052").await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&body).into_owned();
    assert!(text.starts_with("external_ref,programme_id,programme_code,number,"), "{text}");
    assert!(text.contains(",,OPZ,052,") && text.ends_with(",9500,true,,LP-ROZ\n"), "{text}");
}

#[tokio::test]
async fn refused_call_rows_are_named_and_only_admins_and_importers_import_calls() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    rozvodi_keyed(&app).await;
    let money = r#""{""amount_minor"":100,""currency"":""CZK""}""#;
    let bad = format!(
        "external_ref,programme_code,number,title,opens_at,closes_at,allocation,support_rate_bp,kpsvl,open_to_refs\n\
C-1,OPZ,101,Dobrá,2020-01-01T00:00:00Z,2020-02-01T00:00:00Z,{money},9500,false,\n\
C-2,OPZ,102,Konec před začátkem,2020-01-01T00:00:00Z,2019-02-01T00:00:00Z,{money},9500,false,\n\
C-3,XYZ,103,Neznámý program,2020-01-01T00:00:00Z,2020-02-01T00:00:00Z,{money},9500,false,\n\
C-4,OPZ,104,Špatná měna,2020-01-01T00:00:00Z,2020-02-01T00:00:00Z,\"{{\"\"amount_minor\"\":100,\"\"currency\"\":\"\"czk\"\"}}\",9500,false,\n\
C-5,OPZ,105,Otevřená jen někomu,2020-01-01T00:00:00Z,2020-02-01T00:00:00Z,{money},9500,false,LP-ROZ\n\
C-6,OPZ,101,Stejné číslo,2020-01-01T00:00:00Z,2020-02-01T00:00:00Z,{money},9500,false,\n"
    );
    let dry = csv(&app, &importer, "calls", "dry_run=true", &bad).await;
    let named: Vec<(Value, Value, Value)> =
        dry["errors"].as_array().expect("errors").iter().map(|e| (e["row"].clone(), e["field"].clone(), e["code"].clone())).collect();
    assert_eq!(
        named,
        vec![
            (json!(2), json!("closes_at"), json!("before_start")),
            (json!(3), json!("programme_code"), json!("not_found")),
            (json!(4), json!("allocation.currency"), json!("format")),
            (json!(5), json!("open_to"), json!("not_applicable")),
            (json!(6), json!("number"), json!("conflict")),
        ],
        "{dry}"
    );
    let real = csv(&app, &importer, "calls", "", &bad).await;
    assert_eq!(comparable(&real), comparable(&dry));
    assert!(list(&app, "/api/v1/calls?limit=100").await.iter().all(|c| c["external_ref"] != "C-1"), "atomic: nothing kept");

    let good = bad.lines().take(2).collect::<Vec<_>>().join("\n");
    for role in [Role::Consultant, Role::Partner, Role::Reporter] {
        let token = app.token(role, &[], None);
        let report = csv(&app, &token, "calls", "", &good).await;
        assert_eq!(report["errors"][0]["code"], "forbidden", "{role:?}: {report}");
    }
    assert_eq!(counts(&csv(&app, &app.admin(), "calls", "", &good).await), [1, 0, 0, 0]);
}

fn projects_csv() -> String {
    let budget = |total: i64, requested: i64| {
        format!(
            "\"{{\"\"total_eligible\"\":{{\"\"amount_minor\"\":{total},\"\"currency\"\":\"\"CZK\"\"}},\"\"requested\"\":{{\"\"amount_minor\"\":{requested},\"\"currency\"\":\"\"CZK\"\"}},\"\"own_financing\"\":{{\"\"amount_minor\"\":{},\"\"currency\"\":\"\"CZK\"\"}}}}\"",
            total - requested
        )
    };
    format!(
        "external_ref,partnership_ref,applicant_organization_ref,call_ref,title,summary,period_from,period_to,budget,measure_refs\n\
PRJ-1,LP-ROZ,O-NGO,C-052,Sociální bydlení v Rozvodí,\"Byty; doprovodná práce\",2019-10-01,2021-09-30,{},M-2\n\
PRJ-2,LP-ROZ,O-MR,,Dluhová poradna,,2019-10-01,2020-12-31,{},M-1\n",
        budget(200_000_000, 190_000_000),
        budget(50_000_000, 47_500_000)
    )
}

#[tokio::test]
async fn projects_import_with_their_references_rerun_unchanged_and_export_back_unchanged() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    let r = rozvodi_keyed(&app).await;
    assert_eq!(counts(&csv(&app, &importer, "calls", "", CALLS).await), [2, 0, 0, 0]);
    let report = csv(&app, &importer, "projects", "", &projects_csv()).await;
    assert_eq!(counts(&report), [2, 0, 0, 0], "{report}");
    let projects = list(&app, "/api/v1/projects").await;
    let housing = by_ref(&projects, "PRJ-1");
    let m2 = by_ref(&list(&app, "/api/v1/measures?plan_status=in_force").await, "M-2")["id"].clone();
    assert_eq!((&housing["partnership_id"], &housing["applicant_organization_id"], &housing["status"]), (&json!(r.p), &json!(r.ngo), &json!("intent")));
    assert_eq!(housing["measure_ids"], json!([m2]));
    assert_eq!(housing["budget"]["requested"], json!({"amount_minor": 190000000, "currency": "CZK"}));
    assert_eq!(audit_count(&app, "project").await, 2);

    assert_eq!(counts(&csv(&app, &importer, "projects", "", &projects_csv()).await), [0, 0, 2, 0]);
    assert_eq!(audit_count(&app, "project").await, 2);
    roundtrip(&app, &importer, "projects", 2).await;
    let (status, _) = export(&app, None, "projects", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "projects are not public");
    // A changed title updates the intent (a new version), the other row stays.
    let changed = csv(&app, &importer, "projects", "", &projects_csv().replace("Dluhová poradna", "Dluhová a finanční poradna")).await;
    assert_eq!(counts(&changed), [0, 1, 1, 0], "{changed}");
}

#[tokio::test]
async fn a_partner_imports_project_intents_of_its_own_organization_only() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    let r = rozvodi_keyed(&app).await;
    csv(&app, &importer, "calls", "", CALLS).await;
    // PRJ-1 is the NGO's, PRJ-2 the microregion's.
    let partner = app.token(Role::Partner, &[&r.p], Some(&r.ngo));
    let report = csv(&app, &partner, "projects", "mode=per_row", &projects_csv()).await;
    assert_eq!(counts(&report), [1, 0, 0, 1], "{report}");
    assert_eq!((&report["errors"][0]["row"], &report["errors"][0]["code"]), (&json!(2), &json!("forbidden")), "{report}");
    // Another partnership's partner does not see this one's measures.
    let stranger = app.token(Role::Partner, &[&uuid::Uuid::now_v7().to_string()], Some(&r.ngo));
    let report = csv(&app, &stranger, "projects", "", &projects_csv()).await;
    assert!(report["errors"].as_array().expect("errors").iter().all(|e| e["field"] == "measure_refs" && e["code"] == "not_found"), "{report}");
    // The partner's export has its partnership's projects only.
    let (_, body) = export(&app, Some(&stranger), "projects", "").await;
    assert_eq!(serde_json::from_slice::<Value>(&body).expect("json"), json!([]));
    let (_, body) = export(&app, Some(&partner), "projects", "").await;
    assert_eq!(serde_json::from_slice::<Value>(&body).expect("json").as_array().map(Vec::len), Some(1));
}
