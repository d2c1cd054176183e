//! ESIF programmes, calls, the project pipeline, counselling and aggregates.

use domain::access::Role;
use serde_json::{Value, json};

use crate::helpers::{Res, TestApp, spawn_app};
use crate::plans::{bring_into_force, plan_with_measures, rozvodi};

async fn programme(app: &TestApp, code: &str) -> String {
    let list = app.get("/api/v1/operational-programmes?limit=100", None).await;
    list.body["items"].as_array().unwrap().iter().find(|p| p["code"] == code).unwrap_or_else(|| panic!("no {code}"))["id"].as_str().unwrap().to_owned()
}

fn czk(minor: i64) -> Value {
    json!({"amount_minor": minor, "currency": "CZK"})
}

/// OPZ call 052 "Podpora sociálního začleňování v SVL": KPSVL, open to the given partnerships.
async fn call_52(app: &TestApp, open_to: &[&str]) -> String {
    let opz = programme(app, "OPZ").await;
    app.create(
        "/api/v1/calls",
        &app.admin(),
        json!({
            "programme_id": opz, "number": "052", "title": "Podpora sociálního začleňování v SVL", "specific_objective": "2.1",
            "opens_at": "2019-05-01T00:00:00Z", "closes_at": "2019-09-30T14:00:00Z",
            "allocation": czk(50_000_000_000), "min_project": czk(40_000_000), "max_project": czk(1_000_000_000),
            "support_rate_bp": 9500, "kpsvl": true, "open_to": open_to,
        }),
    )
    .await
}

fn project(applicant: &str, call: &str, measures: &[&str], total: i64, requested: i64) -> Value {
    json!({
        "applicant_organization_id": applicant, "call_id": call, "title": "Sociální práce v Rozvodí", "summary": "Terénní sociální práce a dluhové poradenství.",
        "period_from": "2019-10-01", "period_to": "2021-09-30",
        "budget": {"total_eligible": czk(total), "requested": czk(requested), "own_financing": czk(total - requested)},
        "measure_ids": measures,
    })
}

async fn step(app: &TestApp, project: &str, action: &str, body: Value) -> Res {
    app.post(&format!("/api/v1/projects/{project}/{action}"), &app.admin(), body).await
}

/// A 4xx problem naming `field` with `code`.
fn refused(res: &Res, status: u16, field: &str, code: &str) {
    res.problem(status);
    assert_eq!(res.error_code(field).as_deref(), Some(code), "{status} on {field}: {}", res.body);
}

