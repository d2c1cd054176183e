//! Monitoring over time (issue 13, cases 1, 4 and 7): a measure keeps one identity
//! (`measure_key`) across plan versions, so reports and project links follow it; every `as_of`
//! view computes every field as of its day; traceability from needs to measures.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::plans::{Rozvodi, rozvodi};

fn czk(minor: i64) -> Value {
    json!({"amount_minor": minor, "currency": "CZK"})
}

fn need_of(r: &Rozvodi, area: &str) -> String {
    r.needs.iter().find(|(a, _)| a == area).unwrap().1.clone()
}

/// A plan valid 2025–2027 with one debt measure (deadline 2025-09-30), in force since
/// 2025-01-31. Returns (plan, measure).
async fn plan_in_force(app: &TestApp, r: &Rozvodi) -> (String, String) {
    let admin = app.admin();
    let plan = app
        .create(
            &format!("/api/v1/partnerships/{}/strategic-plans", r.p),
            &admin,
            json!({"title": "Strategický plán Rozvodí 2025–2027", "valid_from": "2025-01-01", "valid_to": "2027-12-31"}),
        )
        .await;
    let goal = app
        .create(&format!("/api/v1/strategic-plans/{plan}/goals"), &admin, json!({"code": "1", "title": "Dluhy", "thematic_area": "debt", "level": "global"}))
        .await;
    let measure = app
        .create(
            &format!("/api/v1/strategic-plans/{plan}/measures"),
            &admin,
            json!({
                "goal_id": goal, "code": "1.1.1", "title": "Dluhová poradna", "thematic_area": "debt",
                "need_ids": [need_of(r, "debt")], "responsible_organization_id": r.microregion,
                "starts_on": "2025-02-01", "deadline": "2025-09-30",
                "budget": [{"source": "esif", "amount": czk(500_000_000)}],
                "indicators": [{"key": "I1", "name": "Podpoření klienti", "unit": "osob", "kind": "count", "ascending": true, "baseline_value": 0.0, "target_value": 100.0}],
            }),
        )
        .await;
    approve(app, &plan, ["2025-01-10", "2025-01-20", "2025-01-31"]).await;
    (plan, measure)
}

/// Submit, council, assembly on the given days; the plan is in force afterwards.
async fn approve(app: &TestApp, plan: &str, days: [&str; 3]) {
    let admin = app.admin();
    let submitted = app.post(&format!("/api/v1/strategic-plans/{plan}/submit"), &admin, json!({"date": days[0]})).await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    let council = app.post(&format!("/api/v1/strategic-plans/{plan}/approve-by-council"), &admin, json!({"date": days[1], "resolution_number": "RM/1"})).await;
    assert_eq!(council.status, 200, "{}", council.body);
    let assembly =
        app.post(&format!("/api/v1/strategic-plans/{plan}/approve-by-assembly"), &admin, json!({"date": days[2], "resolution_number": "ZM/1"})).await;
    assert_eq!(assembly.status, 200, "{}", assembly.body);
    assert_eq!(assembly.body["status"], "in_force");
}

