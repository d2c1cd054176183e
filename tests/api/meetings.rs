//! Working groups, meetings with attendance and resolutions, and action items.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn rozvodi_groups_meet_and_action_items_become_overdue() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Mikroregion Rozvodí", "microregion", None).await;
    let p = app.partnership(&admin, "LP Rozvodí", &[&unit]).await;
    let org = app.org(&admin, "Mikroregion Rozvodí", "municipality", None).await;
    let chair = app.person(&admin, "Předseda mikroregionu", &org).await;
    let clerk = app.person(&admin, "Koordinátor", &org).await;
    let mut groups = Vec::new();
    for (area, name) in [
        ("debt", "Dluhy"),
        ("housing", "Bydlení"),
        ("education", "Vzdělávání"),
        ("family", "Stabilita rodiny"),
        ("employment", "Nezaměstnanost"),
        ("risky_behaviour", "Prevence rizikového chování"),
    ] {
        groups.push(
            app.create(
                &format!("/api/v1/partnerships/{p}/working-groups"),
                &admin,
                json!({"name": name, "thematic_area": area, "coordinator_id": chair, "member_ids": [chair, clerk]}),
            )
            .await,
        );
    }
    let listed = app.get(&format!("/api/v1/partnerships/{p}/working-groups?thematic_area=housing"), Some(&admin)).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["items"][0]["member_ids"], json!([chair, clerk]));

    let meeting = app
        .create(
            &format!("/api/v1/partnerships/{p}/meetings"),
            &admin,
            json!({
                "title": "První oficiální setkání obcí, Agentury a partnerů",
                "starts_at": "2018-10-25T13:00:00Z",
                "ends_at": "2018-10-25T16:00:00Z",
                "place": "Rozvodí",
                "agenda": ["Představení metody", "Pracovní skupiny"],
                "attendance": [{"person_id": chair, "status": "present"}, {"person_id": clerk, "status": "excused"}],
                "resolutions": [{"number": 1, "text": "Partnerství ustavuje šest pracovních skupin."}],
            }),
        )
        .await;
    let wrong_end = app
        .post(
            &format!("/api/v1/partnerships/{p}/meetings"),
            &admin,
            json!({"title": "x", "starts_at": "2018-10-25T13:00:00Z", "ends_at": "2018-10-25T12:00:00Z"}),
        )
        .await;
    wrong_end.problem(422);
    let twice = app
        .post(
            &format!("/api/v1/partnerships/{p}/meetings"),
            &admin,
            json!({"title": "x", "starts_at": "2018-10-25T13:00:00Z", "resolutions": [{"number": 1, "text": "a"}, {"number": 1, "text": "b"}]}),
        )
        .await;
    assert_eq!(twice.problem(422)["errors"][0]["field"], "resolutions[1].number");

    let group_meeting = app
        .create(
            &format!("/api/v1/partnerships/{p}/meetings"),
            &admin,
            json!({"title": "Skupina Dluhy", "starts_at": "2018-11-08T13:00:00Z", "working_group_id": groups[0]}),
        )
        .await;
    let in_range = app.get(&format!("/api/v1/partnerships/{p}/meetings?from=2018-11-01T00:00:00Z&to=2018-12-01T00:00:00Z"), Some(&admin)).await;
    assert_eq!(in_range.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(in_range.body["items"][0]["id"], group_meeting.as_str());
    let read = app.get(&format!("/api/v1/meetings/{meeting}"), Some(&admin)).await;
    assert_eq!(read.body["attendance"][1]["status"], "excused");
    assert_eq!(read.body["agenda"][1], "Pracovní skupiny");

    let late = app
        .create(&format!("/api/v1/meetings/{meeting}/action-items"), &admin, json!({"title": "Rozeslat zápis", "owner_id": clerk, "due_on": "2018-11-01"}))
        .await;
    let later = app
        .create(&format!("/api/v1/meetings/{meeting}/action-items"), &admin, json!({"title": "Svolat skupiny", "owner_id": chair, "due_on": "2018-12-01"}))
        .await;
    let overdue = app.get("/api/v1/action-items?overdue=true&as_of=2018-11-15", Some(&admin)).await;
    assert_eq!(overdue.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect::<Vec<_>>(), [late.as_str()]);
    let by_owner = app.get(&format!("/api/v1/action-items?owner_id={chair}"), Some(&admin)).await;
    assert_eq!(by_owner.body["items"][0]["id"], later.as_str());
    let done = app.patch(&format!("/api/v1/action-items/{late}"), &admin, json!({"status": "done"})).await;
    assert_eq!(done.body["status"], "done");
    assert_eq!(done.body["overdue"], false);
    assert_eq!(app.get("/api/v1/action-items?overdue=true&as_of=2018-11-15", Some(&admin)).await.body["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn meetings_name_their_own_groups_and_lists_refuse_a_backward_window() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Mikroregion Rozvodí", "microregion", None).await;
    let p = app.partnership(&admin, "LP Rozvodí", &[&unit]).await;
    let other = app.partnership(&admin, "LP Jinde", &[&unit]).await;
    let ours = app.create(&format!("/api/v1/partnerships/{p}/working-groups"), &admin, json!({"name": "Dluhy", "thematic_area": "debt"})).await;
    let theirs = app.create(&format!("/api/v1/partnerships/{other}/working-groups"), &admin, json!({"name": "Dluhy", "thematic_area": "debt"})).await;
    let meeting = |group: &str| json!({"title": "Skupina", "starts_at": "2018-11-08T13:00:00Z", "working_group_id": group});
    let own = app.post(&format!("/api/v1/partnerships/{p}/meetings"), &admin, meeting(&ours)).await;
    assert_eq!(own.status, 201, "{}", own.body);
    let res = app.post(&format!("/api/v1/partnerships/{p}/meetings"), &admin, meeting(&theirs)).await;
    res.problem(422);
    assert_eq!(res.error_code("working_group_id").as_deref(), Some("not_in_partnership"), "{}", res.body);
    // Moving a meeting to another partnership's group is refused the same way.
    let moved = app.patch(&format!("/api/v1/meetings/{}", own.id()), &admin, json!({"working_group_id": theirs})).await;
    moved.problem(422);
    assert_eq!(moved.error_code("working_group_id").as_deref(), Some("not_in_partnership"));

    let ok = app.get(&format!("/api/v1/partnerships/{p}/meetings?from=2018-11-01T00:00:00Z&to=2018-12-01T00:00:00Z"), Some(&admin)).await;
    assert_eq!(ok.body["items"].as_array().unwrap().len(), 1, "{}", ok.body);
    for path in [format!("/api/v1/partnerships/{p}/meetings"), "/api/v1/meetings".to_owned()] {
        let backward = app.get(&format!("{path}?from=2018-12-01T00:00:00Z&to=2018-11-01T00:00:00Z"), Some(&admin)).await;
        backward.problem(400);
        assert_eq!(backward.error_code("to").as_deref(), Some("before_start"), "{path}: {}", backward.body);
    }
}

#[tokio::test]
async fn action_items_follow_their_meetings_partnership() {
    let app = spawn_app().await;
    let admin = app.admin();
    let unit = app.unit(&admin, "Mikroregion Rozvodí", "microregion", None).await;
    let p = app.partnership(&admin, "LP Rozvodí", &[&unit]).await;
    let meeting = app.create(&format!("/api/v1/partnerships/{p}/meetings"), &admin, json!({"title": "Setkání", "starts_at": "2018-10-25T13:00:00Z"})).await;
    let item = app.create(&format!("/api/v1/meetings/{meeting}/action-items"), &admin, json!({"title": "Rozeslat zápis"})).await;
    let read = app.get(&format!("/api/v1/action-items/{item}"), Some(&admin)).await;
    assert_eq!((read.status.as_u16(), read.body["status"].as_str(), read.header("etag").as_deref()), (200, Some("open"), Some("\"1\"")));
    let missing = app.post(&format!("/api/v1/meetings/{}/action-items", uuid::Uuid::now_v7()), &admin, json!({"title": "x"})).await;
    assert_eq!(missing.problem(404)["type"], "urn:inclusion:problem:not-found");
    let blank = app.post(&format!("/api/v1/meetings/{meeting}/action-items"), &admin, json!({"title": " "})).await;
    blank.problem(422);
    assert_eq!(blank.error_code("title").as_deref(), Some("blank"), "{}", blank.body);
    let stale = app
        .send(reqwest::Method::PATCH, &format!("/api/v1/action-items/{item}"), Some(&admin), Some(&json!({"status": "done"})), &[("If-Match", "\"7\"")])
        .await;
    assert_eq!(stale.problem(412)["type"], "urn:inclusion:problem:precondition-failed");
    // An ended partnership's items are history.
    app.post(&format!("/api/v1/partnerships/{p}/end"), &admin, json!(null)).await;
    let frozen = app.patch(&format!("/api/v1/action-items/{item}"), &admin, json!({"status": "done"})).await;
    assert_eq!(frozen.problem(409)["type"], "urn:inclusion:problem:conflict");
    app.delete(&format!("/api/v1/action-items/{item}"), &admin).await.problem(409);
    app.post(&format!("/api/v1/meetings/{meeting}/action-items"), &admin, json!({"title": "x"})).await.problem(409);
    assert_eq!(app.get(&format!("/api/v1/action-items/{item}"), Some(&admin)).await.body["version"], 1);
}