/// A 403 or 409 problem whose detail says `why`.
fn refused_because(res: &Res, status: u16, why: &str) {
    let detail = res.problem(status)["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains(why), "{status} should say {why:?}: {}", res.body);
}

const NOT_YOURS: &str = "your role does not allow this change to the project";
const COUNSELLORS_ONLY: &str = "only admins and the partnership's consultants record counselling";

#[tokio::test]
async fn reference_programmes_ship_with_the_api() {
    let app = spawn_app().await;
    let all = app.get("/api/v1/operational-programmes?limit=100", None).await;
    let codes: Vec<&str> = all.body["items"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    for code in ["OP LZZ", "OP VK", "IOP", "ROP", "OPZ", "IROP", "OP VVV", "OPZ+"] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    let iop = all.body["items"].as_array().unwrap().iter().find(|p| p["code"] == "IOP").unwrap();
    assert!(iop["priority_axes"].as_array().unwrap().iter().any(|a| a["code"] == "3.1b"));
    let period = app.get("/api/v1/operational-programmes?period=2021-2027", None).await;
    assert!(period.body["items"].as_array().unwrap().iter().all(|p| p["period"] == "2021-2027"));
}

#[tokio::test]
async fn a_kpsvl_project_of_rozvodi_passes_the_whole_pipeline() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, measures) = plan_with_measures(&app, &r).await;
    bring_into_force(&app, &plan).await;
    let call = call_52(&app, &[&r.p]).await;
    let listed = app.get(&format!("/api/v1/calls?open_on=2019-06-15&open_to_partnership_id={}", r.p), None).await;
    assert_eq!(listed.body["items"][0]["id"], call.as_str());
    assert_eq!(listed.body["items"][0]["status"], "closed");
    assert_eq!(app.get("/api/v1/calls?open_on=2019-10-15", None).await.body["items"].as_array().unwrap().len(), 0);

    let body = project(&r.microregion, &call, &[&measures[0]], 100_000_000, 95_000_000);
    let id = app.create(&format!("/api/v1/partnerships/{}/projects", r.p), &admin, body).await;
    assert_eq!(app.get(&format!("/api/v1/projects/{id}"), Some(&admin)).await.body["status"], "intent");
    assert_eq!(step(&app, &id, "recommend", json!({"date": "2019-05-15", "resolution": "LP/3/2019"})).await.body["status"], "recommended");
    let submitted = step(&app, &id, "submit", json!({"date": "2019-06-20", "registration_number": "CZ.03.2.63/0.0/0.0/15_052/0012345"})).await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    assert_eq!(submitted.body["steps"]["registration_number"], "CZ.03.2.63/0.0/0.0/15_052/0012345");
    // Content is frozen once submitted.
    refused_because(&app.patch(&format!("/api/v1/projects/{id}"), &admin, json!({"title": "Jiný"})).await, 409, "can no longer be edited");
    refused(&step(&app, &id, "approve", json!({"date": "2019-11-01", "approved_amount": czk(96_000_000)})).await, 422, "approved_amount", "above_requested");
    refused(&step(&app, &id, "approve", json!({"date": "2019-11-01"})).await, 422, "approved_amount", "required");
    let approved = step(&app, &id, "approve", json!({"date": "2019-11-01", "approved_amount": czk(90_000_000), "note": "Kráceno o 5 %."})).await;
    assert_eq!(approved.body["steps"]["approved_amount"], czk(90_000_000));
    let again = step(&app, &id, "submit", json!({"date": "2019-06-20", "registration_number": "CZ.03.2.63/0.0/0.0/15_052/0012345"})).await;
    refused_because(&again, 409, "a project in status `approved` cannot `submit`");
    assert_eq!(step(&app, &id, "start", json!({"date": "2019-12-01"})).await.body["status"], "in_realization");
    assert_eq!(step(&app, &id, "complete", json!({"date": "2021-09-30"})).await.body["status"], "completed");
    refused_because(&step(&app, &id, "withdraw", json!({"date": "2021-10-01"})).await, 409, "cannot `withdraw`");
    let audit = app.get(&format!("/api/v1/audit?resource_id={id}"), Some(&admin)).await;
    let actions: Vec<&str> = audit.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "recommend", "submit", "approve", "start", "complete"]);
}

