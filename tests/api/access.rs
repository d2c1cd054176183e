//! Object-level access: a partner of one partnership cannot see or change another's data.

use domain::access::Role;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

struct World {
    a: String,
    b: String,
    a_org: String,
    a_person: String,
    a_membership: String,
    a_meeting: String,
    a_group: String,
    a_item: String,
    b_person: String,
    b_membership: String,
    b_meeting: String,
    b_group: String,
    b_item: String,
}

async fn two_partnerships(app: &TestApp) -> World {
    let admin = app.admin();
    let unit_a = app.unit(&admin, "Žlutice", "town", None).await;
    let unit_b = app.unit(&admin, "Rozvodí", "microregion", None).await;
    let a = app.partnership(&admin, "LP Žluticko", &[&unit_a]).await;
    let b = app.partnership(&admin, "LP Rozvodí", &[&unit_b]).await;
    let a_org = app.org(&admin, "Město Žlutice", "municipality", None).await;
    let b_org = app.org(&admin, "Obec Rozvodí", "municipality", None).await;
    let a_person = app.person(&admin, "Starosta Žlutice", &a_org).await;
    let b_person = app.person(&admin, "Starosta Rozvodí", &b_org).await;
    let a_membership = app
        .create(
            &format!("/api/v1/partnerships/{a}/memberships"),
            &admin,
            json!({"organization_id": a_org, "joined_on": "2020-01-01", "representatives": [{"person_id": a_person}]}),
        )
        .await;
    let b_membership = app
        .create(
            &format!("/api/v1/partnerships/{b}/memberships"),
            &admin,
            json!({"organization_id": b_org, "joined_on": "2020-01-01", "representatives": [{"person_id": b_person}]}),
        )
        .await;
    let b_group = app
        .create(&format!("/api/v1/partnerships/{b}/working-groups"), &admin, json!({"name": "Dluhy", "thematic_area": "debt", "member_ids": [b_person]}))
        .await;
    let b_meeting = app
        .create(
            &format!("/api/v1/partnerships/{b}/meetings"),
            &admin,
            json!({"title": "Setkání", "starts_at": "2018-10-25T15:00:00Z", "attendance": [{"person_id": b_person, "status": "present"}]}),
        )
        .await;
    let b_item = app.create(&format!("/api/v1/meetings/{b_meeting}/action-items"), &admin, json!({"title": "Zápis", "owner_id": b_person})).await;
    let a_meeting = app.create(&format!("/api/v1/partnerships/{a}/meetings"), &admin, json!({"title": "Setkání A", "starts_at": "2019-01-10T15:00:00Z"})).await;
    World { a, b, a_org, a_person, a_membership, a_meeting, a_group: String::new(), a_item: String::new(), b_person, b_membership, b_meeting, b_group, b_item }
}

/// [`two_partnerships`] with a working group and an action item in partnership A too, so that
/// every record hidden from A's partner in B has a visible counterpart in A.
async fn two_full_partnerships(app: &TestApp) -> World {
    let admin = app.admin();
    let mut w = two_partnerships(app).await;
    w.a_group = app
        .create(
            &format!("/api/v1/partnerships/{}/working-groups", w.a),
            &admin,
            json!({"name": "Bydlení", "thematic_area": "housing", "member_ids": [w.a_person]}),
        )
        .await;
    w.a_item = app.create(&format!("/api/v1/meetings/{}/action-items", w.a_meeting), &admin, json!({"title": "Zápis A", "owner_id": w.a_person})).await;
    w
}

/// Asserts a refusal and its problem type (`forbidden`, `not-found`): a 404 that is the
/// router's fallback or a 403 for another reason does not pass.
fn refused(res: &crate::helpers::Res, status: u16, slug: &str) {
    let body = res.problem(status);
    assert_eq!(body["type"], format!("urn:inclusion:problem:{slug}"), "{body}");
}

