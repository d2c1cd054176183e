//! Imports and exports of a partnership's records: working groups and meetings (with
//! attendance), measures of a draft plan and progress reports. The same design as the
//! registry's (`imports.rs`): the single-row use cases, upsert by `external_ref`, references by
//! `…_ref`, unchanged rows write nothing, an export imports back unchanged.

use domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::imports::{audit_count, comparable, counts, csv, import, load_zluticko};

pub(crate) const WORKING_GROUPS: &str = "external_ref,partnership_ref,thematic_area,name,coordinator_ref,member_refs\n\
WG-BYD,LP-ZLU,housing,Pracovní skupina Bydlení,P-1,P-1|P-2\n\
WG-ZAM,LP-ZLU,employment,\"Pracovní skupina Zaměstnanost, dluhy\",,P-2\n";

pub(crate) const MEETINGS: &str = "external_ref,partnership_ref,working_group_ref,title,starts_at,ends_at,place,agenda,minutes,attendance_refs,resolutions\n\
MT-1,LP-ZLU,,První setkání partnerství,2024-03-20T14:00:00Z,2024-03-20T16:30:00Z,\"Radnice, Žlutice\",Úvod|Pracovní skupiny,Zápis: skupiny ustaveny.,P-1:present|P-2:excused,\"[{\"\"number\"\":1,\"\"text\"\":\"\"Ustavuje se skupina Bydlení.\"\"}]\"\n\
MT-2,LP-ZLU,WG-BYD,Skupina Bydlení,2024-04-10T09:00:00Z,,,,,P-1:present,\n";

/// The Žluticko partnership, its working groups and meetings, imported as `token`.
async fn load_records(app: &TestApp, token: &str) -> [Value; 2] {
    load_zluticko(app, token).await;
    [csv(app, token, "working-groups", "", WORKING_GROUPS).await, csv(app, token, "meetings", "", MEETINGS).await]
}

pub(crate) async fn list(app: &TestApp, path: &str) -> Vec<Value> {
    let res = app.get(path, Some(&app.admin())).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body["items"].as_array().expect("items").clone()
}

pub(crate) fn by_ref<'a>(items: &'a [Value], external_ref: &str) -> &'a Value {
    items.iter().find(|i| i["external_ref"] == external_ref).unwrap_or_else(|| panic!("{external_ref} in {items:?}"))
}

async fn person_id(app: &TestApp, external_ref: &str) -> String {
    let res = app.get(&format!("/api/v1/people?external_ref={external_ref}"), Some(&app.admin())).await;
    res.body["items"][0]["id"].as_str().expect("person").to_owned()
}

