//! The role table of README.md ("Tokens"), walked over HTTP: for each action, every caller
//! (admin, consultant of the partnership and of another one, partner of the partnership and
//! of another one, reporter, importer, no token) gets exactly the status the table states.
//! Every caller meets a fresh target, and every refusal is followed by the very same request
//! from an allowed caller, which succeeds: the refusal is about the caller, not a missing
//! route or a target in the wrong state.

use domain::access::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Res, TestApp, spawn_app};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    Admin,
    ConsultantOwn,
    ConsultantOther,
    PartnerOwn,
    PartnerOther,
    Reporter,
    Importer,
    Anonymous,
}

const CALLERS: [Caller; 8] = [
    Caller::Admin,
    Caller::ConsultantOwn,
    Caller::ConsultantOther,
    Caller::PartnerOwn,
    Caller::PartnerOther,
    Caller::Reporter,
    Caller::Importer,
    Caller::Anonymous,
];

#[derive(Debug, Clone, Copy)]
enum Action {
    ReadMembers,
    ReadAudit,
    CreateOrganization,
    EditPersonOfPartnership,
    EditNewPerson,
    CreateMembership,
    CreateMeeting,
    EditMeeting,
    CompleteAnalysis,
    SubmitPlan,
    ApprovePlanByCouncil,
    ExpirePlan,
    ActivatePartnership,
    HandOverPartnership,
    EndPartnership,
    CreateProjectIntent,
    RecommendProject,
    SubmitProject,
    ApproveProject,
}

/// What each caller gets, in the order of [`CALLERS`]:
/// admin, consultant own, consultant other, partner own, partner other, reporter, importer, no token.
#[rustfmt::skip]
const TABLE: &[(Action, [u16; 8])] = &[
    (Action::ReadMembers,             [200, 200, 200, 200, 404, 200, 200, 401]),
    (Action::ReadAudit,               [200, 403, 403, 403, 403, 403, 403, 401]),
    (Action::CreateOrganization,      [201, 201, 201, 403, 403, 403, 201, 401]),
    (Action::EditPersonOfPartnership, [200, 200, 403, 403, 404, 403, 200, 401]),
    // A person no partnership's records name yet: any consultant; partners do not see them.
    (Action::EditNewPerson,           [200, 200, 200, 404, 404, 403, 200, 401]),
    (Action::CreateMembership,        [201, 201, 403, 403, 403, 403, 201, 401]),
    (Action::CreateMeeting,           [201, 201, 403, 403, 403, 403, 201, 401]),
    (Action::EditMeeting,             [200, 200, 403, 403, 404, 403, 200, 401]),
    (Action::CompleteAnalysis,        [200, 200, 403, 403, 404, 403, 403, 401]),
    // A draft is visible only inside the partnership; a plan in force is public.
    (Action::SubmitPlan,              [200, 200, 403, 403, 404, 403, 403, 401]),
    (Action::ApprovePlanByCouncil,    [200, 200, 403, 403, 404, 403, 403, 401]),
    (Action::ExpirePlan,              [200, 200, 403, 403, 403, 403, 403, 401]),
    (Action::ActivatePartnership,     [200, 200, 403, 403, 403, 403, 403, 401]),
    (Action::HandOverPartnership,     [200, 200, 403, 403, 403, 403, 403, 401]),
    (Action::EndPartnership,          [200, 200, 403, 403, 403, 403, 403, 401]),
    // The partner's organization is the applicant of the partnership's projects here.
    (Action::CreateProjectIntent,     [201, 201, 403, 201, 404, 403, 201, 401]),
    (Action::RecommendProject,        [200, 200, 403, 403, 404, 403, 403, 401]),
    (Action::SubmitProject,           [200, 200, 403, 200, 404, 403, 403, 401]),
    (Action::ApproveProject,          [200, 200, 403, 403, 404, 403, 403, 401]),
];

/// What outlives one target: another partnership with its own member, and a call open to all.
struct Shared {
    unit: String,
    other: String,
    other_org: String,
    call: String,
}

