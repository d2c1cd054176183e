//! Indicators as time series (values per reporting period, aggregation, corrections with
//! history, attainment as of a day) and the hierarchy and date rules of measures (issue 13,
//! case 6).

use domain::access::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::plans::{Rozvodi, rozvodi};

/// A plan in force (valid 2024–2030, approved in 2024) with one goal and one measure of the
/// microregion carrying a `flow` indicator I1 (0 → 100) and a `cumulative` indicator I2
/// (10 → 50). Returns (plan, goal, measure).
pub(crate) async fn plan_in_force(app: &TestApp, r: &Rozvodi) -> (String, String, String) {
    let admin = app.admin();
    let plan = app
        .create(
            &format!("/api/v1/partnerships/{}/strategic-plans", r.p),
            &admin,
            json!({"title": "Plán 2024–2030", "valid_from": "2024-01-01", "valid_to": "2030-12-31"}),
        )
        .await;
    let goal = app
        .create(&format!("/api/v1/strategic-plans/{plan}/goals"), &admin, json!({"code": "1", "title": "Dluhy", "thematic_area": "debt", "level": "global"}))
        .await;
    let measure = app
        .create(
            &format!("/api/v1/strategic-plans/{plan}/measures"),
            &admin,
            json!({"goal_id": goal, "code": "1.1", "title": "Dluhová poradna", "thematic_area": "debt", "responsible_organization_id": r.microregion,
                   "starts_on": "2024-03-01", "deadline": "2030-06-30",
                   "indicators": [
                       {"key": "I1", "name": "Klienti za čtvrtletí", "kind": "count", "ascending": true, "baseline_value": 0.0, "target_value": 100.0, "aggregation": "flow", "measure": "unit"},
                       {"key": "I2", "name": "Klienti celkem", "kind": "count", "ascending": true, "baseline_value": 10.0, "target_value": 50.0}]}),
        )
        .await;
    let base = format!("/api/v1/strategic-plans/{plan}");
    assert_eq!(app.post(&format!("{base}/submit"), &admin, json!({"date": "2024-01-10"})).await.status, 200);
    assert_eq!(app.post(&format!("{base}/approve-by-council"), &admin, json!({"date": "2024-01-20", "resolution_number": "RM/1/2024"})).await.status, 200);
    let assembly = app.post(&format!("{base}/approve-by-assembly"), &admin, json!({"date": "2024-02-01", "resolution_number": "ZM/1/2024"})).await;
    assert_eq!(assembly.status, 200, "{}", assembly.body);
    (plan, goal, measure)
}

fn value(start: &str, end: &str, v: f64) -> Value {
    json!({"period_start": start, "period_end": end, "value": v})
}

