//! Signed short-lived links to pages and charts (`POST /api/v1/links`), so that a browser can
//! open a non-public page without an `Authorization` header.
//!
//! A link is the page's path with two more query parameters: `exp` (Unix seconds) and `sig`,
//! `base64url(grant) "." base64url(tag)`. The grant is the minting caller's access (role,
//! partnerships, organization; the subject only as a digest, so that no name or e-mail
//! travels in a URL), and the tag is HMAC-SHA256 over the path, `exp` and the grant, with a key
//! of its own derived from the server's secret ([`LinkKey::derive`]). So a link opens exactly
//! the path it was minted for (other query parameters, `lang` and `as_of`, stay free), grants
//! what its minter could see, and nothing after `exp`. A tampered, expired or borrowed link is
//! a 401, like an expired token.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::access::{Principal, Role};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::TokenService;
use crate::error::ApiError;

/// A link's validity when the caller does not ask (seconds).
pub const DEFAULT_TTL: u64 = 600;
/// The longest validity a caller may ask for (seconds).
pub const MAX_TTL: u64 = 3600;
/// Longer `sig` values are refused before any decoding.
const MAX_SIG_BYTES: usize = 8192;

/// The HMAC-SHA256 key of links.
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl LinkKey {
    /// `HMAC-SHA256(secret, "inclusion signed link v1")`: a key of its own (domain separation
    /// from tokens and cursors), the same on every instance sharing the secret.
    pub fn derive(secret: &[u8]) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"inclusion signed link v1");
        Self(mac.finalize().into_bytes().into())
    }

    /// A key of this instance only (no secret configured: tokens come from a JWKS alone).
    pub fn random() -> Self {
        Self::derive(format!("{}{}", Uuid::new_v4(), Uuid::new_v4()).as_bytes())
    }

    fn tag(&self, path: &str, exp: u64, grant: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        for part in [path.as_bytes(), exp.to_string().as_bytes(), grant.as_bytes()] {
            mac.update(part);
            mac.update(&[0]);
        }
        mac
    }

    /// The `sig` of a link to `path` (no query) for `who`, valid until `exp`.
    pub fn sign(&self, who: &Principal, path: &str, exp: u64) -> String {
        let grant = Grant { s: digest(&who.subject), r: who.role, p: who.partnerships.clone(), o: who.organization_id };
        let grant = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&grant).unwrap_or_default());
        let tag = self.tag(path, exp, &grant).finalize().into_bytes();
        format!("{grant}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The principal a link grants, when `sig` was signed for `path` and `exp` has not passed
    /// on `now` (Unix seconds).
    pub fn open(&self, path: &str, exp: u64, sig: &str, now: u64) -> Result<Principal, ApiError> {
        let refuse = || ApiError::Unauthorized("the link is not valid (altered, or minted for another page); mint a new one".into());
        if sig.len() > MAX_SIG_BYTES {
            return Err(refuse());
        }
        let (grant, tag) = sig.split_once('.').ok_or_else(refuse)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| refuse())?;
        self.tag(path, exp, grant).verify_slice(&tag).map_err(|_| refuse())?;
        if exp <= now {
            return Err(ApiError::Unauthorized("the link has expired; mint a new one".into()));
        }
        // Signed by this server, so never longer than the longest validity (defence in depth).
        if exp > now + MAX_TTL + 60 {
            return Err(refuse());
        }
        let grant: Grant = URL_SAFE_NO_PAD.decode(grant).ok().and_then(|g| serde_json::from_slice(&g).ok()).ok_or_else(refuse)?;
        Ok(Principal { subject: format!("link:{}", grant.s), role: grant.r, partnerships: grant.p, organization_id: grant.o })
    }
}

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey([redacted])")
    }
}

/// What a link grants: the minting caller's access.
#[derive(Serialize, Deserialize)]
struct Grant {
    /// A digest of the subject (traceable, not readable).
    s: String,
    r: Role,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    p: Vec<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    o: Option<Uuid>,
}

