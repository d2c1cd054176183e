//! Webhooks: subscriptions, signed deliveries (Standard Webhooks 1.0) to a real receiver on
//! 127.0.0.1, retries, order per resource, durability across a restart, one delivery per
//! event with two instances, and the delivery target checks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use domain::access::Role;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, spawn_app, try_spawn_app_with};

#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// What the receiver got, and how many requests it has seen.
type ReceiverState = (Arc<Mutex<Vec<Received>>>, Arc<Mutex<usize>>);

/// A receiver that answers 500 to its first `failures` requests, then 204.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

async fn receiver(failures: usize) -> Receiver {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let seen = Arc::new(Mutex::new(0usize));
    let state: ReceiverState = (got.clone(), seen);
    let server = HttpServer::new(move || {
        let state = state.clone();
        App::new().app_data(web::Data::new(state)).route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: String, state: web::Data<ReceiverState>| async move {
                let mut seen = state.1.lock().unwrap();
                *seen += 1;
                if *seen <= failures {
                    return HttpResponse::InternalServerError().finish();
                }
                let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                state.0.lock().unwrap().push(Received {
                    id: header("webhook-id"),
                    timestamp: header("webhook-timestamp"),
                    signature: header("webhook-signature"),
                    body,
                });
                HttpResponse::NoContent().finish()
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    Receiver { url: format!("http://127.0.0.1:{port}/hook"), got }
}

impl Receiver {
    /// Waits until `n` deliveries arrived (or fails after 20 s).
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.got.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} deliveries, got {:?}", self.got.lock().unwrap());
    }
}

/// The specification's verification, written here apart from the server's code.
fn verify(secret: &str, r: &Received) {
    let key = BASE64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
    assert!(r.signature.split(' ').any(|s| s == expected), "signature {} is not {expected}", r.signature);
    let age = chrono::Utc::now().timestamp() - r.timestamp.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "timestamp {} is {age} s old", r.timestamp);
}