#[tokio::test]
async fn working_groups_and_meetings_import_with_their_people_and_a_rerun_changes_nothing() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    let [groups, meetings] = load_records(&app, &importer).await;
    assert_eq!(counts(&groups), [2, 0, 0, 0], "{groups}");
    assert_eq!(counts(&meetings), [2, 0, 0, 0], "{meetings}");

    let (p1, p2) = (person_id(&app, "P-1").await, person_id(&app, "P-2").await);
    let items = list(&app, "/api/v1/working-groups").await;
    let housing = by_ref(&items, "WG-BYD");
    assert_eq!((&housing["coordinator_id"], &housing["member_ids"]), (&json!(p1), &json!([p1, p2])));
    assert_eq!(by_ref(&items, "WG-ZAM")["name"], "Pracovní skupina Zaměstnanost, dluhy");
    let meetings_list = list(&app, "/api/v1/meetings").await;
    let first = by_ref(&meetings_list, "MT-1");
    assert_eq!(first["attendance"], json!([{"person_id": p1, "status": "present"}, {"person_id": p2, "status": "excused"}]));
    assert_eq!(first["agenda"], json!(["Úvod", "Pracovní skupiny"]));
    assert_eq!(first["resolutions"], json!([{"number": 1, "text": "Ustavuje se skupina Bydlení."}]));
    assert_eq!(first["place"], "Radnice, Žlutice");
    assert_eq!(by_ref(&meetings_list, "MT-2")["working_group_id"], housing["id"]);
    assert_eq!(audit_count(&app, "working_group").await + audit_count(&app, "meeting").await, 4, "every row audited");

    // The same files again: unchanged, no new version, no audit entry.
    assert_eq!(counts(&csv(&app, &importer, "working-groups", "", WORKING_GROUPS).await), [0, 0, 2, 0]);
    assert_eq!(counts(&csv(&app, &importer, "meetings", "", MEETINGS).await), [0, 0, 2, 0]);
    assert_eq!(audit_count(&app, "working_group").await + audit_count(&app, "meeting").await, 4);
    let again = list(&app, "/api/v1/meetings").await;
    assert_eq!(by_ref(&again, "MT-1")["version"], 1);

    // A changed attendance updates that meeting only (attendance compares as a set).
    let changed = MEETINGS.replace("P-1:present|P-2:excused", "P-2:excused|P-1:absent");
    assert_eq!(counts(&csv(&app, &importer, "meetings", "", &changed).await), [0, 1, 1, 0]);
    let reordered = changed.replace("P-2:excused|P-1:absent", "P-1:absent|P-2:excused");
    assert_eq!(counts(&csv(&app, &importer, "meetings", "", &reordered).await), [0, 0, 2, 0]);
    assert_eq!(by_ref(&list(&app, "/api/v1/meetings").await, "MT-1")["version"], 2);
    // An agenda's order is content: reordered, the meeting is updated.
    let agenda = reordered.replace("Úvod|Pracovní skupiny", "Pracovní skupiny|Úvod");
    assert_eq!(counts(&csv(&app, &importer, "meetings", "", &agenda).await), [0, 1, 1, 0]);
    assert_eq!(by_ref(&list(&app, "/api/v1/meetings").await, "MT-1")["agenda"], json!(["Pracovní skupiny", "Úvod"]));
}

