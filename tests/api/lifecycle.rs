//! Lifecycles and dates that hold over time (issue 13): a plan is in force only within its
//! validity, decision dates are neither in the future nor out of order, a partnership's status
//! decides what may still change, and messages name the right field and print money as money.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Res, TestApp, spawn_app, spawn_app_with_demo};
use crate::plans::{bring_into_force, plan_with_measures, rozvodi};

fn czk(minor: i64) -> Value {
    json!({"amount_minor": minor, "currency": "CZK"})
}

fn items(res: &Res) -> Vec<Value> {
    res.body["items"].as_array().unwrap_or_else(|| panic!("no items: {}", res.body)).clone()
}

async fn programme(app: &TestApp, code: &str) -> String {
    let list = app.get("/api/v1/operational-programmes?limit=100", None).await;
    items(&list).iter().find(|p| p["code"] == code).unwrap_or_else(|| panic!("no {code}"))["id"].as_str().unwrap().to_owned()
}

/// A call of OPZ with the given number, dates and KPSVL flag, open to `open_to`.
async fn call(app: &TestApp, number: &str, opens: &str, closes: &str, kpsvl: bool, open_to: &[&str]) -> String {
    let opz = programme(app, "OPZ").await;
    app.create(
        "/api/v1/calls",
        &app.admin(),
        json!({
            "programme_id": opz, "number": number, "title": "Sociální začleňování", "specific_objective": "2.1",
            "opens_at": format!("{opens}T00:00:00Z"), "closes_at": format!("{closes}T14:00:00Z"),
            "allocation": czk(50_000_000_000), "min_project": czk(100_000_000), "max_project": czk(1_000_000_000),
            "support_rate_bp": 9500, "kpsvl": kpsvl, "open_to": open_to,
        }),
    )
    .await
}

fn project(applicant: &str, call: &str, measures: &[&str], total: i64, requested: i64) -> Value {
    json!({
        "applicant_organization_id": applicant, "call_id": call, "title": "Sociální práce", "summary": "Terénní sociální práce.",
        "period_from": "2027-01-01", "period_to": "2028-12-31",
        "budget": {"total_eligible": czk(total), "requested": czk(requested), "own_financing": czk(total - requested)},
        "measure_ids": measures,
    })
}

fn error<'a>(res: &'a Res, field: &str) -> &'a Value {
    res.body["errors"].as_array().and_then(|e| e.iter().find(|e| e["field"] == field)).unwrap_or_else(|| panic!("no error on {field}: {}", res.body))
}

// --- case 2: in force only within the plan's validity ------------------------------------------

