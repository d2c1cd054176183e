//! Building and running the server. `Application::build` binds the listener first, so that
//! tests can ask for port 0 and learn the port before the server runs.

use std::net::TcpListener;
use std::time::Instant;

use actix_cors::Cors;
use actix_web::dev::{Server, Service};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpMessage, HttpResponse, HttpServer, web};
use futures_util::FutureExt;
use persistence::Store;
use persistence::page::CursorKey;
use tracing::Instrument;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::TokenService;
use crate::config::Settings;
use crate::context::{self, RequestInfo};
use crate::edge::input::BodyLimit;
use crate::edge::methods::{KnownRoute, RouteTable};
use crate::edge::rate_limit::RateLimits;
use crate::edge::{input, methods, problems, rate_limit};
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::routes;

/// Registers every `/api/v1` resource; paths and schemas reach the OpenAPI document from here.
fn configure_api(cfg: &mut impl routes::Register) {
    cfg.configure(routes::partnerships::configure)
        .configure(routes::memberships::configure)
        .configure(routes::working_groups::configure)
        .configure(routes::meetings::configure)
        .configure(routes::analyses::configure)
        .configure(routes::plans::configure)
        .configure(routes::measures::configure)
        .configure(routes::indicators::configure)
        .configure(routes::calls::configure)
        .configure(routes::projects::configure)
        .configure(routes::counselling::configure)
        .configure(routes::reports::configure)
        .configure(routes::territorial_units::configure)
        .configure(routes::organizations::configure)
        .configure(routes::people::configure)
        .configure(routes::codelists::configure)
        .configure(routes::audit::configure)
        .configure(routes::changes::configure)
        .configure(routes::webhooks::configure)
        .configure(routes::imports::configure)
        .configure(routes::cooperations::configure)
        .configure(routes::timeline_templates::configure)
        .configure(routes::recruitment::configure)
        .configure(routes::support_projects::configure)
        .configure(routes::exports::configure)
        .configure(routes::views::configure);
}

/// The OpenAPI document, built without starting a server.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(crate::openapi::ApiDoc::openapi())
        .service(routes::ops::live)
        .service(routes::ops::ready)
        .service(routes::ops::metrics)
        .service(scope::scope("/api/v1").configure(|cfg| configure_api(cfg)))
        .split_for_parts();
    doc
}

/// A client-sent request id is echoed when it is short and printable; otherwise a new one.
fn request_id(req: &actix_web::dev::ServiceRequest) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=128).contains(&v.len()) && v.chars().all(|c| c.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned)
}

