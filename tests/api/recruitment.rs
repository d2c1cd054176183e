//! Recruitment of localities: a round from draft to decided, candidacies until the deadline,
//! scoring with a computed total, the ranking with its tie rule, a decision that does not
//! follow the ranking without a reason, and the cooperations and forming partnerships it
//! starts; role checks on every resource.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use domain::access::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> crate::helpers::Res {
    app.send(Method::PUT, path, Some(token), Some(&body), &[]).await
}

fn candidacy(round: &str, unit: &str, activities: &[&str], motivation: Option<&str>) -> Value {
    json!({
        "round_id": round,
        "territorial_unit_id": unit,
        "answers": {"motivation": motivation, "svl_count": 2, "size": "malá"},
        "resolution": {"body": "assembly", "adopted_on": "2026-11-20", "number": "12/2026"},
        "activities": activities,
        "co_financing": {"committed": true, "amount_czk": 150000}
    })
}

async fn scored(app: &TestApp, token: &str, id: &str, scores: Value) -> Value {
    let res = put(app, &format!("/api/v1/candidacies/{id}/scores"), token, json!({ "scores": scores })).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

#[tokio::test]
async fn a_round_goes_from_draft_to_decided_and_its_selections_become_cooperations() {
    let app = spawn_app().await;
    let admin = app.admin();
    let consultant = app.token(Role::Consultant, &[], None);
    let importer = app.token(Role::Importer, &[], None);
    let reporter = app.token(Role::Reporter, &[], None);
    let partner = app.token(Role::Partner, &[], None);
    let a = app.unit(&admin, "Obec Alfa", "municipality", None).await;
    let b = app.unit(&admin, "Mikroregion Beta", "microregion", None).await;
    let c = app.unit(&admin, "MAS Gama", "local_action_group", None).await;
    let late = app.unit(&admin, "Obec Pozdní", "municipality", None).await;

    // A deadline a few seconds ahead, so that the test sees it pass.
    let deadline = Utc::now() + chrono::Duration::seconds(4);
    let round_body = json!({
        "year": 2027,
        "title": "Nábor nových lokalit 2027",
        "places": 2,
        "applications_until": deadline.to_rfc3339_opts(SecondsFormat::Millis, true),
        "cooperation_start_on": "2027-07-01",
        "questions": [
            {"key": "motivation", "text": "Proč chcete spolupracovat s Agenturou?", "kind": "text", "required": true},
            {"key": "svl_count", "text": "Počet sociálně vyloučených lokalit", "kind": "number"},
            {"key": "size", "text": "Velikost", "kind": "choice", "options": ["malá", "velká"]}
        ],
        "criteria": [
            {"key": "motivation", "name": "Motivace obce", "weight": 2, "max_points": 10},
            {"key": "need", "name": "Potřebnost", "weight": 1, "max_points": 20}
        ],
        "activities": [
            {"code": "employment", "name": "Prostupné zaměstnávání", "points": 3},
            {"code": "housing", "name": "Sociální bydlení", "points": 2}
        ]
    });
    app.post("/api/v1/recruitment-rounds", &consultant, round_body.clone()).await.problem(403);
    app.post("/api/v1/recruitment-rounds", &partner, round_body.clone()).await.problem(403);
    let created = app.post("/api/v1/recruitment-rounds", &admin, round_body.clone()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!((created.body["status"].as_str(), created.body["template"].as_str()), (Some("draft"), Some("standard_36")));
    let round = created.id();
    let base = format!("/api/v1/recruitment-rounds/{round}");
    let mut bad = round_body.clone();
    bad["criteria"][1]["key"] = json!("motivation");
    bad["activities"][0]["points"] = json!(101);
    let refused = app.post("/api/v1/recruitment-rounds", &admin, bad).await;
    refused.problem(422);
    assert_eq!(refused.error_code("criteria[1]").as_deref(), Some("duplicate"), "{}", refused.body);

    // Roles on the round: partners do not see recruitment; reporters and consultants read it.
    app.get(&base, Some(&partner)).await.problem(404);
    assert_eq!(app.get("/api/v1/recruitment-rounds", Some(&partner)).await.status, 404);
    assert_eq!(app.get(&base, Some(&reporter)).await.status, 200);
    app.post(&format!("{base}/open"), &consultant, json!({})).await.problem(403);

    // Not open yet: no candidacies.
    app.post("/api/v1/candidacies", &consultant, candidacy(&round, &a, &[], Some("Chceme"))).await.problem(409);
    let patched = app.patch(&base, &admin, json!({"places": 3})).await;
    assert_eq!(patched.body["places"], 3, "{}", patched.body);
    app.patch(&base, &admin, json!({"places": 2})).await;
    let opened = app.post(&format!("{base}/open"), &admin, json!({})).await;
    assert_eq!(opened.body["status"], "open", "{}", opened.body);
    app.patch(&base, &admin, json!({"places": 5})).await.problem(409);
    app.post(&format!("{base}/close"), &admin, json!({})).await.problem(409);

    // Candidacies: consultants, importers and admins enter them; the questionnaire is checked.
    let ca = app.create("/api/v1/candidacies", &consultant, candidacy(&round, &a, &["employment", "housing"], Some("Chceme řešit bydlení"))).await;
    let cb = app.create("/api/v1/candidacies", &importer, candidacy(&round, &b, &["employment"], Some("Zaměstnanost"))).await;
    let cc = app.create("/api/v1/candidacies", &admin, candidacy(&round, &c, &[], Some("Vzdělávání"))).await;
    app.post("/api/v1/candidacies", &consultant, candidacy(&round, &a, &[], Some("Znovu"))).await.problem(409);
    app.post("/api/v1/candidacies", &reporter, candidacy(&round, &late, &[], Some("x"))).await.problem(403);
    let wrong = app.post("/api/v1/candidacies", &consultant, candidacy(&round, &late, &["nope"], None)).await;
    wrong.problem(422);
    assert_eq!(wrong.error_code("answers.motivation").as_deref(), Some("required"), "{}", wrong.body);
    assert_eq!(wrong.error_code("activities[0]").as_deref(), Some("unknown"), "{}", wrong.body);
    let mut typed = candidacy(&round, &late, &[], Some("x"));
    typed["answers"]["svl_count"] = json!("dvě");
    assert_eq!(app.post("/api/v1/candidacies", &consultant, typed).await.problem(422)["errors"][0]["code"], "type");
    app.get(&format!("/api/v1/candidacies/{ca}"), Some(&partner)).await.problem(404);
    let listed = app.get(&format!("/api/v1/candidacies?round_id={round}"), Some(&reporter)).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 3, "{}", listed.body);
    // Scoring waits for the round to close.
    put(&app, &format!("/api/v1/candidacies/{ca}/scores"), &consultant, json!({"scores": [{"criterion": "need", "points": 5}]})).await.problem(409);

    // After the deadline: no new candidacy, no change, no withdrawal (409).
    let wait = (deadline - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(300);
    tokio::time::sleep(wait).await;
    app.post("/api/v1/candidacies", &consultant, candidacy(&round, &late, &[], Some("Pozdě"))).await.problem(409);
    app.patch(&format!("/api/v1/candidacies/{ca}"), &consultant, json!({"note": "změna"})).await.problem(409);
    app.delete(&format!("/api/v1/candidacies/{cb}"), &consultant).await.problem(409);
    let closed = app.post(&format!("{base}/close"), &admin, json!({})).await;
    assert_eq!(closed.body["status"], "closed", "{}", closed.body);

    // Scoring: a typed total and points above a criterion's maximum are refused.
    let typed = put(&app, &format!("/api/v1/candidacies/{ca}/scores"), &consultant, json!({"scores": [{"criterion": "need", "points": 5}], "total": 99})).await;
    assert_eq!(typed.problem(422)["errors"][0]["code"], "computed");
    let above = put(&app, &format!("/api/v1/candidacies/{ca}/scores"), &consultant, json!({"scores": [{"criterion": "motivation", "points": 11}]})).await;
    assert_eq!(above.problem(422)["errors"][0]["code"], "above_maximum");
    put(&app, &format!("/api/v1/candidacies/{ca}/scores"), &reporter, json!({"scores": [{"criterion": "need", "points": 5}]})).await.problem(403);
    put(&app, &format!("/api/v1/candidacies/{ca}/scores"), &importer, json!({"scores": [{"criterion": "need", "points": 5}]})).await.problem(403);

    // A: motivation (8 + 7) / 2 × 2 = 15, need 12, activities 3 + 2 → 32.
    scored(&app, &consultant, &ca, json!([{"criterion": "motivation", "points": 6}, {"criterion": "need", "points": 12}])).await;
    scored(&app, &consultant, &ca, json!([{"criterion": "motivation", "points": 8}])).await; // replaces the 6
    let a_result = scored(&app, &admin, &ca, json!([{"criterion": "motivation", "points": 7, "note": "dobrá motivace"}])).await;
    assert_eq!(a_result["result"]["total"], 32.0, "{}", a_result);
    assert_eq!(a_result["result"]["criteria"][0]["mean_points"], 7.5);
    // B: 10 × 2 + 15 + 3 = 38 (criteria 35). C: 9 × 2 + 20 = 38 (criteria 38): C ranks first.
    scored(&app, &consultant, &cb, json!([{"criterion": "motivation", "points": 10}, {"criterion": "need", "points": 15}])).await;
    scored(&app, &consultant, &cc, json!([{"criterion": "motivation", "points": 9}])).await;
    // Not every candidacy is fully scored yet: no decision.
    app.post(&format!("{base}/decide"), &admin, json!({"selections": [{"candidacy_id": cb}]})).await.problem(409);
    scored(&app, &consultant, &cc, json!([{"criterion": "need", "points": 20}])).await;

    let ranking = app.get(&format!("{base}/ranking"), Some(&reporter)).await;
    assert_eq!(ranking.status, 200, "{}", ranking.body);
    let order: Vec<(&str, f64)> =
        ranking.body["candidacies"].as_array().unwrap().iter().map(|e| (e["candidacy_id"].as_str().unwrap(), e["result"]["total"].as_f64().unwrap())).collect();
    assert_eq!(order, [(cc.as_str(), 38.0), (cb.as_str(), 38.0), (ca.as_str(), 32.0)]);
    app.get(&format!("{base}/ranking"), Some(&partner)).await.problem(404);

    // Who scored what: assessors only.
    app.get(&format!("/api/v1/candidacies/{ca}/scores"), Some(&reporter)).await.problem(403);
    let who = app.get(&format!("/api/v1/candidacies/{ca}/scores"), Some(&consultant)).await;
    assert_eq!(who.body["scores"].as_array().unwrap().len(), 3, "{}", who.body);

    // The decision: passing over B (ranked 2nd) for A (3rd) needs a reason; too many is refused.
    app.post(&format!("{base}/decide"), &consultant, json!({"selections": [{"candidacy_id": cc}]})).await.problem(403);
    let no_reason = app.post(&format!("{base}/decide"), &admin, json!({"selections": [{"candidacy_id": cc}, {"candidacy_id": ca}]})).await;
    assert_eq!(no_reason.error_code("selections[1].reason").as_deref(), Some("required"), "{}", no_reason.body);
    let too_many = app.post(&format!("{base}/decide"), &admin, json!({"selections": [{"candidacy_id": cc}, {"candidacy_id": cb}, {"candidacy_id": ca}]})).await;
    assert_eq!(too_many.error_code("selections").as_deref(), Some("too_many"), "{}", too_many.body);
    let decided = app
        .post(
            &format!("{base}/decide"),
            &admin,
            json!({"selections": [{"candidacy_id": cc}, {"candidacy_id": ca, "reason": "Obec se zavázala k předem definovaným aktivitám"}], "note": "Rozhodnutí ředitele"}),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    assert_eq!(decided.body["status"], "decided");
    assert!(decided.body["decided_at"].is_string());

    // Final.
    app.post(&format!("{base}/decide"), &admin, json!({"selections": []})).await.problem(409);
    put(&app, &format!("/api/v1/candidacies/{cb}/scores"), &consultant, json!({"scores": [{"criterion": "need", "points": 1}]})).await.problem(409);

    // Outcomes, ranks, and a cooperation with a forming partnership per selection.
    let b_after = app.get(&format!("/api/v1/candidacies/{cb}"), Some(&reporter)).await.body;
    assert_eq!((b_after["outcome"].as_str(), b_after["rank"].as_u64(), b_after["cooperation_id"].is_null()), (Some("not_selected"), Some(2), true));
    let a_after = app.get(&format!("/api/v1/candidacies/{ca}"), Some(&reporter)).await.body;
    assert_eq!((a_after["outcome"].as_str(), a_after["rank"].as_u64()), (Some("selected"), Some(3)));
    assert_eq!(a_after["selection_reason"], "Obec se zavázala k předem definovaným aktivitám");
    let partnership = app.get(&format!("/api/v1/partnerships/{}", a_after["partnership_id"].as_str().unwrap()), None).await;
    assert_eq!(partnership.body["status"], "forming", "{}", partnership.body);
    assert_eq!(partnership.body["territorial_unit_ids"], json!([a]));
    let cooperation = app.get(&format!("/api/v1/cooperations/{}", a_after["cooperation_id"].as_str().unwrap()), Some(&admin)).await;
    assert_eq!(cooperation.status, 200, "{}", cooperation.body);
    assert_eq!(
        (
            cooperation.body["partnership_id"].as_str(),
            cooperation.body["start_on"].as_str(),
            cooperation.body["template"].as_str(),
            cooperation.body["status"].as_str()
        ),
        (a_after["partnership_id"].as_str(), Some("2027-07-01"), Some("standard_36"), Some("agreed"))
    );
    assert_eq!(cooperation.body["predefined_activities"], json!(["Prostupné zaměstnávání", "Sociální bydlení"]));
    let selected = app.get(&format!("/api/v1/candidacies?round_id={round}&outcome=selected"), Some(&admin)).await;
    assert_eq!(selected.body["items"].as_array().unwrap().len(), 2);

    // The decision's records are in the change feed like any write.
    let feed = app.get("/api/v1/changes?resource=cooperation", Some(&admin)).await;
    let ids: Vec<&str> = feed.body["items"].as_array().unwrap().iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(ids.contains(&a_after["cooperation_id"].as_str().unwrap()), "{}", feed.body);
}

#[tokio::test]
async fn a_withdrawn_candidacy_frees_its_unit_and_a_passed_deadline_keeps_a_round_from_opening() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Obec Delta", "municipality", None).await;
    let body = |until: chrono::DateTime<Utc>| {
        json!({"year": 2027, "title": "Kolo", "places": 1, "applications_until": until.to_rfc3339(), "cooperation_start_on": "2027-07-01",
               "criteria": [{"key": "k", "name": "Kritérium", "weight": 1, "max_points": 5}]})
    };
    let past = app.create("/api/v1/recruitment-rounds", &admin, body(Utc::now() - chrono::Duration::days(1))).await;
    app.post(&format!("/api/v1/recruitment-rounds/{past}/open"), &admin, json!({})).await.problem(409);
    let archived = app.delete(&format!("/api/v1/recruitment-rounds/{past}"), &admin).await;
    assert!(archived.status.is_success(), "{}", archived.body);
    // An archived round takes no change and no step.
    app.patch(&format!("/api/v1/recruitment-rounds/{past}"), &admin, json!({"applications_until": (Utc::now() + chrono::Duration::days(9)).to_rfc3339()}))
        .await
        .problem(409);
    // A misspelt field inside a question is refused, not dropped.
    let mut typo = body(Utc::now() + chrono::Duration::days(30));
    typo["questions"] = json!([{"key": "q", "text": "Otázka", "kind": "text", "require": true}]);
    app.post("/api/v1/recruitment-rounds", &admin, typo).await.problem(400);

    let round = app.create("/api/v1/recruitment-rounds", &admin, body(Utc::now() + chrono::Duration::days(30))).await;
    app.post(&format!("/api/v1/recruitment-rounds/{round}/open"), &admin, json!({})).await;
    app.delete(&format!("/api/v1/recruitment-rounds/{round}"), &admin).await.problem(409);
    let apply = json!({"round_id": round, "territorial_unit_id": unit, "resolution": {"body": "council", "adopted_on": "2026-11-01", "number": "R/1"},
                       "co_financing": {"committed": false}});
    let first = app.create("/api/v1/candidacies", &admin, apply.clone()).await;
    app.post("/api/v1/candidacies", &admin, apply.clone()).await.problem(409);
    let withdrawn = app.delete(&format!("/api/v1/candidacies/{first}"), &admin).await;
    assert!(withdrawn.status.is_success(), "{}", withdrawn.body);
    app.patch(&format!("/api/v1/candidacies/{first}"), &admin, json!({"note": "po stažení"})).await.problem(409);
    app.delete(&format!("/api/v1/candidacies/{first}"), &admin).await.problem(409);
    let again = app.post("/api/v1/candidacies", &admin, apply).await;
    assert_eq!(again.status, 201, "{}", again.body);
    let all = app.get(&format!("/api/v1/candidacies?round_id={round}&include_archived=true"), Some(&admin)).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_demo_holds_the_2014_round_decided_and_its_cooperations_handed_over() {
    let app = crate::helpers::spawn_app_with_demo().await;
    let reporter = app.token(Role::Reporter, &[], None);
    let rounds = app.get("/api/v1/recruitment-rounds?year=2014", Some(&reporter)).await;
    assert_eq!(rounds.status, 200, "{}", rounds.body);
    let round = &rounds.body["items"][0];
    assert_eq!((round["places"].as_u64(), round["status"].as_str(), round["cooperation_start_on"].as_str()), (Some(9), Some("decided"), Some("2014-07-01")));
    let ranking = app.get(&format!("/api/v1/recruitment-rounds/{}/ranking", round["id"].as_str().unwrap()), Some(&reporter)).await;
    let entries = ranking.body["candidacies"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    let outcomes: Vec<&str> = entries.iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["selected", "selected", "not_selected", "not_selected"]);
    let totals: Vec<f64> = entries.iter().map(|e| e["result"]["total"].as_f64().unwrap()).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");

    let first = app.get(&format!("/api/v1/candidacies/{}", entries[0]["candidacy_id"].as_str().unwrap()), Some(&reporter)).await.body;
    let cooperation = first["cooperation_id"].as_str().unwrap();
    let timeline = app.get(&format!("/api/v1/cooperations/{cooperation}/timeline?as_of=2017-07-01"), Some(&reporter)).await;
    assert_eq!(timeline.body["summary"]["late"], false, "{}", timeline.body);
    assert!(timeline.body["phases"].as_array().unwrap().iter().all(|p| p["state"] == "done"), "{}", timeline.body);
}