#[tokio::test]
async fn the_demo_plan_of_rozvodi_has_expired_and_kpsvl_checks_use_the_submission_day() {
    let app = spawn_app_with_demo().await;
    let admin = app.admin();
    let rozvodi = app.get("/api/v1/partnerships?q=rozvodi", None).await.body["items"][0]["id"].as_str().unwrap().to_owned();

    // Valid 2019-05-01 to 2022-12-31: expired (its last day in force being 2022-12-31), by the
    // system, audited; no plan of Rozvodí is in force today.
    let plans = app.get(&format!("/api/v1/partnerships/{rozvodi}/strategic-plans"), None).await;
    let plan = items(&plans)[0].clone();
    assert_eq!((plan["status"].as_str(), plan["ended_on"].as_str()), (Some("expired"), Some("2022-12-31")), "{plan}");
    let plan_id = plan["id"].as_str().unwrap().to_owned();
    let in_force = app.get(&format!("/api/v1/partnerships/{rozvodi}/strategic-plans?status=in_force&count=true"), None).await;
    assert_eq!(in_force.body["total"], 0);
    let measures_in_force = app.get(&format!("/api/v1/measures?partnership_id={rozvodi}&plan_status=in_force&count=true"), Some(&admin)).await;
    assert_eq!(measures_in_force.body["total"], 0, "{}", measures_in_force.body);
    let audit = app.get(&format!("/api/v1/audit?resource_id={plan_id}"), Some(&admin)).await;
    let expiry: Vec<Value> = items(&audit).into_iter().filter(|e| e["action"] == "expire").collect();
    assert_eq!(expiry.len(), 1, "{}", audit.body);
    assert_eq!(expiry[0]["actor"], "system");
    // An expired plan is not revised; its measures take no more progress reports.
    app.post(&format!("/api/v1/strategic-plans/{plan_id}/revise"), &admin, json!(null)).await.problem(409);

    // The demo's KPSVL project was submitted in 2019, while the plan was in force.
    let projects = app.get(&format!("/api/v1/projects?partnership_id={rozvodi}"), Some(&admin)).await;
    assert_eq!(items(&projects)[0]["status"], "in_realization");

    // A KPSVL call open in 2026: a submission on 2026-11-20 finds no plan in force that day.
    let measure = app.get(&format!("/api/v1/strategic-plans/{plan_id}/measures"), Some(&admin)).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    let member =
        app.get(&format!("/api/v1/partnerships/{rozvodi}/memberships"), Some(&admin)).await.body["items"][0]["organization_id"].as_str().unwrap().to_owned();
    let late_call = call(&app, "901", "2026-01-01", "2026-12-31", true, &[&rozvodi]).await;
    let id = app.create(&format!("/api/v1/partnerships/{rozvodi}/projects"), &admin, project(&member, &late_call, &[&measure], 200_000_000, 190_000_000)).await;
    assert_eq!(app.post(&format!("/api/v1/projects/{id}/recommend"), &admin, json!({"date": "2026-11-01"})).await.status, 200);
    let refused = app
        .post(&format!("/api/v1/projects/{id}/submit"), &admin, json!({"date": "2026-11-20", "registration_number": "CZ.03.2.63/0.0/0.0/15_052/0099999"}))
        .await;
    let detail = refused.problem(409)["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("2026-11-20") && detail.contains("in force"), "{detail}");
    assert_eq!(app.get(&format!("/api/v1/projects/{id}"), Some(&admin)).await.body["status"], "recommended");
}

#[tokio::test]
async fn measures_as_of_a_day_are_those_of_the_plans_in_force_that_day() {
    let app = spawn_app_with_demo().await;
    let admin = app.admin();
    let rozvodi = app.get("/api/v1/partnerships?q=rozvodi", None).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    let count = |query: String| {
        let (app, admin, url) = (&app, admin.clone(), format!("/api/v1/measures?partnership_id={rozvodi}&count=true{query}"));
        async move {
            let res = app.get(&url, Some(&admin)).await;
            assert_eq!(res.status, 200, "{}", res.body);
            res.body["total"].as_u64().unwrap()
        }
    };
    // The demo plan (valid 2019-05-01 to 2022-12-31, now expired): its six measures were due
    // on 2020-12-31 and one was completed by 2020-06-30, so five were overdue on 2021-06-01.
    assert_eq!(count("&overdue=true&as_of=2021-06-01".into()).await, 5);
    assert_eq!(count("&overdue=true&as_of=2020-12-31".into()).await, 0, "not yet past the deadline");
    assert_eq!(count("&as_of=2021-06-01".into()).await, 6);
    assert_eq!(count("&as_of=2022-12-31".into()).await, 6, "its last day in force");
    // Before its validity began, after it ended, and today: no plan in force, no measures.
    for day in ["2019-04-30", "2023-01-01"] {
        assert_eq!(count(format!("&as_of={day}")).await, 0, "{day}");
    }
    assert_eq!(count(String::new()).await, 0);
    // A plan filter given: that filter governs, as before.
    assert_eq!(count("&plan_status=expired&as_of=2023-01-01".into()).await, 6);
}

#[tokio::test]
async fn measures_as_of_a_day_follow_the_version_in_force_that_day() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (v1, _) = plan_with_measures(&app, &r).await;
    bring_into_force(&app, &v1).await;
    let v2 = app.post(&format!("/api/v1/strategic-plans/{v1}/revise"), &admin, json!(null)).await.id();
    let v2_base = format!("/api/v1/strategic-plans/{v2}");
    let plans_of = |day: &str| {
        let (app, admin, url) = (&app, admin.clone(), format!("/api/v1/measures?partnership_id={}&as_of={day}&limit=100", r.p));
        async move {
            let res = app.get(&url, Some(&admin)).await;
            assert_eq!(res.status, 200, "{}", res.body);
            let mut plans: Vec<String> = items(&res).iter().map(|m| m["plan_id"].as_str().unwrap().to_owned()).collect();
            plans.sort();
            plans.dedup();
            plans
        }
    };
    // The revision, still a draft, is in force on no day.
    assert_eq!(plans_of("2020-03-01").await, std::slice::from_ref(&v1));
    assert_eq!(app.post(&format!("{v2_base}/submit"), &admin, json!({"date": "2020-01-10"})).await.status, 200);
    assert_eq!(app.post(&format!("{v2_base}/approve-by-council"), &admin, json!({"date": "2020-01-20", "resolution_number": "RM/1/2020"})).await.status, 200);
    let approved = app.post(&format!("{v2_base}/approve-by-assembly"), &admin, json!({"date": "2020-02-20", "resolution_number": "ZM/2/2020"})).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    // v1 in force until 2020-02-20 (its last day, the day v2 entered into force), v2 from then on.
    assert_eq!(plans_of("2020-01-01").await, std::slice::from_ref(&v1));
    let both = plans_of("2020-02-20").await;
    assert!(both.len() == 2 && both.contains(&v1) && both.contains(&v2), "{both:?}");
    assert_eq!(plans_of("2020-03-01").await, std::slice::from_ref(&v2));
    assert_eq!(plans_of("2019-04-30").await, Vec::<String>::new(), "before the validity began");
}

