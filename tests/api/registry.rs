//! The registry built through the API: the Žluticko partnership with all 14 members.

use domain::access::Role;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with_demo};

/// Members of the Žluticko partnership (DOMAIN.md): organization, kind, and the functions of
/// its representatives. Representatives are named by function: no real personal data.
const ZLUTICKO: &[(&str, &str, &[&str])] = &[
    ("Město Žlutice", "municipality", &["starosta", "tajemník", "terénní pracovník"]),
    ("Obec Valeč", "municipality", &["starosta", "zastupitel"]),
    ("Technické služby Žlutice, s.r.o.", "business", &["jednatel"]),
    ("Lesy Žlutice, s.r.o.", "business", &["ředitel", "zástupce ředitele"]),
    ("Policie ČR", "police", &["koordinátor prevence kriminality", "vedoucí obvodního oddělení Žlutice", "preventista"]),
    ("ZŠ a ZUŠ Žlutice", "school", &["ředitel", "zástupce ředitele", "výchovný poradce", "speciální pedagog"]),
    ("MŠ Žlutice", "school", &["ředitelka"]),
    ("Výchovný ústav Žlutice", "school", &["ředitel"]),
    ("Úřad práce Karlovy Vary", "labour_office", &["vedoucí kontaktního pracoviště", "manažer"]),
    ("Člověk v tísni, o.p.s. Karlovy Vary", "ngo", &["ředitel", "terénní pracovník"]),
    ("Světlo, o.s.", "ngo", &["ředitel", "terénní pracovník"]),
    ("Český západ, o.s.", "ngo", &["ředitel", "terénní pracovník"]),
    ("Pomoc v nouzi, o.p.s.", "ngo", &["Intervenční centrum Sokolov"]),
    ("Tranquillite, o.s.", "ngo", &["zástupce"]),
];

