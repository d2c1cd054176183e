//! Bearer-token authentication (RFC 8725 practice): signature, `exp`, `nbf`, `iss`, `aud` and
//! `sub` all checked. Two kinds of keys:
//! - HS256 with our own secret (`INCLUSION_JWT_SECRET`; tokens minted by `inclusion token`);
//! - RS256/ES256 (and the other RSA and EC algorithms a key states) with an identity provider's
//!   key set (`INCLUSION_JWT_JWKS_URL`/`_FILE`), the key chosen by the token's `kid`.
//!
//! The header's `alg` only says which of the two to look in; the algorithm a token is verified
//! with is fixed by the key (HS256 for the secret, the JWK's own for a provider key), and every
//! validation accepts exactly that one. So `alg: none`, other algorithms, and an HS256 token
//! "signed" with a provider's public key are refused.

mod jwks;
pub mod links;

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use domain::access::{Principal, Role};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::{DEV_JWT_SECRET, JwtSettings, Settings};
use crate::error::ApiError;

pub use jwks::{MIN_REFRESH_INTERVAL, REFRESH_EVERY};

/// Longer tokens are refused before any decoding (RFC 8725 §3.1 asks for bounded work on
/// untrusted input; real tokens are well under 2 KB).
pub const MAX_TOKEN_BYTES: usize = 8192;

/// The claims of an Inclusion token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    /// Partnerships a consultant is assigned to or a partner belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partnerships: Vec<Uuid>,
    /// A partner's organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<Uuid>,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

/// The claims as read from a token: `role` is parsed afterwards, so that an unknown role is
/// reported as such rather than as a malformed token.
#[derive(Deserialize)]
struct TokenClaims {
    sub: String,
    role: String,
    #[serde(default)]
    partnerships: Vec<Uuid>,
    #[serde(default)]
    organization: Option<Uuid>,
    /// Read again for [`Verified`]: `decode` checked them (required claims; a NumericDate
    /// may be written as a float, which `decode` accepts and [`Verified`] leaves out).
    #[serde(default)]
    nbf: Option<serde_json::Value>,
    #[serde(default)]
    exp: Option<serde_json::Value>,
}

/// Our own HS256 key.
struct Secret {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

/// Validates tokens (our HS256 secret, an identity provider's keys) and issues HS256 ones.
pub struct TokenService {
    secret: Option<Secret>,
    jwks: Option<Arc<jwks::JwksCache>>,
    issuer: String,
    audience: String,
    /// Signs and opens the links to pages ([`links`]).
    pub links: links::LinkKey,
    /// HS256 tokens this service verified, by their exact text ([`Verified`]).
    verified: std::sync::Mutex<std::collections::HashMap<Box<str>, Verified>>,
}

/// A token already verified with our own secret: its principal and validity window. A token's
/// text fixes its claims and signature, and the secret does not change while the service
/// lives, so verifying it again can only repeat the time checks, which are repeated on every
/// use (with `decode`'s rule and leeway); outside its window the token is verified again,
/// which refuses it with the reason. Verifying the signature and decoding the claims were a
/// quarter of an item read's instructions (issue 11). Bounded: emptied at
/// [`VERIFIED_TOKENS`] tokens; only tokens that verified enter it. Provider (JWKS) tokens are
/// not kept: a key the provider withdraws must stop its tokens at once.
#[derive(Clone)]
struct Verified {
    principal: Principal,
    nbf: u64,
    exp: u64,
}

/// How many verified tokens a service keeps ([`Verified`]).
const VERIFIED_TOKENS: usize = 1024;

/// Issuer, audience, required claims and clock leeway; the algorithm is set per key.
fn validation_template(settings: &JwtSettings) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[&settings.issuer]);
    validation.set_audience(&[&settings.audience]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = 30;
    validation
}