fn digest(subject: &str) -> String {
    Sha256::digest(subject.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The link parameters of a page request.
#[derive(Deserialize)]
struct LinkParams {
    sig: Option<String>,
    /// As documented: int64, at least 0.
    exp: Option<i64>,
}

/// The caller of a page: a bearer token, else a signed link (`?exp=…&sig=…`), else nobody.
fn page_principal(req: &HttpRequest) -> Result<Option<Principal>, ApiError> {
    let token = req.headers().contains_key(actix_web::http::header::AUTHORIZATION);
    let params = web::Query::<LinkParams>::from_query(req.query_string()).map_err(|_| {
        if token {
            ApiError::bad_request("exp", "format", "`exp` is Unix seconds, 0 to 9223372036854775807")
        } else {
            ApiError::Unauthorized("the link's `exp` or `sig` is malformed".into())
        }
    })?;
    if token {
        // One credential per request: a link's parameters beside a token would go unchecked.
        if params.sig.is_some() || params.exp.is_some() {
            return Err(ApiError::bad_request("sig", "both_credentials", "a request carries a bearer token or a signed link's `exp` and `sig`, not both"));
        }
        return super::principal(req);
    }
    match (&params.sig, params.exp) {
        (None, None) => Ok(None),
        (Some(sig), Some(exp)) => {
            let exp = u64::try_from(exp).map_err(|_| ApiError::Unauthorized("the link's `exp` is malformed".into()))?;
            let service = req.app_data::<web::Data<TokenService>>().ok_or_else(|| ApiError::Internal("token service is not configured".into()))?;
            service.links.open(req.path(), exp, sig, jsonwebtoken::get_current_timestamp()).map(Some)
        }
        _ => Err(ApiError::Unauthorized("a signed link carries both `exp` and `sig`".into())),
    }
}

/// The reader of a non-public page: a bearer token or a signed link, else 401.
pub struct PageReader(pub Principal);

impl FromRequest for PageReader {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(page_principal(req).and_then(|p| {
            p.map(PageReader).ok_or_else(|| ApiError::Unauthorized("this page needs a bearer token or a signed link (POST /api/v1/links)".into()))
        }))
    }
}

/// The reader of a page that is public in part: a bearer token, a signed link, or nobody.
pub struct MaybePageReader(pub Option<Principal>);

impl FromRequest for MaybePageReader {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(page_principal(req).map(MaybePageReader))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner() -> Principal {
        Principal { subject: "jana@example.org".into(), role: Role::Partner, partnerships: vec![Uuid::from_u128(7)], organization_id: Some(Uuid::from_u128(9)) }
    }

    #[test]
    fn a_link_opens_its_path_until_it_expires() {
        let key = LinkKey::derive(b"a-long-enough-secret-for-tests-0123456789");
        let sig = key.sign(&partner(), "/api/v1/reports/portfolio", 1_000);
        let who = key.open("/api/v1/reports/portfolio", 1_000, &sig, 900).unwrap();
        assert_eq!((who.role, who.partnerships.clone(), who.organization_id), (Role::Partner, vec![Uuid::from_u128(7)], Some(Uuid::from_u128(9))));
        assert!(!who.subject.contains("jana") && !sig.contains("jana"), "no subject in the clear");
        assert!(matches!(key.open("/api/v1/reports/portfolio", 1_000, &sig, 1_000), Err(ApiError::Unauthorized(m)) if m.contains("expired")));
        assert!(key.open("/api/v1/reports/pipeline.svg", 1_000, &sig, 900).is_err(), "another path");
        assert!(key.open("/api/v1/reports/portfolio", 1_001, &sig, 900).is_err(), "another exp");
        assert!(LinkKey::derive(b"another-secret").open("/api/v1/reports/portfolio", 1_000, &sig, 900).is_err());
        // A grant widened to an admin's keeps the old tag: refused.
        let (_, tag) = sig.split_once('.').unwrap();
        let admin = URL_SAFE_NO_PAD.encode(br#"{"s":"x","r":"admin"}"#);
        assert!(key.open("/api/v1/reports/portfolio", 1_000, &format!("{admin}.{tag}"), 900).is_err());
    }
}
