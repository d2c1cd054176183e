//! The HTTP conventions shared by every resource: extractor configuration that turns bad
//! input into problem details, list parameters and list bodies, `If-Match` and ETags,
//! `Idempotency-Key`, and the write unit that commits a change with its audit entry.

use std::collections::HashMap;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use persistence::{Page, PageRequest, Store};
use serde::Serialize;
use utoipa::ToSchema;

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
pub fn page_request(
    limit: Option<u64>,
    cursor: &Option<String>,
    sort: &Option<String>,
    count: Option<bool>,
    updated_since: Option<chrono::DateTime<chrono::Utc>>,
) -> ApiResult<PageRequest> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request("limit", "out_of_range", format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    // A cursor is bound to the path that issued it (a list, or a parent's list) and signed.
    let list = context::request_path().unwrap_or_default();
    Ok(PageRequest { limit, cursor: cursor.clone(), sort: sort.clone(), count: count.unwrap_or(false), list, cursor_key: context::cursor_key(), updated_since })
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
                crate::http::page_request(self.limit, &self.cursor, &self.sort_param(), self.count, self.since_param())
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
            /// Only rows changed at or after this time (RFC 3339), for incremental pulls; with
            /// `include_archived=true` archived rows come too, as tombstones (`archived_at` set).
            pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
        ] { $($body)* });
        impl $name {
            fn sort_param(&self) -> Option<String> {
                self.sort.clone()
            }
            fn since_param(&self) -> Option<chrono::DateTime<chrono::Utc>> {
                self.updated_since
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
            fn since_param(&self) -> Option<chrono::DateTime<chrono::Utc>> {
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

/// JSON answers: `HttpResponseBuilder::json` with the body written by sonic-rs instead of
/// serde_json. The bytes are the same (the test below compares them on every kind of value the
/// views hold); sonic-rs finds the characters a string must escape with SIMD instructions where
/// serde_json looks at each byte, and escaping was the largest single cost of a long list (a
/// page of 50 measures is 64 KB; issue 11). Problem details keep actix's `json`, whose
/// content type they set themselves.
pub trait JsonBody {
    /// The body, `Content-Type: application/json`; a value that cannot be written (a map with
    /// keys that are not strings) is a 500, as with actix's `json`.
    fn json_body(&mut self, value: impl Serialize) -> HttpResponse;
}

impl JsonBody for actix_web::HttpResponseBuilder {
    fn json_body(&mut self, value: impl Serialize) -> HttpResponse {
        let mut sizes = BodySizes::of(&value);
        let mut body = Vec::with_capacity(sizes.guess());
        match sonic_rs::to_writer(&mut body, &value) {
            Ok(()) => {
                sizes.remember(body.len());
                self.insert_header((header::CONTENT_TYPE, mime::APPLICATION_JSON)).body(body)
            }
            Err(err) => HttpResponse::from_error(actix_web::error::ErrorInternalServerError(err)),
        }
    }
}

thread_local! {
    /// The size of the last body written on this worker for each type of answer, keyed by the
    /// address of the type's name. Without a guess a body grew from 128 bytes by doubling, copied
    /// at every step: a page of 50 measures (64 KB) was copied ten times over, 3 % of its
    /// instructions (issue 11).
    static BODY_SIZES: std::cell::RefCell<HashMap<usize, usize>> = std::cell::RefCell::new(HashMap::new());
}

/// The remembered body size of one type of answer. (The key is taken once, here: the same
/// type's name may live at different addresses in different functions; a key that does not
/// match only costs a poorer guess.)
struct BodySizes(usize);

impl BodySizes {
    fn of<V>(_: &V) -> Self {
        Self(std::any::type_name::<V>().as_ptr().addr())
    }

    /// The capacity to write the body into: the last such body's size and an eighth more
    /// (lists vary with their pages; a string's worst-case escaping is reserved before it is
    /// written), at least 1 KiB and at most 4 MiB (beyond, the vector grows).
    fn guess(&self) -> usize {
        let last = BODY_SIZES.with(|sizes| sizes.borrow().get(&self.0).copied()).unwrap_or(0);
        (last + last / 8).clamp(1024, 4 << 20)
    }

    fn remember(&mut self, len: usize) {
        BODY_SIZES.with(|sizes| sizes.borrow_mut().insert(self.0, len));
    }
}

fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// 200 with the body and its ETag.
pub fn ok_versioned<T: Serialize>(version: i32, body: &T) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, etag(version))).json_body(body)
}

/// The `If-Match` precondition, when the client sent one: checked by the use case, against the
/// version it reads inside the write's transaction.
pub struct IfMatch(pub service::Precondition);