async fn report(app: &TestApp, measure: &str, day: &str, status: &str, percent: i32, clients: f64) {
    let res = app
        .post(
            &format!("/api/v1/measures/{measure}/progress-reports"),
            &app.admin(),
            json!({"reported_on": day, "status": status, "percent_done": percent, "indicator_values": [{"indicator_key": "I1", "value": clients}]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
}

/// An approved (non-KPSVL) project of 3 800 000 CZK implementing `measure`.
async fn approved_project(app: &TestApp, r: &Rozvodi, measure: &str) -> String {
    let admin = app.admin();
    let programmes = app.get("/api/v1/operational-programmes?limit=100", None).await;
    let opz = programmes.body["items"].as_array().unwrap().iter().find(|p| p["code"] == "OPZ+").unwrap()["id"].as_str().unwrap().to_owned();
    let call = app
        .create(
            "/api/v1/calls",
            &admin,
            json!({
                "programme_id": opz, "number": "101", "title": "Sociální začleňování", "specific_objective": "2.1",
                "opens_at": "2025-02-01T00:00:00Z", "closes_at": "2025-03-31T14:00:00Z",
                "allocation": czk(50_000_000_000), "min_project": czk(40_000_000), "max_project": czk(1_000_000_000),
                "support_rate_bp": 9500, "kpsvl": false,
            }),
        )
        .await;
    let project = app
        .create(
            &format!("/api/v1/partnerships/{}/projects", r.p),
            &admin,
            json!({
                "applicant_organization_id": r.microregion, "call_id": call, "title": "Dluhová poradna Rozvodí", "summary": "Dluhové poradenství.",
                "period_from": "2025-04-01", "period_to": "2026-03-31",
                "budget": {"total_eligible": czk(400_000_000), "requested": czk(380_000_000), "own_financing": czk(20_000_000)},
                "measure_ids": [measure],
            }),
        )
        .await;
    for (action, body) in [
        ("recommend", json!({"date": "2025-02-10", "resolution": "LP/1/2025"})),
        ("submit", json!({"date": "2025-02-15", "registration_number": "CZ.03.02.02/00/22_004/0000366"})),
        ("approve", json!({"date": "2025-04-01", "approved_amount": czk(380_000_000)})),
    ] {
        let res = app.post(&format!("/api/v1/projects/{project}/{action}"), &admin, body).await;
        assert_eq!(res.status, 200, "{action}: {}", res.body);
    }
    project
}

/// Revises the plan and approves the new version; returns (v2, the measure's copy in v2).
async fn revise_and_approve(app: &TestApp, plan: &str, measure: &str, during_draft: impl AsyncFnOnce()) -> (String, String) {
    let admin = app.admin();
    let revised = app.post(&format!("/api/v1/strategic-plans/{plan}/revise"), &admin, json!(null)).await;
    assert_eq!(revised.status, 201, "{}", revised.body);
    let v2 = revised.id();
    during_draft().await;
    approve(app, &v2, ["2025-06-10", "2025-06-20", "2025-06-30"]).await;
    assert_eq!(app.get(&format!("/api/v1/strategic-plans/{plan}"), Some(&admin)).await.body["status"], "superseded");
    let measures = app.get(&format!("/api/v1/strategic-plans/{v2}/measures"), Some(&admin)).await;
    let copy = measures.body["items"][0].clone();
    assert_eq!(copy["code"], "1.1.1");
    assert_ne!(copy["id"].as_str().unwrap(), measure);
    (v2, copy["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_revision_keeps_monitoring_and_project_links() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, m1) = plan_in_force(&app, &r).await;
    let key = app.get(&format!("/api/v1/measures/{m1}"), Some(&admin)).await.body["measure_key"].as_str().unwrap().to_owned();
    assert_eq!(key, m1, "a new measure's key is its own id");
    let project = approved_project(&app, &r, &m1).await;
    report(&app, &m1, "2025-03-01", "in_progress", 20, 10.0).await;

    // Version 2 is prepared while progress is still reported on version 1.
    let (v2, m2) = revise_and_approve(&app, &plan, &m1, async || report(&app, &m1, "2025-06-01", "in_progress", 60, 40.0).await).await;

    let copy = app.get(&format!("/api/v1/measures/{m2}"), Some(&admin)).await;
    assert_eq!(copy.status, 200, "{}", copy.body);
    assert_eq!(copy.body["measure_key"], key.as_str(), "the copy shares the measure's identity");
    assert_eq!(copy.body["current"], json!({"status": "in_progress", "percent_done": 60, "reported_on": "2025-06-01"}));
    let reports = app.get(&format!("/api/v1/measures/{m2}/progress-reports"), Some(&admin)).await;
    let days: Vec<&str> = reports.body["items"].as_array().unwrap().iter().map(|r| r["reported_on"].as_str().unwrap()).collect();
    assert_eq!(days, ["2025-03-01", "2025-06-01"], "every report of the identity, once");

    let fulfilment = app.get(&format!("/api/v1/strategic-plans/{v2}/fulfilment?as_of=2025-07-01"), Some(&admin)).await;
    assert_eq!(fulfilment.status, 200, "{}", fulfilment.body);
    assert_eq!(fulfilment.body["counts"]["in_progress"], 1);
    assert_eq!(fulfilment.body["counts"]["unreported"], 0);
    assert_eq!(fulfilment.body["progress"], 60.0);
    assert_eq!(fulfilment.body["indicators"][0]["actual_value"], 40.0);

    // The project linked to version 1's measure funds version 2's.
    let funding = app.get(&format!("/api/v1/reports/strategic-plans/{v2}/measure-funding"), Some(&admin)).await;
    assert_eq!(funding.status, 200, "{}", funding.body);
    assert_eq!(funding.body["items"][0]["measure_id"], m2.as_str());
    assert_eq!(funding.body["items"][0]["funded"]["amount_minor"], 380_000_000, "{}", funding.body);
    let projects = app.get(&format!("/api/v1/reports/partnerships/{}/projects", r.p), Some(&admin)).await;
    let linked = &projects.body["items"][0];
    assert_eq!(linked["project_id"], project.as_str());
    assert_eq!(linked["measures"][0]["measure_id"], m1.as_str());
    assert_eq!(linked["measures"][0]["measure_key"], key.as_str());
    assert_eq!(linked["measures"][0]["in_force_measure_id"], m2.as_str());

    // A coordinated-approach (KPSVL) project linked to version 1's measure implements the plan
    // in force (version 2) through the measure's identity.
    let opz =
        app.get("/api/v1/operational-programmes?limit=100", None).await.body["items"].as_array().unwrap().iter().find(|p| p["code"] == "OPZ+").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let kpsvl = app
        .create(
            "/api/v1/calls",
            &admin,
            json!({
                "programme_id": opz, "number": "102", "title": "KPSVL", "specific_objective": "2.1",
                "opens_at": "2025-07-01T00:00:00Z", "closes_at": "2025-08-31T14:00:00Z",
                "allocation": czk(50_000_000_000), "min_project": czk(40_000_000), "max_project": czk(1_000_000_000),
                "support_rate_bp": 9500, "kpsvl": true, "open_to": [r.p],
            }),
        )
        .await;
    let second = app
        .create(
            &format!("/api/v1/partnerships/{}/projects", r.p),
            &admin,
            json!({
                "applicant_organization_id": r.microregion, "call_id": kpsvl, "title": "Terénní práce", "summary": "Terénní sociální práce.",
                "period_from": "2025-09-01", "period_to": "2026-08-31",
                "budget": {"total_eligible": czk(100_000_000), "requested": czk(95_000_000), "own_financing": czk(5_000_000)},
                "measure_ids": [m1],
            }),
        )
        .await;
    let recommended = app.post(&format!("/api/v1/projects/{second}/recommend"), &admin, json!({"date": "2025-07-05", "resolution": "LP/2/2025"})).await;
    assert_eq!(recommended.status, 200, "{}", recommended.body);
    let submitted = app
        .post(&format!("/api/v1/projects/{second}/submit"), &admin, json!({"date": "2025-07-10", "registration_number": "CZ.03.02.02/00/22_004/0000367"}))
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);

    // A report on version 2 is the identity's too: version 1 (history) shows it as well.
    report(&app, &m2, "2025-07-15", "delayed", 65, 45.0).await;
    assert_eq!(app.get(&format!("/api/v1/measures/{m1}"), Some(&admin)).await.body["current"]["status"], "delayed");
}

#[tokio::test]
async fn every_field_of_an_as_of_view_is_computed_as_of_its_day() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, m) = plan_in_force(&app, &r).await;
    report(&app, &m, "2025-06-01", "in_progress", 60, 40.0).await;
    report(&app, &m, "2026-05-01", "completed", 100, 95.0).await;
    let p = &r.p;

    // The reported case: overdue on 2025-11-01 with the state of that day, not of 2026-05-01.
    let then = app.get(&format!("/api/v1/measures?partnership_id={p}&overdue=true&as_of=2025-11-01"), Some(&admin)).await;
    assert_eq!(then.status, 200, "{}", then.body);
    let items = then.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", then.body);
    assert_eq!(items[0]["current"], json!({"status": "in_progress", "percent_done": 60, "reported_on": "2025-06-01"}));
    assert_eq!(items[0]["overdue"], true);
    // Today it is completed: not overdue.
    let now = app.get(&format!("/api/v1/measures?partnership_id={p}&overdue=true"), Some(&admin)).await;
    assert_eq!(now.body["items"].as_array().unwrap().len(), 0, "{}", now.body);
    let listed = app.get(&format!("/api/v1/measures?partnership_id={p}"), Some(&admin)).await;
    assert_eq!(listed.body["items"][0]["current"]["status"], "completed");
    assert_eq!(listed.body["items"][0]["overdue"], false);

    // The SQL filters (status, overdue) and the computed fields agree on every day.
    for (day, status, overdue) in [
        ("2025-05-01", None, false),
        ("2025-06-01", Some("in_progress"), false),
        ("2025-09-30", Some("in_progress"), false),
        ("2025-10-01", Some("in_progress"), true),
        ("2026-04-30", Some("in_progress"), true),
        ("2026-05-01", Some("completed"), false),
    ] {
        let all = app.get(&format!("/api/v1/measures?partnership_id={p}&as_of={day}"), Some(&admin)).await;
        assert_eq!(all.status, 200, "{}", all.body);
        let item = &all.body["items"][0];
        assert_eq!(item["current"]["status"].as_str(), status, "{day}");
        assert_eq!(item["overdue"], overdue, "{day}");
        let filtered = app.get(&format!("/api/v1/measures?partnership_id={p}&overdue=true&as_of={day}&count=true"), Some(&admin)).await;
        assert_eq!(filtered.body["total"], u64::from(overdue), "overdue filter on {day}");
        let by_status =
            app.get(&format!("/api/v1/measures?partnership_id={p}&status={}&as_of={day}&count=true", status.unwrap_or("unreported")), Some(&admin)).await;
        assert_eq!(by_status.body["total"], 1, "status filter on {day}");
        let other = if status == Some("completed") { "in_progress" } else { "completed" };
        let none = app.get(&format!("/api/v1/measures?partnership_id={p}&status={other}&as_of={day}&count=true"), Some(&admin)).await;
        assert_eq!(none.body["total"], 0, "status {other} on {day}");
    }

    // Fulfilment and evaluations as of the day: status, overdue and indicator actuals.
    let f = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment?as_of=2025-11-01"), Some(&admin)).await;
    assert_eq!(f.body["counts"]["in_progress"], 1);
    assert_eq!(f.body["counts"]["completed"], 0);
    assert_eq!(f.body["counts"]["overdue"], 1);
    assert_eq!(f.body["indicators"][0]["actual_value"], 40.0);
    let later = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment?as_of=2026-06-01"), Some(&admin)).await;
    assert_eq!(later.body["counts"]["completed"], 1);
    assert_eq!(later.body["counts"]["overdue"], 0);
    assert_eq!(later.body["indicators"][0]["actual_value"], 95.0);
    let evaluation =
        app.post(&format!("/api/v1/strategic-plans/{plan}/evaluations"), &admin, json!({"as_of": "2025-11-01", "narrative": "Průběžné vyhodnocení."})).await;
    assert_eq!(evaluation.status, 201, "{}", evaluation.body);
    assert_eq!(evaluation.body["fulfilment"]["counts"]["overdue"], 1);
    assert_eq!(evaluation.body["fulfilment"]["indicators"][0]["actual_value"], 40.0);

    // `as_of` is monitoring: a token is needed, and the day may not lie in the future.
    app.get(&format!("/api/v1/measures?partnership_id={p}&as_of=2025-11-01"), None).await.problem(401);
    let future = app.get(&format!("/api/v1/measures?partnership_id={p}&as_of=2999-01-01"), Some(&admin)).await;
    future.problem(400);
    assert_eq!(future.error_code("as_of").as_deref(), Some("in_future"));
}

#[tokio::test]
async fn needs_and_measures_are_traceable_both_ways() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, m) = plan_in_force(&app, &r).await;
    let debt = need_of(&r, "debt");
    let housing = need_of(&r, "housing");

    let by_need = app.get(&format!("/api/v1/measures?need_id={debt}"), Some(&admin)).await;
    assert_eq!(by_need.status, 200, "{}", by_need.body);
    let ids: Vec<&str> = by_need.body["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [m.as_str()]);
    assert_eq!(app.get(&format!("/api/v1/measures?need_id={housing}"), Some(&admin)).await.body["items"], json!([]));
    assert_eq!(app.get(&format!("/api/v1/measures/{m}"), Some(&admin)).await.body["warnings"], json!([]));

    let analysis = app.get(&format!("/api/v1/needs/{debt}"), Some(&admin)).await.body["analysis_id"].as_str().unwrap().to_owned();
    let unaddressed = app.get(&format!("/api/v1/situational-analyses/{analysis}/needs?addressed=false&limit=50"), Some(&admin)).await;
    assert_eq!(unaddressed.status, 200, "{}", unaddressed.body);
    let areas: Vec<&str> = unaddressed.body["items"].as_array().unwrap().iter().map(|n| n["thematic_area"].as_str().unwrap()).collect();
    assert_eq!(areas.len(), 5, "{areas:?}");
    assert!(!areas.contains(&"debt"));
    let addressed = app.get(&format!("/api/v1/situational-analyses/{analysis}/needs?addressed=true"), Some(&admin)).await;
    assert_eq!(addressed.body["items"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect::<Vec<_>>(), [debt.as_str()]);

    // A measure of a draft revision counts too; its thematic area differing from its needs'
    // is a warning (the write succeeds), never an error.
    let revised = app.post(&format!("/api/v1/strategic-plans/{plan}/revise"), &admin, json!(null)).await;
    let v2 = revised.id();
    let goal = app.get(&format!("/api/v1/strategic-plans/{v2}/goals"), Some(&admin)).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/v1/strategic-plans/{v2}/measures"),
            &admin,
            json!({"goal_id": goal, "code": "1.1.2", "title": "Bytová poradna", "thematic_area": "employment", "need_ids": [housing], "deadline": "2026-06-30"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["warnings"][0]["code"], "thematic_area_differs_from_needs", "{}", res.body);
    let created = res.id();
    let fixed = app.patch(&format!("/api/v1/measures/{created}"), &admin, json!({"thematic_area": "housing"})).await;
    assert_eq!(fixed.status, 200, "{}", fixed.body);
    assert_eq!(fixed.body["warnings"], json!([]));
    let back = app.patch(&format!("/api/v1/measures/{created}"), &admin, json!({"thematic_area": "employment"})).await;
    assert_eq!(back.body["warnings"][0]["code"], "thematic_area_differs_from_needs");
    let warned = app.get(&format!("/api/v1/measures/{created}"), Some(&admin)).await;
    assert_eq!(warned.body["warnings"][0]["code"], "thematic_area_differs_from_needs", "{}", warned.body);
    let listed = app.get(&format!("/api/v1/strategic-plans/{v2}/measures"), Some(&admin)).await;
    let item = listed.body["items"].as_array().unwrap().iter().find(|m| m["id"] == created.as_str()).unwrap().clone();
    assert_eq!(item["warnings"][0]["code"], "thematic_area_differs_from_needs");
    let left = app.get(&format!("/api/v1/situational-analyses/{analysis}/needs?addressed=false&count=true"), Some(&admin)).await;
    assert_eq!(left.body["total"], 4);
    let drafts = app.get(&format!("/api/v1/measures?need_id={housing}&plan_status=draft"), Some(&admin)).await;
    assert_eq!(drafts.body["items"][0]["id"], created.as_str());

    // Once the plan is public, the warning (it speaks of needs, which are not public) is shown
    // to the partnership only.
    approve(&app, &v2, ["2025-06-10", "2025-06-20", "2025-06-30"]).await;
    assert_eq!(app.get(&format!("/api/v1/measures/{created}"), Some(&admin)).await.body["warnings"][0]["code"], "thematic_area_differs_from_needs");
    let public = app.get(&format!("/api/v1/measures/{created}"), None).await;
    assert_eq!(public.status, 200, "{}", public.body);
    assert_eq!(public.body["warnings"], json!([]));
}

/// Revises the plan (the new version stays a draft); returns (v2, the copy of measure 1.1.1).
async fn revise_to_draft(app: &TestApp, plan: &str) -> (String, String) {
    let admin = app.admin();
    let revised = app.post(&format!("/api/v1/strategic-plans/{plan}/revise"), &admin, json!(null)).await;
    assert_eq!(revised.status, 201, "{}", revised.body);
    let v2 = revised.id();
    let measures = app.get(&format!("/api/v1/strategic-plans/{v2}/measures"), Some(&admin)).await;
    let copy = measures.body["items"].as_array().unwrap().iter().find(|m| m["code"] == "1.1.1").unwrap()["id"].as_str().unwrap().to_owned();
    (v2, copy)
}

#[tokio::test]
async fn a_project_links_one_version_of_a_measure_once() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, m1) = plan_in_force(&app, &r).await;
    let (_, m2) = revise_to_draft(&app, &plan).await;

    let refused = app
        .post(
            &format!("/api/v1/partnerships/{}/projects", r.p),
            &admin,
            json!({
                "applicant_organization_id": r.microregion, "title": "Dluhová poradna Rozvodí", "summary": "Dluhové poradenství.",
                "period_from": "2025-04-01", "period_to": "2026-03-31",
                "budget": {"total_eligible": czk(400_000_000), "requested": czk(380_000_000), "own_financing": czk(20_000_000)},
                "measure_ids": [m1, m2],
            }),
        )
        .await;
    refused.problem(422);
    assert_eq!(refused.error_code("measure_ids").as_deref(), Some("same_measure_twice"), "{}", refused.body);
    let projects = app.get(&format!("/api/v1/partnerships/{}/projects", r.p), Some(&admin)).await;
    assert_eq!(projects.status, 200, "{}", projects.body);
    assert_eq!(projects.body["items"], json!([]), "nothing was created");
}

#[tokio::test]
async fn a_measure_linked_through_another_version_is_not_deleted() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, m1) = plan_in_force(&app, &r).await;
    approved_project(&app, &r, &m1).await;
    let (_, m2) = revise_to_draft(&app, &plan).await;

    // The project is linked to version 1's measure; version 2's copy is the same measure.
    app.delete(&format!("/api/v1/measures/{m2}"), &admin).await.problem(409);
    assert_eq!(app.get(&format!("/api/v1/measures/{m2}"), Some(&admin)).await.status, 200, "the copy is still there");
}

