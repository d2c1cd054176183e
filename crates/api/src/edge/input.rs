//! Input PostgreSQL cannot store, refused before any handler runs, on every database alike:
//! a NUL character (`%00` in the path or query, `\u0000` in a JSON string) cannot be kept in
//! a `text` column, and bytes that are not UTF-8 (`%FF`) are no text at all. Both are a 400
//! problem naming the parameter or JSON field. A query string is also bounded in length.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{Error, HttpMessage, ResponseError, web};
use futures_util::StreamExt;

use crate::edge::problems::problem;
use crate::error::ApiError;

/// The longest query string accepted (a `q` of a few words needs far less).
pub const MAX_QUERY_BYTES: usize = 4096;

/// The JSON bodies the guard reads: at most the configured body limit.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Percent-decodes (RFC 3986) the bytes of one path segment or query component.
fn percent_decode(raw: &str) -> Vec<u8> {
    let bytes = raw.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1).and_then(|&b| hex(b)), bytes.get(i + 2).and_then(|&b| hex(b))) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(0));
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Why a decoded text cannot be stored, if it cannot.
fn unstorable(decoded: &[u8]) -> Option<(&'static str, &'static str)> {
    if decoded.contains(&0) {
        Some(("nul_character", "contains a NUL character (%00), which cannot be stored"))
    } else {
        match std::str::from_utf8(decoded) {
            Err(_) => Some(("encoding", "is not UTF-8 text")),
            Ok(text) if signed_year_date(text) => Some(("date_out_of_range", DATE_RANGE)),
            Ok(_) => None,
        }
    }
}

const DATE_RANGE: &str = "is a date outside the years 0001–9999: dates are RFC 3339 `YYYY-MM-DD` with a four-digit year";

/// A date or timestamp written with a signed (expanded) year, `-5000-01-01` or `+10000-01-01`:
/// chrono reads them, PostgreSQL cannot store the early ones, and RFC 3339 (the `format: date`
/// and `date-time` of the document) has four-digit years only. Refused alike on both databases.
fn signed_year_date(text: &str) -> bool {
    let Some(rest) = text.strip_prefix(['-', '+']) else { return false };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let after = &rest.as_bytes()[digits..];
    digits >= 4 && after.len() >= 6 && after[0] == b'-' && after[1..3].iter().all(u8::is_ascii_digit) && after[3] == b'-'
}

/// The first query parameter or path segment that cannot be stored: (field, code, message).
fn check_uri(path: &str, query: &str) -> Option<(String, &'static str, String)> {
    for segment in path.split('/') {
        if let Some((code, why)) = unstorable(&percent_decode(segment)) {
            return Some(("path".to_owned(), code, format!("the path {why}")));
        }
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name_bytes = percent_decode(name);
        let field = String::from_utf8(name_bytes.clone()).ok().filter(|n| !n.contains('\0')).unwrap_or_else(|| "query".to_owned());
        if let Some((code, why)) = unstorable(&name_bytes).or_else(|| unstorable(&percent_decode(value))) {
            return Some((field.clone(), code, format!("the query parameter `{field}` {why}")));
        }
    }
    None
}

/// Whether a JSON text holds a `\u0000` escape (a raw NUL byte is invalid JSON anyway).
/// Escapes are walked pairwise, so `\\u0000` (a backslash, then `u0000`) is not one.
fn has_nul_escape(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\\' => {
                if body.get(i + 1) == Some(&b'u') && body.get(i + 2..i + 6) == Some(b"0000".as_slice()) {
                    return true;
                }
                i += 2;
            }
            0 => return true,
            _ => i += 1,
        }
    }
    false
}

/// Whether a JSON text may hold a signed-year date: a string starting `"-` or `"+` and a digit.
fn may_hold_signed_date(body: &[u8]) -> bool {
    body.windows(3).any(|w| w[0] == b'"' && (w[1] == b'-' || w[1] == b'+') && w[2].is_ascii_digit())
}

/// The path of the first string that is a signed-year date.
fn signed_date_field(value: &serde_json::Value, path: &str) -> Option<String> {
    let here = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        serde_json::Value::String(s) if signed_year_date(s) => Some(if path.is_empty() { "body".to_owned() } else { path.to_owned() }),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| signed_date_field(v, &format!("{}[{i}]", if path.is_empty() { "body" } else { path })))
        }
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| signed_date_field(v, &here(k))),
        _ => None,
    }
}

/// The path of the first key or string holding a NUL (`representatives[1].name`).
fn nul_field(value: &serde_json::Value, path: &str) -> Option<String> {
    let join = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(if path.is_empty() { "body".to_owned() } else { path.to_owned() }),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| nul_field(v, &format!("{}[{i}]", if path.is_empty() { "body" } else { path })))
        }
        serde_json::Value::Object(map) => {
            map.iter().find_map(|(k, v)| if k.contains('\0') { Some(join(&k.replace('\0', "\\u0000"))) } else { nul_field(v, &join(k)) })
        }
        _ => None,
    }
}