#[tokio::test]
async fn zluticko_is_built_through_the_api_and_read_back() {
    let app = spawn_app().await;
    let admin = app.admin();
    let zlutice = app.unit(&admin, "Žlutice", "town", Some("555771")).await;
    let valec = app.unit(&admin, "Valeč", "municipality", Some("555720")).await;
    let agency = app.org(&admin, "Agentura pro sociální začleňování", "state_administration", None).await;
    let consultant = app.person(&admin, "Lokální konzultant Žluticko", &agency).await;
    let p = app
        .create(
            "/api/v1/partnerships",
            &admin,
            json!({
                "name": "Lokální partnerství Žluticko",
                "territorial_unit_ids": [zlutice, valec],
                "founding_act": "usnesení vlády č. 85 ze dne 23. ledna 2008",
                "memorandum_signed_on": "2008-03-01",
                "established_on": "2008-04-01",
                "consultant_ids": [consultant],
            }),
        )
        .await;

    let mut expected_reps = 0;
    for (name, kind, functions) in ZLUTICKO {
        let org = app.org(&admin, name, kind, None).await;
        let mut reps = Vec::new();
        for function in *functions {
            let person = app.person(&admin, &format!("{function} ({name})"), &org).await;
            reps.push(json!({"person_id": person, "function": function}));
        }
        expected_reps += reps.len();
        app.create(
            &format!("/api/v1/partnerships/{p}/memberships"),
            &admin,
            json!({"organization_id": org, "joined_on": "2008-04-01", "representatives": reps}),
        )
        .await;
    }

    let members = app.get(&format!("/api/v1/partnerships/{p}/memberships?limit=500&count=true"), Some(&admin)).await;
    assert_eq!(members.status, 200);
    assert_eq!(members.body["total"], 14);
    let items = members.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 14);
    let reps: usize = items.iter().map(|m| m["representatives"].as_array().unwrap().len()).sum();
    assert_eq!(reps, expected_reps);
    let police =
        items.iter().find(|m| m["representatives"].as_array().unwrap().len() == 3 && m["representatives"][0]["function"] == "koordinátor prevence kriminality");
    assert!(police.is_some(), "the police representatives keep their order and functions");

    let read = app.get(&format!("/api/v1/partnerships/{p}"), None).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body["status"], "forming");
    assert_eq!(read.body["territorial_unit_ids"].as_array().unwrap().len(), 2);
    assert_eq!(read.header("etag").as_deref(), Some("\"1\""));

    // Filters a front-end needs, and search that ignores diacritics.
    let by_region = app.get("/api/v1/partnerships?region=CZ041", None).await;
    assert_eq!(by_region.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.get("/api/v1/partnerships?region=CZ080", None).await.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.get(&format!("/api/v1/partnerships?territorial_unit_id={valec}"), None).await.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.get(&format!("/api/v1/partnerships?consultant_id={consultant}"), None).await.body["items"][0]["id"], p.as_str());
    assert_eq!(app.get("/api/v1/partnerships?q=ZLUTICKO", None).await.body["items"][0]["id"], p.as_str());
    assert_eq!(app.get("/api/v1/partnerships?status=active", None).await.body["items"].as_array().unwrap().len(), 0);
    let orgs = app.get("/api/v1/organizations?q=clovek%20v%20tisni", None).await;
    assert_eq!(orgs.body["items"][0]["name"], "Člověk v tísni, o.p.s. Karlovy Vary");
    let members_of = app.get(&format!("/api/v1/organizations?partnership_id={p}&count=true&limit=1"), Some(&admin)).await;
    assert_eq!(members_of.body["total"], 14);

    // Memberships by organization, across partnerships.
    let org_id = items[0]["organization_id"].as_str().unwrap();
    let by_org = app.get(&format!("/api/v1/memberships?organization_id={org_id}"), Some(&admin)).await;
    assert_eq!(by_org.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_membership_keeps_its_history_and_may_not_overlap() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Žlutice", "town", None).await;
    let p = app.partnership(&admin, "LP Žluticko", &[&unit]).await;
    let org = app.org(&admin, "Světlo, o.s.", "ngo", None).await;
    let m = app.create(&format!("/api/v1/partnerships/{p}/memberships"), &admin, json!({"organization_id": org, "joined_on": "2015-01-01"})).await;
    app.post(&format!("/api/v1/partnerships/{p}/memberships"), &admin, json!({"organization_id": org, "joined_on": "2016-01-01"})).await.problem(409);

    let left = app.patch(&format!("/api/v1/memberships/{m}"), &admin, json!({"left_on": "2017-06-30"})).await;
    assert_eq!(left.status, 200, "{}", left.body);
    // Rejoining after leaving is a new membership; the old one stays.
    app.create(&format!("/api/v1/partnerships/{p}/memberships"), &admin, json!({"organization_id": org, "joined_on": "2018-01-01"})).await;
    let all = app.get(&format!("/api/v1/partnerships/{p}/memberships"), Some(&admin)).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
    let active = app.get(&format!("/api/v1/partnerships/{p}/memberships?active_on=2017-12-31"), Some(&admin)).await;
    assert_eq!(active.body["items"].as_array().unwrap().len(), 0);
    let active = app.get(&format!("/api/v1/partnerships/{p}/memberships?active_on=2018-02-01"), Some(&admin)).await;
    assert_eq!(active.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn partnership_lifecycle_moves_only_by_actions() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Rozvodí", "microregion", None).await;
    let p = app.partnership(&admin, "LP Rozvodí", &[&unit]).await;
    app.patch(&format!("/api/v1/partnerships/{p}"), &admin, json!({"status": "active"})).await.problem(400);
    app.post(&format!("/api/v1/partnerships/{p}/hand-over"), &admin, json!(null)).await.problem(409);
    let active = app.post(&format!("/api/v1/partnerships/{p}/activate"), &admin, json!(null)).await;
    assert_eq!(active.status, 200, "{}", active.body);
    assert_eq!(active.body["status"], "active");
    app.post(&format!("/api/v1/partnerships/{p}/activate"), &admin, json!(null)).await.problem(409);
    assert_eq!(app.post(&format!("/api/v1/partnerships/{p}/hand-over"), &admin, json!(null)).await.body["status"], "handed_over");
    assert_eq!(app.post(&format!("/api/v1/partnerships/{p}/end"), &admin, json!(null)).await.body["status"], "ended");
    app.post(&format!("/api/v1/partnerships/{p}/end"), &admin, json!(null)).await.problem(409);
    let audit = app.get(&format!("/api/v1/audit?resource_id={p}"), Some(&admin)).await;
    let actions: Vec<&str> = audit.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "activate", "hand_over", "end"]);
}