async fn attainment(app: &TestApp, measure: &str, key: &str, as_of: &str) -> Value {
    let res = app.get(&format!("/api/v1/measures/{measure}/indicators/{key}/attainment?as_of={as_of}"), Some(&app.admin())).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

#[tokio::test]
async fn values_per_period_add_up_by_aggregation_and_corrections_keep_history() {
    let app = spawn_app().await;
    let r = rozvodi(&app).await;
    let (plan, goal, measure) = plan_in_force(&app, &r).await;
    let admin = app.admin();
    let i1 = format!("/api/v1/measures/{measure}/indicators/I1/values");
    let i2 = format!("/api/v1/measures/{measure}/indicators/I2/values");
    // Quarterly values of 2025, posted out of order: I1 (flow) 10, 15, 20; I2 (cumulative) 20, 30, 26.
    for (path, q, v) in [(&i1, 3, 20.0), (&i1, 1, 10.0), (&i1, 2, 15.0), (&i2, 1, 20.0), (&i2, 2, 30.0), (&i2, 3, 26.0)] {
        let (start, end) = [("2025-01-01", "2025-03-31"), ("2025-04-01", "2025-06-30"), ("2025-07-01", "2025-09-30")][q - 1];
        let res = app.post(path, &admin, value(start, end, v)).await;
        assert_eq!(res.status, 201, "{}", res.body);
        assert_eq!(res.body["reported_by"], "admin-user");
    }
    // Flow: 10 + 15 + 20 = 45 by the end of Q3 → (45 − 0) / (100 − 0) = 45 %; by 30 June 10 + 15 = 25.
    let a = attainment(&app, &measure, "I1", "2025-09-30").await;
    assert_eq!(
        (a["aggregation"].as_str(), a["actual_value"].as_f64(), a["attainment"].as_f64(), a["periods_counted"].as_u64()),
        (Some("flow"), Some(45.0), Some(45.0), Some(3))
    );
    assert_eq!(attainment(&app, &measure, "I1", "2025-06-30").await["actual_value"], 25.0);
    // Cumulative: the latest period ended by the day stands: 26 → (26 − 10) / (50 − 10) = 40 %; mid-July 30 → 50 %.
    let a = attainment(&app, &measure, "I2", "2025-09-30").await;
    assert_eq!(
        (a["aggregation"].as_str(), a["measure"].as_str(), a["actual_value"].as_f64(), a["attainment"].as_f64()),
        (Some("cumulative"), Some("unit"), Some(26.0), Some(40.0))
    );
    assert_eq!(attainment(&app, &measure, "I2", "2025-07-15").await["attainment"], 50.0);
    assert!(attainment(&app, &measure, "I2", "2024-12-31").await["actual_value"].is_null());

    // A correction of Q2 (15 → 25) replaces the value; the old one stays in the history.
    let fix = app.post(&i1, &admin, json!({"period_start": "2025-04-01", "period_end": "2025-06-30", "value": 25.0, "comment": "opraveno"})).await;
    assert_eq!(fix.status, 201, "{}", fix.body);
    let list = app.get(&i1, Some(&admin)).await;
    assert_eq!(list.status, 200);
    let values: Vec<f64> = list.body["items"].as_array().unwrap().iter().map(|v| v["value"].as_f64().unwrap()).collect();
    assert_eq!(values, [10.0, 25.0, 20.0], "sorted by period_start, current values only");
    let history = app.get(&format!("{i1}?include_history=true&count=true"), Some(&admin)).await;
    assert_eq!(history.body["total"], 4);
    let old = history.body["items"].as_array().unwrap().iter().find(|v| v["value"] == 15.0).unwrap();
    assert_eq!(old["superseded_by"], fix.body["id"]);
    // 10 + 25 + 20 = 55 %.
    assert_eq!(attainment(&app, &measure, "I1", "2025-09-30").await["attainment"], 55.0);

    // The fulfilment report: the goal's and the area's indicator attainment is the average of
    // I1 (55 %) and I2 (40 %) = 47.5 %.
    let f = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment?as_of=2025-09-30"), Some(&admin)).await;
    assert_eq!(f.status, 200, "{}", f.body);
    let g = f.body["goals"].as_array().unwrap().iter().find(|x| x["goal_id"] == goal.as_str()).unwrap();
    assert_eq!(g["indicator_attainment"], 47.5);
    assert_eq!(f.body["thematic_areas"][0]["indicator_attainment"], 47.5);
    let ind: Vec<f64> = f.body["indicators"].as_array().unwrap().iter().map(|i| i["actual_value"].as_f64().unwrap()).collect();
    assert_eq!(ind, [55.0, 26.0]);

    // Refusals: overlapping, reversed and future periods; unknown indicator; a missing value.
    let res = app.post(&i1, &admin, value("2025-03-01", "2025-04-15", 1.0)).await;
    res.problem(422);
    assert_eq!(res.error_code("period_start").as_deref(), Some("overlapping_period"));
    let res = app.post(&i1, &admin, value("2025-12-31", "2025-10-01", 1.0)).await;
    res.problem(422);
    assert_eq!(res.error_code("period_end").as_deref(), Some("before_start"));
    let res = app.post(&i1, &admin, value("2026-01-01", "2099-12-31", 1.0)).await;
    res.problem(422);
    assert_eq!(res.error_code("period_end").as_deref(), Some("in_future"));
    let res = app.post(&i1, &admin, json!({"period_start": "2025-10-01", "period_end": "2025-12-31"})).await;
    res.problem(422);
    assert_eq!(res.error_code("value").as_deref(), Some("required"));
    app.post(&format!("/api/v1/measures/{measure}/indicators/NOPE/values"), &admin, value("2025-10-01", "2025-12-31", 1.0)).await.problem(404);
    app.post(&i1, &admin, json!({"period_start": "2025-10-01", "period_end": "2025-12-31", "value": 1.0, "extra": 1})).await.problem(400);
    // Nothing of that was written.
    assert_eq!(app.get(&format!("{i1}?include_history=true&count=true"), Some(&admin)).await.body["total"], 4);

    // An indicator period inside a progress report is ordered too.
    let res = app
        .post(
            &format!("/api/v1/measures/{measure}/progress-reports"),
            &admin,
            json!({"reported_on": "2025-10-01", "status": "in_progress", "percent_done": 40,
                   "indicator_values": [{"indicator_key": "I2", "value": 30.0, "period_from": "2025-09-30", "period_to": "2025-07-01"}]}),
        )
        .await;
    res.problem(422);
    assert_eq!(res.error_code("indicator_values[0].period_to").as_deref(), Some("before_start"));

    // Who may: as for progress reports. The NGO's partner does not report on the microregion's measure.
    let ngo_partner = app.token(Role::Partner, &[&r.p], Some(&r.ngo));
    app.post(&i1, &ngo_partner, value("2025-10-01", "2025-12-31", 1.0)).await.problem(403);
    let own_partner = app.token(Role::Partner, &[&r.p], Some(&r.microregion));
    assert_eq!(app.post(&i1, &own_partner, value("2025-10-01", "2025-12-31", 5.0)).await.status, 201);
    let reporter = app.token(Role::Reporter, &[], None);
    app.post(&i1, &reporter, value("2026-01-01", "2026-03-31", 1.0)).await.problem(403);
    assert_eq!(app.get(&i1, Some(&reporter)).await.status, 200);
    assert_eq!(app.get(&i1, None).await.status, 401);
}

#[tokio::test]
async fn values_need_a_plan_in_force_and_indicators_declare_valid_aggregations() {
    let app = spawn_app().await;
    let r = rozvodi(&app).await;
    let admin = app.admin();
    let plan = app
        .create(
            &format!("/api/v1/partnerships/{}/strategic-plans", r.p),
            &admin,
            json!({"title": "Návrh", "valid_from": "2024-01-01", "valid_to": "2030-12-31"}),
        )
        .await;
    let goal = app.create(&format!("/api/v1/strategic-plans/{plan}/goals"), &admin, json!({"code": "1", "title": "Dluhy", "level": "global"})).await;
    let body = |indicator: Value| json!({"goal_id": goal, "code": "1.1", "title": "Poradna", "thematic_area": "debt", "deadline": "2029-12-31", "indicators": [indicator]});
    // A percentage does not add up over periods; a declared measure must agree with the kind.
    let res = app
        .post(
            &format!("/api/v1/strategic-plans/{plan}/measures"),
            &admin,
            body(json!({"key": "P", "name": "Podíl", "kind": "percentage", "ascending": true, "target_value": 50.0, "aggregation": "flow"})),
        )
        .await;
    res.problem(422);
    assert_eq!(res.error_code("indicators[0].aggregation").as_deref(), Some("not_additive"));
    let res = app
        .post(
            &format!("/api/v1/strategic-plans/{plan}/measures"),
            &admin,
            body(json!({"key": "P", "name": "Počet", "kind": "count", "ascending": true, "target_value": 50.0, "measure": "qualitative"})),
        )
        .await;
    res.problem(422);
    assert_eq!(res.error_code("indicators[0].measure").as_deref(), Some("inconsistent_with_kind"));
    // An indicator without the new fields (an old payload) is cumulative and measured as its kind says.
    let m = app
        .post(
            &format!("/api/v1/strategic-plans/{plan}/measures"),
            &admin,
            body(json!({"key": "I", "name": "Klienti", "kind": "count", "ascending": true, "target_value": 5.0})),
        )
        .await;
    assert_eq!(m.status, 201, "{}", m.body);
    assert_eq!(m.body["indicators"][0]["aggregation"], "cumulative");
    // A draft takes no values (409).
    app.post(&format!("/api/v1/measures/{}/indicators/I/values", m.id()), &admin, value("2025-01-01", "2025-03-31", 1.0)).await.problem(409);
}

#[tokio::test]
async fn activities_stay_inside_their_measure_and_measures_inside_the_plan() {
    let app = spawn_app().await;
    let r = rozvodi(&app).await;
    let admin = app.admin();
    let plan = app
        .create(
            &format!("/api/v1/partnerships/{}/strategic-plans", r.p),
            &admin,
            json!({"title": "Návrh", "valid_from": "2024-01-01", "valid_to": "2027-12-31"}),
        )
        .await;
    let measures = format!("/api/v1/strategic-plans/{plan}/measures");
    let g1 = app.create(&format!("/api/v1/strategic-plans/{plan}/goals"), &admin, json!({"code": "1", "title": "Dluhy", "level": "global"})).await;
    let g2 = app.create(&format!("/api/v1/strategic-plans/{plan}/goals"), &admin, json!({"code": "2", "title": "Bydlení", "level": "global"})).await;
    let parent =
        app.create(&measures, &admin, json!({"goal_id": g1, "code": "1.1", "title": "Poradna", "thematic_area": "debt", "deadline": "2026-06-30"})).await;
    let activity = |goal: &str, deadline: &str| json!({"goal_id": goal, "kind": "activity", "parent_measure_id": parent, "code": "1.1.1", "title": "Kurz", "thematic_area": "debt", "deadline": deadline});
    // Under a measure of another goal.
    let res = app.post(&measures, &admin, activity(&g2, "2026-01-31")).await;
    res.problem(422);
    assert_eq!(res.error_code("goal_id").as_deref(), Some("parent_in_other_goal"));
    // Due after its measure.
    let res = app.post(&measures, &admin, activity(&g1, "2026-07-01")).await;
    res.problem(422);
    assert_eq!(res.error_code("deadline").as_deref(), Some("after_parent_deadline"));
    // Inside: accepted; then the measure cannot be moved before its activity.
    let ok = app.post(&measures, &admin, activity(&g1, "2026-06-30")).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let res = app.patch(&format!("/api/v1/measures/{parent}"), &admin, json!({"deadline": "2026-05-31"})).await;
    res.problem(422);
    assert_eq!(res.error_code("deadline").as_deref(), Some("before_activity_deadline"));
    // A deadline after the plan's validity (2027-12-31) is an error.
    let res = app.post(&measures, &admin, json!({"goal_id": g1, "code": "1.2", "title": "Pozdě", "thematic_area": "debt", "deadline": "2028-01-01"})).await;
    res.problem(422);
    assert_eq!(res.error_code("deadline").as_deref(), Some("after_plan_validity"));
    let at_end = app.post(&measures, &admin, json!({"goal_id": g1, "code": "1.2", "title": "Včas", "thematic_area": "debt", "deadline": "2027-12-31"})).await;
    assert_eq!(at_end.status, 201, "{}", at_end.body);
    // Nor can the plan's validity be shortened to end before a measure's deadline.
    let res = app.patch(&format!("/api/v1/strategic-plans/{plan}"), &admin, json!({"valid_to": "2027-06-30"})).await;
    res.problem(422);
    assert_eq!(res.error_code("valid_to").as_deref(), Some("before_measure_deadline"));

    // An archived organization is no current member and cannot be made responsible.
    assert_eq!(app.delete(&format!("/api/v1/organizations/{}", r.ngo), &admin).await.status, 204);
    let active = app.get(&format!("/api/v1/partnerships/{}/memberships?active_on=2026-01-01", r.p), Some(&admin)).await;
    assert_eq!(active.status, 200, "{}", active.body);
    let orgs: Vec<&str> = active.body["items"].as_array().unwrap().iter().map(|m| m["organization_id"].as_str().unwrap()).collect();
    assert_eq!(orgs, [r.microregion.as_str()]);
    let res = app
        .post(
            &measures,
            &admin,
            json!({"goal_id": g1, "code": "1.3", "title": "NNO", "thematic_area": "debt", "deadline": "2026-12-31", "responsible_organization_id": r.ngo}),
        )
        .await;
    res.problem(422);
    assert_eq!(res.error_code("responsible_organization_id").as_deref(), Some("organization_archived"));
    // Nor the applicant of a project.
    let czk = |n: i64| json!({"amount_minor": n, "currency": "CZK"});
    let res = app
        .post(
            &format!("/api/v1/partnerships/{}/projects", r.p),
            &admin,
            json!({"applicant_organization_id": r.ngo, "title": "Projekt NNO", "summary": "Poradenství.", "period_from": "2027-01-01", "period_to": "2027-12-31",
                   "budget": {"total_eligible": czk(1_000_000), "requested": czk(900_000), "own_financing": czk(100_000)}, "measure_ids": []}),
        )
        .await;
    res.problem(422);
    assert_eq!(res.error_code("applicant_organization_id").as_deref(), Some("organization_archived"));
}

#[tokio::test]
async fn a_revision_keeps_the_indicator_series_of_its_measures() {
    let app = spawn_app().await;
    let r = rozvodi(&app).await;
    let (plan, _, measure) = plan_in_force(&app, &r).await;
    let admin = app.admin();
    let v1_values = format!("/api/v1/measures/{measure}/indicators/I1/values");
    assert_eq!(app.post(&v1_values, &admin, value("2025-01-01", "2025-03-31", 10.0)).await.status, 201);
    let v2 = app.post(&format!("/api/v1/strategic-plans/{plan}/revise"), &admin, json!(null)).await;
    assert_eq!(v2.status, 201, "{}", v2.body);
    let v2 = v2.id();
    // Reported on v1 while v2 is being prepared.
    assert_eq!(app.post(&v1_values, &admin, value("2025-04-01", "2025-06-30", 15.0)).await.status, 201);
    let base = format!("/api/v1/strategic-plans/{v2}");
    assert_eq!(app.post(&format!("{base}/submit"), &admin, json!({"date": "2025-07-01"})).await.status, 200);
    assert_eq!(app.post(&format!("{base}/approve-by-council"), &admin, json!({"date": "2025-07-10", "resolution_number": "RM/9/2025"})).await.status, 200);
    let assembly = app.post(&format!("{base}/approve-by-assembly"), &admin, json!({"date": "2025-07-20", "resolution_number": "ZM/9/2025"})).await;
    assert_eq!(assembly.status, 200, "{}", assembly.body);
    let m2 = app.get(&format!("{base}/measures"), Some(&admin)).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    assert_ne!(m2, measure);
    // v2's measure sees the series of its identity; the periods still may not overlap.
    let v2_values = format!("/api/v1/measures/{m2}/indicators/I1/values");
    let list = app.get(&v2_values, Some(&admin)).await;
    let values: Vec<f64> = list.body["items"].as_array().unwrap().iter().map(|v| v["value"].as_f64().unwrap()).collect();
    assert_eq!(values, [10.0, 15.0]);
    let res = app.post(&v2_values, &admin, value("2025-06-01", "2025-09-30", 1.0)).await;
    res.problem(422);
    assert_eq!(res.error_code("period_start").as_deref(), Some("overlapping_period"));
    assert_eq!(app.post(&v2_values, &admin, value("2025-07-01", "2025-09-30", 20.0)).await.status, 201);
    // v1 is superseded: no more values on it.
    app.post(&v1_values, &admin, value("2025-10-01", "2025-12-31", 1.0)).await.problem(409);
    // Flow 10 + 15 + 20 = 45 % on v2, in its attainment and its fulfilment.
    assert_eq!(attainment(&app, &m2, "I1", "2025-09-30").await["attainment"], 45.0);
    let f = app.get(&format!("{base}/fulfilment?as_of=2025-09-30"), Some(&admin)).await;
    assert_eq!(f.status, 200, "{}", f.body);
    let i1 = f.body["indicators"].as_array().unwrap().iter().find(|i| i["key"] == "I1").unwrap();
    assert_eq!((i1["measure_id"].as_str(), i1["actual_value"].as_f64()), (Some(m2.as_str()), Some(45.0)));
}

#[tokio::test]
async fn fulfilment_and_attainment_agree_before_any_period_ended() {
    let app = spawn_app().await;
    let r = rozvodi(&app).await;
    let (plan, _, measure) = plan_in_force(&app, &r).await;
    let admin = app.admin();
    // A progress report of 15 February names I1 = 7; the value per period (Q1) ends on 31 March.
    let report = app
        .post(
            &format!("/api/v1/measures/{measure}/progress-reports"),
            &admin,
            json!({"reported_on": "2025-02-15", "status": "in_progress", "percent_done": 10,
                   "indicator_values": [{"indicator_key": "I1", "value": 7.0}]}),
        )
        .await;
    assert_eq!(report.status, 201, "{}", report.body);
    let res = app.post(&format!("/api/v1/measures/{measure}/indicators/I1/values"), &admin, value("2025-01-01", "2025-03-31", 10.0)).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let i1_of = |f: &Value| f["indicators"].as_array().unwrap().iter().find(|i| i["key"] == "I1").cloned().unwrap();
    // On 1 March no period has ended: the values per period govern, so both answer null.
    let a = attainment(&app, &measure, "I1", "2025-03-01").await;
    let f = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment?as_of=2025-03-01"), Some(&admin)).await;
    assert_eq!(f.status, 200, "{}", f.body);
    let ind = i1_of(&f.body);
    assert!(a["actual_value"].is_null() && ind["actual_value"].is_null(), "{a} {ind}");
    assert_eq!((ind["actual_value"].clone(), ind["attainment"].clone()), (a["actual_value"].clone(), a["attainment"].clone()));
    // Once Q1 has ended both count it: 10 %.
    let a = attainment(&app, &measure, "I1", "2025-04-01").await;
    let f = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment?as_of=2025-04-01"), Some(&admin)).await;
    let ind = i1_of(&f.body);
    assert_eq!((ind["actual_value"].as_f64(), ind["attainment"].as_f64()), (Some(10.0), Some(10.0)));
    assert_eq!((a["actual_value"].as_f64(), a["attainment"].as_f64()), (Some(10.0), Some(10.0)));
}
