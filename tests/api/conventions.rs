//! The API conventions: If-Match, Idempotency-Key, problem details for bad input, audit,
//! pagination, filters and sorting.

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin();
    let org = app.org(&admin, "Světlo, o.s.", "ngo", None).await;
    let path = format!("/api/v1/organizations/{org}");
    let first = app.send(Method::PATCH, &path, Some(&admin), Some(&json!({"address": "Žlutice 1"})), &[("If-Match", "\"1\"")]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(first.body["version"], 2);

    let stale = app.send(Method::PATCH, &path, Some(&admin), Some(&json!({"address": "Valeč 2"})), &[("If-Match", "\"1\"")]).await;
    stale.problem(412);
    app.send(Method::DELETE, &path, Some(&admin), None, &[("If-Match", "\"1\"")]).await.problem(412);
    let now = app.get(&path, None).await;
    assert_eq!(now.body["address"], "Žlutice 1");
    assert_eq!(now.body["version"], 2);
    assert!(now.body["archived_at"].is_null());
    let audit = app.get(&format!("/api/v1/audit?resource_id={org}"), Some(&admin)).await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 2, "the refused writes left no audit entry");

    // If-Match compares strongly (RFC 9110): a weak tag never matches.
    app.send(Method::PATCH, &path, Some(&admin), Some(&json!({"web": "https://svetlo.example"})), &[("If-Match", "W/\"2\"")]).await.problem(412);
    let star = app.send(Method::PATCH, &path, Some(&admin), Some(&json!({"web": "https://svetlo.example"})), &[("If-Match", "*")]).await;
    assert_eq!(star.status, 200);
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response() {
    let app = spawn_app().await;
    let admin = app.admin();
    let body = json!({"name": "Člověk v tísni, o.p.s.", "kind": "ngo", "ico": "25755277"});
    let first = app.send(Method::POST, "/api/v1/organizations", Some(&admin), Some(&body), &[("Idempotency-Key", "import-42")]).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = app.send(Method::POST, "/api/v1/organizations", Some(&admin), Some(&body), &[("Idempotency-Key", "import-42")]).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotency-replayed").as_deref(), Some("true"));
    let all = app.get("/api/v1/organizations?count=true", None).await;
    assert_eq!(all.body["total"], 1, "nothing was created twice");

    let other = json!({"name": "Jiná organizace", "kind": "ngo"});
    let reused = app.send(Method::POST, "/api/v1/organizations", Some(&admin), Some(&other), &[("Idempotency-Key", "import-42")]).await;
    reused.problem(422);
    assert_eq!(app.get("/api/v1/organizations?count=true", None).await.body["total"], 1);
    // Keys belong to their caller: another subject may use the same key.
    let importer = app.token(domain::access::Role::Importer, &[], None);
    let theirs = app.send(Method::POST, "/api/v1/organizations", Some(&importer), Some(&other), &[("Idempotency-Key", "import-42")]).await;
    assert_eq!(theirs.status, 201);
}

#[tokio::test]
async fn bad_input_gets_the_right_problem_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Žlutice", "town", None).await;
    let p = app.partnership(&admin, "LP Žluticko", &[&unit]).await;
    let org = app.org(&admin, "Město Žlutice", "municipality", Some("00255050")).await;
    let raw = |body: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let resp = app
                .client
                .post(format!("{}/api/v1/organizations", app.base))
                .bearer_auth(admin)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
            let body: serde_json::Value = resp.json().await.unwrap();
            (status, ct, body)
        }
    };

    let invalid_ico = app.post("/api/v1/organizations", &admin, json!({"name": "X", "kind": "ngo", "ico": "00255051"})).await;
    invalid_ico.problem(422);
    assert_eq!(invalid_ico.error_code("ico").as_deref(), Some("check_digit"));

    let dup = app.post("/api/v1/organizations", &admin, json!({"name": "Y", "kind": "ngo", "ico": "0255050"})).await;
    dup.problem(409);
    assert_eq!(dup.error_code("ico").as_deref(), Some("conflict"));

    let before = app
        .post(&format!("/api/v1/partnerships/{p}/memberships"), &admin, json!({"organization_id": org, "joined_on": "2020-05-01", "left_on": "2020-04-30"}))
        .await;
    before.problem(422);
    assert_eq!(before.error_code("left_on").as_deref(), Some("before_start"));

    let unknown = app.post("/api/v1/organizations", &admin, json!({"name": "X", "kind": "ngo", "is_admin": true})).await;
    unknown.problem(400);
    assert_eq!(unknown.error_code("is_admin").as_deref(), Some("unknown_field"));

    let wrong_type = app.post("/api/v1/organizations", &admin, json!({"name": 5, "kind": "ngo"})).await;
    wrong_type.problem(400);
    let unknown_code = app.post("/api/v1/organizations", &admin, json!({"name": "X", "kind": "spaceship"})).await;
    unknown_code.problem(400);

    let (status, ct, body) = raw("{\"name\": \"X\", ").await;
    assert_eq!((status, ct.as_deref()), (400, Some("application/problem+json")), "{body}");

    let big = json!({"name": "X", "kind": "ngo", "address": "x".repeat(70 * 1024)});
    app.post("/api/v1/organizations", &admin, big).await.problem(413);

    let missing_person = app
        .post(
            &format!("/api/v1/partnerships/{p}/memberships"),
            &admin,
            json!({"organization_id": org, "joined_on": "2020-05-01", "representatives": [{"person_id": uuid::Uuid::now_v7()}]}),
        )
        .await;
    missing_person.problem(422);
    assert_eq!(missing_person.error_code("representatives[0].person_id").as_deref(), Some("not_found"));

    let bad_patch = app.patch(&format!("/api/v1/organizations/{org}"), &admin, json!({"kind": null})).await;
    bad_patch.problem(400);
    app.get("/api/v1/organizations/not-a-uuid", None).await.problem(400);
    app.get(&format!("/api/v1/organizations/{}", uuid::Uuid::now_v7()), None).await.problem(404);
    app.get("/api/v1/nothing-here", None).await.problem(404);

    // Only the two successful creations exist; nothing else was written.
    assert_eq!(app.get("/api/v1/organizations?count=true", None).await.body["total"], 1);
    assert_eq!(app.get(&format!("/api/v1/partnerships/{p}/memberships"), Some(&admin)).await.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn nested_writes_are_audited_too() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Valeč", "municipality", None).await;
    let p = app.partnership(&admin, "LP Valeč", &[&unit]).await;
    let org = app.org(&admin, "Obec Valeč", "municipality", None).await;
    let m = app.create(&format!("/api/v1/partnerships/{p}/memberships"), &admin, json!({"organization_id": org, "joined_on": "2014-07-01"})).await;
    app.patch(&format!("/api/v1/memberships/{m}"), &admin, json!({"left_on": "2017-06-30"})).await;
    let meeting = app.create(&format!("/api/v1/partnerships/{p}/meetings"), &admin, json!({"title": "Setkání", "starts_at": "2014-09-01T10:00:00Z"})).await;
    let item = app.create(&format!("/api/v1/meetings/{meeting}/action-items"), &admin, json!({"title": "Úkol"})).await;
    app.delete(&format!("/api/v1/action-items/{item}"), &admin).await;
    for (id, actions) in [(m.as_str(), vec!["create", "update"]), (meeting.as_str(), vec!["create"]), (item.as_str(), vec!["create", "archive"])] {
        let audit = app.get(&format!("/api/v1/audit?resource_id={id}"), Some(&admin)).await;
        let got: Vec<&str> = audit.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(got, actions, "{id}");
    }
    let membership_update = app.get(&format!("/api/v1/audit?resource_type=membership&resource_id={m}"), Some(&admin)).await;
    assert_eq!(membership_update.body["items"][1]["after"]["left_on"], "2017-06-30");
}

