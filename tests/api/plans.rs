//! Situational analyses, strategic plans, measures, monitoring and evaluation.

use domain::access::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

/// A partnership with two member organisations (the microregion and an NGO), a third
/// organisation that is not a member, and a completed analysis with one need per area.
pub(crate) struct Rozvodi {
    pub p: String,
    pub microregion: String,
    pub ngo: String,
    pub outsider: String,
    pub needs: Vec<(String, String)>,
}

const AREAS: [(&str, &str); 6] = [
    ("debt", "Dluhy"),
    ("housing", "Bydlení"),
    ("education", "Vzdělávání"),
    ("family", "Stabilita rodiny"),
    ("employment", "Nezaměstnanost"),
    ("risky_behaviour", "Prevence rizikového chování"),
];

pub(crate) async fn rozvodi(app: &TestApp) -> Rozvodi {
    let admin = app.admin();
    let unit = app.unit(&admin, "Mikroregion Rozvodí", "microregion", None).await;
    let p = app.partnership(&admin, "LP Rozvodí", &[&unit]).await;
    // Active: a forming partnership has neither projects nor monitoring (domain::partnership::permits).
    assert_eq!(app.post(&format!("/api/v1/partnerships/{p}/activate"), &admin, json!(null)).await.status, 200);
    let microregion = app.org(&admin, "Mikroregion Rozvodí", "municipality", None).await;
    let ngo = app.org(&admin, "Člověk v tísni, o.p.s.", "ngo", None).await;
    let outsider = app.org(&admin, "Firma mimo partnerství", "business", None).await;
    for org in [&microregion, &ngo] {
        app.create(&format!("/api/v1/partnerships/{p}/memberships"), &admin, json!({"organization_id": org, "joined_on": "2018-10-01"})).await;
    }
    let analysis = app
        .create(
            &format!("/api/v1/partnerships/{p}/situational-analyses"),
            &admin,
            json!({"title": "Situační analýza Rozvodí", "fieldwork_from": "2018-06-01", "fieldwork_to": "2018-09-30",
                   "author_organization_ids": [ngo],
                   "findings": [{"thematic_area": "debt", "text": "Vysoká zadluženost.", "key_figures": [{"name": "Osoby v exekuci", "value": 412.0, "unit": "osob", "source": "Mapa exekucí", "year": 2018}]}]}),
        )
        .await;
    assert_eq!(app.post(&format!("/api/v1/situational-analyses/{analysis}/start"), &admin, json!(null)).await.status, 200);
    let mut needs = Vec::new();
    for (area, name) in AREAS {
        let need = app
            .create(
                &format!("/api/v1/situational-analyses/{analysis}/needs"),
                &admin,
                json!({"thematic_area": area, "description": format!("Potřeba: {name}"), "priority": "high", "people_affected": 100}),
            )
            .await;
        needs.push((area.to_owned(), need));
    }
    assert_eq!(app.post(&format!("/api/v1/situational-analyses/{analysis}/complete"), &admin, json!(null)).await.status, 200);
    Rozvodi { p, microregion, ngo, outsider, needs }
}

/// A draft plan with one goal per working-group area and one measure per goal.
pub(crate) async fn plan_with_measures(app: &TestApp, r: &Rozvodi) -> (String, Vec<String>) {
    let admin = app.admin();
    let plan = app
        .create(
            &format!("/api/v1/partnerships/{}/strategic-plans", r.p),
            &admin,
            json!({"title": "Strategický plán Rozvodí 2019–2030", "valid_from": "2019-05-01", "valid_to": "2030-12-31"}),
        )
        .await;
    let mut measures = Vec::new();
    for (i, (area, name)) in AREAS.iter().enumerate() {
        let n = i + 1;
        let goal = app
            .create(
                &format!("/api/v1/strategic-plans/{plan}/goals"),
                &admin,
                json!({"code": n.to_string(), "title": name, "thematic_area": area, "level": "global"}),
            )
            .await;
        let need = &r.needs.iter().find(|(a, _)| a == area).unwrap().1;
        let responsible = if n % 2 == 0 { &r.ngo } else { &r.microregion };
        let measure = app
            .create(
                &format!("/api/v1/strategic-plans/{plan}/measures"),
                &admin,
                json!({
                    "goal_id": goal, "code": format!("{n}.1.1"), "title": format!("Opatření {name}"), "thematic_area": area,
                    "need_ids": [need], "responsible_organization_id": responsible,
                    "starts_on": "2019-06-01", "deadline": "2020-12-31",
                    "budget": [{"source": "esif", "amount": {"amount_minor": 100_000_000, "currency": "CZK"}, "call_reference": "OPZ 052"},
                               {"source": "municipal", "amount": {"amount_minor": 25_000_000, "currency": "CZK"}}],
                    "indicators": [{"key": "I1", "name": "Podpoření klienti", "unit": "osob", "kind": "count", "ascending": true, "baseline_value": 0.0, "baseline_year": 2018, "target_value": 100.0, "target_date": "2020-12-31"}],
                }),
            )
            .await;
        measures.push(measure);
    }
    (plan, measures)
}