impl TokenService {
    /// HS256 with `settings.secret` only (an empty secret accepts no token and issues none).
    pub fn new(settings: &JwtSettings) -> Self {
        let secret = (!settings.secret.is_empty()).then(|| Secret {
            encoding: EncodingKey::from_secret(settings.secret.as_bytes()),
            decoding: DecodingKey::from_secret(settings.secret.as_bytes()),
            validation: validation_template(settings),
        });
        let links = if settings.secret.is_empty() { links::LinkKey::random() } else { links::LinkKey::derive(settings.secret.as_bytes()) };
        Self { secret, jwks: None, issuer: settings.issuer.clone(), audience: settings.audience.clone(), links, verified: Default::default() }
    }

    /// The server's token service: refuses a configuration without a secret or key set
    /// (outside development mode), says loudly when the public development secret is in use,
    /// loads a JWKS file and starts the key refresher (which needs a Tokio runtime).
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        settings.check_identity()?;
        if settings.dev_mode {
            tracing::warn!("DEVELOPMENT MODE (`serve --dev`): not for production");
        }
        let secret = settings.hs256_secret().unwrap_or_default();
        if secret == DEV_JWT_SECRET {
            tracing::warn!(
                "INCLUSION_JWT_SECRET is not set: tokens are verified with the PUBLIC built-in development secret, so anyone can mint an admin token for this server. Never expose it; set INCLUSION_JWT_SECRET or INCLUSION_JWT_JWKS_URL in production."
            );
        }
        let mut service = Self::new(&JwtSettings { secret: secret.to_owned(), ..settings.jwt.clone() });
        // Without an HS256 secret (tokens only from a JWKS), links are signed with the cursor
        // secret when there is one, so that every instance accepts them; else per instance.
        if secret.is_empty()
            && let Some(cursor_secret) = &settings.cursor_secret
        {
            service.links = links::LinkKey::derive(cursor_secret.as_bytes());
        }
        if let Some(source) = &settings.jwks {
            service.jwks = Some(jwks::JwksCache::start(source, validation_template(&settings.jwt))?);
            tracing::info!(source = ?source, "accepting tokens signed with the identity provider's keys");
        }
        Ok(service)
    }

    /// Mints a token (the `inclusion token` command and the tests).
    pub fn issue(
        &self,
        subject: &str,
        role: Role,
        partnerships: Vec<Uuid>,
        organization: Option<Uuid>,
        ttl_seconds: u64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let secret = self.secret.as_ref().ok_or(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)?;
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            role,
            partnerships,
            organization,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + ttl_seconds,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &secret.encoding)
    }

    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let refuse = |reason: &str| ApiError::Unauthorized(reason.to_owned());
        // Before any decoding: bounded work for whatever a client sends.
        if token.len() > MAX_TOKEN_BYTES {
            return Err(refuse("the token is longer than 8192 bytes"));
        }
        if let Some(secret) = &self.secret {
            let known = self.verified.lock().ok().and_then(|tokens| tokens.get(token).cloned());
            if let Some(known) = known.filter(|k| within(k.nbf, k.exp, &secret.validation)) {
                return Ok(known.principal);
            }
        }
        let header = decode_header(token).map_err(|_| refuse("the token is malformed"))?;
        let ours = header.alg == Algorithm::HS256;
        let decoded = if ours {
            let secret = self.secret.as_ref().ok_or_else(|| refuse("the token's algorithm is not accepted"))?;
            decode::<TokenClaims>(token, &secret.decoding, &secret.validation)
        } else {
            // Only public-key algorithms are looked up in the provider's key set.
            let jwks = self
                .jwks
                .as_ref()
                .filter(|_| matches!(header.alg.family(), AlgorithmFamily::Rsa | AlgorithmFamily::Ec))
                .ok_or_else(|| refuse("the token's algorithm is not accepted"))?;
            let key = match jwks.lookup(header.kid.as_deref(), header.alg) {
                jwks::Lookup::Found(key) => key,
                jwks::Lookup::UnknownKid => return Err(refuse("the token's key id (`kid`) is unknown")),
                jwks::Lookup::Ambiguous => return Err(refuse("the token does not say which key signed it (`kid`)")),
                jwks::Lookup::NotLoaded => return Err(refuse("the identity provider's keys are not loaded yet")),
            };
            decode::<TokenClaims>(token, &key.key, &key.validation)
        };
        let c = decoded
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                refuse(match e.kind() {
                    K::ExpiredSignature => "the token has expired",
                    K::ImmatureSignature => "the token is not valid yet",
                    K::InvalidIssuer => "the token was issued by an unknown issuer",
                    K::InvalidAudience => "the token is meant for another audience",
                    K::InvalidAlgorithm => "the token's algorithm is not accepted",
                    K::InvalidSignature => "the token's signature is invalid",
                    K::MissingRequiredClaim(_) => "the token lacks a required claim",
                    _ => "the token is malformed",
                })
            })?
            .claims;
        // The subject is recorded as the actor of every write: it must name someone.
        if c.sub.trim().is_empty() {
            return Err(refuse("the token's subject (`sub`) is empty"));
        }
        let role: Role = serde_json::from_value(serde_json::Value::String(c.role))
            .map_err(|_| refuse("unknown role in the token's `role` claim (admin, consultant, partner, reporter or importer)"))?;
        let principal = Principal { subject: c.sub, role, partnerships: c.partnerships, organization_id: c.organization };
        if ours
            && let (Some(nbf), Some(exp)) = (c.nbf.as_ref().and_then(serde_json::Value::as_u64), c.exp.as_ref().and_then(serde_json::Value::as_u64))
            && let Ok(mut tokens) = self.verified.lock()
        {
            if tokens.len() >= VERIFIED_TOKENS {
                tokens.clear();
            }
            tokens.insert(token.into(), Verified { principal: principal.clone(), nbf, exp });
        }
        Ok(principal)
    }
}

