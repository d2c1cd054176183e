//! The Agency's support projects ("Rozvoj systémů"): everything recorded through the API, the
//! five indicators on a hand-computed example, role checks on every resource, bad input.

use domain::access::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// `(numerator, denominator, met)` of an indicator.
type Counted = (u64, Option<u64>, bool);

/// Each indicator counted, and the values.
fn indicators(res: &Value) -> (Vec<Counted>, Vec<Value>) {
    let items = res["indicators"].as_array().unwrap_or_else(|| panic!("no indicators: {res}"));
    let nums = items.iter().map(|i| (i["numerator"].as_u64().unwrap(), i["denominator"].as_u64(), i["met"].as_bool().unwrap())).collect();
    (nums, items.iter().map(|i| i["value"].clone()).collect())
}

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> String {
    app.create(path, token, body).await
}

async fn assess(app: &TestApp, token: &str, criterion: &str, kind: &str, on: &str, score: i64) {
    let res = app.post(&format!("/api/v1/quality-criteria/{criterion}/assessments"), token, json!({"kind": kind, "assessed_on": on, "score": score})).await;
    assert_eq!(res.status, 200, "{}", res.body);
}

async fn attend(app: &TestApp, token: &str, event: &str, unit: &str, person: &str, hours: f64) {
    let res = app
        .post(&format!("/api/v1/good-practice-events/{event}/attendance"), token, json!({"supported_unit_id": unit, "person_id": person, "hours": hours}))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
}

