//! The test harness: `spawn_app()` starts the real server on 127.0.0.1:0 against a fresh
//! database of its own (an SQLite file, or a new PostgreSQL database when
//! `TEST_DATABASE_URL` is set), and drops that database when the test ends.

use domain::access::Role;
use inclusion_api::Application;
use inclusion_api::auth::TokenService;
use inclusion_api::config::{JwtSettings, LogFormat, RateLimitSettings, Settings, WebhookSettings};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;
use uuid::Uuid;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";

enum Db {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Drop for Db {
    fn drop(&mut self) {
        match self {
            Db::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Db::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; a new thread gets a runtime of its own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(async {
                        if let Ok(db) = Database::connect(&admin_url).await {
                            let _ = db.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    tokens: TokenService,
    /// The server's database, for tests that must write what the API no longer lets anyone
    /// write (data of older versions).
    pub database_url: String,
    /// The database, dropped with the first server on it (`None` for another instance).
    _db: Option<Db>,
}

/// A response, read whole.
pub struct Res {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_else(|| panic!("no id in {}", self.body)).to_owned()
    }
    /// Asserts a problem+json answer with this status and returns the body.
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.header("content-type").as_deref(), Some("application/problem+json"), "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        assert!(self.body["type"].as_str().is_some() && self.body["title"].as_str().is_some() && self.body["detail"].as_str().is_some());
        &self.body
    }
    /// The `code` of the error on `field`, if any.
    pub fn error_code(&self, field: &str) -> Option<String> {
        self.body["errors"].as_array()?.iter().find(|e| e["field"] == field).and_then(|e| e["code"].as_str()).map(str::to_owned)
    }
}

async fn database() -> (String, Db) {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
        Some(admin_url) => {
            let name = format!("inclusion_test_{}", Uuid::now_v7().simple());
            let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
            admin.close().await.ok();
            let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin_url.clone());
            (format!("{base}/{name}"), Db::Postgres { admin_url, name })
        }
        None => {
            let path = std::env::temp_dir().join(format!("inclusion-test-{}.db", Uuid::now_v7().simple()));
            (format!("sqlite://{}?mode=rwc", path.display()), Db::Sqlite(path))
        }
    }
}

/// An empty database of the test's own (no server, no migrations), dropped with the value:
/// for tests that drive the migrator themselves.
pub struct ScratchDb {
    pub url: String,
    _db: Db,
}

pub async fn scratch_database() -> ScratchDb {
    let (url, db) = database().await;
    ScratchDb { url, _db: db }
}

pub async fn spawn_app() -> TestApp {
    spawn(false, |_| {}).await.expect("build the application")
}

/// A server whose database holds the demo dataset (loaded twice: the second load must not add anything).
pub async fn spawn_app_with_demo() -> TestApp {
    spawn(true, |_| {}).await.expect("build the application")
}

/// A server with settings changed from the tests' defaults (HS256 with [`SECRET`], no key set,
/// not in development mode); `Err` carries the message with which it refused to start.
pub async fn try_spawn_app_with(configure: impl FnOnce(&mut Settings)) -> Result<TestApp, String> {
    spawn(false, configure).await
}

async fn spawn(demo: bool, configure: impl FnOnce(&mut Settings)) -> Result<TestApp, String> {
    let (url, db) = database().await;
    spawn_on(url, Some(db), demo, configure).await
}

impl TestApp {
    /// A second server instance on this server's database (as a deployment with several
    /// instances on one PostgreSQL runs them).
    pub async fn another_instance(&self) -> TestApp {
        spawn_on(self.database_url.clone(), None, false, |_| {}).await.expect("build another instance")
    }
}

async fn spawn_on(url: String, db: Option<Db>, demo: bool, configure: impl FnOnce(&mut Settings)) -> Result<TestApp, String> {
    let jwt = JwtSettings { secret: SECRET.into(), issuer: "inclusion-test".into(), audience: "inclusion-api".into() };
    let mut settings = Settings {
        database_url: url,
        db_pool: 4,
        bind: "127.0.0.1:0".into(),
        jwt: jwt.clone(),
        jwks: None,
        dev_mode: false,
        cors_origins: vec!["https://frontend.example".into()],
        log_format: LogFormat::Pretty,
        workers: Some(2),
        max_body_bytes: 64 * 1024,
        // Far above what any test sends; tests of the limits set their own.
        rate_limit: RateLimitSettings { per_second: 100_000, burst: 100_000, auth_failures_per_minute: 100_000, auth_failure_burst: 10_000 },
        cursor_secret: None,
        // Deliveries to test receivers on 127.0.0.1, retried quickly.
        webhooks: WebhookSettings { dispatch: true, allowed_hosts: vec!["127.0.0.1".into()], poll_ms: 50, retry_base_ms: 100, max_attempts: 30 },
        import_max_bytes: 50 * 1024 * 1024,
    };
    configure(&mut settings);
    let store = persistence::Store::connect(&settings.database_url, settings.db_pool).await.expect("connect");
    store.migrate().await.expect("migrate");
    persistence::esif::ensure_reference_programmes(&store).await.expect("reference programmes");
    if demo {
        inclusion_fixtures::demo::load_if_empty(&store).await.expect("demo data");
        inclusion_fixtures::demo::load_if_empty(&store).await.expect("demo data, again");
        // As `inclusion serve` does at start: plans whose validity ended expire.
        inclusion_api::jobs::expire_plans_once(&store).await.expect("plan expiry");
        assert_eq!(inclusion_api::jobs::expire_plans_once(&store).await.expect("plan expiry, again"), 0, "the expiry job is idempotent");
    }
    let database_url = settings.database_url.clone();
    let app = Application::build_with_store(settings, store).map_err(|e| format!("{e:#}"))?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Ok(TestApp { base, client: reqwest::Client::new(), tokens: TokenService::new(&jwt), database_url, _db: db })
}

impl TestApp {
    pub fn token(&self, role: Role, partnerships: &[&str], organization: Option<&str>) -> String {
        let ids = partnerships.iter().map(|p| p.parse().unwrap()).collect();
        self.tokens.issue(&format!("{}-user", role.as_str()), role, ids, organization.map(|o| o.parse().unwrap()), 3600).unwrap()
    }