/// The key that signs list cursors: from `INCLUSION_CURSOR_SECRET`, else from the HS256
/// secret, so that every instance of a deployment accepts the others' cursors. Without either
/// (tokens only from a JWKS) a random key: cursors then hold on this instance only.
fn cursor_key(settings: &Settings) -> CursorKey {
    match settings.cursor_secret.as_deref().or(settings.hs256_secret()) {
        Some(secret) => CursorKey::derive(secret.as_bytes()),
        None => {
            tracing::warn!(
                "neither INCLUSION_CURSOR_SECRET nor INCLUSION_JWT_SECRET is set: list cursors are signed with a random key and hold only on this instance"
            );
            CursorKey::derive(format!("{}{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4()).as_bytes())
        }
    }
}

/// The fewest PostgreSQL connections a worker's own pool may open (`Store::for_worker`).
const MIN_WORKER_CONNECTIONS: u32 = 2;

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects, migrates, binds `settings.bind` and prepares the server (not yet running).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings.prepare_sqlite_dir()?;
        let store = Store::connect(&settings.database_url, settings.db_pool).await?;
        store.migrate().await?;
        store.purge_idempotency_keys().await?;
        persistence::esif::ensure_reference_programmes(&store).await?;
        Self::build_with_store(settings, store)
    }

    pub fn build_with_store(settings: Settings, store: Store) -> anyhow::Result<Self> {
        // First: without a secret or key set (outside `--dev`) the server refuses to start.
        let tokens = web::Data::new(TokenService::from_settings(&settings)?);
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        // The document served and the edge's table of paths and methods come from the committed
        // document, compiled in (the table read from it at build time): collecting it from the
        // code at every start took ~50 MB of peak memory and most of the start-up time (issue
        // 11). `make openapi` writes it from the code, and a test fails while the two differ,
        // so it describes exactly this build.
        let routes = RouteTable::documented()
            .map_err(|e| anyhow::anyhow!("openapi/openapi.json, compiled in, is not an OpenAPI document ({e}): run `make openapi` and rebuild"))?;
        crate::webhooks::start(store.clone(), settings.webhooks.clone());
        // actix-web's own default: a worker per core.
        let workers = settings.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get));
        // On PostgreSQL each worker reads and writes through its own pool (`Store::for_worker`),
        // the configured connections shared out among the workers, and at least two each: with
        // one, a request holding its transaction while it waits (an import reading its upload)
        // would hold up every other database request of its worker until it ended.
        let worker_connections = settings.db_pool.div_ceil(u32::try_from(workers.max(1)).unwrap_or(u32::MAX)).max(MIN_WORKER_CONNECTIONS);
        let webhook_hosts = settings.webhooks.allowed_hosts.clone();
        let metrics = web::Data::new(Metrics::new()?);
        let body_limit = settings.max_body_bytes;
        let origins = settings.cors_origins.clone();
        // The edge (crate::edge), built once and shared by every worker.
        let routes = web::Data::new(routes.with("/openapi.json", &[Method::GET]).with("/docs", &[Method::GET]).with_prefix("/docs/{tail}", &[Method::GET]));
        let limits = web::Data::new(RateLimits::new(&settings.rate_limit));
        let body_guard = web::Data::new(BodyLimit(body_limit));
        let cursor_key = cursor_key(&settings);

        let server = HttpServer::new(move || {
            let mut cors = Cors::default()
                .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"])
                .allowed_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::IF_MATCH,
                    header::ACCEPT_LANGUAGE,
                    HeaderName::from_static("idempotency-key"),
                    HeaderName::from_static("x-request-id"),
                ])
                .expose_headers([header::ETAG, header::LOCATION, header::LINK, HeaderName::from_static("x-request-id")])
                .max_age(3600);
            for origin in &origins {
                cors = cors.allowed_origin(origin);
            }
            let metrics_mw = metrics.clone();
            // Called on the worker's own thread, inside its runtime.
            let worker_store = store.for_worker(worker_connections).unwrap_or_else(|e| {
                tracing::error!(error = %e, "a worker's own database pool could not be made; the worker uses the shared pool");
                store.clone()
            });
            let state = web::Data::new(AppState { store: worker_store, webhook_hosts: webhook_hosts.clone() });
            // A plain actix App: the document was collected once above (see routes::Register).
            let app = App::new()
                .app_data(state.clone())
                .app_data(tokens.clone())
                .app_data(metrics.clone())
                .app_data(http::json_config(body_limit))
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(web::Data::new(routes::imports::ImportLimit(settings.import_max_bytes)))
                .app_data(http::query_config())
                .app_data(http::path_config())
                .service(routes::ops::live)
                .service(routes::ops::ready)
                .service(routes::ops::metrics)
                .service(routes::Plain::scope("/api/v1", configure_api));
            app.app_data(routes.clone())
                .app_data(limits.clone())
                .app_data(body_guard.clone())
                .route("/openapi.json", web::get().to(|| async { HttpResponse::Ok().content_type("application/json").body(crate::openapi::COMMITTED) }))
                .service(SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::new(["/openapi.json"])))
                .route("/docs", web::get().to(|| async { HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish() }))
                .default_service(web::to(|| async { Err::<HttpResponse, _>(crate::error::ApiError::NotFound) }))
                .wrap(from_fn(input::refuse_unstorable_input))
                .wrap(from_fn(methods::method_semantics))
                .wrap(from_fn(rate_limit::limit_rate))
                .wrap(cors)
                .wrap(from_fn(problems::render_as_problem))
                .wrap_fn(move |req, srv| {
                    let id = request_id(&req);
                    let method = req.method().to_string();
                    let path = req.path().to_owned();
                    let started = Instant::now();
                    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %path);
                    let fut = context::scope(RequestInfo { id: id.clone(), path, cursor_key }, srv.call(req)).instrument(span.clone());
                    let metrics = metrics_mw.clone();
                    fut.map(move |result| {
                        let _entered = span.enter();
                        result.map(|mut res| {
                            let status = res.status().as_u16();
                            // A pattern, never the raw path, so that the label values are bounded.
                            let route = res
                                .request()
                                .match_pattern()
                                .or_else(|| res.request().extensions().get::<KnownRoute>().map(|r| r.0.to_string()))
                                .unwrap_or_else(|| "unmatched".to_owned());
                            let seconds = started.elapsed().as_secs_f64();
                            metrics.observe(&method, &route, status, seconds);
                            if status >= 500 {
                                tracing::error!(status, route = %route, latency_ms = seconds * 1000.0, "request served");
                            } else {
                                tracing::info!(status, route = %route, latency_ms = seconds * 1000.0, "request served");
                            }
                            if let Ok(value) = HeaderValue::from_str(&id) {
                                res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
                            }
                            res
                        })
                    })
                })
        })
        .listen(listener)?
        .workers(workers)
        .shutdown_timeout(20);
        Ok(Self { port, server: server.run() })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until SIGTERM/SIGINT, then finishes in-flight requests (graceful shutdown).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