#[tokio::test]
async fn a_plan_approved_after_its_validity_is_refused_or_expires_at_once() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, measures) = plan_with_measures(&app, &r).await;
    let base = format!("/api/v1/strategic-plans/{plan}");
    assert_eq!(app.patch(&base, &admin, json!({"valid_to": "2022-12-31"})).await.status, 200);
    assert_eq!(app.post(&format!("{base}/submit"), &admin, json!({"date": "2019-03-20"})).await.status, 200);
    assert_eq!(app.post(&format!("{base}/approve-by-council"), &admin, json!({"date": "2019-04-02", "resolution_number": "RM/12/2019"})).await.status, 200);
    // Not on a day after the validity ended (valid to 2022-12-31).
    let res = app.post(&format!("{base}/approve-by-assembly"), &admin, json!({"date": "2023-02-01", "resolution_number": "ZM/1/2023"})).await;
    res.problem(422);
    assert_eq!(res.error_code("date").as_deref(), Some("after_validity"));
    // Approved (today) with a day inside the validity that has since lapsed: in force 2019-04-24
    // to 2022-12-31, so it expires at once, audited as the expiry job does.
    let approved = app.post(&format!("{base}/approve-by-assembly"), &admin, json!({"date": "2019-04-24", "resolution_number": "ZM/5/2019"})).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!((approved.body["status"].as_str(), approved.body["ended_on"].as_str()), (Some("expired"), Some("2022-12-31")), "{}", approved.body);
    assert_eq!(app.get(&base, Some(&admin)).await.body["status"], "expired");
    let audit = app.get(&format!("/api/v1/audit?resource_id={plan}"), Some(&admin)).await;
    let entries = items(&audit);
    assert_eq!(entries.iter().filter(|e| e["action"] == "approve_by_assembly").count(), 1, "{}", audit.body);
    let expiry: Vec<&Value> = entries.iter().filter(|e| e["action"] == "expire").collect();
    assert_eq!(expiry.len(), 1, "{}", audit.body);
    assert_eq!(expiry[0]["after"]["reason"], "validity_ended", "{}", expiry[0]);
    // Its measures take no reports: 409, nothing written.
    let res = app.post(&format!("/api/v1/measures/{}/progress-reports", measures[0]), &admin, json!({"status": "in_progress", "percent_done": 10})).await;
    res.problem(409);
    assert_eq!(app.get(&format!("/api/v1/measures/{}/progress-reports?count=true", measures[0]), Some(&admin)).await.body["total"], 0);
}

#[tokio::test]
async fn reports_wait_until_the_plan_is_in_force_by_its_validity() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, measures) = plan_with_measures(&app, &r).await;
    let base = format!("/api/v1/strategic-plans/{plan}");
    // Approved now, valid only from 2099: recorded in force, but not in force today.
    assert_eq!(app.patch(&base, &admin, json!({"valid_from": "2099-01-01", "valid_to": "2099-12-31"})).await.status, 200);
    assert_eq!(app.post(&format!("{base}/submit"), &admin, json!({"date": "2026-01-10"})).await.status, 200);
    assert_eq!(app.post(&format!("{base}/approve-by-council"), &admin, json!({"date": "2026-01-20", "resolution_number": "RM/1/2026"})).await.status, 200);
    let approved = app.post(&format!("{base}/approve-by-assembly"), &admin, json!({"date": "2026-02-01", "resolution_number": "ZM/1/2026"})).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["status"], "in_force");
    let m = &measures[0];
    let res = app.post(&format!("/api/v1/measures/{m}/progress-reports"), &admin, json!({"status": "in_progress", "percent_done": 10})).await;
    assert!(res.problem(409)["detail"].as_str().unwrap().contains("validity"), "{}", res.body);
    let res = app
        .post(&format!("/api/v1/measures/{m}/indicators/I1/values"), &admin, json!({"period_start": "2026-01-01", "period_end": "2026-03-31", "value": 5.0}))
        .await;
    assert!(res.problem(409)["detail"].as_str().unwrap().contains("validity"), "{}", res.body);
    assert_eq!(app.get(&format!("/api/v1/measures/{m}/progress-reports?count=true"), Some(&admin)).await.body["total"], 0);
    assert_eq!(app.get(&format!("/api/v1/measures/{m}/indicators/I1/values?count=true"), Some(&admin)).await.body["total"], 0);
}