fn is_json(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
}

fn declared_length(req: &ServiceRequest) -> Option<usize> {
    req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok())
}

pub async fn refuse_unstorable_input(
    limit: web::Data<BodyLimit>,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.query_string().len() > MAX_QUERY_BYTES {
        let detail = format!("the query string is longer than {MAX_QUERY_BYTES} bytes");
        return Ok(req.into_response(problem(StatusCode::URI_TOO_LONG, "uri-too-long", detail)));
    }
    if let Some((field, code, message)) = check_uri(req.path(), req.query_string()) {
        return Ok(req.into_response(ApiError::bad_request(&field, code, message).error_response()));
    }
    // A compressed body would be scanned compressed (a NUL hidden by deflate, a gzip header read
    // as one): bodies are accepted as sent, `identity` only.
    if req.headers().get(header::CONTENT_ENCODING).is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity")) {
        return Ok(req.into_response(ApiError::UnsupportedMediaType("send the body uncompressed (no Content-Encoding)".into()).error_response()));
    }
    // Bodies over the limit are left to the JSON extractor, which answers 413.
    if is_json(&req) && declared_length(&req).is_none_or(|n| n <= limit.0) {
        let mut payload = req.take_payload();
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk?;
            if body.len() + chunk.len() > limit.0 {
                return Ok(req.into_response(ApiError::PayloadTooLarge(limit.0).error_response()));
            }
            body.extend_from_slice(&chunk);
        }
        if has_nul_escape(&body) {
            let field = serde_json::from_slice(&body).ok().and_then(|v| nul_field(&v, "")).unwrap_or_else(|| "body".to_owned());
            let message = format!("`{field}` contains a NUL character (\\u0000), which cannot be stored");
            return Ok(req.into_response(ApiError::bad_request(&field, "nul_character", message).error_response()));
        }
        if may_hold_signed_date(&body)
            && let Some(field) = serde_json::from_slice(&body).ok().and_then(|v| signed_date_field(&v, ""))
        {
            let message = format!("`{field}` {DATE_RANGE}");
            return Ok(req.into_response(ApiError::bad_request(&field, "date_out_of_range", message).error_response()));
        }
        req.set_payload(Payload::from(Bytes::from(body)));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_year_dates_are_found_and_ordinary_text_is_not() {
        for text in ["-5000-01-01", "+10000-01-01", "-0001-12-31T00:00:00Z"] {
            assert!(signed_year_date(text), "{text}");
        }
        for text in ["2024-01-01", "-", "-12", "- 2020-01-01", "-2020", "+420 777 123 456", "-2020-1-01"] {
            assert!(!signed_year_date(text), "{text}");
        }
        let v: serde_json::Value = serde_json::from_str(r#"{"title": "-x", "steps": [{"date": "-5000-01-01"}]}"#).unwrap();
        assert_eq!(signed_date_field(&v, "").as_deref(), Some("steps[0].date"));
        assert_eq!(check_uri("/api/v1/calls", "open_on=-5000-01-01").map(|e| (e.0, e.1)), Some(("open_on".to_owned(), "date_out_of_range")));
    }

    #[test]
    fn nul_escapes_are_found_but_escaped_backslashes_are_not() {
        assert!(has_nul_escape(br#"{"name": "a\u0000b"}"#));
        assert!(!has_nul_escape(br#"{"name": "a\\u0000b"}"#), "a backslash followed by u0000");
        assert!(has_nul_escape(br#"{"name": "a\\\u0000b"}"#), "a backslash, then a NUL");
        assert!(!has_nul_escape(br#"{"name": "\\", "x": "u0000"}"#));
        assert!(has_nul_escape(b"{\"name\": \"a\0\"}"));
    }

    #[test]
    fn the_field_holding_a_nul_is_named() {
        let v: serde_json::Value = serde_json::from_str(r#"{"name": "ok", "people": [{"name": "x"}, {"name": "a\u0000"}]}"#).unwrap();
        assert_eq!(nul_field(&v, "").as_deref(), Some("people[1].name"));
        let v: serde_json::Value = serde_json::from_str(r#"{"a\u0000": 1}"#).unwrap();
        assert_eq!(nul_field(&v, "").as_deref(), Some("a\\u0000"));
    }

    #[test]
    fn query_and_path_are_checked_after_decoding() {
        assert_eq!(check_uri("/api/v1/partnerships", "q=a%00b").map(|e| (e.0, e.1)), Some(("q".to_owned(), "nul_character")));
        assert_eq!(check_uri("/api/v1/partnerships", "q=%FF").map(|e| (e.0, e.1)), Some(("q".to_owned(), "encoding")));
        assert_eq!(check_uri("/api/v1/codelists/a%00", "").map(|e| (e.0, e.1)), Some(("path".to_owned(), "nul_character")));
        assert_eq!(check_uri("/api/v1/partnerships", "q=%C5%BDlutice&limit=5&sort=-name"), None);
        assert_eq!(check_uri("/api/v1/partnerships", "q=100%25"), None);
    }
}