#[tokio::test]
async fn a_support_project_is_recorded_and_its_indicators_computed_by_hand() {
    let app = spawn_app().await;
    let admin = app.admin();
    let (a, b, c) = (
        app.unit(&admin, "Žlutice", "municipality", None).await,
        app.unit(&admin, "Valeč", "municipality", None).await,
        app.unit(&admin, "MAS Rozvodí", "local_action_group", None).await,
    );
    let own = app.partnership(&admin, "LP Žluticko", &[&a]).await;
    let other = app.partnership(&admin, "LP Jinde", &[&c]).await;
    let cooperation =
        created(&app, "/api/v1/cooperations", &admin, json!({"partnership_id": own, "start_on": "2023-02-01", "template": "rozvoj_systemu_24"})).await;
    let org = app.org(&admin, "Město Žlutice", "municipality", None).await;
    let managers: Vec<String> = {
        let mut v = Vec::new();
        for n in ["manažer SZ A", "manažer SZ B", "manažer SZ C"] {
            v.push(app.person(&admin, n, &org).await);
        }
        v
    };

    // The project; bad input first.
    let body = json!({
        "registration_number": "CZ.03.02.02/00/22_004/0000366", "title": "Rozvoj systémů pro sociální začleňování", "programme": "OPZ+",
        "start_on": "2023-01-01", "end_on": "2025-12-31",
        "key_activities": [{"code": "KA01", "title": "Podpora obcí"}, {"code": "KA02", "title": "Metodiky"}, {"code": "KA03", "title": "Analýzy"},
            {"code": "KA04", "title": "Přenos dobré praxe"}, {"code": "KA05", "title": "Evaluace"}]
    });
    let with = |patch: Value| {
        let mut b = body.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let res = app.post("/api/v1/support-projects", &admin, with(json!({"registration_number": "CZ.03.4.74/0.0/0.0/15_025/0004172"}))).await;
    assert_eq!(res.problem(422)["errors"][0]["code"], "format");
    assert_eq!(res.error_code("registration_number").as_deref(), Some("format"));
    let res = app.post("/api/v1/support-projects", &admin, with(json!({"programme": "OP NOPE"}))).await;
    res.problem(422);
    assert_eq!(res.error_code("programme").as_deref(), Some("not_found"));
    let res = app.post("/api/v1/support-projects", &admin, with(json!({"end_on": "2022-12-31"}))).await;
    res.problem(422);
    assert_eq!(res.error_code("end_on").as_deref(), Some("before_start"));
    let res = app
        .post("/api/v1/support-projects", &admin, with(json!({"competence_rule": {"kind": "share_of_criteria", "min_share_percent": 0, "min_points": 1}})))
        .await;
    assert_eq!(res.problem(422)["errors"][0]["field"], "competence_rule");
    app.post("/api/v1/support-projects", &admin, with(json!({"surprise": 1}))).await.problem(400);
    let project = created(&app, "/api/v1/support-projects", &admin, body.clone()).await;
    let res = app.post("/api/v1/support-projects", &admin, body.clone()).await;
    res.problem(409);
    assert_eq!(res.body["errors"][0]["field"], "registration_number");
    let p = format!("/api/v1/support-projects/{project}");
    let got = app.get(&p, Some(&admin)).await;
    assert_eq!(got.body["competence_rule"], json!({"kind": "share_of_criteria", "min_share_percent": 50, "min_points": 1}), "the default rule");

    // Units: A with its cooperation (its partners read it), B and C without.
    let unit = |tu: &str, coop: Option<&str>| {
        json!({"territorial_unit_id": tu, "cooperation_id": coop, "joined_on": "2023-02-01",
        "description_agreed_on": "2023-03-01", "scope": "Koncepce sociálního začleňování", "thematic_areas": ["housing", "debt"]})
    };
    let ua = created(&app, &format!("{p}/units"), &admin, unit(&a, Some(&cooperation))).await;
    let ub = created(&app, &format!("{p}/units"), &admin, unit(&b, None)).await;
    let consultant = app.token(Role::Consultant, &[], None);
    let uc = created(&app, &format!("{p}/units"), &consultant, unit(&c, None)).await;
    app.post(&format!("{p}/units"), &admin, unit(&a, None)).await.problem(409);
    let res = app.post(&format!("{p}/units"), &admin, json!({"territorial_unit_id": a, "joined_on": "2023-02-01", "thematic_areas": ["nope"]})).await;
    assert!(res.status == 400 || res.status == 422, "{}", res.body);
    let res =
        app.post(&format!("{p}/units"), &admin, json!({"territorial_unit_id": a, "joined_on": "2023-02-01", "description_agreed_on": "2023-01-01"})).await;
    res.problem(422);
    assert_eq!(res.error_code("description_agreed_on").as_deref(), Some("before_start"));
    let res = app.post(&format!("{p}/units"), &admin, json!({"territorial_unit_id": a, "joined_on": "2026-01-01"})).await;
    res.problem(422);
    assert_eq!(res.error_code("joined_on").as_deref(), Some("outside_project"));

    // Criteria (1–5). A: c1 2 → 4, c2 3 → 3: one of two improved, 50 % → raised.
    // B: 1 → 2 (interim 2024-06-01): raised. C: 2 → 2: not raised. Finals on 2025-01-31.
    let criterion = |title: &str| json!({"title": title, "scale_min": 1, "scale_max": 5});
    let (a1, a2) = (
        created(&app, &format!("/api/v1/supported-units/{ua}/criteria"), &admin, criterion("Koncepce bydlení")).await,
        created(&app, &format!("/api/v1/supported-units/{ua}/criteria"), &admin, criterion("Dluhové poradenství")).await,
    );
    let b1 = created(&app, &format!("/api/v1/supported-units/{ub}/criteria"), &admin, criterion("Koordinace služeb")).await;
    let c1 = created(&app, &format!("/api/v1/supported-units/{uc}/criteria"), &admin, criterion("Participace")).await;
    app.post(&format!("/api/v1/supported-units/{ua}/criteria"), &admin, json!({"title": "x", "scale_min": 5, "scale_max": 5})).await.problem(422);
    let res =
        app.post(&format!("/api/v1/quality-criteria/{a1}/assessments"), &admin, json!({"kind": "interim", "assessed_on": "2024-01-01", "score": 3})).await;
    res.problem(422);
    assert_eq!(res.error_code("assessed_on").as_deref(), Some("before_baseline"));
    let res =
        app.post(&format!("/api/v1/quality-criteria/{a1}/assessments"), &admin, json!({"kind": "baseline", "assessed_on": "2023-03-01", "score": 6})).await;
    res.problem(422);
    assert_eq!(res.error_code("score").as_deref(), Some("out_of_range"));
    for (crit, base, later, kind, on) in
        [(&a1, 2, 4, "final", "2025-01-31"), (&a2, 3, 3, "final", "2025-01-31"), (&b1, 1, 2, "interim", "2024-06-01"), (&c1, 2, 2, "final", "2025-01-31")]
    {
        assess(&app, &admin, crit, "baseline", "2023-03-01", base).await;
        assess(&app, &admin, crit, kind, on, later).await;
    }
    let got = app.get(&format!("/api/v1/quality-criteria/{a1}"), Some(&admin)).await;
    assert_eq!(got.body["assessments"].as_array().unwrap().len(), 2);
    // A scale that no longer holds the assessments is refused; a stale If-Match is 412.
    app.patch(&format!("/api/v1/quality-criteria/{a1}"), &admin, json!({"scale_max": 3})).await.problem(422);
    let res = app.send(Method::PATCH, &format!("/api/v1/supported-units/{ua}"), Some(&admin), Some(&json!({"note": "x"})), &[("If-Match", "\"99\"")]).await;
    res.problem(412);

    // Participatory procedures: A in 2024; B's is after the day asked (ignored).
    created(
        &app,
        &format!("/api/v1/supported-units/{ua}/participatory-procedures"),
        &admin,
        json!({"applied_on": "2024-03-01", "title": "Veřejné projednání koncepce", "evidence": "Zápis z veřejného projednání"}),
    )
    .await;
    created(
        &app,
        &format!("/api/v1/supported-units/{ub}/participatory-procedures"),
        &admin,
        json!({"applied_on": "2026-01-10", "title": "Anketa", "evidence": "Výsledky ankety"}),
    )
    .await;
    // C's procedure, moved after the day asked about (ignored).
    let late = created(
        &app,
        &format!("/api/v1/supported-units/{uc}/participatory-procedures"),
        &admin,
        json!({"applied_on": "2024-03-01", "title": "Participativní rozpočet", "evidence": "Zápis"}),
    )
    .await;
    let patched = app.patch(&format!("/api/v1/participatory-procedures/{late}"), &admin, json!({"applied_on": "2026-02-01"})).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let res = app
        .post(&format!("/api/v1/supported-units/{ua}/participatory-procedures"), &admin, json!({"applied_on": "2024-03-01", "title": "x", "evidence": ""}))
        .await;
    assert_eq!(res.problem(422)["errors"][0]["field"], "evidence");

    // Findings and documents: D1 and D3 reference F1, D2 nothing: 2 of 3.
    let f1 = created(&app, &format!("{p}/findings"), &admin, json!({"title": "Analýza dluhové situace", "published_on": "2023-05-02"})).await;
    let patched = app.patch(&format!("/api/v1/analytical-findings/{f1}"), &consultant, json!({"published_on": "2023-05-01", "summary": "Shrnutí"})).await;
    assert_eq!((patched.status.as_u16(), patched.body["published_on"].as_str()), (200, Some("2023-05-01")), "{}", patched.body);
    app.patch(&format!("/api/v1/analytical-findings/{f1}"), &admin, json!({"title": " "})).await.problem(422);
    // A retried create with the same Idempotency-Key answers the first response, once.
    let retry = json!({"title": "Zjištění k bydlení", "published_on": "2023-06-01"});
    let first = app.send(Method::POST, &format!("{p}/findings"), Some(&admin), Some(&retry), &[("Idempotency-Key", "finding-1")]).await;
    let again = app.send(Method::POST, &format!("{p}/findings"), Some(&admin), Some(&retry), &[("Idempotency-Key", "finding-1")]).await;
    assert_eq!((first.status.as_u16(), again.status.as_u16(), first.id()), (201, 201, again.id()));
    assert_eq!(app.get(&format!("{p}/findings?count=true"), Some(&admin)).await.body["total"], 2);
    let doc = |ka: &str, kind: &str, title: &str, unit: Option<&str>, findings: Vec<&str>| json!({"key_activity": ka, "kind": kind, "title": title, "issued_on": "2023-09-01", "supported_unit_id": unit, "finding_ids": findings});
    let d1 = created(&app, &format!("{p}/documents"), &admin, doc("ka01", "plan", "Plán sociálního začleňování Žlutice", Some(&ua), vec![&f1])).await;
    created(&app, &format!("{p}/documents"), &admin, doc("ka02", "methodology", "Metodika participace", None, vec![])).await;
    let d3 = created(&app, &format!("{p}/documents"), &admin, doc("ka01", "analysis", "Analýza Valeč", Some(&ub), vec![])).await;
    let patched = app.patch(&format!("/api/v1/support-project-documents/{d3}"), &admin, json!({"finding_ids": [f1]})).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let stranger_finding = uuid::Uuid::now_v7().to_string();
    let res = app.post(&format!("{p}/documents"), &admin, doc("ka01", "plan", "x", None, vec![&stranger_finding])).await;
    res.problem(422);
    assert_eq!(res.error_code("finding_ids[0]").as_deref(), Some("not_found"));
    app.post(&format!("{p}/documents"), &admin, doc("ka03", "plan", "x", None, vec![])).await.problem(400);

    // Events: a workshop (Oct 2023) and a conference (Nov 2024) with central bodies and data,
    // a forum (May 2024; never counts for 4).
    let event = |kind: &str, on: &str, hours: f64| {
        json!({"kind": kind, "title": format!("{kind} {on}"), "held_on": on, "hours": hours,
        "presenters": [{"organization_id": org}, {"name": "Ministerstvo pro místní rozvoj"}], "central_bodies_attended": true, "presents_data_and_recommendations": true})
    };
    let e1 = created(&app, &format!("{p}/events"), &admin, event("workshop", "2023-10-10", 8.0)).await;
    let e2 = created(&app, &format!("{p}/events"), &admin, event("thematic_conference", "2024-11-01", 7.0)).await;
    let e3 = created(&app, &format!("{p}/events"), &admin, event("forum", "2024-05-01", 6.0)).await;
    let res = app.post(&format!("{p}/events"), &admin, event("workshop", "2024-01-01", 3.1)).await;
    res.problem(422);
    assert_eq!(res.error_code("hours").as_deref(), Some("out_of_range"));
    let res =
        app.post(&format!("{p}/events"), &admin, json!({"kind": "workshop", "title": "x", "held_on": "2024-01-01", "hours": 2, "presenters": [{}]})).await;
    assert_eq!(res.problem(422)["errors"][0]["field"], "presenters[0]");
    // Managers: A 8 + 6 = 14 h ✓, B 8 + 5 = 13 h, C 7 + 6 = 13 h.
    let (ma, mb, mc) = (&managers[0], &managers[1], &managers[2]);
    for (e, u, m, h) in [(&e1, &ua, ma, 8.0), (&e3, &ua, ma, 6.0), (&e1, &ub, mb, 8.0), (&e2, &ub, mb, 5.0), (&e2, &uc, mc, 7.0), (&e3, &uc, mc, 6.0)] {
        attend(&app, &admin, e, u, m, h).await;
    }
    let res = app.post(&format!("/api/v1/good-practice-events/{e2}/attendance"), &admin, json!({"supported_unit_id": ua, "person_id": ma, "hours": 7.5})).await;
    res.problem(422);
    assert_eq!(res.error_code("hours").as_deref(), Some("longer_than_event"));
    let res = app
        .post(&format!("/api/v1/good-practice-events/{e2}/attendance"), &admin, json!({"supported_unit_id": uuid::Uuid::now_v7(), "person_id": ma, "hours": 1}))
        .await;
    assert_eq!(res.problem(422)["errors"][0]["field"], "supported_unit_id");

    // On 2025-12-31, by hand:
    // 1. competence: A (1 of 2 criteria +2, 50 %) and B (+1) raised, C not: 2/3 = 66.67 % < 75: not met;
    // 2. participatory: A only (B's is in 2026): 1/3 = 33.33 % ≥ 30: met;
    // 3. documents: D1, D3 reference F1 of 3: 66.67 % ≥ 60: met;
    // 4. workshop + conference with central bodies and data (the forum does not count): 2 ≥ 2: met;
    // 5. managers ≥ 14 h: A only: 1/3 = 33.33 % < 75: not met.
    let res = app.get(&format!("{p}/indicators?as_of=2025-12-31"), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let (nums, values) = indicators(&res.body);
    assert_eq!(nums, [(2, Some(3), false), (1, Some(3), true), (2, Some(3), true), (2, None, true), (1, Some(3), false)]);
    assert_eq!(values, [json!(66.67), json!(33.33), json!(66.67), json!(2.0), json!(33.33)]);
    assert_eq!(res.body["indicators"][0]["target"], 75);
    // On 2024-06-30: only B's interim is known (1/3); the workshop alone (1); A has 8 h, the
    // forum's 6 make 14 (1/3).
    let res = app.get(&format!("{p}/indicators?as_of=2024-06-30"), Some(&admin)).await;
    let (nums, _) = indicators(&res.body);
    assert_eq!(nums, [(1, Some(3), false), (1, Some(3), true), (2, Some(3), true), (1, None, false), (1, Some(3), false)]);
    // Before any unit joined: shares of nothing have no value and are not met.
    let res = app.get(&format!("{p}/indicators?as_of=2023-01-15"), Some(&admin)).await;
    assert_eq!(res.body["indicators"][0]["value"], Value::Null);
    assert_eq!(res.body["indicators"][0]["met"], false);
    app.get(&format!("{p}/indicators?as_of=yesterday"), Some(&admin)).await.problem(400);
    // The rule is data: by count of two improved criteria, no unit raises its competence.
    // (A merge patch merges the rule: the other kind's field is removed with null.)
    let rule = json!({"competence_rule": {"kind": "count_of_criteria", "min_share_percent": null, "min_criteria": 2, "min_points": 1}});
    let patched = app.patch(&p, &consultant, rule).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let res = app.get(&format!("{p}/indicators?as_of=2025-12-31"), Some(&admin)).await;
    assert_eq!(res.body["indicators"][0]["numerator"], 0);

    // Roles. Anonymous: 401 everywhere.
    for path in [p.clone(), format!("{p}/indicators"), format!("/api/v1/supported-units/{ua}"), format!("/api/v1/good-practice-events/{e1}")] {
        app.get(&path, None).await.problem(401);
    }
    app.send(Method::POST, "/api/v1/support-projects", None, Some(&body), &[]).await.problem(401);

    // A reporter reads everything (attendance as counts) and writes nothing.
    let reporter = app.token(Role::Reporter, &[], None);
    assert_eq!(app.get(&format!("{p}/indicators"), Some(&reporter)).await.status, 200);
    let seen = app.get(&format!("/api/v1/good-practice-events/{e1}"), Some(&reporter)).await;
    assert_eq!((seen.body["attendance_count"].as_u64(), seen.body.get("attendance")), (Some(2), None), "{}", seen.body);
    let listed = app.get(&format!("{p}/events"), Some(&reporter)).await;
    assert!(listed.body["items"].as_array().unwrap().iter().all(|e| e.get("attendance").is_none()));
    let as_admin = app.get(&format!("/api/v1/good-practice-events/{e1}"), Some(&admin)).await;
    assert_eq!(as_admin.body["attendance"].as_array().map(Vec::len), Some(2));
    let importer = app.token(Role::Importer, &[], None);
    for token in [&reporter, &importer] {
        app.post("/api/v1/support-projects", token, with(json!({"registration_number": "CZ.03.02.02/00/22_004/0000367"}))).await.problem(403);
        app.patch(&p, token, json!({"note": "x"})).await.problem(403);
        app.post(&format!("{p}/units"), token, unit(&b, None)).await.problem(403);
        app.patch(&format!("/api/v1/supported-units/{ua}"), token, json!({"note": "x"})).await.problem(403);
        app.post(&format!("/api/v1/supported-units/{ua}/criteria"), token, criterion("x")).await.problem(403);
        app.post(&format!("/api/v1/quality-criteria/{a1}/assessments"), token, json!({"kind": "interim", "assessed_on": "2024-01-01", "score": 3}))
            .await
            .problem(403);
        app.post(&format!("/api/v1/supported-units/{ua}/participatory-procedures"), token, json!({"applied_on": "2024-03-01", "title": "x", "evidence": "y"}))
            .await
            .problem(403);
        app.post(&format!("{p}/findings"), token, json!({"title": "x", "published_on": "2023-05-01"})).await.problem(403);
        app.patch(&format!("/api/v1/analytical-findings/{f1}"), token, json!({"title": "x"})).await.problem(403);
        app.patch(&format!("/api/v1/participatory-procedures/{late}"), token, json!({"title": "x"})).await.problem(403);
        app.post(&format!("{p}/documents"), token, doc("ka01", "plan", "x", None, vec![])).await.problem(403);
        app.patch(&format!("/api/v1/support-project-documents/{d1}"), token, json!({"title": "x"})).await.problem(403);
        app.post(&format!("{p}/events"), token, event("workshop", "2024-01-01", 2.0)).await.problem(403);
        app.post(&format!("/api/v1/good-practice-events/{e1}/attendance"), token, json!({"supported_unit_id": ua, "person_id": ma, "hours": 1}))
            .await
            .problem(403);
        app.delete(&format!("/api/v1/good-practice-events/{e1}"), token).await.problem(403);
    }

    // The partner of A's partnership reads the project, A's records and counts; not B's, not
    // the indicators; writes nothing.
    let partner = app.token(Role::Partner, &[&own], None);
    assert_eq!(app.get(&p, Some(&partner)).await.status, 200);
    let units = app.get(&format!("{p}/units"), Some(&partner)).await;
    let ids: Vec<&str> = units.body["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [ua.as_str()]);
    for path in [
        format!("/api/v1/supported-units/{ua}"),
        format!("/api/v1/supported-units/{ua}/criteria"),
        format!("/api/v1/quality-criteria/{a1}"),
        format!("/api/v1/support-project-documents/{d1}"),
        format!("/api/v1/good-practice-events/{e1}"),
    ] {
        assert_eq!(app.get(&path, Some(&partner)).await.status, 200, "{path}");
    }
    assert!(app.get(&format!("/api/v1/good-practice-events/{e1}"), Some(&partner)).await.body.get("attendance").is_none());
    for path in [
        format!("/api/v1/supported-units/{ub}"),
        format!("/api/v1/quality-criteria/{b1}"),
        format!("/api/v1/support-project-documents/{d3}"),
        format!("/api/v1/supported-units/{ub}/participatory-procedures"),
    ] {
        app.get(&path, Some(&partner)).await.problem(404);
    }
    let docs = app.get(&format!("{p}/documents"), Some(&partner)).await;
    assert_eq!(docs.body["items"].as_array().unwrap().len(), 2, "the project's methodology and A's plan: {}", docs.body);
    app.get(&format!("{p}/indicators"), Some(&partner)).await.problem(403);
    app.patch(&format!("/api/v1/supported-units/{ua}"), &partner, json!({"note": "x"})).await.problem(403);
    app.post(&format!("/api/v1/quality-criteria/{a1}/assessments"), &partner, json!({"kind": "interim", "assessed_on": "2024-01-01", "score": 3}))
        .await
        .problem(403);
    app.patch(&format!("/api/v1/supported-units/{ub}"), &partner, json!({"note": "x"})).await.problem(404);

    // A partner of another partnership (no unit of its is supported) sees nothing.
    let stranger = app.token(Role::Partner, &[&other], None);
    let listed = app.get("/api/v1/support-projects", Some(&stranger)).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.get("/api/v1/support-projects", Some(&partner)).await.body["items"].as_array().unwrap().len(), 1);
    for path in [
        p.clone(),
        format!("{p}/units"),
        format!("{p}/events"),
        format!("{p}/findings"),
        format!("/api/v1/supported-units/{ua}"),
        format!("/api/v1/quality-criteria/{a1}"),
        format!("/api/v1/good-practice-events/{e1}"),
        format!("/api/v1/analytical-findings/{f1}"),
        format!("/api/v1/support-project-documents/{d1}"),
    ] {
        app.get(&path, Some(&stranger)).await.problem(404);
    }
    app.post(&format!("{p}/units"), &stranger, unit(&b, None)).await.problem(404);
    app.post(&format!("/api/v1/quality-criteria/{a1}/assessments"), &stranger, json!({"kind": "interim", "assessed_on": "2024-01-01", "score": 3}))
        .await
        .problem(404);

    // Archiving a unit takes it out of the indicators.
    let res = app.delete(&format!("/api/v1/supported-units/{uc}"), &admin).await;
    assert_eq!(res.status, 204, "{}", res.body);
    let res = app.get(&format!("{p}/indicators?as_of=2025-12-31"), Some(&reporter)).await;
    assert_eq!(res.body["indicators"][1]["denominator"], 2);
}

#[tokio::test]
async fn the_demo_project_reads_some_indicators_met_and_some_not() {
    let app = crate::helpers::spawn_app_with_demo().await;
    let reporter = app.token(Role::Reporter, &[], None);
    let listed = app.get("/api/v1/support-projects", Some(&reporter)).await;
    let project = &listed.body["items"][0];
    assert_eq!(project["registration_number"], "CZ.03.02.02/00/22_004/0000366", "{}", listed.body);
    let id = project["id"].as_str().unwrap();
    let res = app.get(&format!("/api/v1/support-projects/{id}/indicators?as_of=2025-06-30"), Some(&reporter)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    // See crates/fixtures/src/rozvoj_systemu.rs: 3/4 raised, 1/4 participatory, 3/4 documents,
    // 2 events, 2/4 managers.
    let (nums, _) = indicators(&res.body);
    assert_eq!(nums, [(3, Some(4), true), (1, Some(4), false), (3, Some(4), true), (2, None, true), (2, Some(4), false)]);
    // Žluticko's partner reads Žlutice's unit only.
    let zluticko = app.get("/api/v1/partnerships?q=zluticko", None).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    let partner = app.token(Role::Partner, &[&zluticko], None);
    let units = app.get(&format!("/api/v1/support-projects/{id}/units"), Some(&partner)).await;
    assert_eq!(units.body["items"].as_array().unwrap().len(), 1, "{}", units.body);
}

/// The change feed files a supported unit's records (the unit with its description of
/// cooperation, criteria and assessments, participatory procedures, its documents, its
/// manager's attendance) under the partnership of the unit's cooperation: its partners, who
/// read them, see them; another partnership's partners do not.
#[tokio::test]
async fn a_partner_sees_its_own_units_support_records_in_the_change_feed() {
    let app = spawn_app().await;
    let admin = app.admin();
    let (a, b) = (app.unit(&admin, "Žlutice", "municipality", None).await, app.unit(&admin, "Valeč", "municipality", None).await);
    let (own, other) = (app.partnership(&admin, "LP Žluticko", &[&a]).await, app.partnership(&admin, "LP Valečsko", &[&b]).await);
    let cooperation = |p: &str| json!({"partnership_id": p, "start_on": "2023-02-01", "template": "rozvoj_systemu_24"});
    let (own_coop, other_coop) =
        (created(&app, "/api/v1/cooperations", &admin, cooperation(&own)).await, created(&app, "/api/v1/cooperations", &admin, cooperation(&other)).await);
    let project = created(
        &app,
        "/api/v1/support-projects",
        &admin,
        json!({"registration_number": "CZ.03.02.02/00/22_004/0000366", "title": "Rozvoj systémů", "programme": "OPZ+", "start_on": "2023-01-01", "end_on": "2025-12-31",
            "key_activities": [{"code": "KA01", "title": "Podpora obcí"}, {"code": "KA04", "title": "Přenos dobré praxe"}]}),
    )
    .await;
    let p = format!("/api/v1/support-projects/{project}");
    let unit = |tu: &str, coop: &str| json!({"territorial_unit_id": tu, "cooperation_id": coop, "joined_on": "2023-02-01", "scope": "Koncepce"});
    let (ua, ub) =
        (created(&app, &format!("{p}/units"), &admin, unit(&a, &own_coop)).await, created(&app, &format!("{p}/units"), &admin, unit(&b, &other_coop)).await);
    let patched = app.patch(&format!("/api/v1/supported-units/{ua}"), &admin, json!({"description_agreed_on": "2023-03-01"})).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let criterion = json!({"title": "Koncepce bydlení", "scale_min": 1, "scale_max": 5});
    let (ca, cb) = (
        created(&app, &format!("/api/v1/supported-units/{ua}/criteria"), &admin, criterion.clone()).await,
        created(&app, &format!("/api/v1/supported-units/{ub}/criteria"), &admin, criterion).await,
    );
    assess(&app, &admin, &ca, "baseline", "2023-03-01", 2).await;
    let procedure = created(
        &app,
        &format!("/api/v1/supported-units/{ua}/participatory-procedures"),
        &admin,
        json!({"applied_on": "2024-03-01", "title": "Veřejné projednání", "evidence": "Zápis"}),
    )
    .await;
    let document = created(
        &app,
        &format!("{p}/documents"),
        &admin,
        json!({"key_activity": "ka01", "kind": "plan", "title": "Plán Žlutice", "issued_on": "2023-09-01", "supported_unit_id": ua}),
    )
    .await;
    let org = app.org(&admin, "Město Žlutice", "municipality", None).await;
    let manager = app.person(&admin, "manažer SZ", &org).await;
    let event = created(
        &app,
        &format!("{p}/events"),
        &admin,
        json!({"kind": "workshop", "title": "Workshop", "held_on": "2023-10-10", "hours": 4, "presenters": [{"name": "Agentura"}]}),
    )
    .await;
    attend(&app, &admin, &event, &ua, &manager, 4.0).await;

    let feed = |token: String| {
        let app = &app;
        async move {
            let res = app.get("/api/v1/changes?after=0&limit=1000", Some(&token)).await;
            assert_eq!(res.status, 200, "{}", res.body);
            res.body["items"].as_array().unwrap().clone()
        }
    };
    let ours = |items: &[Value], resource: &str| -> Vec<(String, String)> {
        items.iter().filter(|c| c["resource"] == resource).map(|c| (c["id"].as_str().unwrap().to_owned(), c["action"].as_str().unwrap().to_owned())).collect()
    };
    let pair = |id: &str, action: &str| (id.to_owned(), action.to_owned());

    // The partner of the unit's partnership sees its records' changes, and reads each of them.
    let partner = app.token(Role::Partner, &[&own], None);
    let seen = feed(partner.clone()).await;
    assert!(seen.iter().all(|c| c["partnership_id"] == own.as_str()), "{seen:?}");
    assert_eq!(ours(&seen, "supported_unit"), [pair(&ua, "create"), pair(&ua, "update")]);
    assert_eq!(ours(&seen, "quality_criterion"), [pair(&ca, "create"), pair(&ca, "assess")]);
    assert_eq!(ours(&seen, "participatory_procedure"), [pair(&procedure, "create")]);
    assert_eq!(ours(&seen, "support_project_document"), [pair(&document, "create")]);
    assert_eq!(ours(&seen, "good_practice_event"), [pair(&event, "attend")]);
    for path in [
        format!("/api/v1/supported-units/{ua}"),
        format!("/api/v1/quality-criteria/{ca}"),
        format!("/api/v1/participatory-procedures/{procedure}"),
        format!("/api/v1/support-project-documents/{document}"),
        format!("/api/v1/good-practice-events/{event}"),
    ] {
        assert_eq!(app.get(&path, Some(&partner)).await.status, 200, "{path}");
    }
    // The other partnership's partner sees only its own unit's, and reads none of these.
    let stranger = app.token(Role::Partner, &[&other], None);
    let theirs = feed(stranger.clone()).await;
    assert_eq!(ours(&theirs, "supported_unit"), [pair(&ub, "create")]);
    assert_eq!(ours(&theirs, "quality_criterion"), [pair(&cb, "create")]);
    assert!(theirs.iter().all(|c| c["partnership_id"] == other.as_str() && c["id"] != ua.as_str() && c["id"] != event.as_str()), "{theirs:?}");
    app.get(&format!("/api/v1/supported-units/{ua}"), Some(&stranger)).await.problem(404);
    // The project itself and its event's creation concern every unit's partnership: not filed
    // under one, so reporters and admins see them, partners do not.
    let all = feed(admin.clone()).await;
    assert!(all.iter().any(|c| c["resource"] == "support_project" && c["partnership_id"].is_null()));
    assert!(all.iter().any(|c| c["id"] == event.as_str() && c["action"] == "create" && c["partnership_id"].is_null()));
}