#[tokio::test]
async fn a_kpsvl_submission_within_the_validity_of_an_expired_plan_is_accepted() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, measures) = plan_with_measures(&app, &r).await;
    bring_into_force(&app, &plan).await;
    let expired = app.post(&format!("/api/v1/strategic-plans/{plan}/expire"), &admin, json!({"date": "2020-06-30"})).await;
    assert_eq!(expired.status, 200, "{}", expired.body);
    let c = call(&app, "902", "2019-05-01", "2021-09-30", true, &[&r.p]).await;
    let submit = |date: &'static str, number: &'static str| {
        let app = &app;
        let admin = admin.clone();
        let body = project(&r.microregion, &c, &[&measures[0]], 200_000_000, 190_000_000);
        let p = r.p.clone();
        async move {
            let id = app.create(&format!("/api/v1/partnerships/{p}/projects"), &admin, body).await;
            assert_eq!(app.post(&format!("/api/v1/projects/{id}/recommend"), &admin, json!({"date": "2019-05-02"})).await.status, 200);
            app.post(
                &format!("/api/v1/projects/{id}/submit"),
                &admin,
                json!({"date": date, "registration_number": format!("CZ.03.2.63/0.0/0.0/15_052/{number}")}),
            )
            .await
        }
    };
    // In force on 2019-06-20 (and on its last day), no longer on 2020-07-01.
    let ok = submit("2019-06-20", "0012345").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let last_day = submit("2020-06-30", "0012346").await;
    assert_eq!(last_day.status, 200, "{}", last_day.body);
    let after = submit("2020-07-01", "0012347").await;
    assert!(after.problem(409)["detail"].as_str().unwrap().contains("2020-07-01"), "{}", after.body);
}

// --- case 3: decision dates neither in the future nor out of order -----------------------------

#[tokio::test]
async fn decision_dates_may_not_lie_in_the_future_and_steps_are_ordered() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, _) = plan_with_measures(&app, &r).await;
    let base = format!("/api/v1/strategic-plans/{plan}");

    let res = app.post(&format!("{base}/submit"), &admin, json!({"date": "2030-01-10"})).await;
    assert_eq!(res.problem(422)["errors"][0]["code"], "in_future");
    assert_eq!(app.post(&format!("{base}/submit"), &admin, json!({"date": "2019-03-20"})).await.status, 200);
    let res = app.post(&format!("{base}/approve-by-council"), &admin, json!({"date": "2019-03-01", "resolution_number": "RM/12/2019"})).await;
    res.problem(422);
    assert_eq!(res.error_code("date").as_deref(), Some("before_previous_step"));
    assert_eq!(app.post(&format!("{base}/approve-by-council"), &admin, json!({"date": "2019-04-02", "resolution_number": "RM/12/2019"})).await.status, 200);
    // The assembly of 2030 has not met yet: nothing comes into force today.
    let res = app.post(&format!("{base}/approve-by-assembly"), &admin, json!({"date": "2030-05-20", "resolution_number": "ZM/5/2030"})).await;
    res.problem(422);
    assert_eq!(res.error_code("date").as_deref(), Some("in_future"));
    assert_eq!(app.get(&base, Some(&admin)).await.body["status"], "council_approved");
    // (Nor after the plan's validity ended: see `a_plan_approved_after_its_validity_is_refused_or_expires_at_once`.)
    let res = app.post(&format!("{base}/approve-by-assembly"), &admin, json!({"date": "2019-04-01", "resolution_number": "ZM/5/2019"})).await;
    assert_eq!(res.error_code("date").as_deref(), Some("before_previous_step"), "{}", res.body);
    assert_eq!(app.post(&format!("{base}/approve-by-assembly"), &admin, json!({"date": "2019-04-24", "resolution_number": "ZM/5/2019"})).await.status, 200);

    // A revision cannot enter into force before the version it supersedes did, so that the
    // superseded version never ends before its own approval.
    let v2 = app.post(&format!("{base}/revise"), &admin, json!(null)).await.id();
    let v2_base = format!("/api/v1/strategic-plans/{v2}");
    assert_eq!(app.post(&format!("{v2_base}/submit"), &admin, json!({"date": "2019-03-01"})).await.status, 200);
    assert_eq!(app.post(&format!("{v2_base}/approve-by-council"), &admin, json!({"date": "2019-03-05", "resolution_number": "RM/1/2019"})).await.status, 200);
    let res = app.post(&format!("{v2_base}/approve-by-assembly"), &admin, json!({"date": "2019-03-10", "resolution_number": "ZM/1/2019"})).await;
    res.problem(422);
    assert_eq!(res.error_code("date").as_deref(), Some("before_predecessor"));
    assert_eq!(app.get(&base, Some(&admin)).await.body["status"], "in_force");
    let approved = app.post(&format!("{v2_base}/approve-by-assembly"), &admin, json!({"date": "2020-02-20", "resolution_number": "ZM/2/2020"})).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let v1 = app.get(&base, Some(&admin)).await.body;
    assert_eq!((v1["status"].as_str(), v1["ended_on"].as_str()), (Some("superseded"), Some("2020-02-20")));
    // Expiring before its own approval: refused.
    let res = app.post(&format!("{v2_base}/expire"), &admin, json!({"date": "2020-01-01"})).await;
    assert_eq!(res.error_code("date").as_deref(), Some("before_previous_step"), "{}", res.body);

    // Evaluations as of a future day, and counselling records dated in the future: 422.
    let res = app.post(&format!("{v2_base}/evaluations"), &admin, json!({"as_of": "2030-01-01", "narrative": "Hodnocení."})).await;
    res.problem(422);
    assert_eq!(res.error_code("as_of").as_deref(), Some("in_future"));
    assert_eq!(app.get(&format!("{v2_base}/evaluations?count=true"), Some(&admin)).await.body["total"], 0);
    let consultant = app.person(&admin, "Konzultantka Agentury", &r.ngo).await;
    let record = |held_on: &str| json!({"partnership_id": r.p, "consultant_id": consultant, "organization_ids": [r.ngo], "held_on": held_on, "duration_minutes": 60, "topic": "Příprava projektu"});
    let res = app.post("/api/v1/counselling-records", &admin, record("2030-01-01")).await;
    res.problem(422);
    assert_eq!(res.error_code("held_on").as_deref(), Some("in_future"));
    assert_eq!(app.post("/api/v1/counselling-records", &admin, record("2020-01-15")).await.status, 201);
}

