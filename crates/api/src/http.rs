//! The HTTP conventions shared by every resource: extractor configuration that turns bad
//! input into problem details, list parameters and list bodies, `If-Match` and ETags,
//! `Idempotency-Key`, and the write unit that commits a change with its audit entry.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use domain::access::Principal;
use persistence::{Actor, Page, PageRequest, Store, StoredResponse, WriteTx};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context;
use crate::error::{ApiError, ApiResult};

pub const MAX_LIMIT: u64 = 500;
pub const DEFAULT_LIMIT: u64 = 50;

/// JSON bodies: size limit (413), malformed JSON, unknown fields and wrong types (400).
/// `application/merge-patch+json` is accepted besides `application/json`.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .content_type_required(true)
        .content_type(|mime| mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
        .error_handler(move |err, _req| {
            let api = match &err {
                JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => ApiError::PayloadTooLarge(limit),
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType("send the body as application/json".into()),
                JsonPayloadError::Deserialize(e) => {
                    let (code, field) = classify_serde(&e.to_string());
                    ApiError::BadRequest {
                        detail: format!("the JSON body could not be read: {e}"),
                        errors: vec![domain::FieldError::new(field, code, e.to_string())],
                    }
                }
                other => ApiError::BadRequest { detail: format!("the JSON body could not be read: {other}"), errors: vec![] },
            };
            api.into()
        })
}

/// Names the field of a serde error where serde says it (`unknown field `x``).
fn classify_serde(message: &str) -> (&'static str, String) {
    let quoted = message.split('`').nth(1).unwrap_or("body").to_owned();
    if message.starts_with("unknown field") {
        ("unknown_field", quoted)
    } else if message.starts_with("missing field") {
        ("missing", quoted)
    } else if message.starts_with("unknown variant") {
        ("unknown_code", "body".to_owned())
    } else if message.contains("expected") || message.starts_with("invalid type") {
        ("type", "body".to_owned())
    } else {
        ("malformed", "body".to_owned())
    }
}

/// Query strings: unknown parameters and malformed values are a 400, never ignored.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let message = match &err {
            QueryPayloadError::Deserialize(e) => e.to_string(),
            other => other.to_string(),
        };
        let (code, field) = classify_serde(&message);
        ApiError::BadRequest { detail: format!("the query string is invalid: {message}"), errors: vec![domain::FieldError::new(field, code, message)] }.into()
    })
}

/// Path segments (ids are UUIDs).
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req| ApiError::bad_request("id", "format", format!("the path is invalid: {err}")).into())
}

/// Turns the common list parameters into a page request.
pub fn page_request(limit: Option<u64>, cursor: &Option<String>, sort: &Option<String>, count: Option<bool>) -> ApiResult<PageRequest> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request("limit", "out_of_range", format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    // A cursor is bound to the path that issued it (a list, or a parent's list) and signed.
    let list = context::request_path().unwrap_or_default();
    Ok(PageRequest { limit, cursor: cursor.clone(), sort: sort.clone(), count: count.unwrap_or(false), list, cursor_key: context::cursor_key() })
}