#[tokio::test]
async fn submissions_that_break_the_rules_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, measures) = plan_with_measures(&app, &r).await;
    // A second partnership whose plan is only a draft.
    let other = rozvodi(&app).await;
    let (_, other_measures) = plan_with_measures(&app, &other).await;
    let call = call_52(&app, &[&r.p, &other.p]).await;

    let recommended = |partnership: String, body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let id = app.create(&format!("/api/v1/partnerships/{partnership}/projects"), &admin, body).await;
            // Recommended before the call opens, so that an early submission meets the call's dates.
            assert_eq!(step(app, &id, "recommend", json!({"date": "2019-04-01"})).await.status, 200);
            id
        }
    };
    let number = "CZ.03.2.63/0.0/0.0/15_052/0012345";

    // No plan in force yet (Rozvodí's plan is still a draft here): 409.
    let early = recommended(r.p.clone(), project(&r.microregion, &call, &[&measures[0]], 100_000_000, 95_000_000)).await;
    let no_plan = step(&app, &early, "submit", json!({"date": "2019-06-20", "registration_number": number})).await;
    assert!(no_plan.problem(409)["detail"].as_str().unwrap().contains("plan"), "{}", no_plan.body);
    bring_into_force(&app, &plan).await;

    // The other partnership's plan is not in force: 409.
    let theirs = recommended(other.p.clone(), project(&other.microregion, &call, &[&other_measures[0]], 100_000_000, 95_000_000)).await;
    refused_because(
        &step(&app, &theirs, "submit", json!({"date": "2019-06-20", "registration_number": number})).await,
        409,
        "no plan was in force on 2019-06-20",
    );
    // No linked measure: 422 on measure_ids.
    let unlinked = recommended(r.p.clone(), project(&r.microregion, &call, &[], 100_000_000, 95_000_000)).await;
    let res = step(&app, &unlinked, "submit", json!({"date": "2019-06-20", "registration_number": number})).await;
    refused(&res, 422, "measure_ids", "no_measure_of_plan");
    // After the call closed, and before it opened: 409.
    refused_because(&step(&app, &early, "submit", json!({"date": "2019-10-01", "registration_number": number})).await, 409, "the call closed on 2019-09-30");
    refused_because(&step(&app, &early, "submit", json!({"date": "2019-04-30", "registration_number": number})).await, 409, "the call opens on 2019-05-01");
    // Over the support rate (95 %): 422.
    let greedy = recommended(r.p.clone(), project(&r.microregion, &call, &[&measures[0]], 100_000_000, 95_000_001)).await;
    let res = step(&app, &greedy, "submit", json!({"date": "2019-06-20", "registration_number": number})).await;
    refused(&res, 422, "budget.requested", "above_support_rate");
    // A registration number of the wrong shape for 2014–2020: 422.
    let res = step(&app, &early, "submit", json!({"date": "2019-06-20", "registration_number": "CZ.03.02.02/00/22_004/0000366"})).await;
    refused(&res, 422, "registration_number", "format");
    refused(&step(&app, &early, "submit", json!({"date": "2019-06-20"})).await, 422, "registration_number", "required");
    // A project without a call cannot be submitted.
    let mut callless = project(&r.microregion, &call, &[&measures[0]], 100_000_000, 95_000_000);
    callless["call_id"] = Value::Null;
    let callless = recommended(r.p.clone(), callless).await;
    refused(&step(&app, &callless, "submit", json!({"date": "2019-06-20", "registration_number": number})).await, 422, "call_id", "required");
    // The same project, now with everything right, is accepted; nothing of the refusals stuck.
    assert_eq!(app.get(&format!("/api/v1/projects/{early}"), Some(&admin)).await.body["status"], "recommended");
    assert_eq!(step(&app, &early, "submit", json!({"date": "2019-06-20", "registration_number": number})).await.status, 200);

    // The applicant must be a member; the budget must add up.
    let outsider = app.post(&format!("/api/v1/partnerships/{}/projects", r.p), &admin, project(&r.outsider, &call, &[], 100, 95)).await;
    refused(&outsider, 422, "applicant_organization_id", "not_a_member");
    let mut broken = project(&r.microregion, &call, &[], 100, 95);
    broken["budget"]["own_financing"] = czk(4);
    refused(&app.post(&format!("/api/v1/partnerships/{}/projects", r.p), &admin, broken).await, 422, "budget", "does_not_add_up");
    let foreign = app.post(&format!("/api/v1/partnerships/{}/projects", r.p), &admin, project(&r.microregion, &call, &[&other_measures[0]], 100, 95)).await;
    refused(&foreign, 422, "measure_ids[0]", "other_partnership");
    // A submission whose applicant left the partnership before the day is refused.
    let leaving = recommended(r.p.clone(), project(&r.ngo, &call, &[&measures[0]], 100_000_000, 95_000_000)).await;
    let memberships = app.get(&format!("/api/v1/partnerships/{}/memberships?organization_id={}", r.p, r.ngo), Some(&admin)).await;
    let membership = memberships.body["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.patch(&format!("/api/v1/memberships/{membership}"), &admin, json!({"left_on": "2019-06-21"})).await.status, 200);
    let res = step(&app, &leaving, "submit", json!({"date": "2019-06-21", "registration_number": number})).await;
    refused(&res, 422, "applicant_organization_id", "not_a_member");
    let res = step(&app, &leaving, "submit", json!({"date": "2019-06-20", "registration_number": "CZ.03.2.63/0.0/0.0/15_052/0012346"})).await;
    assert_eq!(res.status, 200, "a member the day before it leaves: {}", res.body);
}