/// Whether now is within a token's validity as `decode` judges it (`exp < now - leeway` is
/// expired, `nbf > now + leeway` is not yet valid).
fn within(nbf: u64, exp: u64, validation: &Validation) -> bool {
    let now = jsonwebtoken::get_current_timestamp();
    exp >= now.saturating_sub(validation.leeway) && nbf <= now + validation.leeway
}

fn bearer(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ApiError::Unauthorized("the Authorization header is not readable".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(Some(token.trim())),
        _ => Err(ApiError::Unauthorized("use `Authorization: Bearer <token>`".into())),
    }
}

pub(crate) fn principal(req: &HttpRequest) -> Result<Option<Principal>, ApiError> {
    let Some(token) = bearer(req)? else {
        return Ok(None);
    };
    // The rate limiter verified this request's token already (it limits per subject): the
    // signature is checked once per request, not once per middleware and extractor.
    if let Some(verified) = actix_web::HttpMessage::extensions(req).get::<crate::edge::rate_limit::VerifiedPrincipal>() {
        return Ok(Some(verified.0.clone()));
    }
    let service = req.app_data::<web::Data<TokenService>>().ok_or_else(|| ApiError::Internal("token service is not configured".into()))?;
    service.verify(token).map(Some)
}

/// An authenticated caller; the request is refused with 401 without a valid token.
pub struct Auth(pub Principal);

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req).and_then(|p| p.map(Auth).ok_or_else(|| ApiError::Unauthorized("this resource needs a bearer token".into()))))
    }
}