/// A fresh partnership ("own") with a member organization represented by a person.
struct Scene {
    p: String,
    org: String,
    person: String,
}

struct Target {
    method: Method,
    path: String,
    body: Option<Value>,
}

/// Registration numbers are unique: one per submission.
fn registration_number() -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    format!("CZ.03.2.63/0.0/0.0/15_099/{:07}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

fn czk(minor: i64) -> Value {
    json!({"amount_minor": minor, "currency": "CZK"})
}

async fn shared(app: &TestApp) -> Shared {
    let admin = app.admin();
    let unit = app.unit(&admin, "Rozvodí", "microregion", None).await;
    let other = app.partnership(&admin, "LP Jinde", &[&unit]).await;
    let other_org = app.org(&admin, "Obec Jinde", "municipality", None).await;
    let other_person = app.person(&admin, "Starosta Jinde", &other_org).await;
    app.create(
        &format!("/api/v1/partnerships/{other}/memberships"),
        &admin,
        json!({"organization_id": other_org, "joined_on": "2018-10-01", "representatives": [{"person_id": other_person}]}),
    )
    .await;
    let programmes = app.get("/api/v1/operational-programmes?limit=100", None).await;
    let opz = programmes.body["items"].as_array().unwrap().iter().find(|p| p["code"] == "OPZ").unwrap()["id"].as_str().unwrap().to_owned();
    let call = app
        .create(
            "/api/v1/calls",
            &admin,
            json!({
                "programme_id": opz, "number": "099", "title": "Výzva otevřená všem", "specific_objective": "2.1",
                "opens_at": "2019-05-01T00:00:00Z", "closes_at": "2019-09-30T14:00:00Z",
                "allocation": czk(50_000_000_000), "support_rate_bp": 9500, "kpsvl": false, "open_to": [],
            }),
        )
        .await;
    Shared { unit, other, other_org, call }
}

async fn scene(app: &TestApp, s: &Shared) -> Scene {
    let admin = app.admin();
    let p = app.partnership(&admin, "LP Rozvodí", &[&s.unit]).await;
    let org = app.org(&admin, "Mikroregion Rozvodí", "municipality", None).await;
    let person = app.person(&admin, "Starostka Rozvodí", &org).await;
    app.create(
        &format!("/api/v1/partnerships/{p}/memberships"),
        &admin,
        json!({"organization_id": org, "joined_on": "2018-10-01", "representatives": [{"person_id": person}]}),
    )
    .await;
    Scene { p, org, person }
}

fn token(app: &TestApp, caller: Caller, scene: &Scene, s: &Shared) -> Option<String> {
    match caller {
        Caller::Admin => Some(app.admin()),
        Caller::ConsultantOwn => Some(app.token(Role::Consultant, &[&scene.p], None)),
        Caller::ConsultantOther => Some(app.token(Role::Consultant, &[&s.other], None)),
        Caller::PartnerOwn => Some(app.token(Role::Partner, &[&scene.p], Some(&scene.org))),
        Caller::PartnerOther => Some(app.token(Role::Partner, &[&s.other], Some(&s.other_org))),
        Caller::Reporter => Some(app.token(Role::Reporter, &[], None)),
        Caller::Importer => Some(app.token(Role::Importer, &[], None)),
        Caller::Anonymous => None,
    }
}

async fn ok(app: &TestApp, method: Method, path: &str, body: Value) -> Value {
    let res = app.send(method.clone(), path, Some(&app.admin()), Some(&body), &[]).await;
    assert!(res.status.is_success(), "{method} {path}: {} {}", res.status, res.body);
    res.body
}

fn project(scene: &Scene, s: &Shared) -> Value {
    json!({
        "applicant_organization_id": scene.org, "call_id": s.call, "title": "Sociální práce", "period_from": "2019-10-01", "period_to": "2021-09-30",
        "budget": {"total_eligible": czk(100_000_000), "requested": czk(90_000_000), "own_financing": czk(10_000_000)},
    })
}

async fn draft_plan(app: &TestApp, p: &str) -> String {
    app.create(
        &format!("/api/v1/partnerships/{p}/strategic-plans"),
        &app.admin(),
        json!({"title": "Strategický plán", "valid_from": "2019-05-01", "valid_to": "2030-12-31"}),
    )
    .await
}

/// A fresh target of the action, in a fresh partnership, in the state the action needs.
async fn prepare(app: &TestApp, s: &Shared, action: Action) -> (Scene, Target) {
    let sc = scene(app, s).await;
    let admin = app.admin();
    let p = sc.p.clone();
    let target = |method: Method, path: String, body: Option<Value>| Target { method, path, body };
    // Projects belong to an active partnership (a forming one is still setting up).
    if matches!(action, Action::CreateProjectIntent | Action::RecommendProject | Action::SubmitProject | Action::ApproveProject) {
        ok(app, Method::POST, &format!("/api/v1/partnerships/{p}/activate"), Value::Null).await;
    }
    let t = match action {
        Action::ReadMembers => target(Method::GET, format!("/api/v1/partnerships/{p}/memberships"), None),
        Action::ReadAudit => target(Method::GET, "/api/v1/audit".into(), None),
        Action::CreateOrganization => target(Method::POST, "/api/v1/organizations".into(), Some(json!({"name": "Spolek Naděje", "kind": "ngo"}))),
        Action::EditPersonOfPartnership => target(Method::PATCH, format!("/api/v1/people/{}", sc.person), Some(json!({"job_title": "starostka"}))),
        Action::EditNewPerson => {
            let new = app.person(&admin, "Nová osoba", &sc.org).await;
            target(Method::PATCH, format!("/api/v1/people/{new}"), Some(json!({"job_title": "ředitelka"})))
        }
        Action::CreateMembership => {
            let org = app.org(&admin, "Nový člen", "ngo", None).await;
            target(Method::POST, format!("/api/v1/partnerships/{p}/memberships"), Some(json!({"organization_id": org, "joined_on": "2020-01-01"})))
        }
        Action::CreateMeeting => {
            target(Method::POST, format!("/api/v1/partnerships/{p}/meetings"), Some(json!({"title": "Setkání", "starts_at": "2020-01-10T15:00:00Z"})))
        }
        Action::EditMeeting => {
            let meeting =
                app.create(&format!("/api/v1/partnerships/{p}/meetings"), &admin, json!({"title": "Setkání", "starts_at": "2020-01-10T15:00:00Z"})).await;
            target(Method::PATCH, format!("/api/v1/meetings/{meeting}"), Some(json!({"title": "Setkání LP"})))
        }
        Action::CompleteAnalysis => {
            let analysis = app.create(&format!("/api/v1/partnerships/{p}/situational-analyses"), &admin, json!({"title": "Situační analýza"})).await;
            ok(app, Method::POST, &format!("/api/v1/situational-analyses/{analysis}/start"), Value::Null).await;
            target(Method::POST, format!("/api/v1/situational-analyses/{analysis}/complete"), None)
        }
        Action::SubmitPlan => {
            let plan = draft_plan(app, &p).await;
            target(Method::POST, format!("/api/v1/strategic-plans/{plan}/submit"), Some(json!({"date": "2019-03-20"})))
        }
        Action::ApprovePlanByCouncil => {
            let plan = draft_plan(app, &p).await;
            ok(app, Method::POST, &format!("/api/v1/strategic-plans/{plan}/submit"), json!({"date": "2019-03-20"})).await;
            target(
                Method::POST,
                format!("/api/v1/strategic-plans/{plan}/approve-by-council"),
                Some(json!({"date": "2019-04-02", "resolution_number": "RM/12/2019"})),
            )
        }
        Action::ExpirePlan => {
            let plan = draft_plan(app, &p).await;
            let base = format!("/api/v1/strategic-plans/{plan}");
            ok(app, Method::POST, &format!("{base}/submit"), json!({"date": "2019-03-20"})).await;
            ok(app, Method::POST, &format!("{base}/approve-by-council"), json!({"date": "2019-04-02", "resolution_number": "RM/12/2019"})).await;
            ok(app, Method::POST, &format!("{base}/approve-by-assembly"), json!({"date": "2019-04-24", "resolution_number": "ZM/5/2019"})).await;
            target(Method::POST, format!("{base}/expire"), Some(json!({"date": "2022-12-31"})))
        }
        Action::ActivatePartnership => target(Method::POST, format!("/api/v1/partnerships/{p}/activate"), None),
        Action::HandOverPartnership => {
            ok(app, Method::POST, &format!("/api/v1/partnerships/{p}/activate"), Value::Null).await;
            target(Method::POST, format!("/api/v1/partnerships/{p}/hand-over"), None)
        }
        Action::EndPartnership => target(Method::POST, format!("/api/v1/partnerships/{p}/end"), None),
        Action::CreateProjectIntent => target(Method::POST, format!("/api/v1/partnerships/{p}/projects"), Some(project(&sc, s))),
        Action::RecommendProject => {
            let id = app.create(&format!("/api/v1/partnerships/{p}/projects"), &admin, project(&sc, s)).await;
            target(Method::POST, format!("/api/v1/projects/{id}/recommend"), Some(json!({"date": "2019-05-15"})))
        }
        Action::SubmitProject => {
            let id = app.create(&format!("/api/v1/partnerships/{p}/projects"), &admin, project(&sc, s)).await;
            ok(app, Method::POST, &format!("/api/v1/projects/{id}/recommend"), json!({"date": "2019-05-15"})).await;
            target(Method::POST, format!("/api/v1/projects/{id}/submit"), Some(json!({"date": "2019-06-20", "registration_number": registration_number()})))
        }
        Action::ApproveProject => {
            let id = app.create(&format!("/api/v1/partnerships/{p}/projects"), &admin, project(&sc, s)).await;
            ok(app, Method::POST, &format!("/api/v1/projects/{id}/recommend"), json!({"date": "2019-05-15"})).await;
            ok(app, Method::POST, &format!("/api/v1/projects/{id}/submit"), json!({"date": "2019-06-20", "registration_number": registration_number()})).await;
            target(Method::POST, format!("/api/v1/projects/{id}/approve"), Some(json!({"date": "2019-11-01", "approved_amount": czk(85_000_000)})))
        }
    };
    (sc, t)
}

async fn send(app: &TestApp, t: &Target, token: Option<&str>) -> Res {
    app.send(t.method.clone(), &t.path, token, t.body.as_ref(), &[]).await
}

/// Walks one row of the table.
async fn walk(app: &TestApp, s: &Shared, action: Action, expected: [u16; 8]) {
    // Whom to ask after a refusal: the partnership's consultant where the table allows it,
    // headquarters otherwise.
    let allowed = if (200..300).contains(&expected[1]) { Caller::ConsultantOwn } else { Caller::Admin };
    assert!((200..300).contains(&expected[CALLERS.iter().position(|c| *c == allowed).unwrap()]));
    for (caller, status) in CALLERS.into_iter().zip(expected) {
        let (sc, t) = prepare(app, s, action).await;
        let res = send(app, &t, token(app, caller, &sc, s).as_deref()).await;
        let what = format!("{action:?} by {caller:?}: {} {}", t.method, t.path);
        assert_eq!(res.status.as_u16(), status, "{what}: {}", res.body);
        if status >= 400 {
            res.problem(status);
            let again = send(app, &t, token(app, allowed, &sc, s).as_deref()).await;
            assert!(again.status.is_success(), "{what}: refused to {caller:?} ({status}), but then {allowed:?} got {} {}", again.status, again.body);
        }
    }
}

/// Walks the rows of these actions (one server per group, so that groups run in parallel).
async fn walk_rows(which: fn(Action) -> bool) {
    let app = spawn_app().await;
    let s = shared(&app).await;
    for (action, expected) in TABLE.iter().filter(|(a, _)| which(*a)) {
        walk(&app, &s, *action, *expected).await;
    }
}

#[tokio::test]
async fn the_role_table_holds_for_reads_and_the_registry() {
    walk_rows(|a| matches!(a, Action::ReadMembers | Action::ReadAudit | Action::CreateOrganization | Action::EditPersonOfPartnership | Action::EditNewPerson))
        .await;
}

#[tokio::test]
async fn the_role_table_holds_for_a_partnerships_records() {
    walk_rows(|a| matches!(a, Action::CreateMembership | Action::CreateMeeting | Action::EditMeeting | Action::CreateProjectIntent)).await;
}

#[tokio::test]
async fn the_role_table_holds_for_lifecycle_decisions() {
    walk_rows(|a| {
        matches!(
            a,
            Action::CompleteAnalysis
                | Action::SubmitPlan
                | Action::ApprovePlanByCouncil
                | Action::ExpirePlan
                | Action::ActivatePartnership
                | Action::HandOverPartnership
                | Action::EndPartnership
        )
    })
    .await;
}

#[tokio::test]
async fn the_role_table_holds_for_project_decisions() {
    walk_rows(|a| matches!(a, Action::RecommendProject | Action::SubmitProject | Action::ApproveProject)).await;
}

#[test]
fn every_action_has_a_row() {
    for action in [
        Action::ReadMembers,
        Action::ReadAudit,
        Action::CreateOrganization,
        Action::EditPersonOfPartnership,
        Action::EditNewPerson,
        Action::CreateMembership,
        Action::CreateMeeting,
        Action::EditMeeting,
        Action::CompleteAnalysis,
        Action::SubmitPlan,
        Action::ApprovePlanByCouncil,
        Action::ExpirePlan,
        Action::ActivatePartnership,
        Action::HandOverPartnership,
        Action::EndPartnership,
        Action::CreateProjectIntent,
        Action::RecommendProject,
        Action::SubmitProject,
        Action::ApproveProject,
    ] {
        assert_eq!(TABLE.iter().filter(|(a, _)| std::mem::discriminant(a) == std::mem::discriminant(&action)).count(), 1, "{action:?}");
    }
}

#[tokio::test]
async fn consultants_edit_and_archive_people_of_their_partnerships_or_new_ones() {
    let app = spawn_app().await;
    let s = shared(&app).await;
    let admin = app.admin();
    let own = scene(&app, &s).await;
    let consultant = app.token(Role::Consultant, &[&own.p], None);
    // Named by the other partnership only: theirs to maintain.
    let theirs = app.person(&admin, "Sociální pracovnice Jinde", &s.other_org).await;
    app.create(
        &format!("/api/v1/partnerships/{}/working-groups", s.other),
        &admin,
        json!({"name": "Bydlení", "thematic_area": "housing", "member_ids": [theirs]}),
    )
    .await;
    app.patch(&format!("/api/v1/people/{theirs}"), &consultant, json!({"job_title": "x"})).await.problem(403);
    app.delete(&format!("/api/v1/people/{theirs}"), &consultant).await.problem(403);
    assert_eq!(app.get(&format!("/api/v1/people/{theirs}"), Some(&admin)).await.body["version"], 1, "nothing changed");
    // Once the own partnership's records name them too (a meeting attendee), they are shared.
    app.create(
        &format!("/api/v1/partnerships/{}/meetings", own.p),
        &admin,
        json!({"title": "Setkání", "starts_at": "2020-01-10T15:00:00Z", "attendance": [{"person_id": theirs, "status": "present"}]}),
    )
    .await;
    assert_eq!(app.patch(&format!("/api/v1/people/{theirs}"), &consultant, json!({"job_title": "koordinátorka"})).await.status, 200);
    // A new person, named by no partnership yet, is any consultant's to correct or archive.
    let new = app.person(&consultant, "Nový kontakt", &own.org).await;
    let elsewhere = app.token(Role::Consultant, &[&s.other], None);
    assert_eq!(app.patch(&format!("/api/v1/people/{new}"), &elsewhere, json!({"job_title": "ředitel"})).await.status, 200);
    assert_eq!(app.delete(&format!("/api/v1/people/{new}"), &elsewhere).await.status, 204);
    // The importer maintains the registry everywhere.
    let importer = app.token(Role::Importer, &[], None);
    assert_eq!(app.delete(&format!("/api/v1/people/{}", own.person), &importer).await.status, 204);
}