#[tokio::test]
async fn aggregates_match_a_hand_count_and_partners_see_only_their_projects() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let (plan, measures) = plan_with_measures(&app, &r).await;
    bring_into_force(&app, &plan).await;
    let call = call_52(&app, &[&r.p]).await;
    let number = |n: u32| format!("CZ.03.2.63/0.0/0.0/15_052/00{n:05}");
    let create = |body: Value| {
        let (app, admin, p) = (&app, admin.clone(), r.p.clone());
        async move { app.create(&format!("/api/v1/partnerships/{p}/projects"), &admin, body).await }
    };
    // A: approved for 90 M of 95 M requested, implementing measures 1 and 2 (budgets equal: split 45/45).
    let a = create(project(&r.microregion, &call, &[&measures[0], &measures[1]], 100_000_000, 95_000_000)).await;
    step(&app, &a, "recommend", json!({"date": "2019-05-15"})).await;
    step(&app, &a, "submit", json!({"date": "2019-06-20", "registration_number": number(1)})).await;
    step(&app, &a, "approve", json!({"date": "2019-11-01", "approved_amount": czk(90_000_000)})).await;
    // B: submitted, 50 M requested, undecided. C: rejected, 40 M. D: an intent only.
    let b = create(project(&r.ngo, &call, &[&measures[2]], 60_000_000, 50_000_000)).await;
    step(&app, &b, "recommend", json!({"date": "2019-05-15"})).await;
    step(&app, &b, "submit", json!({"date": "2019-06-21", "registration_number": number(2)})).await;
    let c = create(project(&r.ngo, &call, &[&measures[3]], 44_000_000, 40_000_000)).await;
    step(&app, &c, "recommend", json!({"date": "2019-05-15"})).await;
    step(&app, &c, "submit", json!({"date": "2019-06-22", "registration_number": number(3)})).await;
    step(&app, &c, "reject", json!({"date": "2019-11-01", "note": "Nedostatečná připravenost."})).await;
    create(project(&r.ngo, &call, &[&measures[4]], 50_000_000, 45_000_000)).await;

    let report = app.get("/api/v1/reports/pipeline", Some(&admin)).await;
    assert_eq!(report.status, 200, "{}", report.body);
    let opz = report.body["items"].as_array().unwrap().iter().find(|p| p["code"] == "OPZ").unwrap();
    let c52 = &opz["calls"][0];
    assert_eq!((c52["intents"].as_u64(), c52["submitted"].as_u64(), c52["approved"].as_u64()), (Some(4), Some(3), Some(1)));
    // Requested by the submitted: 95 + 50 + 40 = 185 M; approved: 90 M.
    assert_eq!(c52["requested"], czk(185_000_000));
    assert_eq!(c52["approved_amount"], czk(90_000_000));
    assert_eq!(opz["requested"], czk(185_000_000));

    app.get(&format!("/api/v1/reports/strategic-plans/{plan}/measure-funding"), None).await.problem(401);
    let funding = app.get(&format!("/api/v1/reports/strategic-plans/{plan}/measure-funding"), Some(&admin)).await;
    let row = |code: &str| funding.body["items"].as_array().unwrap().iter().find(|m| m["code"] == code).unwrap().clone();
    // Each measure's budget is 125 M; project A's 90 M splits 45/45 between measures 1 and 2.
    assert_eq!(row("1.1.1")["funded"], czk(45_000_000));
    assert_eq!(row("1.1.1")["coverage"], "partial");
    assert_eq!(row("2.1.1")["funded"], czk(45_000_000));
    assert_eq!(row("3.1.1")["coverage"], "none", "a submitted project does not fund yet");
    assert_eq!(row("4.1.1")["coverage"], "none", "a rejected project never funds");

    let projects = app.get(&format!("/api/v1/reports/partnerships/{}/projects", r.p), Some(&admin)).await;
    let first = projects.body["items"].as_array().unwrap().iter().find(|p| p["project_id"] == a.as_str()).unwrap();
    let codes: Vec<&str> = first["measures"].as_array().unwrap().iter().map(|m| m["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["1.1.1", "2.1.1"]);
    assert_eq!(projects.body["items"].as_array().unwrap().len(), 4);

    // A partner of another partnership sees none of these intents.
    let stranger = app.token(Role::Partner, &[&uuid::Uuid::now_v7().to_string()], None);
    app.get(&format!("/api/v1/projects/{a}"), Some(&stranger)).await.problem(404);
    assert_eq!(
        app.get(&format!("/api/v1/projects/{a}"), Some(&app.token(Role::Partner, &[&r.p], None))).await.status,
        200,
        "the partnership's partner reads it"
    );
    assert_eq!(app.get("/api/v1/projects", Some(&stranger)).await.body["items"].as_array().unwrap().len(), 0);
    app.get(&format!("/api/v1/reports/partnerships/{}/projects", r.p), Some(&stranger)).await.problem(404);
    refused_because(&app.get("/api/v1/reports/pipeline", Some(&stranger)).await, 403, "partners see their own projects");
    app.get("/api/v1/projects", None).await.problem(401);
    app.post(&format!("/api/v1/partnerships/{}/projects", r.p), &stranger, project(&r.ngo, &call, &[], 100, 95)).await.problem(404);
    app.post(&format!("/api/v1/projects/{b}/withdraw"), &stranger, json!({"date": "2019-11-01"})).await.problem(404);
    app.get(&format!("/api/v1/partnerships/{}/projects", r.p), Some(&stranger)).await.problem(404);
    app.get(&format!("/api/v1/partnerships/{}/projects", uuid::Uuid::now_v7()), Some(&admin)).await.problem(404);
    assert_eq!(app.get(&format!("/api/v1/partnerships/{}/projects?count=true", r.p), Some(&admin)).await.body["total"], 4);
    // Steps happen in order and never in the future.
    let late = step(&app, &b, "approve", json!({"date": "2019-06-01", "approved_amount": czk(1)})).await;
    refused(&late, 422, "date", "before_previous_step");
    let future = step(&app, &b, "approve", json!({"date": "2999-01-01", "approved_amount": czk(1)})).await;
    refused(&future, 422, "date", "in_future");
    // A partner may act on its own organization's project, not on another member's.
    let other_member = app.token(Role::Partner, &[&r.p], Some(&r.microregion));
    refused_because(&app.post(&format!("/api/v1/projects/{b}/withdraw"), &other_member, json!({"date": "2019-11-01"})).await, 403, NOT_YOURS);
    refused_because(&app.patch(&format!("/api/v1/projects/{b}"), &other_member, json!({"title": "Cizí"})).await, 403, NOT_YOURS);
    // The partnership's own partner sees them, and may not make the partnership's decisions.
    let own = app.token(Role::Partner, &[&r.p], Some(&r.ngo));
    assert_eq!(app.get("/api/v1/projects?count=true", Some(&own)).await.body["total"], 4);
    refused_because(&app.post(&format!("/api/v1/projects/{b}/approve"), &own, json!({"date": "2019-11-01", "approved_amount": czk(1)})).await, 403, NOT_YOURS);
    // The importer records intents but takes no step.
    let importer = app.token(Role::Importer, &[], None);
    refused_because(&app.post(&format!("/api/v1/projects/{b}/withdraw"), &importer, json!({"date": "2019-11-01"})).await, 403, NOT_YOURS);
    // What the stranger was refused with 404, the applicant's own partner may do.
    let withdrawn = app.post(&format!("/api/v1/projects/{b}/withdraw"), &own, json!({"date": "2019-11-01", "note": "Bez personálu."})).await;
    assert_eq!((withdrawn.status.as_u16(), withdrawn.body["status"].as_str()), (200, Some("withdrawn")), "{}", withdrawn.body);
    // An intent of its own organization, but not one for another member.
    let intent = app.post(&format!("/api/v1/partnerships/{}/projects", r.p), &own, project(&r.ngo, &call, &[], 100, 95)).await;
    assert_eq!(intent.status, 201, "{}", intent.body);
    let foreign = app.post(&format!("/api/v1/partnerships/{}/projects", r.p), &own, project(&r.microregion, &call, &[], 100, 95)).await;
    refused_because(&foreign, 403, "your role does not allow project intents in this partnership");
    // Nor may it hand its own intent to another member.
    let handed = app.patch(&format!("/api/v1/projects/{}", intent.id()), &own, json!({"applicant_organization_id": r.microregion})).await;
    refused_because(&handed, 403, NOT_YOURS);
}

#[tokio::test]
async fn counselling_is_written_by_consultants_and_read_by_the_partnership() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let agency = app.org(&admin, "Agentura pro sociální začleňování", "state_administration", None).await;
    let consultant_person = app.person(&admin, "Konzultant Rozvodí", &agency).await;
    let consultant = app.token(Role::Consultant, &[&r.p], None);
    let body = json!({"partnership_id": r.p, "consultant_id": consultant_person, "organization_ids": [r.ngo], "held_on": "2019-04-10", "duration_minutes": 90, "topic": "Výběr výzvy OPZ 052", "notes": "Doporučena výzva 052."});
    let id = app.create("/api/v1/counselling-records", &consultant, body.clone()).await;
    let partner = app.token(Role::Partner, &[&r.p], Some(&r.ngo));
    assert_eq!(app.get(&format!("/api/v1/counselling-records/{id}"), Some(&partner)).await.body["topic"], "Výběr výzvy OPZ 052");
    refused_because(&app.post("/api/v1/counselling-records", &partner, body.clone()).await, 403, COUNSELLORS_ONLY);
    let elsewhere = app.token(Role::Consultant, &[&uuid::Uuid::now_v7().to_string()], None);
    refused_because(&app.post("/api/v1/counselling-records", &elsewhere, body.clone()).await, 403, COUNSELLORS_ONLY);
    let importer = app.token(Role::Importer, &[], None);
    refused_because(&app.post("/api/v1/counselling-records", &importer, body.clone()).await, 403, COUNSELLORS_ONLY);
    // Hidden from a partner of another partnership, read by the partnership's (above).
    let stranger = app.token(Role::Partner, &[&uuid::Uuid::now_v7().to_string()], None);
    app.get(&format!("/api/v1/counselling-records/{id}"), Some(&stranger)).await.problem(404);
    app.patch(&format!("/api/v1/counselling-records/{id}"), &stranger, json!({"topic": "Jiné"})).await.problem(404);
    app.get(&format!("/api/v1/counselling-records/{}", uuid::Uuid::now_v7()), Some(&admin)).await.problem(404);
    let mut bad = body.clone();
    bad["duration_minutes"] = json!(0);
    refused(&app.post("/api/v1/counselling-records", &consultant, bad).await, 422, "duration_minutes", "out_of_range");
    let mut future = body.clone();
    future["held_on"] = json!("2999-01-01");
    refused(&app.post("/api/v1/counselling-records", &consultant, future).await, 422, "held_on", "in_future");
    let mut nowhere = body.clone();
    nowhere["partnership_id"] = json!(uuid::Uuid::now_v7());
    refused(&app.post("/api/v1/counselling-records", &admin, nowhere).await, 422, "partnership_id", "not_found");
    // The partnership's partner reads it but may not change it; its consultant may.
    refused_because(&app.patch(&format!("/api/v1/counselling-records/{id}"), &partner, json!({"topic": "Jiné"})).await, 403, COUNSELLORS_ONLY);
    refused_because(&app.delete(&format!("/api/v1/counselling-records/{id}"), &partner).await, 403, COUNSELLORS_ONLY);
    let patched = app.patch(&format!("/api/v1/counselling-records/{id}"), &consultant, json!({"duration_minutes": 60})).await;
    assert_eq!((patched.status.as_u16(), patched.body["duration_minutes"].as_i64()), (200, Some(60)), "{}", patched.body);
    refused(&app.patch(&format!("/api/v1/counselling-records/{id}"), &consultant, json!({"held_on": "2999-01-01"})).await, 422, "held_on", "in_future");
    // Moved to a partnership the consultant does not counsel in: 403.
    let other = rozvodi(&app).await;
    refused_because(&app.patch(&format!("/api/v1/counselling-records/{id}"), &consultant, json!({"partnership_id": other.p})).await, 403, COUNSELLORS_ONLY);
    assert_eq!(app.delete(&format!("/api/v1/counselling-records/{id}"), &consultant).await.status, 204);
    let archived = app.get(&format!("/api/v1/counselling-records?partnership_id={}&include_archived=true", r.p), Some(&partner)).await;
    assert!(archived.body["items"][0]["archived_at"].is_string(), "{}", archived.body);
}