// --- case 5: what each partnership status permits ----------------------------------------------

#[tokio::test]
async fn an_ended_partnership_is_read_only_and_a_handed_over_one_gets_no_more_agency_support() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let p = r.p.clone();
    let (plan, measures) = plan_with_measures(&app, &r).await;
    bring_into_force(&app, &plan).await;
    let c = call(&app, "903", "2019-05-01", "2019-09-30", false, &[]).await;
    let consultant = app.person(&admin, "Konzultant Agentury", &r.ngo).await;
    let counselling = json!({"partnership_id": p, "consultant_id": consultant, "organization_ids": [r.ngo], "held_on": "2020-01-15", "duration_minutes": 60, "topic": "Projekt"});
    let meeting = json!({"title": "Setkání", "starts_at": "2020-01-10T15:00:00Z"});
    let report = json!({"reported_on": "2020-01-31", "status": "in_progress", "percent_done": 20});

    // Handed over: the municipality's own work continues, the Agency's counselling stops.
    assert_eq!(app.post(&format!("/api/v1/partnerships/{p}/hand-over"), &admin, json!(null)).await.status, 200);
    let held = app.create(&format!("/api/v1/partnerships/{p}/meetings"), &admin, meeting.clone()).await;
    assert_eq!(app.post(&format!("/api/v1/measures/{}/progress-reports", measures[0]), &admin, report.clone()).await.status, 201);
    let res = app.post("/api/v1/counselling-records", &admin, counselling.clone()).await;
    assert!(res.problem(409)["detail"].as_str().unwrap().contains("handed_over"), "{}", res.body);

    // Ended: nothing inside the partnership changes any more.
    assert_eq!(app.post(&format!("/api/v1/partnerships/{p}/end"), &admin, json!(null)).await.status, 200);
    let org = app.org(&admin, "Nový člen", "ngo", None).await;
    let refused = [
        app.post(&format!("/api/v1/partnerships/{p}/memberships"), &admin, json!({"organization_id": org, "joined_on": "2020-01-01"})).await,
        app.post(&format!("/api/v1/partnerships/{p}/meetings"), &admin, meeting.clone()).await,
        app.patch(&format!("/api/v1/meetings/{held}"), &admin, json!({"title": "Jiné setkání"})).await,
        app.post(&format!("/api/v1/partnerships/{p}/working-groups"), &admin, json!({"name": "Bydlení", "thematic_area": "housing"})).await,
        app.post(&format!("/api/v1/partnerships/{p}/situational-analyses"), &admin, json!({"title": "Nová analýza"})).await,
        app.post(
            &format!("/api/v1/partnerships/{p}/strategic-plans"),
            &admin,
            json!({"title": "Nový plán", "valid_from": "2023-01-01", "valid_to": "2026-12-31"}),
        )
        .await,
        app.post(&format!("/api/v1/strategic-plans/{plan}/revise"), &admin, json!(null)).await,
        app.post(&format!("/api/v1/strategic-plans/{plan}/expire"), &admin, json!({"date": "2020-06-30"})).await,
        app.post(&format!("/api/v1/measures/{}/progress-reports", measures[0]), &admin, report.clone()).await,
        app.post(
            &format!("/api/v1/measures/{}/indicators/I1/values", measures[0]),
            &admin,
            json!({"period_start": "2020-01-01", "period_end": "2020-01-31", "value": 5.0}),
        )
        .await,
        app.post(&format!("/api/v1/partnerships/{p}/projects"), &admin, project(&r.microregion, &c, &[], 200_000_000, 190_000_000)).await,
        app.post("/api/v1/counselling-records", &admin, counselling.clone()).await,
    ];
    for res in &refused {
        assert!(res.problem(409)["detail"].as_str().unwrap().contains("ended"), "{}", res.body);
    }
    let meetings = app.get(&format!("/api/v1/partnerships/{p}/meetings?count=true"), Some(&admin)).await;
    assert_eq!(meetings.body["total"], 1);
    assert_eq!(app.get(&format!("/api/v1/meetings/{held}"), Some(&admin)).await.body["title"], "Setkání");
    assert_eq!(app.get(&format!("/api/v1/partnerships/{p}/strategic-plans?count=true"), Some(&admin)).await.body["total"], 1);
    assert_eq!(app.get(&format!("/api/v1/strategic-plans/{plan}"), None).await.body["status"], "in_force");
}