#[tokio::test]
async fn territorial_units_hold_excluded_localities() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Žlutice", "town", Some("555771")).await;
    let taken = app.post("/api/v1/territorial-units", &admin, json!({"name": "Jiné", "kind": "town", "municipality_code": "555771", "region": "CZ041"})).await;
    taken.problem(409);
    assert_eq!(taken.error_code("municipality_code").as_deref(), Some("conflict"), "{}", taken.body);
    let spanning = app
        .post("/api/v1/territorial-units", &admin, json!({"name": "Rozvodí", "kind": "microregion", "municipality_code": "555772", "region": "CZ041"}))
        .await;
    spanning.problem(422);
    assert_eq!(spanning.error_code("municipality_code").as_deref(), Some("not_applicable"), "{}", spanning.body);
    let region = app.post("/api/v1/territorial-units", &admin, json!({"name": "X", "kind": "town", "region": "CZ999"})).await;
    region.problem(400);
    assert_eq!(region.error_code("body").as_deref(), Some("unknown_code"), "{}", region.body);
    let loc =
        app.create(&format!("/api/v1/territorial-units/{unit}/excluded-localities"), &admin, json!({"name": "Sídliště", "estimated_residents": 250})).await;
    let list = app.get(&format!("/api/v1/territorial-units/{unit}/excluded-localities"), None).await;
    assert_eq!(list.body["items"][0]["id"], loc.as_str());
    assert_eq!(list.body["items"][0]["territorial_unit_id"], unit.as_str());
    assert_eq!(app.delete(&format!("/api/v1/excluded-localities/{loc}"), &admin).await.status, 204);
    assert_eq!(app.get(&format!("/api/v1/territorial-units/{unit}/excluded-localities"), None).await.body["items"].as_array().unwrap().len(), 0);
    let archived = app.get(&format!("/api/v1/territorial-units/{unit}/excluded-localities?include_archived=true"), None).await;
    assert!(archived.body["items"][0]["archived_at"].is_string());
}