#[tokio::test]
async fn a_project_intent_names_only_a_call_open_to_its_partnership() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let other = rozvodi(&app).await;
    let ours = call_52(&app, &[&r.p]).await;
    let opz = programme(&app, "OPZ").await;
    let call = |number: &str, kpsvl: bool, open_to: &[&str]| {
        json!({"programme_id": opz, "number": number, "title": "Výzva", "specific_objective": "2.1",
               "opens_at": "2019-05-01T00:00:00Z", "closes_at": "2019-09-30T14:00:00Z", "allocation": czk(1_000_000_000),
               "support_rate_bp": 9500, "kpsvl": kpsvl, "open_to": open_to})
    };
    let theirs = app.create("/api/v1/calls", &admin, call("053", true, &[&other.p])).await;
    let path = format!("/api/v1/partnerships/{}/projects", r.p);
    // At creation: 422 on call_id, nothing written.
    let res = app.post(&path, &admin, project(&r.microregion, &theirs, &[], 100_000_000, 95_000_000)).await;
    refused(&res, 422, "call_id", "call_not_open_to_partnership");
    assert_eq!(app.get(&format!("{path}?count=true"), Some(&admin)).await.body["total"], 0);
    // The same intent naming a call open to it is accepted.
    let id = app.create(&path, &admin, project(&r.microregion, &ours, &[], 100_000_000, 95_000_000)).await;
    // A PATCH cannot move it to another partnership's call either.
    let patched = app.patch(&format!("/api/v1/projects/{id}"), &admin, json!({"call_id": theirs})).await;
    refused(&patched, 422, "call_id", "call_not_open_to_partnership");
    assert_eq!(app.get(&format!("/api/v1/projects/{id}"), Some(&admin)).await.body["call_id"], ours.as_str());
    // A call without the coordinated approach is open to every partnership.
    let open = app.create("/api/v1/calls", &admin, call("100", false, &[])).await;
    assert_eq!(app.patch(&format!("/api/v1/projects/{id}"), &admin, json!({"call_id": open})).await.status, 200);
}