#[tokio::test]
async fn a_forming_partnership_sets_itself_up_but_has_no_projects_yet() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Mikroregion Rozvodí", "microregion", None).await;
    let p = app.partnership(&admin, "LP ve zakládání", &[&unit]).await;
    let org = app.org(&admin, "Obec", "municipality", None).await;
    let joined = app.post(&format!("/api/v1/partnerships/{p}/memberships"), &admin, json!({"organization_id": org, "joined_on": "2018-10-01"})).await;
    assert_eq!(joined.status, 201, "{}", joined.body);
    let meeting =
        app.post(&format!("/api/v1/partnerships/{p}/meetings"), &admin, json!({"title": "Ustavující setkání", "starts_at": "2018-10-25T13:00:00Z"})).await;
    assert_eq!(meeting.status, 201, "{}", meeting.body);
    let plan = app
        .post(&format!("/api/v1/partnerships/{p}/strategic-plans"), &admin, json!({"title": "Plán", "valid_from": "2019-05-01", "valid_to": "2022-12-31"}))
        .await;
    assert_eq!(plan.status, 201, "{}", plan.body);
    let c = call(&app, "904", "2019-05-01", "2019-09-30", false, &[]).await;
    let res = app.post(&format!("/api/v1/partnerships/{p}/projects"), &admin, project(&org, &c, &[], 200_000_000, 190_000_000)).await;
    assert!(res.problem(409)["detail"].as_str().unwrap().contains("forming"), "{}", res.body);
}

// --- case 8: messages that name the right field and print money as money ------------------------

#[tokio::test]
async fn duplicate_codes_name_the_code_and_overflowing_budgets_say_so() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, _) = plan_with_measures(&app, &r).await;
    let goals = app.get(&format!("/api/v1/strategic-plans/{plan}/goals"), Some(&admin)).await;
    let goal = items(&goals)[0]["id"].as_str().unwrap().to_owned();

    let res = app.post(&format!("/api/v1/strategic-plans/{plan}/goals"), &admin, json!({"code": "1", "title": "Znovu", "level": "global"})).await;
    res.problem(409);
    assert_eq!(res.error_code("code").as_deref(), Some("conflict"), "{}", res.body);
    let measure = |code: &str, budget: Value| json!({"goal_id": goal, "code": code, "title": "Opatření", "thematic_area": "debt", "starts_on": "2019-06-01", "deadline": "2020-12-31", "budget": budget});
    let res = app.post(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, measure("1.1.1", json!([]))).await;
    res.problem(409);
    assert_eq!(res.error_code("code").as_deref(), Some("conflict"), "{}", res.body);

    let max = json!({"source": "other", "amount": czk(i64::MAX)});
    let res = app.post(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, measure("9.9.9", json!([max, max]))).await;
    res.problem(422);
    assert_eq!(res.error_code("budget").as_deref(), Some("overflow"), "{}", res.body);
    let eur = json!({"source": "other", "amount": {"amount_minor": 1, "currency": "EUR"}});
    let res = app.post(&format!("/api/v1/strategic-plans/{plan}/measures"), &admin, measure("9.9.9", json!([max, eur]))).await;
    assert_eq!(res.error_code("budget").as_deref(), Some("mixed_currencies"), "{}", res.body);
}