#[tokio::test]
async fn the_demo_dataset_holds_zluticko_and_rozvodi() {
    let app = spawn_app_with_demo().await;
    let admin = app.admin();
    let list = app.get("/api/v1/partnerships?sort=name", None).await;
    let items = list.body["items"].as_array().unwrap();
    // Žluticko, Rozvodí and the two partnerships the 2014 recruitment's decision started.
    assert_eq!(items.len(), 4, "loaded once, not twice");
    let recruited = items.iter().filter(|p| p["status"] == "handed_over").count();
    assert_eq!(recruited, 2, "{}", list.body);
    let zluticko = items.iter().find(|p| p["name"] == "Lokální partnerství Žluticko").unwrap();
    let rozvodi = items.iter().find(|p| p["name"] == "Lokální partnerství Rozvodí").unwrap();
    let members = app.get(&format!("/api/v1/partnerships/{}/memberships?count=true", zluticko["id"].as_str().unwrap()), Some(&admin)).await;
    assert_eq!(members.body["total"], 14);
    let groups = app.get(&format!("/api/v1/partnerships/{}/working-groups?count=true", rozvodi["id"].as_str().unwrap()), Some(&admin)).await;
    assert_eq!(groups.body["total"], 6);
    let meetings = app.get(&format!("/api/v1/partnerships/{}/meetings", rozvodi["id"].as_str().unwrap()), Some(&admin)).await;
    assert_eq!(meetings.body["items"][0]["starts_at"], "2018-10-25T13:00:00Z");
    let plans = app.get(&format!("/api/v1/partnerships/{}/strategic-plans", rozvodi["id"].as_str().unwrap()), None).await;
    let plan = &plans.body["items"][0];
    // Valid 2019-05-01 to 2022-12-31: expired by the expiry job at start, none in force today.
    assert_eq!((plan["status"].as_str(), plan["ended_on"].as_str()), (Some("expired"), Some("2022-12-31")));
    let in_force = app.get(&format!("/api/v1/partnerships/{}/strategic-plans?status=in_force&count=true", rozvodi["id"].as_str().unwrap()), None).await;
    assert_eq!(in_force.body["total"], 0, "{}", in_force.body);
    let fulfilment = app.get(&format!("/api/v1/strategic-plans/{}/fulfilment?as_of=2020-07-01", plan["id"].as_str().unwrap()), Some(&admin)).await;
    assert_eq!(fulfilment.body["counts"]["total"], 6);
    assert_eq!(fulfilment.body["counts"]["completed"], 1);
    assert_eq!(fulfilment.body["counts"]["unreported"], 2);
    let calls = app.get("/api/v1/calls?kpsvl=true", None).await;
    assert_eq!(calls.body["items"].as_array().unwrap().len(), 2);
    let projects = app.get(&format!("/api/v1/projects?partnership_id={}", rozvodi["id"].as_str().unwrap()), Some(&admin)).await;
    assert_eq!(projects.body["items"][0]["status"], "in_realization");
    let funding = app.get(&format!("/api/v1/reports/strategic-plans/{}/measure-funding", plan["id"].as_str().unwrap()), Some(&admin)).await;
    assert_eq!(funding.body["items"][0]["coverage"], "partial");
    assert_eq!(app.get("/api/v1/counselling-records", Some(&admin)).await.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn partnership_decisions_belong_to_admins_and_its_consultants_and_replay_once_allowed() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Rozvodí", "microregion", None).await;
    let p = app.partnership(&admin, "LP Rozvodí", &[&unit]).await;
    let other = app.partnership(&admin, "LP Jinde", &[&unit]).await;
    let status = app.patch(&format!("/api/v1/partnerships/{p}"), &admin, json!({"status": "active"})).await;
    status.problem(400);
    assert_eq!(status.error_code("status").as_deref(), Some("unknown_field"));

    // The importer writes partnerships but takes no decision; a consultant decides where assigned.
    let importer = app.token(Role::Importer, &[], None);
    let consultant = app.token(Role::Consultant, &[&p], None);
    let decision = "your role does not allow this decision in this partnership; admins and its consultants take it";
    assert_eq!(app.post(&format!("/api/v1/partnerships/{p}/activate"), &importer, json!(null)).await.problem(403)["detail"], decision);
    assert_eq!(app.post(&format!("/api/v1/partnerships/{other}/activate"), &consultant, json!(null)).await.problem(403)["detail"], decision);
    let unknown = format!("/api/v1/partnerships/{}/activate", uuid::Uuid::now_v7());
    assert_eq!(app.post(&unknown, &admin, json!(null)).await.problem(404)["type"], "urn:inclusion:problem:not-found");

    let key = [("Idempotency-Key", "activate-rozvodi")];
    let path = format!("/api/v1/partnerships/{p}/activate");
    // A retry is answered only to a caller who may make the request.
    let refused = app.send(Method::POST, &path, Some(&importer), Some(&json!(null)), &key).await;
    assert_eq!(refused.problem(403)["detail"], decision);
    let first = app.send(Method::POST, &path, Some(&consultant), Some(&json!(null)), &key).await;
    assert_eq!((first.status.as_u16(), first.body["status"].as_str()), (200, Some("active")), "{}", first.body);
    let again = app.send(Method::POST, &path, Some(&consultant), Some(&json!(null)), &key).await;
    assert_eq!((again.status.as_u16(), again.header("idempotency-replayed").as_deref()), (200, Some("true")));
    assert_eq!(again.body, first.body);
    let stranger = app.token(Role::Consultant, &[&other], None);
    assert_eq!(app.send(Method::POST, &path, Some(&stranger), Some(&json!(null)), &key).await.problem(403)["detail"], decision);
    let conflict = app.post(&path, &consultant, json!(null)).await;
    assert_eq!(conflict.problem(409)["type"], "urn:inclusion:problem:conflict");

    // Content: whoever writes the partnership's records, while its status permits it.
    let renamed = app.patch(&format!("/api/v1/partnerships/{p}"), &consultant, json!({"name": "LP Rozvodí a okolí"})).await;
    assert_eq!((renamed.status.as_u16(), renamed.body["version"].as_i64()), (200, Some(3)), "{}", renamed.body);
    let refused = app.patch(&format!("/api/v1/partnerships/{other}"), &consultant, json!({"name": "x"})).await;
    assert_eq!(refused.problem(403)["detail"], "your role does not allow changes in this partnership");
    // Archiving: headquarters only; an ended partnership stays as it is.
    assert_eq!(app.delete(&format!("/api/v1/partnerships/{p}"), &consultant).await.problem(403)["detail"], "only admins archive partnerships");
    assert_eq!(app.post(&format!("/api/v1/partnerships/{other}/end"), &admin, json!(null)).await.body["status"], "ended");
    let ended = app.patch(&format!("/api/v1/partnerships/{other}"), &admin, json!({"name": "x"})).await;
    assert!(ended.problem(409)["detail"].as_str().unwrap().contains("has ended"), "{}", ended.body);
    app.delete(&format!("/api/v1/partnerships/{other}"), &admin).await.problem(409);
    assert_eq!(app.delete(&format!("/api/v1/partnerships/{p}"), &admin).await.status, 204);
    assert!(app.get(&format!("/api/v1/partnerships/{p}"), None).await.body["archived_at"].is_string());
}

#[tokio::test]
async fn registry_writes_check_the_role_then_the_row_then_the_input() {
    let app = spawn_app().await;
    let admin = app.admin();
    let reporter = app.token(Role::Reporter, &[], None);
    let unit = app.unit(&admin, "Žlutice", "town", Some("555771")).await;
    let org = app.org(&admin, "Město Žlutice", "municipality", None).await;
    let missing = uuid::Uuid::now_v7();
    let registry = "your role does not allow changes to the registry";
    // (path of an existing row, of a missing one)
    for (kind, found) in [("territorial-units", &unit), ("organizations", &org)] {
        assert_eq!(app.patch(&format!("/api/v1/{kind}/{found}"), &reporter, json!({"name": "x"})).await.problem(403)["detail"], registry);
        assert_eq!(app.delete(&format!("/api/v1/{kind}/{found}"), &reporter).await.problem(403)["detail"], registry);
        let ok = app.get(&format!("/api/v1/{kind}/{found}"), None).await;
        assert_eq!((ok.status.as_u16(), ok.header("etag").as_deref()), (200, Some("\"1\"")));
        let gone = app.patch(&format!("/api/v1/{kind}/{missing}"), &admin, json!({"name": "x"})).await;
        assert_eq!(gone.problem(404)["type"], "urn:inclusion:problem:not-found");
        let blank = app.patch(&format!("/api/v1/{kind}/{found}"), &admin, json!({"name": " "})).await;
        blank.problem(422);
        assert_eq!(blank.error_code("name").as_deref(), Some("blank"), "{kind}: {}", blank.body);
    }
    // An excluded locality needs its unit.
    let orphan = app.post(&format!("/api/v1/territorial-units/{missing}/excluded-localities"), &admin, json!({"name": "Sídliště"})).await;
    assert_eq!(orphan.problem(404)["type"], "urn:inclusion:problem:not-found");
    let refused = app.post(&format!("/api/v1/territorial-units/{unit}/excluded-localities"), &reporter, json!({"name": "Sídliště"})).await;
    assert_eq!(refused.problem(403)["detail"], registry);
    let loc = app.create(&format!("/api/v1/territorial-units/{unit}/excluded-localities"), &admin, json!({"name": "Sídliště"})).await;
    let renamed = app.patch(&format!("/api/v1/excluded-localities/{loc}"), &admin, json!({"estimated_residents": -1})).await;
    renamed.problem(422);
    assert_eq!(renamed.error_code("estimated_residents").as_deref(), Some("range"), "{}", renamed.body);
    app.get(&format!("/api/v1/territorial-units/{missing}/excluded-localities"), None).await.problem(404);
    assert_eq!(app.get(&format!("/api/v1/territorial-units/{unit}/excluded-localities"), None).await.status, 200);
}

#[tokio::test]
async fn the_region_filter_follows_the_units_of_a_partnership_and_their_regions() {
    let app = spawn_app().await;
    let admin = app.admin();
    let in_region = |region: &'static str| {
        let app = &app;
        async move {
            let res = app.get(&format!("/api/v1/partnerships?region={region}&limit=500"), None).await;
            assert_eq!(res.status, 200, "{}", res.body);
            let mut ids: Vec<String> = res.body["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
            ids.sort();
            ids
        }
    };
    let sorted = |mut ids: Vec<&String>| {
        ids.sort();
        ids.into_iter().cloned().collect::<Vec<_>>()
    };
    let a = app.unit(&admin, "Žlutice", "town", None).await; // CZ041
    let b = app.create("/api/v1/territorial-units", &admin, json!({"name": "Kutná Hora", "kind": "town", "region": "CZ080"})).await;
    let p1 = app.partnership(&admin, "LP Žluticko", &[&a]).await;
    let p2 = app.partnership(&admin, "LP Dvě území", &[&a, &b]).await;
    assert_eq!(in_region("CZ041").await, sorted(vec![&p1, &p2]));
    assert_eq!(in_region("CZ080").await, vec![p2.clone()]);

    // A unit moves to another region: the partnerships covering it follow, unchanged themselves.
    let moved = app.patch(&format!("/api/v1/territorial-units/{b}"), &admin, json!({"region": "CZ042"})).await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert!(in_region("CZ080").await.is_empty());
    assert_eq!(in_region("CZ042").await, vec![p2.clone()]);
    assert_eq!(app.get(&format!("/api/v1/partnerships/{p2}"), None).await.header("etag").as_deref(), Some("\"1\""));

    // A partnership's units change; a refused change changes nothing.
    let res = app.patch(&format!("/api/v1/partnerships/{p1}"), &admin, json!({"territorial_unit_ids": [b]})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(in_region("CZ041").await, vec![p2.clone()]);
    assert_eq!(in_region("CZ042").await, sorted(vec![&p1, &p2]));
    let refused = app.patch(&format!("/api/v1/partnerships/{p1}"), &admin, json!({"territorial_unit_ids": [a, uuid::Uuid::now_v7()]})).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(in_region("CZ041").await, vec![p2.clone()]);
    let res = app.patch(&format!("/api/v1/partnerships/{p2}"), &admin, json!({"territorial_unit_ids": [b]})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(in_region("CZ041").await.is_empty());
    assert_eq!(in_region("CZ042").await, sorted(vec![&p1, &p2]));
}
