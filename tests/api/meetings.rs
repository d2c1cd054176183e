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
