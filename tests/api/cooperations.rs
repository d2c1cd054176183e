//! Cooperations of the Agency with partnerships: lifecycle, access, the timeline derived from
//! the partnership's records and milestones, and the `late` list.

use domain::access::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::plans::{bring_into_force, plan_with_measures, rozvodi};

fn phase<'a>(timeline: &'a Value, code: &str) -> &'a Value {
    timeline["phases"].as_array().unwrap().iter().find(|p| p["phase"] == code).unwrap_or_else(|| panic!("no phase {code}: {timeline}"))
}

async fn timeline(app: &TestApp, token: &str, id: &str, as_of: &str) -> Value {
    let res = app.get(&format!("/api/v1/cooperations/{id}/timeline?as_of={as_of}"), Some(token)).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

fn state(timeline: &Value, code: &str) -> (String, i64) {
    let p = phase(timeline, code);
    (p["state"].as_str().unwrap().to_owned(), p["days_late"].as_i64().unwrap())
}

#[tokio::test]
async fn a_cooperation_lives_and_only_its_deciders_write_it() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Žlutice", "municipality", None).await;
    let p = app.partnership(&admin, "LP Žluticko", &[&unit]).await;
    let other = app.partnership(&admin, "LP Jinde", &[&unit]).await;

    let templates = app.get("/api/v1/timeline-templates", None).await;
    assert_eq!(templates.status, 200);
    let codes: Vec<&str> = templates.body["items"].as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["rozvoj_systemu_24", "standard_36"]);

    let body = json!({"partnership_id": p, "start_on": "2014-07-01", "template": "standard_36", "predefined_activities": ["Prostupné zaměstnávání"]});
    let created = app.post("/api/v1/cooperations", &admin, body.clone()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["status"], "agreed");
    assert_eq!(created.body["months"], 36);
    let id = created.id();
    let base = format!("/api/v1/cooperations/{id}");

    app.post("/api/v1/cooperations", &admin, json!({"partnership_id": p, "start_on": "2014-07-01", "template": "nope"})).await.problem(422);
    app.get("/api/v1/cooperations", None).await.problem(401);

    // Roles: partner of another partnership 404, own partner reads but 403 on writes,
    // unassigned consultant 403, assigned consultant writes, reporter reads.
    let stranger = app.token(Role::Partner, &[&other], None);
    app.get(&base, Some(&stranger)).await.problem(404);
    app.get(&format!("{base}/timeline"), Some(&stranger)).await.problem(404);
    app.post(&format!("{base}/start"), &stranger, json!({})).await.problem(404);
    let listed = app.get("/api/v1/cooperations", Some(&stranger)).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 0);
    let partner = app.token(Role::Partner, &[&p], None);
    assert_eq!(app.get(&base, Some(&partner)).await.status, 200);
    app.post(&format!("{base}/start"), &partner, json!({})).await.problem(403);
    app.patch(&base, &partner, json!({"note": "x"})).await.problem(403);
    app.post("/api/v1/cooperations", &partner, body.clone()).await.problem(403);
    let elsewhere = app.token(Role::Consultant, &[&other], None);
    app.post(&format!("{base}/start"), &elsewhere, json!({})).await.problem(403);
    app.post("/api/v1/cooperations", &elsewhere, body.clone()).await.problem(403);
    let reporter = app.token(Role::Reporter, &[], None);
    assert_eq!(app.get(&base, Some(&reporter)).await.status, 200);
    app.post(&format!("{base}/start"), &reporter, json!({})).await.problem(403);
    let consultant = app.token(Role::Consultant, &[&p], None);
    let patched = app.patch(&base, &consultant, json!({"note": "Nábor 2014"})).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    app.patch(&base, &consultant, json!({"partnership_id": other})).await.problem(422);

    // Lifecycle: agreed → running → handed_over; no way back, no second end.
    app.post(&format!("{base}/hand-over"), &consultant, json!({})).await.problem(409);
    let started = app.post(&format!("{base}/start"), &consultant, json!({"date": "2014-07-01"})).await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert_eq!((started.body["status"].as_str(), started.body["started_on"].as_str()), (Some("running"), Some("2014-07-01")));
    app.post(&format!("{base}/start"), &consultant, json!({})).await.problem(409);
    app.post(&format!("{base}/start"), &consultant, json!("not an object")).await.problem(400);
    let handed = app.post(&format!("{base}/hand-over"), &consultant, json!({"date": "2017-06-30"})).await;
    assert_eq!(handed.body["status"], "handed_over");
    app.post(&format!("{base}/end"), &admin, json!({"reason": "x"})).await.problem(409);
    let t = timeline(&app, &reporter, &id, "2017-07-01").await;
    assert_eq!(phase(&t, "handover")["actual_end"], "2017-06-30");

    // Ending early needs a reason.
    let second = app.create("/api/v1/cooperations", &admin, body.clone()).await;
    app.post(&format!("/api/v1/cooperations/{second}/end"), &admin, json!({"reason": ""})).await.problem(422);
    let ended = app.post(&format!("/api/v1/cooperations/{second}/end"), &admin, json!({"reason": "Obec odstoupila.", "date": "2015-01-31"})).await;
    assert_eq!((ended.body["status"].as_str(), ended.body["end_reason"].as_str()), (Some("ended_early"), Some("Obec odstoupila.")));
    let filtered = app.get(&format!("/api/v1/cooperations?status=ended_early&partnership_id={p}"), Some(&admin)).await;
    assert_eq!(filtered.body["items"].as_array().unwrap().len(), 1);

    assert_eq!(app.delete(&format!("/api/v1/cooperations/{second}"), &admin).await.status, 204);
    let listed = app.get("/api/v1/cooperations", Some(&admin)).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_timeline_follows_the_partnerships_records_and_milestones() {
    let app = spawn_app().await;
    let admin = app.admin();
    let r = rozvodi(&app).await;
    let res = app.patch(&format!("/api/v1/partnerships/{}", r.p), &admin, json!({"established_on": "2018-10-25"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let id = app
        .create(
            "/api/v1/cooperations",
            &admin,
            json!({"partnership_id": r.p, "start_on": "2018-10-25", "template": "standard_36", "predefined_activities": ["Dluhová poradna"]}),
        )
        .await;

    // Month 1 is 25 Oct – 24 Nov 2018; the analysis (months 2–4) ends 24 Feb 2019, the plan
    // (months 2–6) 24 Apr 2019.
    let t = timeline(&app, &admin, &id, "2018-11-01").await;
    assert_eq!(state(&t, "establish"), ("done".into(), 0));
    assert_eq!(phase(&t, "establish")["source"], "data");
    assert_eq!(
        (phase(&t, "situational_analysis")["planned_start"].as_str(), phase(&t, "situational_analysis")["planned_end"].as_str()),
        (Some("2018-11-25"), Some("2019-02-24"))
    );
    // The analysis was started and completed before (fieldwork 1 Jun – 30 Sep 2018): done.
    assert_eq!(state(&t, "situational_analysis"), ("done".into(), 0));
    assert_eq!(phase(&t, "situational_analysis")["actual_end"], "2018-09-30");
    assert_eq!(state(&t, "strategic_plan"), ("not_started".into(), 0));
    assert_eq!(t["summary"]["current_phase"], "establish");
    assert_eq!(t["summary"]["late"], false);

    let t = timeline(&app, &admin, &id, "2019-03-01").await;
    assert_eq!(state(&t, "situational_analysis"), ("done".into(), 0));
    assert_eq!(state(&t, "strategic_plan"), ("late".into(), 96));
    assert_eq!(state(&t, "predefined_measure"), ("late".into(), 96));

    // Submitting the plan (20 Mar) and its approval by the assembly (24 Apr 2019) move the phases.
    let (plan, _) = plan_with_measures(&app, &r).await;
    bring_into_force(&app, &plan).await;
    let t = timeline(&app, &admin, &id, "2019-04-01").await;
    assert_eq!(state(&t, "strategic_plan"), ("on_time".into(), 0));
    assert_eq!(phase(&t, "strategic_plan")["actual_start"], "2019-03-20");
    let t = timeline(&app, &admin, &id, "2019-06-01").await;
    assert_eq!(state(&t, "strategic_plan"), ("done".into(), 0));
    assert_eq!(state(&t, "implementation"), ("on_time".into(), 0));
    assert_eq!(phase(&t, "implementation")["actual_start"], "2019-04-24");
    // The predefined measure has no event in the data: late until a milestone records it.
    assert_eq!(state(&t, "predefined_measure"), ("late".into(), 38));
    assert_eq!(t["summary"]["late_phases"], json!([{"phase": "predefined_measure", "days_late": 38}]));

    let partner = app.token(Role::Partner, &[&r.p], None);
    let milestone = json!({"phase": "predefined_measure", "started_on": "2018-12-01", "completed_on": "2019-05-15"});
    app.post(&format!("/api/v1/cooperations/{id}/milestones"), &partner, milestone.clone()).await.problem(403);
    app.post(&format!("/api/v1/cooperations/{id}/milestones"), &admin, json!({"phase": "nope", "started_on": "2018-12-01"})).await.problem(422);
    let res = app.post(&format!("/api/v1/cooperations/{id}/milestones"), &admin, milestone).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let t = timeline(&app, &partner, &id, "2019-06-01").await;
    assert_eq!(state(&t, "predefined_measure"), ("done_late".into(), 21));
    assert_eq!(phase(&t, "predefined_measure")["source"], "milestone");
    assert_eq!(t["summary"]["late"], false);
    // Judged on a day before the milestone's completion, it was running.
    let t = timeline(&app, &partner, &id, "2019-01-10").await;
    assert_eq!(state(&t, "predefined_measure"), ("on_time".into(), 0));

    // Months 19–22 (25 Apr – 24 Aug 2020): no evaluation yet is late after they end; one
    // recorded starts the phase and closes the first implementation (months 7–18, late).
    let t = timeline(&app, &admin, &id, "2020-09-01").await;
    assert_eq!(state(&t, "evaluation"), ("late".into(), 8));
    let res = app.post(&format!("/api/v1/strategic-plans/{plan}/evaluations"), &admin, json!({"as_of": "2020-05-15", "narrative": "Vyhodnocení."})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let t = timeline(&app, &admin, &id, "2020-06-01").await;
    assert_eq!(state(&t, "evaluation"), ("on_time".into(), 0));
    assert_eq!(state(&t, "implementation"), ("done_late".into(), 21));

    // The list: `late=true` on a day finds it, on another it does not.
    let late = app.get("/api/v1/cooperations?late=true&as_of=2020-09-01", Some(&admin)).await;
    assert_eq!(late.status, 200, "{}", late.body);
    let items = late.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["state"]["late"], true);
    assert_eq!(items[0]["state"]["late_phases"], json!([{"phase": "evaluation", "days_late": 8}, {"phase": "implementation_after_revision", "days_late": 7}]));
    let none = app.get("/api/v1/cooperations?late=true&as_of=2020-06-01", Some(&admin)).await;
    assert_eq!(none.body["items"].as_array().unwrap().len(), 0);
    let stated = app.get("/api/v1/cooperations?as_of=2020-06-01", Some(&admin)).await;
    assert_eq!(stated.body["items"][0]["state"]["current_phase"], "evaluation");
    let plain = app.get("/api/v1/cooperations", Some(&admin)).await;
    assert!(plain.body["items"][0].get("state").is_none());
    app.get("/api/v1/cooperations?sort=start_on", Some(&admin)).await.problem(400);
}

#[tokio::test]
async fn the_demo_cooperation_of_rozvodi_reads_late() {
    let app = crate::helpers::spawn_app_with_demo().await;
    let admin = app.admin();
    let late = app.get("/api/v1/cooperations?late=true&as_of=2019-06-01", Some(&admin)).await;
    assert_eq!(late.status, 200, "{}", late.body);
    let items = late.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", late.body);
    assert_eq!(items[0]["status"], "running");
    // By region: the 2014 recruitment's two cooperations are in the Ústí region (demo), on time.
    let in_region = app.get("/api/v1/cooperations?region=CZ042&as_of=2019-06-01", Some(&admin)).await;
    assert_eq!(in_region.body["items"].as_array().unwrap().len(), 2, "{}", in_region.body);
    let late_in_region = app.get("/api/v1/cooperations?region=CZ042&late=true&as_of=2019-06-01", Some(&admin)).await;
    assert_eq!(late_in_region.body["items"].as_array().unwrap().len(), 0, "{}", late_in_region.body);
    app.get("/api/v1/cooperations?region=CZ999", Some(&admin)).await.problem(400);
    assert_eq!(items[0]["state"]["late_phases"][0]["phase"], "predefined_measure");
    let t = timeline(&app, &admin, items[0]["id"].as_str().unwrap(), "2019-06-01").await;
    assert_eq!(state(&t, "establish").0, "done");
}

/// A 12-month template: an analysis, a plan, and a phase only milestones record.
fn pilot_template() -> Value {
    json!({
        "code": "pilot_12",
        "name": "Pilotní spolupráce (12 měsíců)",
        "months": 12,
        "description": "Zkrácená spolupráce s jednou obcí.",
        "phases": [
            {"code": "analysis", "name": "Situační analýza", "from_month": 1, "to_month": 3, "source": "analysis"},
            {"code": "plan", "name": "Strategický plán", "from_month": 3, "to_month": 6, "source": "plan"},
            {"code": "pilot_measure", "name": "Pilotní opatření", "from_month": 4, "to_month": 12, "source": "milestones"}
        ]
    })
}

fn codes(list: &Value) -> Vec<String> {
    list["items"].as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn an_admin_defines_a_timeline_template_that_cooperations_follow() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Bečov nad Teplou", "municipality", None).await;
    let p = app.partnership(&admin, "LP Bečovsko", &[&unit]).await;
    let template = pilot_template();

    // Only admins define templates (403 for every other role, 401 without a token).
    for role in [Role::Consultant, Role::Partner, Role::Reporter, Role::Importer] {
        let token = app.token(role, &[&p], None);
        app.post("/api/v1/timeline-templates", &token, template.clone()).await.problem(403);
    }
    let anonymous = app.send(reqwest::Method::POST, "/api/v1/timeline-templates", None, Some(&template), &[]).await;
    anonymous.problem(401);

    let created = app.post("/api/v1/timeline-templates", &admin, template.clone()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("location").as_deref(), Some("/api/v1/timeline-templates/pilot_12"));
    assert_eq!(created.header("etag").as_deref(), Some("\"1\""));
    assert_eq!((created.body["builtin"].as_bool(), created.body["version"].as_i64(), created.body["months"].as_i64()), (Some(false), Some(1), Some(12)));
    assert_eq!(
        created.body["phases"][2],
        json!({"code": "pilot_measure", "name": "Pilotní opatření", "from_month": 4, "to_month": 12, "source": "milestones", "only_if_committed": false})
    );
    assert_eq!(app.post("/api/v1/timeline-templates", &admin, template.clone()).await.problem(409)["errors"][0]["field"], "code");

    // Listed (public) by code with the built-in ones, paged by cursor; read by code.
    let all = app.get("/api/v1/timeline-templates", None).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(codes(&all.body), ["pilot_12", "rozvoj_systemu_24", "standard_36"]);
    let builtin: Vec<bool> = all.body["items"].as_array().unwrap().iter().map(|t| t["builtin"].as_bool().unwrap()).collect();
    assert_eq!(builtin, [false, true, true]);
    let first = app.get("/api/v1/timeline-templates?limit=2&count=true", None).await;
    assert_eq!((codes(&first.body).len(), first.body["total"].as_u64()), (2, Some(3)));
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let rest = app.get(&format!("/api/v1/timeline-templates?limit=2&cursor={cursor}"), None).await;
    assert_eq!((codes(&rest.body), rest.body["next_cursor"].is_null()), (vec!["standard_36".to_owned()], true));
    let one = app.get("/api/v1/timeline-templates/pilot_12", None).await;
    assert_eq!((one.status.as_u16(), one.header("etag").as_deref()), (200, Some("\"1\"")));
    assert_eq!(one.body["phases"], created.body["phases"]);
    let standard = app.get("/api/v1/timeline-templates/standard_36", None).await;
    assert_eq!((standard.body["builtin"].as_bool(), standard.body["id"].is_null(), standard.header("etag")), (Some(true), true, None));
    let sources: Vec<&str> = standard.body["phases"].as_array().unwrap().iter().map(|p| p["source"].as_str().unwrap()).collect();
    assert_eq!(sources[..3], ["establishment", "analysis", "plan"]);
    app.get("/api/v1/timeline-templates/no_such_template", None).await.problem(404);

    // Bad templates: 422 naming the field (an unknown source is not JSON of the input: 400).
    let bad = |edit: &dyn Fn(&mut Value)| {
        let mut t = pilot_template();
        t["code"] = json!("pilot_bad");
        edit(&mut t);
        t
    };
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("a phase beyond the months", bad(&|t| t["phases"][2]["to_month"] = json!(13)), "phases[2].to_month", "beyond_months"),
        ("a phase ending before it starts", bad(&|t| t["phases"][1]["to_month"] = json!(2)), "phases[1].to_month", "before_from"),
        ("a duplicate phase code", bad(&|t| t["phases"][1]["code"] = json!("analysis")), "phases[1].code", "duplicate"),
        ("a built-in code", bad(&|t| t["code"] = json!("standard_36")), "code", "builtin"),
        ("a malformed code", bad(&|t| t["code"] = json!("Pilot-12")), "code", "format"),
        ("no phase", bad(&|t| t["phases"] = json!([])), "phases", "empty"),
        ("no months", bad(&|t| t["months"] = json!(0)), "months", "out_of_range"),
        ("an empty name", bad(&|t| t["name"] = json!(" ")), "name", "length"),
    ];
    for (name, body, field, code) in cases {
        let res = app.post("/api/v1/timeline-templates", &admin, body).await;
        res.problem(422);
        assert_eq!(res.error_code(field).as_deref(), Some(code), "{name}: {}", res.body);
    }
    app.post("/api/v1/timeline-templates", &admin, bad(&|t| t["phases"][0]["source"] = json!("weather"))).await.problem(400);
    app.post("/api/v1/timeline-templates", &admin, bad(&|t| t["colour"] = json!("red"))).await.problem(400);

    // Built-in templates never change.
    app.patch("/api/v1/timeline-templates/standard_36", &admin, json!({"name": "Jinak"})).await.problem(409);
    app.delete("/api/v1/timeline-templates/standard_36", &admin).await.problem(409);
    let consultant = app.token(Role::Consultant, &[&p], None);
    app.patch("/api/v1/timeline-templates/pilot_12", &consultant, json!({"name": "Jinak"})).await.problem(403);
    app.delete("/api/v1/timeline-templates/pilot_12", &consultant).await.problem(403);
    app.patch("/api/v1/timeline-templates/no_such_template", &admin, json!({"name": "Jinak"})).await.problem(404);

    // A cooperation on it takes its months, and its timeline its phases from the start.
    let cooperation = app.post("/api/v1/cooperations", &consultant, json!({"partnership_id": p, "start_on": "2024-01-01", "template": "pilot_12"})).await;
    assert_eq!(cooperation.status, 201, "{}", cooperation.body);
    assert_eq!(cooperation.body["months"], 12);
    let id = cooperation.id();
    let t = timeline(&app, &consultant, &id, "2024-05-15").await;
    let planned: Vec<(&str, &str, &str)> = t["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["phase"].as_str().unwrap(), p["planned_start"].as_str().unwrap(), p["planned_end"].as_str().unwrap()))
        .collect();
    assert_eq!(planned, [("analysis", "2024-01-01", "2024-03-31"), ("plan", "2024-03-01", "2024-06-30"), ("pilot_measure", "2024-04-01", "2024-12-31")]);
    assert_eq!(t["template"], "pilot_12");
    assert_eq!(state(&t, "analysis"), ("late".into(), 45));
    assert_eq!(state(&t, "pilot_measure"), ("late".into(), 44));
    assert_eq!(t["summary"]["current_phase"], "plan");
    // A milestone for a custom phase shows it done; a phase of another template is refused.
    app.post(&format!("/api/v1/cooperations/{id}/milestones"), &consultant, json!({"phase": "establish", "started_on": "2024-01-05"})).await.problem(422);
    let res = app
        .post(
            &format!("/api/v1/cooperations/{id}/milestones"),
            &consultant,
            json!({"phase": "pilot_measure", "started_on": "2024-04-02", "completed_on": "2024-11-30"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let t = timeline(&app, &consultant, &id, "2025-01-15").await;
    assert_eq!(state(&t, "pilot_measure"), ("done".into(), 0));
    assert_eq!(phase(&t, "pilot_measure")["source"], "milestone");
    assert_eq!(state(&t, "plan"), ("late".into(), 199));
    // Given months win over the template's.
    let longer = app.post("/api/v1/cooperations", &admin, json!({"partnership_id": p, "start_on": "2024-01-01", "template": "pilot_12", "months": 18})).await;
    assert_eq!(longer.body["months"], 18, "{}", longer.body);
    assert_eq!(app.delete(&format!("/api/v1/cooperations/{}", longer.id()), &admin).await.status, 204);

    // In use: months and phases stay (409), name and description change (If-Match honoured).
    let mut moved = pilot_template()["phases"].clone();
    moved[0]["to_month"] = json!(2);
    app.patch("/api/v1/timeline-templates/pilot_12", &admin, json!({"phases": moved})).await.problem(409);
    app.patch("/api/v1/timeline-templates/pilot_12", &admin, json!({"months": 24})).await.problem(409);
    app.patch("/api/v1/timeline-templates/pilot_12", &admin, json!({"code": "pilot_13"})).await.problem(422);
    let stale =
        app.send(reqwest::Method::PATCH, "/api/v1/timeline-templates/pilot_12", Some(&admin), Some(&json!({"name": "X"})), &[("If-Match", "\"7\"")]).await;
    stale.problem(412);
    let renamed = app
        .send(
            reqwest::Method::PATCH,
            "/api/v1/timeline-templates/pilot_12",
            Some(&admin),
            Some(&json!({"name": "Pilot", "description": null})),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(
        (renamed.body["name"].as_str(), renamed.body["description"].as_str(), renamed.header("etag").as_deref()),
        (Some("Pilot"), Some(""), Some("\"2\""))
    );
    app.delete("/api/v1/timeline-templates/pilot_12", &admin).await.problem(409);

    // A cooperation or a round on an unknown template: 422 `template`/`unknown`, naming the known ones.
    let unknown = app.post("/api/v1/cooperations", &admin, json!({"partnership_id": p, "start_on": "2024-01-01", "template": "pilot_99"})).await;
    unknown.problem(422);
    assert_eq!(unknown.error_code("template").as_deref(), Some("unknown"), "{}", unknown.body);
    assert!(unknown.body["errors"][0]["message"].as_str().unwrap().contains("pilot_12"), "{}", unknown.body);
    let patched = app.patch(&format!("/api/v1/cooperations/{id}"), &admin, json!({"template": "pilot_99"})).await;
    assert_eq!(patched.problem(422)["errors"][0]["field"], "template");
    let round = |template: &str| {
        json!({
            "year": 2027, "title": "Nábor 2027", "places": 1, "applications_until": "2027-01-31T12:00:00Z",
            "cooperation_start_on": "2027-07-01", "template": template,
            "criteria": [{"key": "need", "name": "Potřebnost", "weight": 1, "max_points": 10}]
        })
    };
    let refused = app.post("/api/v1/recruitment-rounds", &admin, round("pilot_99")).await;
    refused.problem(422);
    assert_eq!(refused.error_code("template").as_deref(), Some("unknown"), "{}", refused.body);

    // A template nobody follows changes and is archived: then no one may name it, it is read
    // by code and listed with `include_archived=true`, and its code stays taken.
    let mut spare = pilot_template();
    spare["code"] = json!("spare_6");
    spare["months"] = json!(6);
    spare["phases"] = json!([{"code": "all", "name": "Vše", "from_month": 1, "to_month": 6, "source": "milestones", "only_if_committed": true}]);
    assert_eq!(app.post("/api/v1/timeline-templates", &admin, spare.clone()).await.status, 201);
    let round_on_spare = app.post("/api/v1/recruitment-rounds", &admin, round("spare_6")).await;
    assert_eq!(round_on_spare.status, 201, "{}", round_on_spare.body);
    app.patch("/api/v1/timeline-templates/spare_6", &admin, json!({"months": 8})).await.problem(409);
    assert_eq!(app.delete(&format!("/api/v1/recruitment-rounds/{}", round_on_spare.id()), &admin).await.status, 204);
    let longer = app
        .patch(
            "/api/v1/timeline-templates/spare_6",
            &admin,
            json!({"months": 8, "phases": [{"code": "all", "name": "Vše", "from_month": 1, "to_month": 8, "source": "milestones"}]}),
        )
        .await;
    assert_eq!((longer.status.as_u16(), longer.body["months"].as_i64()), (200, Some(8)), "{}", longer.body);
    assert_eq!(app.delete("/api/v1/timeline-templates/spare_6", &admin).await.status, 204);
    assert_eq!(codes(&app.get("/api/v1/timeline-templates", None).await.body), ["pilot_12", "rozvoj_systemu_24", "standard_36"]);
    assert_eq!(
        codes(&app.get("/api/v1/timeline-templates?include_archived=true", None).await.body),
        ["pilot_12", "rozvoj_systemu_24", "spare_6", "standard_36"]
    );
    assert!(app.get("/api/v1/timeline-templates/spare_6", None).await.body["archived_at"].is_string());
    let on_archived = app.post("/api/v1/cooperations", &admin, json!({"partnership_id": p, "start_on": "2024-01-01", "template": "spare_6"})).await;
    assert_eq!(on_archived.problem(422)["errors"][0]["code"], "unknown");
    app.post("/api/v1/timeline-templates", &admin, spare).await.problem(409);
    app.patch("/api/v1/timeline-templates/spare_6", &admin, json!({"name": "Znovu"})).await.problem(409);

    // Every write is audited and in the change feed.
    let feed = app.get("/api/v1/changes?after=0&resource=timeline_template", Some(&admin)).await;
    let actions: Vec<&str> = feed.body["items"].as_array().unwrap().iter().map(|c| c["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "update", "create", "update", "archive"], "{}", feed.body);
}
