//! Problem details for the answers the application does not write itself: the ones of the
//! edge middlewares (405, 429, refused input) and the framework's own (actix-cors refusals,
//! extractor defaults), so that every 4xx and 5xx a client sees is `application/problem+json`.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

use crate::context;
use crate::error::Problem;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem answer with this status; `slug` names its kind (`urn:inclusion:problem:<slug>`).
pub fn problem(status: StatusCode, slug: &str, detail: impl Into<String>) -> HttpResponse {
    let body = Problem {
        r#type: format!("urn:inclusion:problem:{slug}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.into(),
        instance: context::request_path(),
        request_id: context::request_id(),
        errors: vec![],
    };
    HttpResponse::build(status).content_type(PROBLEM_JSON).json(body)
}

fn slug(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        406 => "not-acceptable",
        413 => "payload-too-large",
        414 => "uri-too-long",
        415 => "unsupported-media-type",
        429 => "too-many-requests",
        500..=599 => "internal",
        _ => "http-error",
    }
}

fn is_problem(res: &HttpResponse<BoxBody>) -> bool {
    res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with(PROBLEM_JSON))
}

/// Rewrites an error answer that is not problem+json: same status, same headers (`Allow`,
/// `Retry-After`, `Vary`, CORS headers …), a problem body whose detail is the framework's
/// message for a 4xx (never for a 5xx, which could leak internals).
pub async fn render_as_problem(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(res.response()) {
        return Ok(res);
    }
    let detail = match res.response().error() {
        Some(err) if status.is_client_error() => err.to_string(),
        _ if status.is_server_error() => format!("an internal error occurred; quote request id {} when reporting it", context::request_id()),
        _ => status.canonical_reason().unwrap_or("Error").to_lowercase(),
    };
    let (req, old) = res.into_parts();
    let mut new = problem(status, slug(status), detail);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    new.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    Ok(ServiceResponse::new(req, new))
}