#[tokio::test]
async fn amounts_in_messages_are_written_as_money() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    // The call funds projects from 1 000 000,00 Kč (100 000 000 haléřů).
    let c = call(&app, "905", "2019-05-01", "2019-09-30", false, &[]).await;
    let id = app.create(&format!("/api/v1/partnerships/{}/projects", r.p), &admin, project(&r.microregion, &c, &[], 50_000_000, 40_000_000)).await;
    assert_eq!(app.post(&format!("/api/v1/projects/{id}/recommend"), &admin, json!({"date": "2019-05-02"})).await.status, 200);
    let res = app
        .post(&format!("/api/v1/projects/{id}/submit"), &admin, json!({"date": "2019-06-20", "registration_number": "CZ.03.2.63/0.0/0.0/15_052/0012345"}))
        .await;
    res.problem(422);
    let message = error(&res, "budget.requested")["message"].as_str().unwrap().to_owned();
    assert_eq!(message, "the call funds projects from 1 000 000,00 Kč");
    // A budget that does not add up prints its amounts the same way.
    let mut broken = project(&r.microregion, &c, &[], 200_000_000, 190_000_000);
    broken["budget"]["own_financing"] = czk(1_000);
    let res = app.post(&format!("/api/v1/partnerships/{}/projects", r.p), &admin, broken).await;
    let message = error(&res, "budget")["message"].as_str().unwrap().to_owned();
    assert!(message.contains("1 900 000,00 Kč") && message.contains("10,00 Kč") && message.contains("2 000 000,00 Kč"), "{message}");
}

// --- review of issue 13: integrity the lifecycle must keep ------------------------------------

#[tokio::test]
async fn a_measure_with_activities_keeps_its_goal() {
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
    let lone = app.create(&measures, &admin, json!({"goal_id": g1, "code": "1.2", "title": "Kurz", "thematic_area": "debt", "deadline": "2026-06-30"})).await;
    let activity = app
        .create(
            &measures,
            &admin,
            json!({"goal_id": g1, "kind": "activity", "parent_measure_id": parent, "code": "1.1.1", "title": "Kurz", "thematic_area": "debt", "deadline": "2026-06-30"}),
        )
        .await;

    let res = app.patch(&format!("/api/v1/measures/{parent}"), &admin, json!({"goal_id": g2})).await;
    res.problem(422);
    assert_eq!(res.error_code("goal_id").as_deref(), Some("has_activities_in_other_goal"));
    assert_eq!(app.get(&format!("/api/v1/measures/{parent}"), Some(&admin)).await.body["goal_id"], g1.as_str());
    assert_eq!(app.get(&format!("/api/v1/measures/{activity}"), Some(&admin)).await.body["goal_id"], g1.as_str());
    // A measure without activities moves freely; so does one whose patch keeps its goal.
    let moved = app.patch(&format!("/api/v1/measures/{lone}"), &admin, json!({"goal_id": g2})).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["goal_id"], g2.as_str());
    let renamed = app.patch(&format!("/api/v1/measures/{parent}"), &admin, json!({"goal_id": g1, "title": "Dluhová poradna"})).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
}

#[tokio::test]
async fn an_archived_organization_neither_joins_nor_counts_as_a_member() {
    let app = spawn_app().await;
    let r = rozvodi(&app).await;
    let admin = app.admin();
    let members = format!("/api/v1/partnerships/{}/memberships", r.p);
    let gone = app.org(&admin, "Zaniklý spolek", "ngo", None).await;
    assert_eq!(app.delete(&format!("/api/v1/organizations/{gone}"), &admin).await.status, 204);
    let before = app.get(&format!("{members}?count=true"), Some(&admin)).await.body["total"].clone();

    let res = app.post(&members, &admin, json!({"organization_id": gone, "joined_on": "2020-01-01"})).await;
    res.problem(422);
    assert_eq!(res.error_code("organization_id").as_deref(), Some("organization_archived"));
    assert_eq!(app.get(&format!("{members}?count=true"), Some(&admin)).await.body["total"], before);

    // Nor can a membership move to it; a membership of an organization archived later stays editable.
    let school = app.org(&admin, "Základní škola", "school", None).await;
    let membership = app.create(&members, &admin, json!({"organization_id": school, "joined_on": "2020-01-01"})).await;
    let res = app.patch(&format!("/api/v1/memberships/{membership}"), &admin, json!({"organization_id": gone})).await;
    res.problem(422);
    assert_eq!(res.error_code("organization_id").as_deref(), Some("organization_archived"));
    assert_eq!(app.get(&format!("/api/v1/memberships/{membership}"), Some(&admin)).await.body["organization_id"], school.as_str());
    assert_eq!(app.delete(&format!("/api/v1/organizations/{school}"), &admin).await.status, 204);
    let left = app.patch(&format!("/api/v1/memberships/{membership}"), &admin, json!({"left_on": "2021-01-01"})).await;
    assert_eq!(left.status, 200, "{}", left.body);

    // An applicant archived after its project was recorded is no member on the day of submission.
    let c = call(&app, "905", "2019-05-01", "2019-09-30", false, &[]).await;
    let id = app.create(&format!("/api/v1/partnerships/{}/projects", r.p), &admin, project(&r.ngo, &c, &[], 200_000_000, 190_000_000)).await;
    assert_eq!(app.post(&format!("/api/v1/projects/{id}/recommend"), &admin, json!({"date": "2019-05-02"})).await.status, 200);
    assert_eq!(app.delete(&format!("/api/v1/organizations/{}", r.ngo), &admin).await.status, 204);
    let res = app
        .post(&format!("/api/v1/projects/{id}/submit"), &admin, json!({"date": "2019-06-20", "registration_number": "CZ.03.2.63/0.0/0.0/15_052/0012345"}))
        .await;
    res.problem(422);
    assert_eq!(error(&res, "applicant_organization_id")["code"], "not_a_member");
    assert!(app.get(&format!("/api/v1/projects/{id}"), Some(&admin)).await.body["steps"]["submitted_on"].is_null());
}