pub(crate) async fn bring_into_force(app: &TestApp, plan: &str) -> Value {
    let admin = app.admin();
    assert_eq!(app.post(&format!("/api/v1/strategic-plans/{plan}/submit"), &admin, json!({"date": "2019-03-20"})).await.status, 200);
    let council =
        app.post(&format!("/api/v1/strategic-plans/{plan}/approve-by-council"), &admin, json!({"date": "2019-04-02", "resolution_number": "RM/12/2019"})).await;
    assert_eq!(council.status, 200, "{}", council.body);
    let assembly =
        app.post(&format!("/api/v1/strategic-plans/{plan}/approve-by-assembly"), &admin, json!({"date": "2019-04-24", "resolution_number": "ZM/5/2019"})).await;
    assert_eq!(assembly.status, 200, "{}", assembly.body);
    assembly.body
}

#[tokio::test]
async fn the_rozvodi_plan_passes_its_approval_path_and_refuses_illegal_steps() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, measures) = plan_with_measures(&app, &r).await;
    let base = format!("/api/v1/strategic-plans/{plan}");

    let goals = app.get(&format!("{base}/goals"), Some(&admin)).await;
    assert_eq!(goals.body["items"].as_array().unwrap().len(), 6);
    let listed = app.get(&format!("{base}/measures?count=true"), Some(&admin)).await;
    assert_eq!(listed.body["total"], 6);
    assert_eq!(listed.body["items"][0]["budget_total"], json!({"amount_minor": 125_000_000, "currency": "CZK"}));

    // Illegal steps from draft.
    for action in ["withdraw", "expire", "revise"] {
        app.post(&format!("{base}/{action}"), &admin, json!(null)).await.problem(409);
    }
    app.post(&format!("{base}/approve-by-council"), &admin, json!({"date": "2019-04-02", "resolution_number": "RM/12/2019"})).await.problem(409);
    app.post(&format!("{base}/approve-by-assembly"), &admin, json!({"date": "2019-04-24", "resolution_number": "ZM/5/2019"})).await.problem(409);
    // A draft is not public (the partnership's writers read it).
    app.get(&base, None).await.problem(404);
    assert_eq!(app.get(&base, Some(&admin)).await.status, 200);

    assert_eq!(app.post(&format!("{base}/submit"), &admin, json!({"date": "2019-03-20"})).await.body["status"], "submitted");
    app.post(&format!("{base}/submit"), &admin, json!(null)).await.problem(409);
    app.post(&format!("{base}/approve-by-assembly"), &admin, json!({"date": "2019-04-24", "resolution_number": "ZM/5/2019"})).await.problem(409);
    // The council cannot approve before the submission.
    let early = app.post(&format!("{base}/approve-by-council"), &admin, json!({"date": "2019-03-01", "resolution_number": "RM/1/2019"})).await;
    early.problem(422);
    assert_eq!(early.error_code("date").as_deref(), Some("before_previous_step"));

    let in_force = bring_into_force_after_submit(&app, &plan).await;
    assert_eq!(in_force["status"], "in_force");
    assert_eq!(in_force["assembly_approval"], json!({"date": "2019-04-24", "resolution_number": "ZM/5/2019"}));
    for action in ["submit", "withdraw"] {
        app.post(&format!("{base}/{action}"), &admin, json!(null)).await.problem(409);
    }
    app.post(&format!("{base}/approve-by-council"), &admin, json!({"date": "2019-05-02", "resolution_number": "RM/13/2019"})).await.problem(409);
    // Approved plans are public.
    assert_eq!(app.get(&base, None).await.body["status"], "in_force");
    assert_eq!(app.get(&format!("/api/v1/measures/{}", measures[0]), None).await.status, 200);

    // At most one plan in force: a second, unrelated plan cannot come into force.
    let other = app
        .create(
            &format!("/api/v1/partnerships/{}/strategic-plans", r.p),
            &admin,
            json!({"title": "Jiný plán", "valid_from": "2019-05-01", "valid_to": "2020-12-31"}),
        )
        .await;
    assert_eq!(app.post(&format!("/api/v1/strategic-plans/{other}/submit"), &admin, json!({"date": "2019-03-20"})).await.body["status"], "submitted");
    assert_eq!(
        app.post(&format!("/api/v1/strategic-plans/{other}/approve-by-council"), &admin, json!({"date": "2019-04-02", "resolution_number": "RM/14/2019"}))
            .await
            .body["status"],
        "council_approved"
    );
    app.post(&format!("/api/v1/strategic-plans/{other}/approve-by-assembly"), &admin, json!({"date": "2019-04-24", "resolution_number": "ZM/6/2019"}))
        .await
        .problem(409);
    assert_eq!(app.get(&base, None).await.body["status"], "in_force", "the first plan stays in force");
    // A plan the assembly does not approve goes back to draft, approvals cleared, and can be archived.
    let back = app.post(&format!("/api/v1/strategic-plans/{other}/withdraw"), &admin, json!(null)).await;
    assert_eq!((back.body["status"].as_str(), back.body["council_approval"].is_null()), (Some("draft"), true));
    assert_eq!(app.delete(&format!("/api/v1/strategic-plans/{other}"), &admin).await.status, 204);
    app.post(&format!("/api/v1/strategic-plans/{other}/submit"), &admin, json!(null)).await.problem(409);
    app.patch(&format!("/api/v1/strategic-plans/{other}"), &admin, json!({"title": "x"})).await.problem(409);

    assert_eq!(app.post(&format!("{base}/expire"), &admin, json!({"date": "2022-12-31"})).await.body["status"], "expired");
    app.post(&format!("{base}/expire"), &admin, json!(null)).await.problem(409);
    let audit = app.get(&format!("/api/v1/audit?resource_id={plan}"), Some(&admin)).await;
    let actions: Vec<&str> = audit.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "submit", "approve_by_council", "approve_by_assembly", "expire"]);
}