/// "A current member of the partnership" is one rule, asked by two commands: a project's
/// applicant and a measure's responsible implementer are judged alike on each boundary of a
/// membership (it begins on `joined_on`, ends on `left_on`; one that begins in the future is
/// no membership today).
#[tokio::test]
async fn applicants_and_implementers_are_members_by_the_same_rule() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let today = chrono::Utc::now().date_naive();
    let day = |offset: i64| (today + chrono::Duration::days(offset)).to_string();
    let plan = app
        .create(
            &format!("/api/v1/partnerships/{}/strategic-plans", r.p),
            &admin,
            json!({"title": "Plán", "valid_from": "2019-01-01", "valid_to": "2099-12-31"}),
        )
        .await;
    let goal = app.create(&format!("/api/v1/strategic-plans/{plan}/goals"), &admin, json!({"code": "1", "title": "Dluhy", "level": "global"})).await;
    // (joined_on, left_on, a member today?)
    let cases: &[(String, Option<String>, bool)] = &[
        ("2099-01-01".into(), None, false),
        (day(1), None, false),
        (day(0), None, true),
        ("2018-01-01".into(), Some(day(0)), false),
        ("2018-01-01".into(), Some(day(1)), true),
        ("2018-01-01".into(), Some(day(-1)), false),
    ];
    for (i, (joined_on, left_on, member)) in cases.iter().enumerate() {
        let org = app.org(&admin, &format!("Organizace {i}"), "ngo", None).await;
        app.create(&format!("/api/v1/partnerships/{}/memberships", r.p), &admin, json!({"organization_id": org, "joined_on": joined_on, "left_on": left_on}))
            .await;
        let mut body = project(&org, "", &[], 100, 95);
        body["call_id"] = Value::Null;
        let intent = app.post(&format!("/api/v1/partnerships/{}/projects", r.p), &admin, body).await;
        let measure = app
            .post(
                &format!("/api/v1/strategic-plans/{plan}/measures"),
                &admin,
                json!({"goal_id": goal, "code": format!("1.{i}"), "title": "Opatření", "thematic_area": "debt", "starts_on": "2019-06-01", "deadline": "2099-12-31", "responsible_organization_id": org}),
            )
            .await;
        for (what, res) in [("intent", &intent), ("measure", &measure)] {
            if *member {
                assert_eq!(res.status, 201, "{what} for joined {joined_on}, left {left_on:?}: {}", res.body);
            } else {
                res.problem(422);
                let field = if what == "intent" { "applicant_organization_id" } else { "responsible_organization_id" };
                assert_eq!(res.error_code(field).as_deref(), Some("not_a_member"), "{what} for joined {joined_on}, left {left_on:?}");
            }
        }
    }
}