#[tokio::test]
async fn an_ended_partnership_itself_is_read_only_and_replays_answer_as_before() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let p = r.p.clone();
    let meeting = app.create(&format!("/api/v1/partnerships/{p}/meetings"), &admin, json!({"title": "Setkání", "starts_at": "2020-01-10T15:00:00Z"})).await;
    let analysis = app.create(&format!("/api/v1/partnerships/{p}/situational-analyses"), &admin, json!({"title": "Druhá analýza"})).await;
    assert_eq!(app.post(&format!("/api/v1/situational-analyses/{analysis}/start"), &admin, json!(null)).await.status, 200);
    let org = app.org(&admin, "Nový člen", "ngo", None).await;
    // Each create, first sent with an Idempotency-Key while the partnership is active.
    let creates = [
        (format!("/api/v1/partnerships/{p}/memberships"), json!({"organization_id": org, "joined_on": "2020-01-01"})),
        (format!("/api/v1/partnerships/{p}/meetings"), json!({"title": "Další setkání", "starts_at": "2020-02-10T15:00:00Z"})),
        (format!("/api/v1/meetings/{meeting}/action-items"), json!({"title": "Zápis"})),
        (format!("/api/v1/partnerships/{p}/working-groups"), json!({"name": "Bydlení", "thematic_area": "housing"})),
        (format!("/api/v1/partnerships/{p}/situational-analyses"), json!({"title": "Nová analýza"})),
        (format!("/api/v1/situational-analyses/{analysis}/needs"), json!({"thematic_area": "debt", "description": "Dluhy", "priority": "high"})),
    ];
    let mut first = Vec::new();
    for (i, (path, body)) in creates.iter().enumerate() {
        let key = format!("retry-{i}");
        let res = app.send(Method::POST, path, Some(&admin), Some(body), &[("Idempotency-Key", &key)]).await;
        assert_eq!(res.status, 201, "POST {path}: {}", res.body);
        first.push(res.id());
    }
    assert_eq!(app.post(&format!("/api/v1/partnerships/{p}/end"), &admin, json!(null)).await.status, 200);

    // The retry of a POST that succeeded gets the stored 201; a new one is refused.
    for (i, (path, body)) in creates.iter().enumerate() {
        let key = format!("retry-{i}");
        let again = app.send(Method::POST, path, Some(&admin), Some(body), &[("Idempotency-Key", &key)]).await;
        assert_eq!(again.status, 201, "retry of POST {path}: {}", again.body);
        assert_eq!(again.id(), first[i]);
        let fresh = app.send(Method::POST, path, Some(&admin), Some(body), &[("Idempotency-Key", &format!("new-{i}"))]).await;
        assert!(fresh.problem(409)["detail"].as_str().unwrap().contains("ended"), "{}", fresh.body);
    }

    // The partnership itself can be neither edited nor archived.
    let res = app.patch(&format!("/api/v1/partnerships/{p}"), &admin, json!({"name": "Jiný název"})).await;
    assert!(res.problem(409)["detail"].as_str().unwrap().contains("ended"), "{}", res.body);
    let res = app.delete(&format!("/api/v1/partnerships/{p}"), &admin).await;
    assert!(res.problem(409)["detail"].as_str().unwrap().contains("ended"), "{}", res.body);
    let now = app.get(&format!("/api/v1/partnerships/{p}"), None).await;
    assert_eq!(now.body["name"], "LP Rozvodí");
    assert!(now.body["archived_at"].is_null(), "{}", now.body);
}
