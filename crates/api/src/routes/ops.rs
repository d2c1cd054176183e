//! Operations: liveness, readiness (the database answers) and Prometheus metrics.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::http::AppState;
use crate::http::JsonBody as _;
use crate::metrics::Metrics;

/// A health answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
}

/// Liveness: the process serves requests.
#[utoipa::path(operation_id = "get_liveness", tag = "operations", responses((status = 200, description = "Alive", body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json_body(Health { status: "ok" })
}

/// Readiness: the database answers.
#[utoipa::path(operation_id = "get_readiness", tag = "operations", responses((status = 200, description = "Ready", body = Health), (status = 503, description = "The database does not answer", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok().json_body(Health { status: "ok" }),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            crate::edge::problems::problem(actix_web::http::StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the database does not answer")
        }
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(operation_id = "get_metrics", tag = "operations", responses((status = 200, description = "Metrics", body = String, content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(metrics: web::Data<Metrics>) -> ApiResult {
    let text = metrics.render().map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text))
}
