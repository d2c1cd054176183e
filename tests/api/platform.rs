//! Operations and documentation: health, metrics, request ids, CORS, codelists, OpenAPI.

use reqwest::Method;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_metrics_and_request_ids() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health/live", None).await.body["status"], "ok");
    assert_eq!(app.get("/health/ready", None).await.body["status"], "ok");
    let echoed = app.send(Method::GET, "/health/live", None, None, &[("X-Request-Id", "abc-123")]).await;
    assert_eq!(echoed.header("x-request-id").as_deref(), Some("abc-123"));
    let fresh = app.get("/api/v1/partnerships", None).await;
    assert!(fresh.header("x-request-id").is_some_and(|id| id.len() == 36));
    let problem = app.send(Method::GET, "/api/v1/people", None, None, &[("X-Request-Id", "trace-me")]).await;
    assert_eq!(problem.problem(401)["request_id"], "trace-me");
    let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("inclusion_http_requests_total{method=\"GET\",route=\"/api/v1/partnerships\",status=\"200\"} 1"), "{metrics}");
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_app().await;
    let allowed = app.send(Method::GET, "/api/v1/partnerships", None, None, &[("Origin", "https://frontend.example")]).await;
    assert_eq!(allowed.header("access-control-allow-origin").as_deref(), Some("https://frontend.example"));
    let other = app.client.get(format!("{}/api/v1/partnerships", app.base)).header("Origin", "https://evil.example").send().await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn codelists_speak_czech_and_english() {
    let app = spawn_app().await;
    let cs = app.get("/api/v1/codelists/thematic_area", None).await;
    assert_eq!(cs.body["language"], "cs");
    assert_eq!(cs.body["entries"][0]["code"], "housing");
    assert_eq!(cs.body["entries"][0]["label"], "bydlení");
    let en = app.send(Method::GET, "/api/v1/codelists/region", None, None, &[("Accept-Language", "en-GB,cs;q=0.5")]).await;
    assert_eq!(en.body["language"], "en");
    assert!(en.body["entries"].as_array().unwrap().iter().any(|e| e["code"] == "CZ041" && e["label"] == "Karlovy Vary Region"));
    app.get("/api/v1/codelists/nonsense", None).await.problem(404);
    assert!(app.get("/api/v1/codelists", None).await.body["items"].as_array().unwrap().len() >= 7);
}

#[tokio::test]
async fn served_docs_match_the_committed_openapi_document() {
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
    let generated = inclusion_api::openapi::document_json().unwrap();
    assert!(committed == generated, "openapi/openapi.json is out of date: run `make openapi` and commit the result");
    let app = spawn_app().await;
    let served = app.get("/openapi.json", None).await;
    assert_eq!(served.body, serde_json::from_str::<serde_json::Value>(&generated).unwrap());
    assert_eq!(served.body["openapi"], "3.1.0");
    let docs = app.client.get(format!("{}/docs/", app.base)).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}