    pub fn admin(&self) -> String {
        self.token(Role::Admin, &[], None)
    }

    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>, headers: &[(&str, &str)]) -> Res {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        assert!(status.as_u16() < 500, "server error {status}: {body}");
        Res { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Res {
        self.send(Method::GET, path, token, None, &[]).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Res {
        self.send(Method::POST, path, Some(token), Some(&body), &[]).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Res {
        self.send(Method::PATCH, path, Some(token), Some(&body), &[]).await
    }
    pub async fn delete(&self, path: &str, token: &str) -> Res {
        self.send(Method::DELETE, path, Some(token), None, &[]).await
    }

    /// POST that must succeed with 201; returns the new id.
    pub async fn create(&self, path: &str, token: &str, body: Value) -> String {
        let res = self.post(path, token, body).await;
        assert_eq!(res.status, StatusCode::CREATED, "POST {path}: {}", res.body);
        res.id()
    }

    pub async fn unit(&self, token: &str, name: &str, kind: &str, code: Option<&str>) -> String {
        self.create("/api/v1/territorial-units", token, serde_json::json!({"name": name, "kind": kind, "municipality_code": code, "region": "CZ041"})).await
    }

    pub async fn org(&self, token: &str, name: &str, kind: &str, ico: Option<&str>) -> String {
        self.create("/api/v1/organizations", token, serde_json::json!({"name": name, "kind": kind, "ico": ico})).await
    }

    pub async fn person(&self, token: &str, name: &str, org: &str) -> String {
        self.create("/api/v1/people", token, serde_json::json!({"name": name, "organization_id": org})).await
    }

    pub async fn partnership(&self, token: &str, name: &str, units: &[&str]) -> String {
        self.create("/api/v1/partnerships", token, serde_json::json!({"name": name, "territorial_unit_ids": units})).await
    }
}