/// Programmes are maintained by admins, calls also by importers; both are public, so a caller
/// who may not change one is answered 403 (never 404), before anything about the target.
#[tokio::test]
async fn programmes_and_calls_are_maintained_by_admins_and_calls_by_importers_too() {
    let app = spawn_app().await;
    let admin = app.admin();
    let (consultant, importer) = (app.token(Role::Consultant, &[], None), app.token(Role::Importer, &[], None));
    let programme_body = json!({"code": "OP TEST", "name_cs": "Testovací", "name_en": "Test", "period": "2021-2027", "funds": ["ESF+"]});
    const PROGRAMMES: &str = "only admins maintain the operational programmes";
    const CALLS: &str = "only admins and importers maintain calls";
    refused_because(&app.post("/api/v1/operational-programmes", &importer, programme_body.clone()).await, 403, PROGRAMMES);
    let id = app.create("/api/v1/operational-programmes", &admin, programme_body.clone()).await;
    refused(&app.post("/api/v1/operational-programmes", &admin, programme_body).await, 409, "code", "conflict");
    let path = format!("/api/v1/operational-programmes/{id}");
    refused_because(&app.patch(&path, &consultant, json!({"name_en": "Other"})).await, 403, PROGRAMMES);
    let missing = format!("/api/v1/operational-programmes/{}", uuid::Uuid::now_v7());
    refused_because(&app.patch(&missing, &consultant, json!({"name_en": "Other"})).await, 403, PROGRAMMES);
    app.patch(&missing, &admin, json!({"name_en": "Other"})).await.problem(404);
    app.get(&missing, None).await.problem(404);
    let renamed = app.patch(&path, &admin, json!({"name_en": "Renamed"})).await;
    assert_eq!((renamed.status.as_u16(), renamed.body["name_en"].as_str()), (200, Some("Renamed")));
    assert_eq!(app.get(&path, None).await.body["name_en"], "Renamed", "public");
    refused(&app.patch(&path, &admin, json!({"name_cs": " "})).await, 422, "name_cs", "blank");

    let call = |number: &str| {
        json!({"programme_id": id, "number": number, "title": "Výzva", "opens_at": "2022-01-01T00:00:00Z", "closes_at": "2022-06-30T00:00:00Z",
               "allocation": czk(1_000_000_000), "support_rate_bp": 9500})
    };
    refused_because(&app.post("/api/v1/calls", &consultant, call("001")).await, 403, CALLS);
    let first = app.create("/api/v1/calls", &importer, call("001")).await;
    refused(&app.post("/api/v1/calls", &admin, call("001")).await, 409, "number", "conflict");
    let mut nowhere = call("002");
    nowhere["programme_id"] = json!(uuid::Uuid::now_v7());
    refused(&app.post("/api/v1/calls", &admin, nowhere).await, 422, "programme_id", "not_found");
    let mut restricted = call("003");
    restricted["open_to"] = json!([uuid::Uuid::now_v7()]);
    refused(&app.post("/api/v1/calls", &admin, restricted).await, 422, "open_to", "not_applicable");
    let call_path = format!("/api/v1/calls/{first}");
    refused_because(&app.patch(&call_path, &consultant, json!({"title": "Jiná"})).await, 403, CALLS);
    refused(&app.patch(&call_path, &importer, json!({"support_rate_bp": 0})).await, 422, "support_rate_bp", "out_of_range");
    let stale = app.send(reqwest::Method::PATCH, &call_path, Some(&importer), Some(&json!({"title": "Jiná"})), &[("If-Match", "\"7\"")]).await;
    stale.problem(412);
    assert_eq!(app.patch(&call_path, &importer, json!({"title": "Jiná"})).await.body["title"], "Jiná");
    refused_because(&app.delete(&call_path, &consultant).await, 403, CALLS);
    app.delete(&format!("/api/v1/calls/{}", uuid::Uuid::now_v7()), &importer).await.problem(404);
    assert_eq!(app.delete(&call_path, &importer).await.status, 204);
    assert!(app.get(&call_path, None).await.body["archived_at"].is_string());
    let audit = app.get(&format!("/api/v1/audit?resource_id={first}"), Some(&admin)).await;
    let actions: Vec<&str> = audit.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "update", "archive"]);
}