async fn subscribe(app: &TestApp, token: &str, url: &str, types: &[&str]) -> (String, String) {
    let res = app.post("/api/v1/webhooks", token, json!({"url": url, "event_types": types})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    (res.body["id"].as_str().unwrap().to_owned(), res.body["secret"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn deliveries_are_signed_retried_and_in_order_per_resource() {
    let app = spawn_app().await;
    let admin = app.admin();
    let hook = receiver(2).await;
    let (id, secret) = subscribe(&app, &admin, &hook.url, &["organization.*"]).await;
    // The subscription never shows its secret again.
    let read = app.get(&format!("/api/v1/webhooks/{id}"), Some(&admin)).await;
    assert_eq!(read.status, 200);
    assert!(read.body.get("secret").is_none(), "{}", read.body);

    let org = app.org(&admin, "Obec Valeč", "municipality", None).await;
    assert_eq!(app.patch(&format!("/api/v1/organizations/{org}"), &admin, json!({"name": "Obec Valeč u Žlutic"})).await.status, 200);
    // Not subscribed: a territorial unit.
    app.unit(&admin, "Valeč", "municipality", Some("555541")).await;

    let got = hook.wait_for(2).await;
    for r in &got {
        verify(&secret, r);
    }
    let events: Vec<Value> = got.iter().map(|r| serde_json::from_str(&r.body).unwrap()).collect();
    let seen: Vec<(&str, i64)> = events.iter().map(|e| (e["type"].as_str().unwrap(), e["data"]["version"].as_i64().unwrap())).collect();
    assert_eq!(seen, [("organization.create", 1), ("organization.update", 2)], "in order, though the first failed twice");
    assert!(events.iter().all(|e| e["data"]["id"] == org.as_str()));

    // The log: the first delivery took three attempts, the receiver's last error was a 500.
    let log = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(&admin)).await;
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0]["status"], "delivered");
    assert_eq!(items[0]["attempts"], 3);
    assert_eq!(items[0]["id"], got[0].id.as_str());
    assert_eq!(items[1]["attempts"], 1);

    // A redelivery sends the same delivery (the same webhook-id) again.
    let again = app.post(&format!("/api/v1/webhooks/{id}/deliveries/{}/redeliver", got[0].id), &admin, json!(null)).await;
    assert_eq!(again.status, 200, "{}", again.body);
    let got = hook.wait_for(3).await;
    assert_eq!(got[2].id, got[0].id);
    verify(&secret, &got[2]);

    // Ended: no more deliveries.
    assert_eq!(app.delete(&format!("/api/v1/webhooks/{id}"), &admin).await.status, 204);
    app.org(&admin, "Obec Bochov", "municipality", None).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(hook.got.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_change_committed_while_no_instance_sends_is_delivered_by_the_next_one() {
    // The first server enters deliveries but never sends them (as one stopped between commit
    // and delivery); a second instance on the same database sends them.
    let first = try_spawn_app_with(|s| s.webhooks.dispatch = false).await.unwrap();
    let admin = first.admin();
    let hook = receiver(0).await;
    let (_, secret) = subscribe(&first, &admin, &hook.url, &["*"]).await;
    let org = first.org(&admin, "Město Žlutice", "municipality", None).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(hook.got.lock().unwrap().is_empty());
    let _second = first.another_instance().await;
    let got = hook.wait_for(1).await;
    verify(&secret, &got[0]);
    assert!(got[0].body.contains(&org));
}

#[tokio::test]
async fn two_instances_send_each_delivery_once() {
    let first = spawn_app().await;
    let second = first.another_instance().await;
    let admin = first.admin();
    let hook = receiver(0).await;
    subscribe(&first, &admin, &hook.url, &["organization.create"]).await;
    for i in 0..12 {
        let app = if i % 2 == 0 { &first } else { &second };
        app.org(&admin, &format!("Organizace {i}"), "ngo", None).await;
    }
    let got = hook.wait_for(12).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_now = hook.got.lock().unwrap().clone();
    let ids: std::collections::HashSet<&str> = got_now.iter().map(|r| r.id.as_str()).collect();
    assert_eq!((got.len(), got_now.len(), ids.len()), (12, 12, 12), "each delivery once");
}

#[tokio::test]
async fn targets_event_types_and_subscribers_are_checked() {
    let app = spawn_app().await;
    let admin = app.admin();
    // (url, event types, the field and code refused)
    let cases: &[(&str, Value, &str, &str)] = &[
        ("http://example.org/hook", json!(["*"]), "url", "not_allowed"),
        ("https://10.0.0.1/hook", json!(["*"]), "url", "not_allowed"),
        ("https://[::1]/hook", json!(["*"]), "url", "not_allowed"),
        ("https://localhost/hook", json!(["*"]), "url", "not_allowed"),
        ("ftp://example.org/hook", json!(["*"]), "url", "not_allowed"),
        ("https://user:pw@127.0.0.2/hook", json!(["*"]), "url", "not_allowed"),
        ("http://127.0.0.1:9/hook", json!([]), "event_types", "count"),
        ("http://127.0.0.1:9/hook", json!(["Project.submit"]), "event_types[0]", "format"),
    ];
    for (url, types, field, code) in cases {
        let res = app.post("/api/v1/webhooks", &admin, json!({"url": url, "event_types": types})).await;
        res.problem(422);
        assert_eq!(res.error_code(field).as_deref(), Some(*code), "{url} {types}: {}", res.body);
    }
    let bad_secret = app.post("/api/v1/webhooks", &admin, json!({"url": "http://127.0.0.1:9/hook", "event_types": ["*"], "secret": "whsec_c2hvcnQ="})).await;
    assert_eq!(bad_secret.error_code("secret").as_deref(), Some("format"));
    // An allowed host is accepted; so is a client's own secret.
    let own = format!("whsec_{}", BASE64.encode([7u8; 32]));
    let ok = app.post("/api/v1/webhooks", &admin, json!({"url": "http://127.0.0.1:9/hook", "event_types": ["*"], "secret": own})).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.body["secret"], own.as_str());
    let admins = ok.body["id"].as_str().unwrap().to_owned();

    // Consultants and partners do not subscribe; a reporter does, and sees only its own.
    for role in [Role::Consultant, Role::Partner] {
        let token = app.token(role, &[], None);
        app.post("/api/v1/webhooks", &token, json!({"url": "http://127.0.0.1:9/hook", "event_types": ["*"]})).await.problem(403);
    }
    let reporter = app.token(Role::Reporter, &[], None);
    let (theirs, _) = subscribe(&app, &reporter, "http://127.0.0.1:9/other", &["strategic_plan.*"]).await;
    let listed = app.get("/api/v1/webhooks", Some(&reporter)).await;
    let ids: Vec<&str> = listed.body["items"].as_array().unwrap().iter().map(|w| w["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [theirs.as_str()]);
    app.get(&format!("/api/v1/webhooks/{admins}"), Some(&reporter)).await.problem(404);
    assert_eq!(app.get(&format!("/api/v1/webhooks/{theirs}"), Some(&admin)).await.status, 200, "admins see every subscription");
}