#[tokio::test]
async fn funding_counts_a_project_once_per_measure_even_when_older_data_links_two_versions() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, m1) = plan_in_force(&app, &r).await;
    let project = approved_project(&app, &r, &m1).await;
    let (v2, m2) = revise_to_draft(&app, &plan).await;
    let goal = app.get(&format!("/api/v1/strategic-plans/{v2}/goals"), Some(&admin)).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    let other = app
        .create(
            &format!("/api/v1/strategic-plans/{v2}/measures"),
            &admin,
            json!({
                "goal_id": goal, "code": "1.1.2", "title": "Terénní práce", "thematic_area": "debt",
                "need_ids": [need_of(&r, "debt")], "responsible_organization_id": r.microregion,
                "starts_on": "2025-07-01", "deadline": "2025-12-31",
                "budget": [{"source": "esif", "amount": czk(500_000_000)}],
            }),
        )
        .await;
    approve(&app, &v2, ["2025-06-10", "2025-06-20", "2025-06-30"]).await;

    // Data written before the API refused it: the project links both versions of 1.1.1 (and 1.1.2).
    use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
    let db = Database::connect(&app.database_url).await.expect("connect");
    let backend = db.get_database_backend();
    let sql = if backend == DatabaseBackend::Postgres {
        "INSERT INTO project_measures (project_id, measure_id) VALUES ($1, $2)"
    } else {
        "INSERT INTO project_measures (project_id, measure_id) VALUES (?, ?)"
    };
    let project_id: uuid::Uuid = project.parse().unwrap();
    for m in [&m2, &other] {
        let measure_id: uuid::Uuid = m.parse().unwrap();
        db.execute_raw(Statement::from_sql_and_values(backend, sql, [project_id.into(), measure_id.into()])).await.expect("link");
    }
    db.close().await.ok();

    // Two measures of equal budgets: half each, and the project listed once per measure.
    let funding = app.get(&format!("/api/v1/reports/strategic-plans/{v2}/measure-funding"), Some(&admin)).await;
    assert_eq!(funding.status, 200, "{}", funding.body);
    let items = funding.body["items"].as_array().unwrap();
    for (id, code) in [(&m2, "1.1.1"), (&other, "1.1.2")] {
        let item = items.iter().find(|i| i["measure_id"] == id.as_str()).unwrap_or_else(|| panic!("{code} in {}", funding.body));
        assert_eq!(item["funded"]["amount_minor"], 190_000_000, "{code}: {}", funding.body);
        assert_eq!(item["project_ids"], json!([project]), "{code}: {}", funding.body);
    }
}
