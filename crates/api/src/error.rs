//! The one web error type, rendered as RFC 9457 problem details. Every lower-tier error maps
//! here exactly once, exhaustively; 500s log their cause chain and tell the client only the
//! request id.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use domain::{DomainError, FieldError};
use persistence::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::context;

/// A problem (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI identifying the kind of problem.
    #[schema(example = "urn:inclusion:problem:validation")]
    pub r#type: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence.
    pub detail: String,
    /// The request path of this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id, to quote when reporting the problem.
    pub request_id: String,
    /// Per-field reasons, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// Why one field was refused.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field, as named in the request (`representatives[1].person_id`).
    pub field: String,
    /// A stable code (`check_digit`, `before_start`, `not_found`, `unknown_field`).
    pub code: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest { detail: String, errors: Vec<FieldError> },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{detail}")]
    Conflict { detail: String, errors: Vec<FieldError> },
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    Unprocessable { detail: String, errors: Vec<FieldError> },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn bad_request(field: &str, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::BadRequest { detail: message.clone(), errors: vec![FieldError::new(field, code, message)] }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::BadRequest { .. } => (StatusCode::BAD_REQUEST, "bad-request", "Malformed request"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "Authentication required"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            Self::Conflict { .. } => (StatusCode::CONFLICT, "conflict", "Conflict with the current state"),
            Self::PreconditionFailed(_) => (StatusCode::PRECONDITION_FAILED, "precondition-failed", "Stale version"),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", "Request body too large"),
            Self::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type"),
            Self::Unprocessable { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "validation", "The request breaks a rule"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, slug, title) = self.parts();
        let request_id = context::request_id();
        let (detail, errors) = match self {
            Self::BadRequest { detail, errors } | Self::Conflict { detail, errors } | Self::Unprocessable { detail, errors } => {
                (detail.clone(), errors.clone())
            }
            Self::NotFound => ("the resource does not exist or is not visible to you".to_owned(), vec![]),
            Self::Internal(_) => (format!("an internal error occurred; quote request id {request_id} when reporting it"), vec![]),
            other => (other.to_string(), vec![]),
        };
        Problem {
            r#type: format!("urn:inclusion:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            instance: context::request_path(),
            request_id,
            errors: errors.into_iter().map(|e| ProblemField { field: e.field, code: e.code, message: e.message }).collect(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(source) = self {
            let mut chain = source.to_string();
            let mut cause = source.source();
            while let Some(c) = cause {
                chain.push_str(": ");
                chain.push_str(&c.to_string());
                cause = c.source();
            }
            tracing::error!(error = %chain, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if let Self::Unauthorized(_) = self {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response.json(self.problem())
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Invalid(errors) => {
                let detail = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ");
                Self::Unprocessable { detail, errors }
            }
            DomainError::Conflict(detail) => Self::Conflict { detail, errors: vec![] },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NotFound,
            StoreError::PreconditionFailed { expected, current } => {
                Self::PreconditionFailed(format!("If-Match names version {expected}, but the current version is {current}; nothing was written"))
            }
            StoreError::Conflict { field, message } => {
                let errors = field.map(|f| vec![FieldError::new(f, "conflict", message.clone())]).unwrap_or_default();
                Self::Conflict { detail: message, errors }
            }
            StoreError::IdempotencyMismatch => Self::Unprocessable {
                detail: "this Idempotency-Key was already used with a different request".to_owned(),
                errors: vec![FieldError::new("Idempotency-Key", "reused", "use a new key for a new request")],
            },
            StoreError::InvalidQuery(error) => Self::BadRequest { detail: error.message.clone(), errors: vec![error] },
            StoreError::Domain(domain) => domain.into(),
            StoreError::Database(db) => Self::Internal(Box::new(db)),
        }
    }
}

impl From<service::Error> for ApiError {
    fn from(err: service::Error) -> Self {
        match err {
            service::Error::Forbidden(reason) => Self::Forbidden(reason),
            service::Error::PreconditionFailed(detail) => Self::PreconditionFailed(detail),
            service::Error::Store(store) => store.into(),
            service::Error::Caller(source) => match source.downcast::<ApiError>() {
                Ok(api) => *api,
                Err(other) => Self::Internal(other),
            },
            // Answered by the write protocol; reaching here is a fault.
            service::Error::Replayed(_) => Self::Internal("a replayed answer escaped the write protocol".into()),
        }
    }
}

/// An error of the handler's own code run inside a use case (reading a merge patch) goes
/// through it unchanged.
impl From<ApiError> for service::Error {
    fn from(err: ApiError) -> Self {
        service::Error::Caller(Box::new(err))
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errs: validator::ValidationErrors) -> Self {
        let mut errors = Vec::new();
        collect_validation(&errs, "", &mut errors);
        let detail = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        Self::Unprocessable { detail, errors }
    }
}

fn collect_validation(errs: &validator::ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind as K;
    let mut fields: Vec<_> = errs.errors().iter().collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    for (name, kind) in fields {
        let path = if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
        match kind {
            K::Field(list) => {
                for e in list {
                    let message = e.message.as_ref().map_or_else(|| format!("{path} is invalid ({})", e.code), ToString::to_string);
                    out.push(FieldError::new(path.clone(), e.code.to_string(), message));
                }
            }
            K::Struct(inner) => collect_validation(inner, &path, out),
            K::List(items) => {
                for (i, inner) in items {
                    collect_validation(inner, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

pub type ApiResult<T = HttpResponse> = Result<T, ApiError>;

/// The error responses of a read of one resource.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ReadErrors {
    /// The path is malformed (an id that is not a UUID).
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// The token is missing where required, invalid or expired.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// Not found, or not visible to this caller.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
}

/// The error responses of a read that some roles may not make although they see the resource
/// (who scored a candidacy, a support project's indicators): [`ReadErrors`] and 403.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum GuardedReadErrors {
    /// The path is malformed (an id that is not a UUID).
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// The token is missing where required, invalid or expired.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The caller's role may not read this (the reason is in `detail`).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// Not found, or not visible to this caller.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
}

/// The error responses of a list.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ListErrors {
    /// An unknown parameter, sort field or cursor, or a malformed value.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// The token is missing where required, invalid or expired.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The caller's role may not read this list (the audit trail, reports across partnerships).
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// The parent resource is not found or not visible to this caller.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
}

/// The error responses of a write.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum WriteErrors {
    /// Malformed JSON, an unknown field, a wrong type or a malformed header.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// The token is missing, invalid or expired.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The caller may see the resource but not change it.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// Not found, or not visible to this caller.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// A duplicate (`external_ref`, IČO, overlapping membership), an illegal state
    /// transition, or a concurrent change.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// `If-Match` names a version that is no longer current; nothing was written.
    #[response(status = 412, content_type = "application/problem+json")]
    PreconditionFailed(Problem),
    /// The body is larger than the configured limit.
    #[response(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Problem),
    /// The body is not JSON (`application/json` or `application/merge-patch+json`).
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// Well-formed but breaks a rule; `errors` names each field, or an
    /// `Idempotency-Key` was reused with another request.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(Problem),
}