async fn bring_into_force_after_submit(app: &TestApp, plan: &str) -> Value {
    let admin = app.admin();
    app.post(&format!("/api/v1/strategic-plans/{plan}/approve-by-council"), &admin, json!({"date": "2019-04-02", "resolution_number": "RM/12/2019"})).await;
    app.post(&format!("/api/v1/strategic-plans/{plan}/approve-by-assembly"), &admin, json!({"date": "2019-04-24", "resolution_number": "ZM/5/2019"})).await.body
}

#[tokio::test]
async fn a_plan_in_force_changes_only_through_a_revision_and_the_diff_shows_it() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, measures) = plan_with_measures(&app, &r).await;
    bring_into_force(&app, &plan).await;

    app.patch(&format!("/api/v1/strategic-plans/{plan}"), &admin, json!({"title": "Jiný název"})).await.problem(409);
    app.patch(&format!("/api/v1/measures/{}", measures[0]), &admin, json!({"deadline": "2021-06-30"})).await.problem(409);
    app.delete(&format!("/api/v1/measures/{}", measures[1]), &admin).await.problem(409);
    let goals = app.get(&format!("/api/v1/strategic-plans/{plan}/goals"), Some(&admin)).await;
    let goal1 = goals.body["items"][0]["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/strategic-plans/{plan}/measures"),
        &admin,
        json!({"goal_id": goal1, "code": "1.9", "title": "x", "thematic_area": "debt", "deadline": "2020-01-01"}),
    )
    .await
    .problem(409);

    // Progress reported on version 1 carries over to version 2.
    let reported = app
        .post(
            &format!("/api/v1/measures/{}/progress-reports", measures[2]),
            &admin,
            json!({"reported_on": "2020-01-31", "status": "completed", "percent_done": 100}),
        )
        .await;
    assert_eq!(reported.status, 201, "{}", reported.body);
    let revised = app.post(&format!("/api/v1/strategic-plans/{plan}/revise"), &admin, json!(null)).await;
    assert_eq!(revised.status, 201, "{}", revised.body);
    assert_eq!(revised.body["version_number"], 2);
    assert_eq!(revised.body["predecessor_id"], plan.as_str());
    assert_eq!(revised.body["status"], "draft");
    let v2 = revised.id();
    app.post(&format!("/api/v1/strategic-plans/{plan}/revise"), &admin, json!(null)).await.problem(409);

    let v2_measures = app.get(&format!("/api/v1/strategic-plans/{v2}/measures?limit=50"), Some(&admin)).await;
    let items = v2_measures.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "the whole structure is copied");
    let m1 = items.iter().find(|m| m["code"] == "1.1.1").unwrap()["id"].as_str().unwrap().to_owned();
    let m2 = items.iter().find(|m| m["code"] == "2.1.1").unwrap()["id"].as_str().unwrap().to_owned();
    assert_ne!(m1, measures[0]);
    let changed = app.patch(&format!("/api/v1/measures/{m1}"), &admin, json!({"deadline": "2021-06-30", "title": "Dluhová poradna"})).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(app.delete(&format!("/api/v1/measures/{m2}"), &admin).await.status, 204);
    let v2_goal1 = app.get(&format!("/api/v1/strategic-plans/{v2}/goals"), Some(&admin)).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    app.create(
        &format!("/api/v1/strategic-plans/{v2}/measures"),
        &admin,
        json!({"goal_id": v2_goal1, "code": "1.1.2", "title": "Finanční gramotnost", "thematic_area": "debt", "deadline": "2021-12-31"}),
    )
    .await;

    let copied = items.iter().find(|m| m["code"] == "3.1.1").unwrap();
    assert_eq!(copied["current"]["status"], "completed");
    let v2_fulfilment = app.get(&format!("/api/v1/strategic-plans/{v2}/fulfilment?as_of=2020-02-01"), Some(&admin)).await;
    assert_eq!(v2_fulfilment.body["counts"]["completed"], 1);
    // A stranger sees nothing of a draft: not the plan, its goals, measures, diff or fulfilment.
    let stranger = app.token(Role::Partner, &[&uuid::Uuid::now_v7().to_string()], None);
    for path in ["", "/goals", "/measures", "/diff", "/versions", "/fulfilment", "/evaluations"] {
        app.get(&format!("/api/v1/strategic-plans/{v2}{path}"), Some(&stranger)).await.problem(404);
        let seen = app.get(&format!("/api/v1/strategic-plans/{v2}{path}"), Some(&admin)).await;
        assert_eq!(seen.status, 200, "{path}: {}", seen.body);
    }
    app.get(&format!("/api/v1/strategic-plans/{v2}/goals"), None).await.problem(404);
    let diff = app.get(&format!("/api/v1/strategic-plans/{v2}/diff"), Some(&admin)).await;
    assert_eq!(diff.status, 200, "{}", diff.body);
    assert_eq!(diff.body["from"]["version_number"], 1);
    assert_eq!(diff.body["to"]["version_number"], 2);
    assert_eq!(diff.body["measures"]["added"], json!(["1.1.2"]));
    assert_eq!(diff.body["measures"]["removed"], json!(["2.1.1"]));
    let changes = &diff.body["measures"]["changed"];
    assert_eq!(changes.as_array().unwrap().len(), 1);
    assert_eq!(changes[0]["code"], "1.1.1");
    assert_eq!(
        changes[0]["changes"],
        json!([{"field": "deadline", "before": "2020-12-31", "after": "2021-06-30"}, {"field": "title", "before": "Opatření Dluhy", "after": "Dluhová poradna"}])
    );
    assert_eq!(diff.body["goals"], json!({"added": [], "removed": [], "changed": []}));

    bring_into_force(&app, &v2).await;
    assert_eq!(app.get(&format!("/api/v1/strategic-plans/{plan}"), None).await.body["status"], "superseded");
    // Cross-partnership lists show the plan in force by default, not every version.
    let current = app.get(&format!("/api/v1/measures?partnership_id={}&count=true", r.p), Some(&admin)).await;
    assert_eq!(current.body["total"], 6);
    let superseded = app.get(&format!("/api/v1/measures?partnership_id={}&plan_status=superseded&count=true", r.p), Some(&admin)).await;
    assert_eq!(superseded.body["total"], 6);
    let versions = app.get(&format!("/api/v1/strategic-plans/{plan}/versions"), None).await;
    let listed: Vec<(i64, &str)> =
        versions.body["items"].as_array().unwrap().iter().map(|v| (v["version_number"].as_i64().unwrap(), v["status"].as_str().unwrap())).collect();
    assert_eq!(listed, [(1, "superseded"), (2, "in_force")]);
}