#[tokio::test]
async fn exported_working_groups_and_meetings_import_back_unchanged() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    load_records(&app, &importer).await;
    // A member without external_ref is written by id and still reads back.
    let admin = app.admin();
    let org = app.org(&admin, "Spolek bez klíče", "ngo", None).await;
    let keyless = app.person(&admin, "Bez Klíče", &org).await;
    let group = by_ref(&list(&app, "/api/v1/working-groups").await, "WG-ZAM")["id"].as_str().expect("id").to_owned();
    let res = app.send(reqwest::Method::PATCH, &format!("/api/v1/working-groups/{group}"), Some(&admin), Some(&json!({"member_ids": [keyless]})), &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    for resource in ["working-groups", "meetings"] {
        for (query, content_type) in [("format=csv", "text/csv"), ("format=csv&excel=true", "text/csv"), ("format=json", "application/json")] {
            let resp = app.client.get(format!("{}/api/v1/exports/{resource}?{query}", app.base)).bearer_auth(&importer).send().await.expect("export");
            assert_eq!(resp.status(), StatusCode::OK);
            let body = resp.bytes().await.expect("body").to_vec();
            let report = import(&app, &importer, resource, "dry_run=true", content_type, body.clone()).await;
            assert_eq!(report.status, StatusCode::OK, "{}", report.body);
            assert_eq!(counts(&report.body), [0, 0, 2, 0], "{resource} {query}: {}\n{}", report.body, String::from_utf8_lossy(&body));
        }
    }
    let resp = app.client.get(format!("{}/api/v1/exports/meetings?format=csv", app.base)).bearer_auth(&importer).send().await.expect("export");
    let text = resp.text().await.expect("csv");
    assert!(text.starts_with(
        "external_ref,partnership_id,partnership_ref,working_group_id,working_group_ref,title,starts_at,ends_at,place,agenda,minutes,attendance,attendance_refs,resolutions\n"
    ));
    assert!(text.contains(",P-1:present|P-2:excused,"), "{text}");
    // Meetings are not public.
    let resp = app.client.get(format!("{}/api/v1/exports/meetings", app.base)).send().await.expect("export");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_refused_meeting_row_is_named_with_its_field_and_code_and_a_dry_run_says_the_same() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    load_records(&app, &importer).await;
    let bad = "external_ref,partnership_ref,title,starts_at,ends_at,attendance_refs\n\
MT-3,LP-ZLU,Dobré setkání,2024-05-01T10:00:00Z,,P-1:present\n\
MT-4,LP-ZLU,Konec před začátkem,2024-05-02T10:00:00Z,2024-05-02T09:00:00Z,\n\
MT-5,LP-ZLU,Neznámý účastník,2024-05-03T10:00:00Z,,P-404:present\n\
MT-6,LP-ZLU,Bez stavu,2024-05-04T10:00:00Z,,P-1\n\
MT-7,LP-ZLU,Špatný čas,zítra,,\n\
MT-8,LP-ZLU,Neznámý stav,2024-05-05T10:00:00Z,,P-1:maybe\n";
    let dry = csv(&app, &importer, "meetings", "dry_run=true", bad).await;
    assert_eq!(counts(&dry), [1, 0, 0, 5], "{dry}");
    let named: Vec<(Value, Value, Value, Value)> = dry["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["row"].clone(), e["external_ref"].clone(), e["field"].clone(), e["code"].clone()))
        .collect();
    assert_eq!(
        named,
        vec![
            (json!(2), json!("MT-4"), json!("ends_at"), json!("before_start")),
            (json!(3), json!("MT-5"), json!("attendance_refs"), json!("not_found")),
            (json!(4), json!("MT-6"), json!("attendance_refs"), json!("missing")),
            (json!(5), json!("MT-7"), json!("starts_at"), json!("malformed")),
            (json!(6), json!("MT-8"), json!("attendance[0].status"), json!("unknown_code")),
        ],
        "{dry}"
    );
    let real = csv(&app, &importer, "meetings", "", bad).await;
    assert_eq!(comparable(&real), comparable(&dry));
    assert!(list(&app, "/api/v1/meetings").await.iter().all(|m| m["external_ref"] != "MT-3"), "atomic: nothing kept");

    // A row cannot move a record to another partnership.
    let other = csv(&app, &importer, "partnerships", "", "external_ref,name,territorial_unit_refs\nLP-2,Jiné partnerství,U-VAL\n").await;
    assert_eq!(counts(&other), [1, 0, 0, 0]);
    let moved =
        csv(&app, &importer, "working-groups", "", "external_ref,partnership_ref,thematic_area,name\nWG-BYD,LP-2,housing,Pracovní skupina Bydlení\n").await;
    assert_eq!((&moved["errors"][0]["field"], &moved["errors"][0]["code"]), (&json!("partnership_id"), &json!("immutable")), "{moved}");
    // A new record needs its partnership.
    let orphan = csv(&app, &importer, "working-groups", "", "external_ref,thematic_area,name\nWG-X,housing,Bez partnerství\n").await;
    assert_eq!((&orphan["errors"][0]["field"], &orphan["errors"][0]["code"]), (&json!("partnership_ref"), &json!("missing")), "{orphan}");
}

#[tokio::test]
async fn working_group_and_meeting_rows_are_refused_as_the_single_requests_are() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    load_zluticko(&app, &importer).await;
    let lp = app.get("/api/v1/partnerships?external_ref=LP-ZLU", None).await.body["items"][0]["id"].as_str().expect("id").to_owned();

    // A partner reads its partnership's records but does not write them: 403 alike.
    let partner = app.token(Role::Partner, &[&lp], None);
    let single = app.post(&format!("/api/v1/partnerships/{lp}/working-groups"), &partner, json!({"thematic_area": "housing", "name": "X"})).await;
    assert_eq!(single.status, StatusCode::FORBIDDEN);
    let report = csv(&app, &partner, "working-groups", "", WORKING_GROUPS).await;
    assert_eq!(counts(&report), [0, 0, 0, 2]);
    assert!(report["errors"].as_array().expect("errors").iter().all(|e| e["code"] == "forbidden"), "{report}");

    // A consultant of another partnership may not, either; and a partner of another
    // partnership does not see the attendees (personal data): not found, as on a single read.
    let consultant = app.token(Role::Consultant, &[], None);
    let report = csv(&app, &consultant, "meetings", "", MEETINGS).await;
    assert_eq!(counts(&report), [0, 0, 0, 2], "{report}");
    let stranger = app.token(Role::Partner, &[&uuid::Uuid::now_v7().to_string()], None);
    let report = csv(&app, &stranger, "meetings", "", MEETINGS).await;
    assert_eq!((&report["errors"][0]["field"], &report["errors"][0]["code"]), (&json!("attendance_refs"), &json!("not_found")), "{report}");
    assert_eq!((&report["errors"][1]["field"], &report["errors"][1]["code"]), (&json!("working_group_ref"), &json!("not_found")), "{report}");
    let report =
        csv(&app, &stranger, "meetings", "", "external_ref,partnership_ref,title,starts_at,attendance_refs\nMT-9,LP-ZLU,X,2024-05-01T10:00:00Z,P-1:present\n")
            .await;
    assert_eq!((&report["errors"][0]["field"], &report["errors"][0]["code"]), (&json!("attendance_refs"), &json!("not_found")), "{report}");
    // The export shows a partner only its own partnerships' meetings.
    csv(&app, &importer, "working-groups", "", WORKING_GROUPS).await;
    csv(&app, &importer, "meetings", "", MEETINGS).await;
    let resp = app.client.get(format!("{}/api/v1/exports/meetings", app.base)).bearer_auth(&stranger).send().await.expect("export");
    assert_eq!(resp.json::<Value>().await.expect("json"), json!([]));
    let resp = app.client.get(format!("{}/api/v1/exports/meetings", app.base)).bearer_auth(&partner).send().await.expect("export");
    assert_eq!(resp.json::<Value>().await.expect("json").as_array().map(Vec::len), Some(2));
}

