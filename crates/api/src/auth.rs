//! Bearer-token authentication (RFC 8725 practice): HS256 only, signature, `exp`, `nbf`,
//! `iss` and `aud` all checked; `alg: none` and any other algorithm are refused because the
//! validation accepts exactly one algorithm.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use domain::access::{Principal, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::JwtSettings;
use crate::error::ApiError;

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

/// Validates and issues tokens with the configured key.
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl TokenService {
    pub fn new(settings: &JwtSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        Self {
            encoding: EncodingKey::from_secret(settings.secret.as_bytes()),
            decoding: DecodingKey::from_secret(settings.secret.as_bytes()),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
        }
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
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            let reason = match e.kind() {
                K::ExpiredSignature => "the token has expired",
                K::ImmatureSignature => "the token is not valid yet",
                K::InvalidIssuer => "the token was issued by an unknown issuer",
                K::InvalidAudience => "the token is meant for another audience",
                K::InvalidAlgorithm => "the token's algorithm is not accepted",
                K::InvalidSignature => "the token's signature is invalid",
                K::MissingRequiredClaim(_) => "the token lacks a required claim",
                _ => "the token is malformed",
            };
            ApiError::Unauthorized(reason.to_owned())
        })?;
        let c = data.claims;
        Ok(Principal { subject: c.sub, role: c.role, partnerships: c.partnerships, organization_id: c.organization })
    }
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

fn principal(req: &HttpRequest) -> Result<Option<Principal>, ApiError> {
    let Some(token) = bearer(req)? else {
        return Ok(None);
    };
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
        let token = encode(&Header::new(Algorithm::HS256), &claims, &s.encoding).unwrap();
        assert!(matches!(s.verify(&token), Err(ApiError::Unauthorized(m)) if m.contains("expired")));
    }
}