impl IfMatch {
    /// Refuses the write (412) unless the header is absent, `*`, or names `current`.
    pub fn check(&self, current: i32) -> ApiResult<()> {
        Ok(self.0.check(current)?)
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req.headers().get(header::IF_MATCH).map(|v| v.to_str().map(str::to_owned));
        ready(match value {
            None => Ok(IfMatch(service::Precondition(None))),
            Some(Ok(v)) if well_formed_if_match(&v) => Ok(IfMatch(service::Precondition(Some(v)))),
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
pub struct IdempotencyKey(pub(crate) Option<String>);

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
    /// Hosts webhook deliveries may reach besides public https ones (the operator's list).
    pub webhook_hosts: Vec<String>,
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// A body is written into a buffer sized by the last body of its type (the guess must hit:
    /// a key taken differently for the guess and for the memory would never match).
    #[test]
    fn a_body_buffer_is_sized_by_the_last_body_of_its_type() {
        use super::{BodySizes, JsonBody as _};
        let page: Vec<String> = (0..500).map(|i| format!("item {i}")).collect();
        assert_eq!(BodySizes::of(&&page).guess(), 1024, "nothing remembered yet: the least");
        let response = actix_web::HttpResponse::Ok().json_body(&page);
        let len = serde_json::to_vec(&page).unwrap().len();
        assert!(len > 1024);
        assert_eq!(BodySizes::of(&&page).guess(), len + len / 8);
        drop(response);
        // Another type keeps its own.
        assert_eq!(BodySizes::of(&7_u8).guess(), 1024);
    }

    /// What [`super::JsonBody`] answers, against what serde_json writes.
    fn same_bytes(value: &impl serde::Serialize) {
        use super::JsonBody as _;
        let serde = serde_json::to_vec(value).expect("serde_json writes it");
        let response = actix_web::HttpResponse::Ok().json_body(value);
        assert_eq!(response.headers().get(actix_web::http::header::CONTENT_TYPE).unwrap(), "application/json");
        let body = actix_web::rt::System::new().block_on(actix_web::body::to_bytes(response.into_body())).expect("a body");
        assert_eq!(String::from_utf8_lossy(&body), String::from_utf8_lossy(&serde));
    }

    #[test]
    fn json_bodies_are_written_byte_for_byte_as_serde_json_writes_them() {
        // Strings: every control character, quotes, backslashes, Czech, astral planes, the line
        // separators JavaScript once choked on, and long runs around each (SIMD blocks).
        let mut strings: Vec<String> = (0u8..0x20).map(|b| format!("a{}b", b as char)).collect();
        strings.extend(["\"", "\\", "/", "\u{7f}", "Příliš žluťoučký kůň úpěl ďábelské ódy", "🦀 \u{2028}\u{2029} \u{feff}", ""].map(String::from));
        for n in [15, 16, 17, 31, 32, 33, 63, 64, 65, 1000] {
            strings.push(format!("{}\"{}\n{}", "x".repeat(n), "é".repeat(n), "\\".repeat(n)));
        }
        same_bytes(&strings);
        // Numbers: integers at their limits, and floats, the decimals views compute (shares,
        // attainment, points) and raw bit patterns across the whole range.
        same_bytes(&[i64::MIN, -1, 0, 1, i64::MAX]);
        same_bytes(&[u64::MAX]);
        let mut floats = vec![0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.0 / 3.0, 2.0 / 3.0, 100.0, 12.34, 1e15, 1e16, 1e21, 1e22, 1e-5, 1e-7, 123_456_789.125];
        floats.extend([f64::MAX, f64::MIN, f64::MIN_POSITIVE, f64::EPSILON, 5e-324, f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
        floats.extend((0..=10_000).map(|i| f64::from(i) / 100.0));
        let mut bits = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..20_000 {
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            floats.push(f64::from_bits(bits));
        }
        for f in &floats {
            same_bytes(f);
        }
        same_bytes(&[1.5f32, 0.1, f32::MAX, f32::MIN_POSITIVE]);
        // Documents as stored (key order kept), options, nested structures, the domain's types.
        same_bytes(&json!({"z": 1, "a": [null, true, false, {"ý": "x\ty", "b": 2.5}], "m": {}, "e": []}));
        same_bytes(&(Some(uuid::Uuid::from_u128(0x1234)), None::<u8>, chrono::NaiveDate::from_ymd_opt(2026, 12, 2), chrono::DateTime::<chrono::Utc>::MIN_UTC));
        same_bytes(&std::collections::BTreeMap::from([("k", vec![1u8, 2]), ("\"", vec![])]));
    }
}