// --- measures and progress reports ---------------------------------------------------------------

/// The Rozvodí partnership (`plans::rozvodi`), its NGO keyed `O-NGO` and its microregion
/// `O-MR`, and a draft plan with goals `1` (debt) and `2` (housing): (partnership, plan, ngo,
/// needs).
async fn draft_plan(app: &TestApp) -> (crate::plans::Rozvodi, String) {
    let admin = app.admin();
    let r = crate::plans::rozvodi(app).await;
    for (org, key) in [(&r.ngo, "O-NGO"), (&r.microregion, "O-MR")] {
        let res = app.patch(&format!("/api/v1/organizations/{org}"), &admin, json!({"external_ref": key})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    let plan = app
        .create(
            &format!("/api/v1/partnerships/{}/strategic-plans", r.p),
            &admin,
            json!({"title": "Strategický plán Rozvodí", "valid_from": "2019-05-01", "valid_to": "2030-12-31"}),
        )
        .await;
    for (code, area, title) in [("1", "debt", "Dluhy"), ("2", "housing", "Bydlení")] {
        app.create(&format!("/api/v1/strategic-plans/{plan}/goals"), &admin, json!({"code": code, "title": title, "thematic_area": area, "level": "global"}))
            .await;
    }
    (r, plan)
}

/// Two measures (the microregion's and the NGO's) and an activity beneath the first.
fn measures_csv(plan: &str, debt_need: &str) -> String {
    let indicators = r#""[{""key"":""I1"",""name"":""Podpoření klienti"",""unit"":""osob"",""kind"":""count"",""ascending"":true,""baseline_value"":0.0,""target_value"":100.0}]""#;
    let budget = r#""[{""source"":""municipal"",""amount"":{""amount_minor"":25000000,""currency"":""CZK""}}]""#;
    format!(
        "external_ref,plan_id,goal_code,kind,parent_code,code,title,thematic_area,need_ids,responsible_organization_ref,co_implementer_refs,starts_on,deadline,budget,predefined_activity,indicators\n\
M-1,{plan},1,measure,,1.1,Dluhová poradna,debt,{debt_need},O-MR,O-NGO,2019-06-01,2020-12-31,{budget},false,{indicators}\n\
M-2,{plan},2,measure,,2.1,\"Sociální bydlení; prostupné\",housing,,O-NGO,,2019-06-01,2021-06-30,,true,{indicators}\n\
M-1a,{plan},1,activity,1.1,1.1.1,Terénní práce,debt,,O-MR,,2019-07-01,2020-06-30,,false,\n"
    )
}

#[tokio::test]
async fn measures_import_into_a_draft_plan_by_plan_and_goal_code_and_a_rerun_changes_nothing() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    let (r, plan) = draft_plan(&app).await;
    let debt_need = &r.needs.iter().find(|(a, _)| a == "debt").expect("debt need").1;
    let file = measures_csv(&plan, debt_need);
    let report = csv(&app, &importer, "measures", "", &file).await;
    assert_eq!(counts(&report), [3, 0, 0, 0], "{report}");

    let items = list(&app, &format!("/api/v1/strategic-plans/{plan}/measures")).await;
    let (m1, m2, activity) = (by_ref(&items, "M-1"), by_ref(&items, "M-2"), by_ref(&items, "M-1a"));
    assert_eq!((&m1["responsible_organization_id"], &m1["co_implementer_ids"]), (&json!(r.microregion), &json!([r.ngo])));
    assert_eq!(m1["need_ids"], json!([debt_need]));
    assert_eq!(m1["indicators"][0]["key"], "I1");
    assert_eq!(m1["budget_total"], json!({"amount_minor": 25000000, "currency": "CZK"}));
    assert_eq!(activity["parent_measure_id"], m1["id"]);
    assert_eq!(activity["goal_id"], m1["goal_id"]);
    assert_eq!((&m2["title"], &m2["predefined_activity"]), (&json!("Sociální bydlení; prostupné"), &json!(true)));
    assert_eq!(audit_count(&app, "measure").await, 3);

    let again = csv(&app, &importer, "measures", "", &file).await;
    assert_eq!(counts(&again), [0, 0, 3, 0], "{again}");
    assert_eq!(audit_count(&app, "measure").await, 3);
    assert!(list(&app, &format!("/api/v1/strategic-plans/{plan}/measures")).await.iter().all(|m| m["version"] == 1));
    let changed = csv(&app, &importer, "measures", "", &file.replace("Terénní práce", "Terénní sociální práce")).await;
    assert_eq!(counts(&changed), [0, 1, 2, 0], "{changed}");

    // The export, in the import's columns, imports back unchanged.
    for (query, content_type) in [("format=csv", "text/csv"), ("format=csv&excel=true", "text/csv"), ("format=json", "application/json")] {
        let resp = app.client.get(format!("{}/api/v1/exports/measures?plan_id={plan}&{query}", app.base)).bearer_auth(&importer).send().await.expect("export");
        assert_eq!(resp.status(), StatusCode::OK);
        let body = resp.bytes().await.expect("body").to_vec();
        let report = import(&app, &importer, "measures", "dry_run=true", content_type, body.clone()).await;
        assert_eq!(counts(&report.body), [0, 0, 3, 0], "{query}: {}\n{}", report.body, String::from_utf8_lossy(&body));
    }
    // A draft is not public: an anonymous export has none of its measures.
    let resp = app.client.get(format!("{}/api/v1/exports/measures?plan_id={plan}", app.base)).send().await.expect("export");
    assert_eq!(resp.json::<Value>().await.expect("json"), json!([]));
}

#[tokio::test]
async fn measure_rows_are_refused_as_the_single_requests_are_and_a_plan_in_force_takes_none() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    let (r, plan) = draft_plan(&app).await;
    let bad = format!(
        "external_ref,plan_id,goal_code,code,title,thematic_area,starts_on,deadline,responsible_organization_ref\n\
M-1,{plan},1,1.1,Dobré,debt,2019-06-01,2020-12-31,O-MR\n\
M-2,{plan},1,1.2,Konec před začátkem,debt,2019-06-01,2019-01-31,\n\
M-3,{plan},9,1.3,Neznámý cíl,debt,,2020-12-31,\n\
M-4,{plan},1,1.4,Neznámý implementátor,debt,,2020-12-31,O-404\n\
M-5,,1,1.5,Bez plánu,debt,,2020-12-31,\n\
M-6,{plan},1,1.1,Stejný kód,debt,,2020-12-31,\n\
M-7,{plan},1,1.7,Mimo platnost,debt,,2031-12-31,\n"
    );
    let dry = csv(&app, &importer, "measures", "dry_run=true", &bad).await;
    let named: Vec<(Value, Value, Value)> =
        dry["errors"].as_array().expect("errors").iter().map(|e| (e["row"].clone(), e["field"].clone(), e["code"].clone())).collect();
    assert_eq!(
        named,
        vec![
            (json!(2), json!("deadline"), json!("before_start")),
            (json!(3), json!("goal_code"), json!("not_found")),
            (json!(4), json!("responsible_organization_ref"), json!("not_found")),
            (json!(5), json!("plan_id"), json!("missing")),
            (json!(6), json!("code"), json!("conflict")),
            (json!(7), json!("deadline"), json!("after_plan_validity")),
        ],
        "{dry}"
    );
    let single = app
        .post(
            &format!("/api/v1/strategic-plans/{plan}/measures"),
            &app.admin(),
            json!({"goal_id": list(&app, &format!("/api/v1/strategic-plans/{plan}/goals")).await[0]["id"], "code": "1.2", "title": "x", "thematic_area": "debt", "starts_on": "2019-06-01", "deadline": "2019-01-31"}),
        )
        .await;
    assert_eq!(single.error_code("deadline").as_deref(), Some("before_start"), "the single request answers alike");
    let real = csv(&app, &importer, "measures", "", &bad).await;
    assert_eq!(comparable(&real), comparable(&dry));

    // Who may edit the plan may import into it: a partner may not, nor another partnership's
    // consultant; the partnership's own consultant may.
    let good = bad.lines().take(2).collect::<Vec<_>>().join("\n");
    let partner = app.token(Role::Partner, &[&r.p], Some(&r.ngo));
    assert_eq!(csv(&app, &partner, "measures", "", &good).await["errors"][0]["code"], "forbidden");
    let other = app.token(Role::Consultant, &[&uuid::Uuid::now_v7().to_string()], None);
    assert_eq!(csv(&app, &other, "measures", "", &good).await["errors"][0]["code"], "forbidden");
    let own = app.token(Role::Consultant, &[&r.p], None);
    assert_eq!(counts(&csv(&app, &own, "measures", "", &good).await), [1, 0, 0, 0]);

    // In force, the plan takes no new or changed measure (as a POST or PATCH answers: 409);
    // the unchanged row is still recognised.
    crate::plans::bring_into_force(&app, &plan).await;
    let in_force = format!("{good}\nM-8,{plan},2,2.1,Nové opatření,housing,,2020-12-31,\n");
    let report = csv(&app, &importer, "measures", "mode=per_row", &in_force).await;
    assert_eq!(counts(&report), [0, 0, 1, 1], "{report}");
    assert_eq!((&report["errors"][0]["row"], &report["errors"][0]["code"]), (&json!(2), &json!("conflict")), "{report}");
    let changed = csv(&app, &importer, "measures", "", &good.replace("Dobré", "Změněné")).await;
    assert_eq!(changed["errors"][0]["code"], "conflict", "{changed}");
}