#[tokio::test]
async fn every_write_leaves_an_audit_entry() {
    let app = spawn_app().await;
    let admin = app.admin();
    let org = app.org(&admin, "Lesy Žlutice, s.r.o.", "business", None).await;
    app.patch(&format!("/api/v1/organizations/{org}"), &admin, json!({"web": "https://lesy.example"})).await;
    assert_eq!(app.delete(&format!("/api/v1/organizations/{org}"), &admin).await.status, 204);
    let audit = app.get(&format!("/api/v1/audit?resource_type=organization&resource_id={org}"), Some(&admin)).await;
    let items = audit.body["items"].as_array().unwrap();
    assert_eq!(items.iter().map(|e| e["action"].as_str().unwrap()).collect::<Vec<_>>(), ["create", "update", "archive"]);
    assert!(items[0]["before"].is_null());
    assert_eq!(items[1]["before"]["web"], serde_json::Value::Null);
    assert_eq!(items[1]["after"]["web"], "https://lesy.example");
    assert_eq!(items[2]["actor"], "admin-user");
    assert_eq!(items[2]["actor_role"], "admin");
    assert!(items[2]["request_id"].as_str().is_some_and(|r| r.len() > 10));
    // Archived resources leave lists but stay readable.
    assert_eq!(app.get("/api/v1/organizations", None).await.body["items"].as_array().unwrap().len(), 0);
    assert!(app.get(&format!("/api/v1/organizations/{org}"), None).await.body["archived_at"].is_string());
}

#[tokio::test]
async fn lists_page_with_stable_cursors_sort_and_refuse_unknown_parameters() {
    let app = spawn_app().await;
    let admin = app.admin();
    let names = ["Ďáblice", "Bečov", "Žlutice", "Andělská Hora", "Valeč", "Chyše", "Toužim"];
    for name in names {
        app.org(&admin, name, "municipality", None).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/organizations?limit=3&sort=-name&cursor={c}"),
            None => "/api/v1/organizations?limit=3&sort=-name".to_owned(),
        };
        let page = app.get(&path, None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            seen.push(item["name"].as_str().unwrap().to_owned());
        }
        pages += 1;
        if pages == 1 {
            // A row inserted between two pages does not shift the next page.
            app.org(&admin, "Zzz nový", "municipality", None).await;
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    // Names sort ignoring case and diacritics, the same on every database.
    assert_eq!(seen, ["Žlutice", "Valeč", "Toužim", "Ďáblice", "Chyše", "Bečov", "Andělská Hora"]);
    assert_eq!(pages, 3);

    app.get("/api/v1/organizations?sort=password", None).await.problem(400);
    app.get("/api/v1/organizations?colour=red", None).await.problem(400);
    app.get("/api/v1/organizations?limit=501", None).await.problem(400);
    app.get("/api/v1/organizations?limit=0", None).await.problem(400);
    app.get("/api/v1/organizations?cursor=garbage", None).await.problem(400);
    let first = app.get("/api/v1/organizations?limit=2&sort=name", None).await;
    let foreign = first.body["next_cursor"].as_str().unwrap();
    app.get(&format!("/api/v1/organizations?limit=2&sort=-name&cursor={foreign}"), None).await.problem(400);
    assert_eq!(app.get("/api/v1/organizations?count=true&limit=1", None).await.body["total"], 8);
    assert_eq!(app.get("/api/v1/organizations?q=DABLICE", None).await.body["items"][0]["name"], "Ďáblice");
}