/// A caller who may be anonymous (public resources); a token that is sent must be valid.
pub struct MaybeAuth(pub Option<Principal>);

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(req).map(MaybeAuth))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(secret: &str) -> TokenService {
        TokenService::new(&JwtSettings { secret: secret.into(), issuer: "iss".into(), audience: "aud".into() })
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_scope() {
        let s = service("a-long-enough-secret-for-tests-0123456789");
        let p = Uuid::from_u128(7);
        let token = s.issue("alice", Role::Partner, vec![p], Some(p), 60).unwrap();
        let principal = s.verify(&token).unwrap();
        assert_eq!(principal.role, Role::Partner);
        assert_eq!(principal.partnerships, vec![p]);
    }

    #[test]
    fn foreign_signature_and_alg_none_are_refused() {
        let token = service("another-secret-another-secret-0123456789").issue("x", Role::Admin, vec![], None, 60).unwrap();
        assert!(service("a-long-enough-secret-for-tests-0123456789").verify(&token).is_err());
        // {"alg":"none"} with the same claims and an empty signature.
        let parts: Vec<&str> = token.split('.').collect();
        let none = format!("{}.{}.", base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
        assert!(service("another-secret-another-secret-0123456789").verify(&none).is_err());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let s = service("a-long-enough-secret-for-tests-0123456789");
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: "x".into(),
            role: Role::Admin,
            partnerships: vec![],
            organization: None,
            iss: "iss".into(),
            aud: "aud".into(),
            iat: now - 7200,
            nbf: now - 7200,
            exp: now - 3600,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &s.secret.as_ref().unwrap().encoding).unwrap();
        assert!(matches!(s.verify(&token), Err(ApiError::Unauthorized(m)) if m.contains("expired")));
    }

    fn signed(s: &TokenService, sub: &str, nbf: u64, exp: u64) -> String {
        let claims =
            Claims { sub: sub.into(), role: Role::Admin, partnerships: vec![], organization: None, iss: "iss".into(), aud: "aud".into(), iat: nbf, nbf, exp };
        encode(&Header::new(Algorithm::HS256), &claims, &s.secret.as_ref().unwrap().encoding).unwrap()
    }

    #[test]
    fn a_verified_token_is_known_by_its_exact_text_only() {
        let s = service("a-long-enough-secret-for-tests-0123456789");
        let now = jsonwebtoken::get_current_timestamp();
        let token = signed(&s, "alice", now, now + 60);
        assert_eq!(s.verify(&token).unwrap().subject, "alice");
        assert_eq!(s.verified.lock().unwrap().len(), 1);
        assert_eq!(s.verify(&token).unwrap().subject, "alice", "answered from the verified tokens");
        // The answer is the kept principal's (nothing decodes the token again).
        s.verified.lock().unwrap().get_mut(token.as_str()).unwrap().principal.subject = "kept".into();
        assert_eq!(s.verify(&token).unwrap().subject, "kept");
        // Another signature, or other claims under the known signature, are verified and refused.
        let (head, signature) = token.rsplit_once('.').unwrap();
        let flipped = format!("{head}.{}{}", if signature.starts_with('A') { 'B' } else { 'A' }, &signature[1..]);
        assert!(matches!(s.verify(&flipped), Err(ApiError::Unauthorized(m)) if m.contains("signature")));
        let other = signed(&s, "mallory", now, now + 60);
        let forged = format!("{}.{}", other.rsplit_once('.').unwrap().0, signature);
        assert!(matches!(s.verify(&forged), Err(ApiError::Unauthorized(m)) if m.contains("signature")));
        // Another service (another secret) does not know the token.
        assert!(service("another-secret-another-secret-0123456789").verify(&token).is_err());
        assert_eq!(s.verified.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_known_token_is_held_to_its_validity_window_on_every_use() {
        let s = service("a-long-enough-secret-for-tests-0123456789");
        let now = jsonwebtoken::get_current_timestamp();
        let token = signed(&s, "bob", now - 100, now + 100);
        s.verify(&token).unwrap();
        // The window as `decode` reads it, with its leeway of 30 s.
        let validation = &s.secret.as_ref().unwrap().validation;
        assert!(within(now - 100, now - 29, validation));
        assert!(!within(now - 100, now - 31, validation), "expired beyond the leeway");
        assert!(within(now + 29, now + 100, validation));
        assert!(!within(now + 31, now + 100, validation), "not valid yet beyond the leeway");
        // A kept token outside its kept window is not answered from it: it is verified again,
        // and its own claims decide (here still valid: the kept window is written back).
        s.verified.lock().unwrap().get_mut(token.as_str()).unwrap().exp = now - 3600;
        assert_eq!(s.verify(&token).unwrap().subject, "bob");
        assert_eq!(s.verified.lock().unwrap()[token.as_str()].exp, now + 100);
    }

    #[test]
    fn the_verified_tokens_are_bounded() {
        let s = service("a-long-enough-secret-for-tests-0123456789");
        let now = jsonwebtoken::get_current_timestamp();
        for i in 0..=VERIFIED_TOKENS {
            s.verify(&signed(&s, &format!("user-{i}"), now, now + 60)).unwrap();
        }
        assert!(s.verified.lock().unwrap().len() <= VERIFIED_TOKENS);
    }
}