/// A plan in force with the measures of [`measures_csv`]: (partnership, plan).
pub(crate) async fn plan_in_force(app: &TestApp) -> (crate::plans::Rozvodi, String) {
    let importer = app.token(Role::Importer, &[], None);
    let (r, plan) = draft_plan(app).await;
    let debt_need = &r.needs.iter().find(|(a, _)| a == "debt").expect("debt need").1;
    assert_eq!(counts(&csv(app, &importer, "measures", "", &measures_csv(&plan, debt_need)).await), [3, 0, 0, 0]);
    crate::plans::bring_into_force(app, &plan).await;
    (r, plan)
}

const REPORTS: &str = "external_ref,measure_ref,reported_on,status,percent_done,indicator_values,comment\n\
PR-1,M-1,2019-12-31,in_progress,40,\"[{\"\"indicator_key\"\":\"\"I1\"\",\"\"value\"\":35.0}]\",Poradna otevřena.\n\
PR-2,M-2,2019-12-31,delayed,10,,\"Čeká se na byty; zdržení\"\n\
PR-3,M-1,2020-06-30,completed,80,,\n";

#[tokio::test]
async fn progress_reports_import_by_measure_ref_never_change_and_export_back_unchanged() {
    let app = spawn_app().await;
    let importer = app.token(Role::Importer, &[], None);
    let (_, plan) = plan_in_force(&app).await;
    let report = csv(&app, &importer, "progress-reports", "", REPORTS).await;
    assert_eq!(counts(&report), [3, 0, 0, 0], "{report}");
    let items = list(&app, &format!("/api/v1/strategic-plans/{plan}/measures")).await;
    let m1 = by_ref(&items, "M-1");
    assert_eq!(m1["current"], json!({"status": "completed", "percent_done": 100, "reported_on": "2020-06-30"}));
    let reports = list(&app, &format!("/api/v1/measures/{}/progress-reports", m1["id"].as_str().expect("id"))).await;
    assert_eq!(reports.len(), 2);
    assert_eq!(by_ref(&reports, "PR-1")["indicator_values"][0]["value"], 35.0);
    assert_eq!(audit_count(&app, "progress_report").await, 3);

    // Again: unchanged (a completed report's 80 % was stored as 100 %, and still matches).
    assert_eq!(counts(&csv(&app, &importer, "progress-reports", "", REPORTS).await), [0, 0, 3, 0]);
    assert_eq!(audit_count(&app, "progress_report").await, 3);
    // A report is never edited: a changed row is refused, and the stored report stays.
    let changed = csv(&app, &importer, "progress-reports", "", &REPORTS.replace("in_progress,40", "in_progress,45")).await;
    assert_eq!(
        (&changed["errors"][0]["row"], &changed["errors"][0]["field"], &changed["errors"][0]["code"]),
        (&json!(1), &json!("external_ref"), &json!("immutable"))
    );
    assert_eq!(counts(&changed), [0, 0, 2, 1]);
    // A row naming a stored report without its measure means the stored one.
    let by_key = csv(&app, &importer, "progress-reports", "", "external_ref,status,percent_done\nPR-2,delayed,10\n").await;
    assert_eq!(counts(&by_key), [0, 0, 1, 0], "{by_key}");

    for (query, content_type) in [("format=csv", "text/csv"), ("format=csv&excel=true", "text/csv"), ("format=json", "application/json")] {
        let resp = app.client.get(format!("{}/api/v1/exports/progress-reports?{query}", app.base)).bearer_auth(&importer).send().await.expect("export");
        assert_eq!(resp.status(), StatusCode::OK);
        let body = resp.bytes().await.expect("body").to_vec();
        let report = import(&app, &importer, "progress-reports", "dry_run=true", content_type, body.clone()).await;
        assert_eq!(counts(&report.body), [0, 0, 3, 0], "{query}: {}\n{}", report.body, String::from_utf8_lossy(&body));
    }
    let resp = app.client.get(format!("{}/api/v1/exports/progress-reports", app.base)).send().await.expect("export");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_partner_imports_progress_reports_on_its_own_measures_only() {
    let app = spawn_app().await;
    let (r, _) = plan_in_force(&app).await;
    // M-2 is the NGO's, M-1 the microregion's.
    let partner = app.token(Role::Partner, &[&r.p], Some(&r.ngo));
    let report = csv(&app, &partner, "progress-reports", "mode=per_row", REPORTS).await;
    assert_eq!(counts(&report), [1, 0, 0, 2], "{report}");
    let refused: Vec<(Value, Value, Value)> =
        report["errors"].as_array().expect("errors").iter().map(|e| (e["row"].clone(), e["external_ref"].clone(), e["code"].clone())).collect();
    assert_eq!(refused, vec![(json!(1), json!("PR-1"), json!("forbidden")), (json!(3), json!("PR-3"), json!("forbidden"))]);
    // The single request answers the same.
    let items = list(&app, "/api/v1/measures?plan_status=in_force").await;
    let m1 = by_ref(&items, "M-1")["id"].as_str().expect("id").to_owned();
    app.post(&format!("/api/v1/measures/{m1}/progress-reports"), &partner, json!({"status": "in_progress", "percent_done": 1})).await.problem(403);
    // Its own report, already stored by someone else's import, is still not another's to see:
    // a partner of another partnership finds no such measure.
    let stranger = app.token(Role::Partner, &[&uuid::Uuid::now_v7().to_string()], Some(&r.ngo));
    let report = csv(&app, &stranger, "progress-reports", "", REPORTS).await;
    assert!(report["errors"].as_array().expect("errors").iter().all(|e| e["field"] == "measure_ref" && e["code"] == "not_found"), "{report}");
    // A reporter reads everything and writes nothing.
    let reporter = app.token(Role::Reporter, &[], None);
    let report = csv(&app, &reporter, "progress-reports", "", REPORTS).await;
    assert_eq!(counts(&report), [0, 0, 0, 3], "{report}");
    assert!(report["errors"].as_array().expect("errors").iter().all(|e| e["code"] == "forbidden"), "{report}");
}

/// A measure row may name its plan by its partnership's `external_ref` (`partnership_ref`: the
/// partnership's one draft plan), so that a file needs no UUID; none, several, or both columns
/// are refused with the column named.
#[tokio::test]
async fn measures_name_their_draft_plan_by_their_partnerships_ref() {
    let app = spawn_app().await;
    let admin = app.admin();
    let importer = app.token(Role::Importer, &[], None);
    let (r, plan) = draft_plan(&app).await;
    let res = app.patch(&format!("/api/v1/partnerships/{}", r.p), &admin, json!({"external_ref": "LP-ROZ"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let file = format!(
        "external_ref,plan_id,partnership_ref,goal_code,code,title,thematic_area,deadline\n\
M-9,,LP-ROZ,1,1.9,Poradna bez UUID,debt,2020-12-31\n\
M-10,,LP-NONE,1,1.10,Neznámé partnerství,debt,2020-12-31\n\
M-11,{plan},LP-ROZ,1,1.11,Obojí,debt,2020-12-31\n"
    );
    let report = csv(&app, &importer, "measures", "mode=per_row", &file).await;
    assert_eq!(counts(&report), [1, 0, 0, 2], "{report}");
    let named: Vec<(Value, Value, Value)> =
        report["errors"].as_array().expect("errors").iter().map(|e| (e["row"].clone(), e["field"].clone(), e["code"].clone())).collect();
    assert_eq!(named, vec![(json!(2), json!("partnership_ref"), json!("not_found")), (json!(3), json!("partnership_ref"), json!("ambiguous"))], "{report}");
    let items = list(&app, &format!("/api/v1/strategic-plans/{plan}/measures")).await;
    assert_eq!(by_ref(&items, "M-9")["title"], "Poradna bez UUID");

    // A second draft: the partnership no longer names one plan.
    let other = app
        .post(
            &format!("/api/v1/partnerships/{}/strategic-plans", r.p),
            &admin,
            json!({"title": "Druhý návrh", "valid_from": "2021-01-01", "valid_to": "2025-12-31"}),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
    let again = csv(
        &app,
        &importer,
        "measures",
        "",
        "external_ref,partnership_ref,goal_code,code,title,thematic_area,deadline\nM-12,LP-ROZ,1,1.12,Který plán?,debt,2020-12-31\n",
    )
    .await;
    assert_eq!((&again["errors"][0]["field"], &again["errors"][0]["code"]), (&json!("partnership_ref"), &json!("ambiguous")), "{again}");
}