#[tokio::test]
async fn measures_are_checked_against_the_partnership() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let plan = app
        .create(
            &format!("/api/v1/partnerships/{}/strategic-plans", r.p),
            &admin,
            json!({"title": "Plán", "valid_from": "2019-01-01", "valid_to": "2021-12-31"}),
        )
        .await;
    let goal = app.create(&format!("/api/v1/strategic-plans/{plan}/goals"), &admin, json!({"code": "1", "title": "Dluhy", "level": "global"})).await;
    let body = |extra: Value| {
        let mut b =
            json!({"goal_id": goal, "code": "1.1", "title": "Dluhová poradna", "thematic_area": "debt", "starts_on": "2019-06-01", "deadline": "2020-12-31"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let outsider = app.post(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, body(json!({"responsible_organization_id": r.outsider}))).await;
    outsider.problem(422);
    assert_eq!(outsider.error_code("responsible_organization_id").as_deref(), Some("not_a_member"));
    let late = app.post(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, body(json!({"deadline": "2019-05-31"}))).await;
    assert_eq!(late.error_code("deadline").as_deref(), Some("before_start"));
    let floats = app
        .post(
            &format!("/api/v1/strategic-plans/{plan}/measures"),
            &admin,
            body(json!({"budget": [{"source": "state", "amount": {"amount_minor": 10.5, "currency": "CZK"}}]})),
        )
        .await;
    floats.problem(400);
    // A need of another partnership cannot be traced to.
    let other = rozvodi(&app).await;
    let foreign = app.post(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, body(json!({"need_ids": [other.needs[0].1]}))).await;
    assert_eq!(foreign.error_code("need_ids[0]").as_deref(), Some("other_partnership"));
    let ok = app
        .post(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, body(json!({"responsible_organization_id": r.ngo, "need_ids": [r.needs[0].1]})))
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    app.post(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, body(json!({}))).await.problem(409);
    assert_eq!(app.get(&format!("/api/v1/strategic-plans/{plan}/measures"), Some(&admin)).await.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_partner_reports_only_on_its_own_measures() {
    let app = spawn_app().await;
    let r = rozvodi(&app).await;
    let (plan, measures) = plan_with_measures(&app, &r).await;
    let partner = app.token(Role::Partner, &[&r.p], Some(&r.ngo));
    let report =
        json!({"reported_on": "2019-12-31", "status": "in_progress", "percent_done": 40, "indicator_values": [{"indicator_key": "I1", "value": 35.0}]});
    // Not yet in force: nothing to report on.
    app.post(&format!("/api/v1/measures/{}/progress-reports", measures[1]), &partner, report.clone()).await.problem(409);
    bring_into_force(&app, &plan).await;
    // measures[1] (area 2) belongs to the NGO; measures[0] to the microregion.
    let own = app.post(&format!("/api/v1/measures/{}/progress-reports", measures[1]), &partner, report.clone()).await;
    assert_eq!(own.status, 201, "{}", own.body);
    assert_eq!(own.body["author_subject"], "partner-user");
    app.post(&format!("/api/v1/measures/{}/progress-reports", measures[0]), &partner, report.clone()).await.problem(403);
    let unknown = app
        .post(
            &format!("/api/v1/measures/{}/progress-reports", measures[1]),
            &partner,
            json!({"status": "in_progress", "percent_done": 10, "indicator_values": [{"indicator_key": "I9", "value": 1.0}]}),
        )
        .await;
    assert_eq!(unknown.error_code("indicator_values[0].indicator_key").as_deref(), Some("unknown_indicator"));
    app.post(&format!("/api/v1/measures/{}/progress-reports", measures[1]), &partner, json!({"status": "in_progress", "percent_done": 140})).await.problem(422);
    // Another partnership's partner sees nothing of this partnership's monitoring.
    let stranger = app.token(Role::Partner, &[&uuid::Uuid::now_v7().to_string()], Some(&r.ngo));
    app.post(&format!("/api/v1/measures/{}/progress-reports", measures[1]), &stranger, report.clone()).await.problem(404);
    app.get(&format!("/api/v1/measures/{}/progress-reports", measures[1]), Some(&stranger)).await.problem(404);
    assert_eq!(app.get(&format!("/api/v1/measures/{}/progress-reports", measures[1]), Some(&partner)).await.status, 200);
    let reporter = app.token(Role::Reporter, &[], None);
    app.post(&format!("/api/v1/measures/{}/progress-reports", measures[1]), &reporter, report).await.problem(403);
    // The report became the measure's current state without bumping its version.
    let measure = app.get(&format!("/api/v1/measures/{}", measures[1]), Some(&partner)).await;
    assert_eq!(measure.body["current"], json!({"status": "in_progress", "percent_done": 40, "reported_on": "2019-12-31"}));
    assert_eq!(measure.body["version"], 1);
    // Monitoring is not public: the approved plan's measure is, without its progress.
    let public = app.get(&format!("/api/v1/measures/{}", measures[1]), None).await;
    assert!(public.body["current"].is_null() && public.body["overdue"].is_null(), "{}", public.body);
    app.get("/api/v1/measures?status=in_progress", None).await.problem(401);
    assert_eq!(app.get("/api/v1/measures?status=in_progress", Some(&stranger)).await.body["items"].as_array().unwrap().len(), 0);
    let future = app
        .post(
            &format!("/api/v1/measures/{}/progress-reports", measures[1]),
            &partner,
            json!({"reported_on": "2999-01-01", "status": "in_progress", "percent_done": 50}),
        )
        .await;
    assert_eq!(future.error_code("reported_on").as_deref(), Some("in_future"));
    let list = app.get(&format!("/api/v1/measures/{}/progress-reports", measures[1]), Some(&partner)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

/// A small plan checked by hand: goal 1 (with sub-goal 1.1) and goal 2, five measures.
#[tokio::test]
async fn fulfilment_numbers_match_a_hand_calculation_and_evaluations_stay_frozen() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let plan = app
        .create(
            &format!("/api/v1/partnerships/{}/strategic-plans", r.p),
            &admin,
            json!({"title": "Malý plán", "valid_from": "2019-01-01", "valid_to": "2030-12-31"}),
        )
        .await;
    let g1 = app
        .create(
            &format!("/api/v1/strategic-plans/{plan}/goals"),
            &admin,
            json!({"code": "1", "title": "Bydlení", "level": "global", "thematic_area": "housing"}),
        )
        .await;
    let g11 = app
        .create(
            &format!("/api/v1/strategic-plans/{plan}/goals"),
            &admin,
            json!({"code": "1.1", "title": "Sociální byty", "level": "specific", "parent_goal_id": g1}),
        )
        .await;
    let g2 = app
        .create(&format!("/api/v1/strategic-plans/{plan}/goals"), &admin, json!({"code": "2", "title": "Dluhy", "level": "global", "thematic_area": "debt"}))
        .await;
    let money = |minor: i64| json!([{"source": "municipal", "amount": {"amount_minor": minor, "currency": "CZK"}}]);
    let measure = |goal: &str, code: &str, area: &str, deadline: &str, budget: Value| {
        json!({"goal_id": goal, "code": code, "title": code, "thematic_area": area, "deadline": deadline, "budget": budget,
               "indicators": [{"key": "I1", "name": "Výstup", "kind": "count", "ascending": true, "baseline_value": 10.0, "target_value": 50.0}]})
    };
    let m1 = app.create(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, measure(&g1, "1.1", "housing", "2020-06-30", money(100))).await;
    let m2 = app.create(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, measure(&g11, "1.2", "housing", "2020-06-30", money(300))).await;
    let m3 = app.create(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, measure(&g11, "1.3", "housing", "2021-06-30", json!([]))).await;
    let m4 = app.create(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, measure(&g2, "2.1", "debt", "2020-03-31", money(1000))).await;
    let m5 = app.create(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, measure(&g2, "2.2", "debt", "2020-03-31", money(500))).await;
    bring_into_force(&app, &plan).await;
    let report = |m: &str, day: &str, status: &str, pct: i32, actual: f64| {
        let (app, admin, m, day, status) = (&app, admin.clone(), m.to_owned(), day.to_owned(), status.to_owned());
        async move {
            let res = app
                .post(
                    &format!("/api/v1/measures/{m}/progress-reports"),
                    &admin,
                    json!({"reported_on": day, "status": status, "percent_done": pct, "indicator_values": [{"indicator_key": "I1", "value": actual}]}),
                )
                .await;
            assert_eq!(res.status, 201, "{}", res.body);
        }
    };
    report(&m1, "2020-05-01", "completed", 100, 50.0).await;
    report(&m2, "2020-02-01", "in_progress", 20, 15.0).await;
    report(&m2, "2020-05-01", "in_progress", 50, 30.0).await;
    report(&m4, "2020-02-01", "cancelled", 10, 10.0).await;
    report(&m5, "2020-02-01", "delayed", 20, 12.0).await;
    // A report after the evaluation day must not count as of that day.
    report(&m5, "2020-09-01", "completed", 100, 60.0).await;

    let f = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment?as_of=2020-07-01"), Some(&admin)).await;
    assert_eq!(f.status, 200, "{}", f.body);
    let b = &f.body;
    assert_eq!(
        b["counts"],
        json!({"total": 5, "not_started": 0, "in_progress": 1, "completed": 1, "delayed": 1, "cancelled": 1, "unreported": 1, "overdue": 2})
    );
    assert_eq!(b["share_completed"], 25.0);
    // m3 has no budget → plain average of 100, 50, 0 (unreported m3), 20 (m4 cancelled: out) = 42.5.
    assert_eq!(b["progress"], 42.5);
    assert_eq!(b["weighting"], "average");
    let overdue: Vec<&str> = b["overdue_measures"].as_array().unwrap().iter().map(|m| m["code"].as_str().unwrap()).collect();
    assert_eq!(overdue, ["2.2", "1.2"]);
    let goal = |code: &str| b["goals"].as_array().unwrap().iter().find(|g| g["code"] == code).unwrap().clone();
    assert_eq!(goal("1")["progress"], 50.0, "goal 1 covers m1, m2, m3 once each");
    assert_eq!(goal("1.1")["progress"], 25.0);
    assert_eq!(goal("2")["progress"], 20.0);
    assert_eq!(goal("2")["weighting"], "budget");
    let housing = b["thematic_areas"].as_array().unwrap().iter().find(|a| a["thematic_area"] == "housing").unwrap();
    assert_eq!(housing["counts"]["total"], 3);
    // Indicator I1 of m2: baseline 10, target 50, actual 30 → halfway.
    let i = b["indicators"].as_array().unwrap().iter().find(|i| i["measure_code"] == "1.2").unwrap();
    assert_eq!((i["actual_value"].as_f64(), i["attainment"].as_f64()), (Some(30.0), Some(50.0)));

    let evaluation = app
        .post(
            &format!("/api/v1/strategic-plans/{plan}/evaluations"),
            &admin,
            json!({"as_of": "2020-07-01", "narrative": "Vyhodnocení v 19.–22. měsíci.", "recommendations": "Revidovat opatření 2.2."}),
        )
        .await;
    assert_eq!(evaluation.status, 201, "{}", evaluation.body);
    let eid = evaluation.id();
    assert_eq!(evaluation.body["fulfilment"]["progress"], 42.5);
    // Later progress changes fulfilment — even as of the evaluated day — never the evaluation.
    report(&m3, "2020-06-15", "in_progress", 30, 20.0).await;
    let recomputed = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment?as_of=2020-07-01"), Some(&admin)).await;
    assert_eq!(recomputed.body["progress"], 50.0, "(100 + 50 + 30 + 20) / 4");
    report(&m2, "2020-08-01", "completed", 100, 50.0).await;
    let later = app.get(&format!("/api/v1/strategic-plans/{plan}/fulfilment?as_of=2020-10-01"), Some(&admin)).await;
    assert_ne!(later.body["progress"], 42.5);
    let again = app.get(&format!("/api/v1/evaluations/{eid}"), Some(&admin)).await;
    assert_eq!(again.body, evaluation.body);
    // There is no way to change an evaluation.
    let patch = app.send(reqwest::Method::PATCH, &format!("/api/v1/evaluations/{eid}"), Some(&admin), Some(&json!({"narrative": "x"})), &[]).await;
    assert!(matches!(patch.status.as_u16(), 404 | 405), "{}", patch.status);
    assert_eq!(app.get(&format!("/api/v1/evaluations/{eid}"), Some(&admin)).await.body, evaluation.body);

    // Cross-partnership reporting filters.
    // Current state (latest reports, whenever made): 1.2 is completed by now, 2.1 cancelled, 2.2 completed,
    // so only 1.3 (in progress, deadline 2021-06-30) is overdue as of 2021-07-01.
    let overdue = app.get(&format!("/api/v1/measures?partnership_id={}&overdue=true&as_of=2021-07-01", r.p), Some(&admin)).await;
    assert_eq!(overdue_codes(&overdue.body), ["1.3"]);
    let in_progress = app.get(&format!("/api/v1/measures?plan_id={plan}&status=in_progress"), Some(&admin)).await;
    assert_eq!(overdue_codes(&in_progress.body), ["1.3"]);
    let unreported = app.get(&format!("/api/v1/measures?plan_id={plan}&status=unreported"), Some(&admin)).await;
    assert_eq!(unreported.body["items"].as_array().unwrap().len(), 0, "every measure has been reported on by now");
    let by_area = app.get(&format!("/api/v1/measures?plan_id={plan}&thematic_area=debt&sort=-deadline,code"), None).await;
    assert_eq!(by_area.body["items"].as_array().unwrap().len(), 2);
    app.get("/api/v1/measures?status=finished", None).await.problem(400);
}

fn overdue_codes(body: &Value) -> Vec<&str> {
    body["items"].as_array().unwrap().iter().map(|m| m["code"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_completed_analysis_is_read_only_and_corrected_by_a_new_one() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let analyses = app.get(&format!("/api/v1/partnerships/{}/situational-analyses", r.p), Some(&admin)).await;
    let old = analyses.body["items"][0]["id"].as_str().unwrap().to_owned();
    app.patch(&format!("/api/v1/situational-analyses/{old}"), &admin, json!({"title": "Oprava"})).await.problem(409);
    app.post(&format!("/api/v1/situational-analyses/{old}/needs"), &admin, json!({"thematic_area": "health", "description": "x", "priority": "low"}))
        .await
        .problem(409);
    app.patch(&format!("/api/v1/needs/{}", r.needs[0].1), &admin, json!({"priority": "low"})).await.problem(409);
    let fix = app
        .create(
            &format!("/api/v1/partnerships/{}/situational-analyses", r.p),
            &admin,
            json!({"title": "Situační analýza Rozvodí (opravená)", "supersedes_id": old}),
        )
        .await;
    assert_eq!(app.get(&format!("/api/v1/situational-analyses/{old}"), Some(&admin)).await.body["superseded_by_id"], fix.as_str());
    app.post(&format!("/api/v1/partnerships/{}/situational-analyses", r.p), &admin, json!({"title": "Druhá oprava", "supersedes_id": old})).await.problem(409);
    let partner = app.token(Role::Partner, &[&uuid::Uuid::now_v7().to_string()], None);
    app.get(&format!("/api/v1/situational-analyses/{old}"), Some(&partner)).await.problem(404);
    app.get(&format!("/api/v1/situational-analyses/{old}"), None).await.problem(401);
}