/// Declares a list's query parameters: the common paging ones (`limit`, `cursor`, `count`,
/// plus `sort` where the list has a whitelist) and the resource's filters, with unknown
/// parameters refused. `list_query!` is for sortable lists, `page_query!` for lists with one
/// fixed order (reports, codelists); both expand to `paged_query!`.
macro_rules! paged_query {
    ($(#[$m:meta])* $name:ident [$($sort:tt)*] { $($(#[$fm:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$m])*
        #[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Rows per page, 1–500 (default 50).
            #[param(minimum = 1, maximum = 500)]
            pub limit: Option<u64>,
            /// The `next_cursor` of the previous page.
            pub cursor: Option<String>,
            $($sort)*
            /// `true` to include `total`, the number of all matching rows.
            pub count: Option<bool>,
            $($(#[$fm])* pub $field: $ty,)*
        }
        impl $name {
            pub fn page(&self) -> crate::error::ApiResult<persistence::PageRequest> {
                crate::http::page_request(self.limit, &self.cursor, &self.sort_param(), self.count)
            }
        }
    };
}
pub(crate) use paged_query;

macro_rules! list_query {
    ($(#[$m:meta])* $name:ident { $($body:tt)* }) => {
        crate::http::paged_query!($(#[$m])* $name [
            /// Comma-separated sort fields, `-` for descending (e.g. `name,-updated_at`).
            pub sort: Option<String>,
        ] { $($body)* });
        impl $name {
            fn sort_param(&self) -> Option<String> {
                self.sort.clone()
            }
        }
    };
}
pub(crate) use list_query;

macro_rules! page_query {
    ($(#[$m:meta])* $name:ident { $($body:tt)* }) => {
        crate::http::paged_query!($(#[$m])* $name [] { $($body)* });
        impl $name {
            fn sort_param(&self) -> Option<String> {
                None
            }
        }
    };
}
pub(crate) use page_query;

page_query! {
    /// Paging of a list with one fixed order.
    PageQuery {}
}

/// A page of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// The number of all matching rows, when `count=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

impl<T: ToSchema> ListResponse<T> {
    pub fn from_page<R>(page: Page<R>, f: impl FnMut(R) -> T) -> Self {
        Self { items: page.items.into_iter().map(f).collect(), next_cursor: page.next_cursor, total: page.total }
    }
}

fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// 200 with the body and its ETag.
pub fn ok_versioned<T: Serialize>(version: i32, body: &T) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json(body)
}

/// The `If-Match` precondition, when the client sent one.
pub struct IfMatch(Option<String>);

impl IfMatch {
    /// Refuses the write (412) unless the header is absent, `*`, or names `current`.
    pub fn check(&self, current: i32) -> ApiResult<()> {
        let Some(raw) = &self.0 else { return Ok(()) };
        // RFC 9110 §13.1.1: If-Match uses the strong comparison, so a weak tag never matches.
        let strong = |tag: &str| tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).and_then(|t| t.parse::<i32>().ok());
        let matches = raw.split(',').map(str::trim).any(|tag| tag == "*" || strong(tag) == Some(current));
        if matches {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed(format!("If-Match {raw} does not name the current version {current}; nothing was written")))
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req.headers().get(header::IF_MATCH).map(|v| v.to_str().map(str::to_owned));
        ready(match value {
            None => Ok(IfMatch(None)),
            Some(Ok(v)) if well_formed_if_match(&v) => Ok(IfMatch(Some(v))),
            Some(_) => Err(ApiError::bad_request("If-Match", "format", "If-Match must be `*` or a list of entity tags such as \"3\"")),
        })
    }
}

/// The grammar of `If-Match` (RFC 9110 §13.1.1): `*`, or entity tags separated by commas.
/// A malformed header is a 400 (RFC 9110 §13.2.1: preconditions are evaluated only for a
/// request that would otherwise succeed), never a 412.
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[\x21\x23-\x7E]*"([ \t]*,[ \t]*(W/)?"[\x21\x23-\x7E]*")*)$"#;

fn well_formed_if_match(value: &str) -> bool {
    let value = value.trim_matches([' ', '\t']);
    if value == "*" {
        return true;
    }
    !value.is_empty()
        && value.split(',').all(|tag| {
            let tag = tag.trim_matches([' ', '\t']);
            let opaque = tag.strip_prefix("W/").unwrap_or(tag);
            opaque.len() >= 2
                && opaque.starts_with('"')
                && opaque.ends_with('"')
                && opaque[1..opaque.len() - 1].bytes().all(|b| b == 0x21 || (0x23..=0x7e).contains(&b))
        })
}

/// `Idempotency-Key`: 1–255 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[\\x21-\\x7E]{1,255}$";

/// The `Idempotency-Key` of a POST, if any.
pub struct IdempotencyKey(Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = match req.headers().get("Idempotency-Key") {
            None => Ok(None),
            Some(v) => match v.to_str() {
                Ok(s) if (1..=255).contains(&s.len()) && s.chars().all(|c| c.is_ascii_graphic()) => Ok(Some(s.to_owned())),
                _ => Err(ApiError::bad_request("Idempotency-Key", "format", "Idempotency-Key must be 1–255 visible ASCII characters")),
            },
        };
        ready(key.map(IdempotencyKey))
    }
}

/// Application state shared by the handlers.
pub struct AppState {
    pub store: Store,
}

/// A write in progress: one transaction for the change, its audit entry and, for a POST
/// with an `Idempotency-Key`, the stored response.
pub struct Unit {
    tx: WriteTx,
    idempotency: Option<(String, String)>,
}

/// The start of a POST: either a fresh write or the stored answer to a retry.
pub enum Begun {
    Fresh(Unit),
    Replay(HttpResponse),
}

fn actor(who: &Principal) -> Actor {
    Actor { subject: who.subject.clone(), role: who.role.as_str().to_owned(), request_id: context::request_id() }
}

impl Unit {
    /// Starts a write that is not a POST.
    pub async fn begin(state: &AppState, who: &Principal) -> ApiResult<Self> {
        Ok(Self { tx: state.store.begin(actor(who)).await?, idempotency: None })
    }

    /// Starts a POST. With an `Idempotency-Key`, a retry of the same request gets the first
    /// response again; the same key with another request (path or body) is a 422.
    pub async fn begin_post(state: &AppState, who: &Principal, key: IdempotencyKey, body: &impl Serialize) -> ApiResult<Begun> {
        let tx = state.store.begin(actor(who)).await?;
        let Some(key) = key.0 else {
            return Ok(Begun::Fresh(Self { tx, idempotency: None }));
        };
        let mut hasher = Sha256::new();
        hasher.update(context::request_path().unwrap_or_default().as_bytes());
        hasher.update([0]);
        // The caller's scope is part of the request: a token with other rights that reuses a
        // subject and key gets a 422, never another scope's stored answer.
        hasher.update(format!("{}|{:?}|{:?}", who.role.as_str(), who.partnerships, who.organization_id).as_bytes());
        hasher.update([0]);
        hasher.update(serde_json::to_vec(body).map_err(|e| ApiError::Internal(Box::new(e)))?);
        let hash = format!("{:x}", hasher.finalize());
        if let Some(stored) = tx.replay(&key, &hash).await? {
            return Ok(Begun::Replay(replay(stored)));
        }
        Ok(Begun::Fresh(Self { tx, idempotency: Some((key, hash)) }))
    }

    pub fn tx(&self) -> &WriteTx {
        &self.tx
    }

    async fn finish(self, response: StoredResponse, version: Option<i32>) -> ApiResult {
        if let Some((key, hash)) = &self.idempotency {
            self.tx.remember(key, hash, &response).await?;
        }
        self.tx.commit().await?;
        let mut builder = HttpResponse::build(actix_web::http::StatusCode::from_u16(response.status).map_err(|e| ApiError::Internal(Box::new(e)))?);
        if let Some(location) = &response.location {
            builder.insert_header((header::LOCATION, location.as_str()));
        }
        if let Some(version) = version {
            builder.insert_header((header::ETAG, etag(version)));
        }
        Ok(builder.content_type("application/json").body(response.body))
    }

    /// Audits a creation, commits, and answers 201 with `Location` and the body.
    pub async fn created<T: Serialize>(self, resource: &str, id: Uuid, version: i32, location: String, view: &T) -> ApiResult {
        let after = serde_json::to_value(view).map_err(|e| ApiError::Internal(Box::new(e)))?;
        self.tx.audit("create", resource, id, None, Some(after.clone())).await?;
        self.finish(StoredResponse { status: 201, location: Some(location), body: after.to_string() }, Some(version)).await
    }

    /// Audits a change (`update`, an action name, `archive`), commits, answers 200 + ETag.
    pub async fn changed<T: Serialize>(self, action: &str, resource: &str, id: Uuid, version: i32, before: &T, after: &T) -> ApiResult {
        let before = serde_json::to_value(before).map_err(|e| ApiError::Internal(Box::new(e)))?;
        let after = serde_json::to_value(after).map_err(|e| ApiError::Internal(Box::new(e)))?;
        self.tx.audit(action, resource, id, Some(before), Some(after.clone())).await?;
        self.finish(StoredResponse { status: 200, location: None, body: after.to_string() }, Some(version)).await
    }

    /// Audits a deletion (of draft content) and commits; answers 204.
    pub async fn deleted<T: Serialize>(self, resource: &str, id: Uuid, before: &T) -> ApiResult {
        let before = serde_json::to_value(before).map_err(|e| ApiError::Internal(Box::new(e)))?;
        self.tx.audit("delete", resource, id, Some(before), None).await?;
        self.tx.commit().await?;
        Ok(HttpResponse::NoContent().finish())
    }

    /// Audits an archive and commits; answers 204.
    pub async fn archived<T: Serialize>(self, resource: &str, id: Uuid, before: &T, after: &T) -> ApiResult {
        let before = serde_json::to_value(before).map_err(|e| ApiError::Internal(Box::new(e)))?;
        let after = serde_json::to_value(after).map_err(|e| ApiError::Internal(Box::new(e)))?;
        self.tx.audit("archive", resource, id, Some(before), Some(after)).await?;
        self.tx.commit().await?;
        Ok(HttpResponse::NoContent().finish())
    }
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(stored.status).unwrap_or(actix_web::http::StatusCode::OK);
    let mut builder = HttpResponse::build(status);
    builder.insert_header(("Idempotency-Replayed", HeaderValue::from_static("true")));
    if let Some(location) = &stored.location {
        builder.insert_header((header::LOCATION, location.as_str()));
    }
    if let Some(version) = serde_json::from_str::<serde_json::Value>(&stored.body).ok().and_then(|v| v.get("version").and_then(serde_json::Value::as_i64)) {
        builder.insert_header((header::ETAG, format!("\"{version}\"")));
    }
    builder.content_type("application/json").body(stored.body)
}

/// Applies a JSON merge patch (RFC 7396) to the current input state of a resource and reads
/// the result back as that input type, so that a PATCH is validated exactly like a POST.
pub fn merge_patch<T: Serialize + serde::de::DeserializeOwned>(current: &T, patch: serde_json::Value) -> ApiResult<T> {
    if !patch.is_object() {
        return Err(ApiError::bad_request("body", "type", "a merge patch is a JSON object"));
    }
    let mut doc = serde_json::to_value(current).map_err(|e| ApiError::Internal(Box::new(e)))?;
    json_patch::merge(&mut doc, &patch);
    serde_json::from_value(doc).map_err(|e| {
        let message = e.to_string();
        let (code, field) = classify_serde(&message);
        ApiError::BadRequest { detail: format!("the patch could not be applied: {message}"), errors: vec![domain::FieldError::new(field, code, message)] }
    })
}

/// 404 unless the caller may read the partnership's internal data; then 403 unless it may write.
pub fn guard_partnership_write(who: &Principal, partnership_id: Uuid) -> ApiResult<()> {
    if !who.may_read_partnership(partnership_id) {
        Err(ApiError::NotFound)
    } else if !who.may_write_partnership(partnership_id) {
        Err(ApiError::Forbidden("your role does not allow changes in this partnership".into()))
    } else {
        Ok(())
    }
}

/// 404 unless the caller may read the partnership's internal data.
pub fn guard_partnership_read(who: &Principal, partnership_id: Uuid) -> ApiResult<()> {
    if who.may_read_partnership(partnership_id) { Ok(()) } else { Err(ApiError::NotFound) }
}

/// 403 unless the caller may change the shared registries.
pub fn guard_registry_write(who: &Principal) -> ApiResult<()> {
    if who.may_write_registry() { Ok(()) } else { Err(ApiError::Forbidden("your role does not allow changes to the registry".into())) }
}