#[tokio::test]
async fn a_partner_sees_only_its_own_partnership() {
    let app = spawn_app().await;
    let w = two_full_partnerships(&app).await;
    let partner = app.token(Role::Partner, &[&w.a], Some(&w.a_org));

    // (A's record, visible to A's partner; B's record of the same kind, hidden from it)
    for (own, other) in [
        (format!("/api/v1/people/{}", w.a_person), format!("/api/v1/people/{}", w.b_person)),
        (format!("/api/v1/memberships/{}", w.a_membership), format!("/api/v1/memberships/{}", w.b_membership)),
        (format!("/api/v1/partnerships/{}/memberships", w.a), format!("/api/v1/partnerships/{}/memberships", w.b)),
        (format!("/api/v1/meetings/{}", w.a_meeting), format!("/api/v1/meetings/{}", w.b_meeting)),
        (format!("/api/v1/partnerships/{}/meetings", w.a), format!("/api/v1/partnerships/{}/meetings", w.b)),
        (format!("/api/v1/working-groups/{}", w.a_group), format!("/api/v1/working-groups/{}", w.b_group)),
        (format!("/api/v1/partnerships/{}/working-groups", w.a), format!("/api/v1/partnerships/{}/working-groups", w.b)),
        (format!("/api/v1/action-items/{}", w.a_item), format!("/api/v1/action-items/{}", w.b_item)),
    ] {
        let seen = app.get(&own, Some(&partner)).await;
        assert_eq!(seen.status, 200, "{own}: {}", seen.body);
        refused(&app.get(&other, Some(&partner)).await, 404, "not-found");
    }
    // Lists are scoped, not refused.
    let meetings = app.get("/api/v1/meetings", Some(&partner)).await;
    assert_eq!(meetings.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(meetings.body["items"][0]["partnership_id"], w.a.as_str());
    let people = app.get("/api/v1/people", Some(&partner)).await;
    assert_eq!(people.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(people.body["items"][0]["name"], "Starosta Žlutice");
    assert_eq!(app.get("/api/v1/memberships", Some(&partner)).await.body["items"].as_array().unwrap().len(), 1);
    let items = app.get("/api/v1/action-items", Some(&partner)).await;
    assert_eq!(items.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect::<Vec<_>>(), [w.a_item.as_str()]);
    assert_eq!(app.get(&format!("/api/v1/partnerships/{}/memberships", w.a), Some(&partner)).await.status, 200);
    // Partnerships themselves are public.
    assert_eq!(app.get(&format!("/api/v1/partnerships/{}", w.b), Some(&partner)).await.status, 200);
}

#[tokio::test]
async fn a_partner_writes_nothing_outside_its_scope() {
    let app = spawn_app().await;
    let w = two_full_partnerships(&app).await;
    let partner = app.token(Role::Partner, &[&w.a], Some(&w.a_org));
    // Visible to the partner: 403.
    refused(&app.patch(&format!("/api/v1/partnerships/{}", w.b), &partner, json!({"name": "x"})).await, 403, "forbidden");
    let membership = json!({"organization_id": w.a_org, "joined_on": "2020-01-01"});
    refused(&app.post(&format!("/api/v1/partnerships/{}/memberships", w.b), &partner, membership).await, 403, "forbidden");
    let meeting = json!({"title": "x", "starts_at": "2020-01-01T10:00:00Z"});
    refused(&app.post(&format!("/api/v1/partnerships/{}/meetings", w.b), &partner, meeting).await, 403, "forbidden");
    refused(&app.post(&format!("/api/v1/partnerships/{}/activate", w.b), &partner, json!(null)).await, 403, "forbidden");
    refused(&app.patch(&format!("/api/v1/memberships/{}", w.a_membership), &partner, json!({"note": "x"})).await, 403, "forbidden");
    refused(&app.post("/api/v1/organizations", &partner, json!({"name": "x", "kind": "ngo"})).await, 403, "forbidden");
    // A's own records, visible to its partner, are refused with 403, so a 404 below is about visibility.
    refused(&app.patch(&format!("/api/v1/meetings/{}", w.a_meeting), &partner, json!({"title": "x"})).await, 403, "forbidden");
    refused(&app.delete(&format!("/api/v1/working-groups/{}", w.a_group), &partner).await, 403, "forbidden");
    refused(&app.patch(&format!("/api/v1/action-items/{}", w.a_item), &partner, json!({"status": "done"})).await, 403, "forbidden");
    refused(&app.patch(&format!("/api/v1/people/{}", w.a_person), &partner, json!({"name": "x"})).await, 403, "forbidden");
    // Not visible: 404.
    refused(&app.patch(&format!("/api/v1/meetings/{}", w.b_meeting), &partner, json!({"title": "x"})).await, 404, "not-found");
    refused(&app.patch(&format!("/api/v1/memberships/{}", w.b_membership), &partner, json!({"note": "x"})).await, 404, "not-found");
    refused(&app.delete(&format!("/api/v1/working-groups/{}", w.b_group), &partner).await, 404, "not-found");
    refused(&app.patch(&format!("/api/v1/action-items/{}", w.b_item), &partner, json!({"status": "done"})).await, 404, "not-found");
    refused(&app.patch(&format!("/api/v1/people/{}", w.b_person), &partner, json!({"name": "x"})).await, 404, "not-found");
    // Nothing changed.
    let admin = app.admin();
    assert_eq!(app.get(&format!("/api/v1/meetings/{}", w.b_meeting), Some(&admin)).await.body["version"], 1);
    assert_eq!(app.get(&format!("/api/v1/partnerships/{}", w.b), None).await.body["name"], "LP Rozvodí");
}

#[tokio::test]
async fn consultants_write_only_where_assigned_and_reporters_never() {
    let app = spawn_app().await;
    let w = two_partnerships(&app).await;
    let consultant = app.token(Role::Consultant, &[&w.a], None);
    let ok = app.post(&format!("/api/v1/partnerships/{}/working-groups", w.a), &consultant, json!({"name": "Bydlení", "thematic_area": "housing"})).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let elsewhere =
        app.post(&format!("/api/v1/partnerships/{}/working-groups", w.b), &consultant, json!({"name": "Bydlení", "thematic_area": "housing"})).await;
    assert_eq!(elsewhere.problem(403)["detail"], "your role does not allow changes in this partnership");
    refused(&app.patch(&format!("/api/v1/meetings/{}", w.b_meeting), &consultant, json!({"title": "x"})).await, 403, "forbidden");
    assert_eq!(app.get(&format!("/api/v1/meetings/{}", w.b_meeting), Some(&consultant)).await.status, 200);
    let own = app.patch(&format!("/api/v1/meetings/{}", w.a_meeting), &consultant, json!({"title": "Setkání A, opraveno"})).await;
    assert_eq!((own.status.as_u16(), own.body["version"].as_i64()), (200, Some(2)), "{}", own.body);

    let reporter = app.token(Role::Reporter, &[], None);
    assert_eq!(app.get(&format!("/api/v1/people/{}", w.b_person), Some(&reporter)).await.status, 200);
    refused(&app.patch(&format!("/api/v1/meetings/{}", w.b_meeting), &reporter, json!({"title": "x"})).await, 403, "forbidden");
    assert_eq!(app.get("/api/v1/audit", Some(&reporter)).await.problem(403)["detail"], "only admins read the audit trail");
    assert_eq!(app.get("/api/v1/audit", Some(&app.admin())).await.status, 200);
}

#[tokio::test]
async fn a_consultant_maintains_only_people_its_partnerships_name_or_no_one_names_yet() {
    let app = spawn_app().await;
    let w = two_partnerships(&app).await;
    let admin = app.admin();
    let consultant = app.token(Role::Consultant, &[&w.a], None);
    let newcomer = app.person(&admin, "Nová sociální pracovnice", &w.a_org).await;
    // (person, how the consultant's partnerships relate to them, allowed)
    for (person, tie, allowed) in [(&w.a_person, "named by its own", true), (&newcomer, "named by no one", true), (&w.b_person, "named only by others", false)]
    {
        let res = app.patch(&format!("/api/v1/people/{person}"), &consultant, json!({"job_title": "koordinátorka"})).await;
        if allowed {
            assert_eq!(res.status, 200, "{tie}: {}", res.body);
            assert_eq!(res.body["job_title"], "koordinátorka");
        } else {
            assert_eq!(res.problem(403)["detail"], "this person appears only in other partnerships' records; their consultants maintain them", "{tie}");
        }
    }
    refused(&app.delete(&format!("/api/v1/people/{}", w.b_person), &consultant).await, 403, "forbidden");
    assert_eq!(app.get(&format!("/api/v1/people/{}", w.b_person), Some(&admin)).await.body["version"], 1);
    // A reporter reads every person but writes the registry never.
    let reporter = app.token(Role::Reporter, &[], None);
    let res = app.patch(&format!("/api/v1/people/{newcomer}"), &reporter, json!({"job_title": "x"})).await;
    assert_eq!(res.problem(403)["detail"], "your role does not allow changes to the registry");
}

#[tokio::test]
async fn staff_of_an_organization_shared_by_two_partnerships_stay_apart() {
    let app = spawn_app().await;
    let w = two_partnerships(&app).await;
    let admin = app.admin();
    let police = app.org(&admin, "Policie ČR", "police", None).await;
    let officer_a = app.person(&admin, "Preventista Žlutice", &police).await;
    let officer_b = app.person(&admin, "Preventista Rozvodí", &police).await;
    app.create(
        &format!("/api/v1/partnerships/{}/memberships", w.a),
        &admin,
        json!({"organization_id": police, "joined_on": "2020-01-01", "representatives": [{"person_id": officer_a}]}),
    )
    .await;
    app.create(
        &format!("/api/v1/partnerships/{}/memberships", w.b),
        &admin,
        json!({"organization_id": police, "joined_on": "2020-01-01", "representatives": [{"person_id": officer_b}]}),
    )
    .await;
    let partner = app.token(Role::Partner, &[&w.a], Some(&w.a_org));
    assert_eq!(app.get(&format!("/api/v1/people/{officer_a}"), Some(&partner)).await.status, 200);
    app.get(&format!("/api/v1/people/{officer_b}"), Some(&partner)).await.problem(404);
    let listed = app.get(&format!("/api/v1/people?organization_id={police}"), Some(&partner)).await;
    assert_eq!(listed.body["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect::<Vec<_>>(), ["Preventista Žlutice"]);
    // Which organizations belong to a partnership is not public either.
    app.get(&format!("/api/v1/organizations?partnership_id={}", w.b), Some(&partner)).await.problem(404);
    app.get(&format!("/api/v1/organizations?partnership_id={}", w.b), None).await.problem(401);
    assert_eq!(app.get(&format!("/api/v1/organizations?partnership_id={}", w.a), Some(&partner)).await.body["items"].as_array().unwrap().len(), 2);
    // Filters naming another partnership find nothing.
    assert_eq!(app.get(&format!("/api/v1/working-groups?partnership_id={}", w.b), Some(&partner)).await.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.get(&format!("/api/v1/action-items?partnership_id={}", w.b), Some(&partner)).await.body["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.get(&format!("/api/v1/memberships?partnership_id={}", w.b), Some(&partner)).await.body["items"].as_array().unwrap().len(), 0);
    // People the partnership's own records name are visible to its partner.
    let attendee = app.person(&admin, "Host jednání", &police).await;
    let meeting = app
        .create(
            &format!("/api/v1/partnerships/{}/meetings", w.a),
            &admin,
            json!({"title": "S hostem", "starts_at": "2021-01-10T10:00:00Z", "attendance": [{"person_id": attendee, "status": "present"}]}),
        )
        .await;
    assert_eq!(app.get(&format!("/api/v1/meetings/{meeting}"), Some(&partner)).await.status, 200);
    assert_eq!(app.get(&format!("/api/v1/people/{attendee}"), Some(&partner)).await.status, 200);
}

#[tokio::test]
async fn tokens_are_checked_for_issuer_audience_and_time() {
    use inclusion_api::auth::Claims;
    use jsonwebtoken::{EncodingKey, Header, encode};
    let app = spawn_app().await;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        sub: "x".into(),
        role: Role::Admin,
        partnerships: vec![],
        organization: None,
        iss: "inclusion-test".into(),
        aud: "inclusion-api".into(),
        iat: now,
        nbf: now,
        exp: now + 600,
    };
    let key = EncodingKey::from_secret(crate::helpers::SECRET.as_bytes());
    let sign = |c: &Claims| encode(&Header::default(), c, &key).unwrap();
    assert_eq!(app.get("/api/v1/people", Some(&sign(&claims))).await.status, 200);
    for (what, bad) in [
        ("issuer", Claims { iss: "someone-else".into(), ..claims.clone() }),
        ("audience", Claims { aud: "another-api".into(), ..claims.clone() }),
        ("expiry", Claims { exp: now - 3600, iat: now - 7200, nbf: now - 7200, ..claims.clone() }),
        ("not before", Claims { nbf: now + 3600, exp: now + 7200, ..claims.clone() }),
    ] {
        let res = app.get("/api/v1/people", Some(&sign(&bad))).await;
        assert_eq!(res.status, 401, "a token with a wrong {what} was accepted");
    }
    let hs512 = encode(&Header::new(jsonwebtoken::Algorithm::HS512), &claims, &key).unwrap();
    app.get("/api/v1/people", Some(&hs512)).await.problem(401);
}

#[tokio::test]
async fn personal_data_needs_a_valid_token() {
    let app = spawn_app().await;
    let w = two_partnerships(&app).await;
    app.get("/api/v1/people", None).await.problem(401);
    app.get(&format!("/api/v1/meetings/{}", w.b_meeting), None).await.problem(401);
    app.get(&format!("/api/v1/partnerships/{}/memberships", w.b), None).await.problem(401);
    let bad = app.send(reqwest::Method::GET, "/api/v1/people", Some("not.a.jwt"), None, &[]).await;
    bad.problem(401);
    assert_eq!(bad.header("www-authenticate").as_deref(), Some("Bearer"));
    // A token signed with another secret, and one with alg "none".
    let other = inclusion_api::auth::TokenService::new(&inclusion_api::config::JwtSettings {
        secret: "another-secret-another-secret-01234".into(),
        issuer: "inclusion-test".into(),
        audience: "inclusion-api".into(),
    })
    .issue("x", Role::Admin, vec![], None, 60)
    .unwrap();
    app.get("/api/v1/people", Some(&other)).await.problem(401);
    let payload = other.split('.').nth(1).unwrap();
    app.get("/api/v1/people", Some(&format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."))).await.problem(401);
    // Public resources answer without a token.
    assert_eq!(app.get("/api/v1/partnerships", None).await.status, 200);
    assert_eq!(app.get("/api/v1/organizations", None).await.status, 200);
}
