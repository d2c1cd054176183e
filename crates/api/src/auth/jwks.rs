//! The identity provider's public keys (a JSON Web Key Set, RFC 7517), cached for the
//! synchronous verify path and refreshed in the background.
//!
//! The algorithm a token is verified with comes from the key: the JWK's `alg` when it states
//! one (and it fits the key type), otherwise the usual algorithm of its type (RSA → RS256,
//! P-256 → ES256). Symmetric (`oct`) keys and encryption keys in a key set are ignored, so a
//! token can never make us use public key material as an HMAC secret.

use std::str::FromStr;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use tokio::sync::Notify;

use crate::config::JwksSource;

/// How often the key set is re-read even when no token asks for it.
pub const REFRESH_EVERY: Duration = Duration::from_secs(10 * 60);
/// A token naming an unknown key triggers a refresh at most this often, so that invented `kid`s
/// cannot make us hammer the identity provider.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);
/// A key set larger than this is refused (they are a few kilobytes).
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// One usable verification key with the validation (algorithm, issuer, audience) it implies.
pub struct VerifyingKey {
    pub kid: Option<String>,
    pub algorithm: Algorithm,
    pub key: DecodingKey,
    pub validation: Validation,
}

/// The cached key set.
pub struct JwksCache {
    source: JwksSource,
    /// Issuer, audience and required claims; each key gets a copy with its own algorithm.
    template: Validation,
    keys: RwLock<Arc<Vec<Arc<VerifyingKey>>>>,
    /// When a refresh was last started, for [`MIN_REFRESH_INTERVAL`]; `None` before any.
    last_refresh: Mutex<Option<Instant>>,
    /// Wakes the background refresher (URL source) early.
    wake: Arc<Notify>,
    client: Option<reqwest::Client>,
}

/// What a lookup found.
pub enum Lookup {
    Found(Arc<VerifyingKey>),
    /// The token names a key (`kid`) the set does not hold, even after a refresh.
    UnknownKid,
    /// The token names no key and the set has not exactly one key of its algorithm.
    Ambiguous,
    /// Nothing loaded yet (the first fetch of a URL has not finished or failed).
    NotLoaded,
}

impl JwksCache {
    /// Loads a file source now (a missing or unusable file is a configuration error), or
    /// prepares a URL source whose first fetch the refresher makes; then starts the refresher
    /// on the current Tokio runtime.
    pub fn start(source: &JwksSource, template: Validation) -> anyhow::Result<Arc<Self>> {
        let client = match source {
            JwksSource::File(_) => None,
            JwksSource::Url(_) => Some(reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?),
        };
        let cache = Arc::new(Self {
            source: source.clone(),
            template,
            keys: RwLock::new(Arc::new(Vec::new())),
            last_refresh: Mutex::new(None),
            wake: Arc::new(Notify::new()),
            client,
        });
        if let JwksSource::File(path) = source {
            let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("INCLUSION_JWT_JWKS_FILE `{}` cannot be read: {e}", path.display()))?;
            let keys = cache.parse(&bytes).map_err(|e| anyhow::anyhow!("INCLUSION_JWT_JWKS_FILE `{}`: {e}", path.display()))?;
            cache.replace(keys);
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| anyhow::anyhow!("the JWKS refresher needs a Tokio runtime"))?;
        runtime.spawn(refresher(Arc::downgrade(&cache), cache.wake.clone(), matches!(source, JwksSource::Url(_))));
        Ok(cache)
    }

    /// The key for a token's `kid` (or, without one, the only key of the header's algorithm).
    /// An unknown `kid` triggers a refresh (rate-limited): a file is re-read at once, a URL is
    /// fetched in the background, so its new key is found by the next request.
    pub fn lookup(&self, kid: Option<&str>, header_alg: Algorithm) -> Lookup {
        let found = self.find(kid, header_alg);
        if !matches!(found, Lookup::UnknownKid | Lookup::NotLoaded) || !self.claim_refresh() {
            return found;
        }
        match &self.source {
            JwksSource::File(path) => {
                match std::fs::read(path).map_err(anyhow::Error::from).and_then(|b| self.parse(&b)) {
                    Ok(keys) => self.replace(keys),
                    Err(e) => tracing::warn!(error = %e, path = %path.display(), "re-reading the JWKS file failed; keeping the keys we have"),
                }
                self.find(kid, header_alg)
            }
            JwksSource::Url(_) => {
                self.wake.notify_one();
                found
            }
        }
    }

    fn find(&self, kid: Option<&str>, header_alg: Algorithm) -> Lookup {
        let keys = match self.keys.read() {
            Ok(keys) => keys.clone(),
            Err(_) => return Lookup::NotLoaded,
        };
        if keys.is_empty() {
            return Lookup::NotLoaded;
        }
        match kid {
            Some(kid) => keys.iter().find(|k| k.kid.as_deref() == Some(kid)).cloned().map_or(Lookup::UnknownKid, Lookup::Found),
            None => {
                let mut candidates = keys.iter().filter(|k| k.algorithm == header_alg);
                match (candidates.next(), candidates.next()) {
                    (Some(key), None) => Lookup::Found(key.clone()),
                    _ => Lookup::Ambiguous,
                }
            }
        }
    }

    fn is_loaded(&self) -> bool {
        self.keys.read().is_ok_and(|keys| !keys.is_empty())
    }

    /// True (and the time recorded) when a refresh may start now.
    fn claim_refresh(&self) -> bool {
        let Ok(mut last) = self.last_refresh.lock() else {
            return false;
        };
        if last.is_some_and(|t| t.elapsed() < MIN_REFRESH_INTERVAL) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }

    fn replace(&self, keys: Vec<Arc<VerifyingKey>>) {
        if let Ok(mut current) = self.keys.write() {
            *current = Arc::new(keys);
        }
    }

    /// The usable keys of a key set; a set without any is an error (we keep the old keys then).
    fn parse(&self, bytes: &[u8]) -> anyhow::Result<Vec<Arc<VerifyingKey>>> {
        let set: JwkSet = serde_json::from_slice(bytes).map_err(|e| anyhow::anyhow!("not a JSON Web Key Set: {e}"))?;
        let keys: Vec<_> = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let algorithm = key_algorithm(jwk)?;
                let key = DecodingKey::from_jwk(jwk).ok()?;
                let mut validation = self.template.clone();
                validation.algorithms = vec![algorithm];
                Some(Arc::new(VerifyingKey { kid: jwk.common.key_id.clone(), algorithm, key, validation }))
            })
            .collect();
        if keys.is_empty() {
            anyhow::bail!("the key set holds no RSA or EC signature key");
        }
        Ok(keys)
    }

    async fn refresh(&self) -> anyhow::Result<()> {
        let bytes = match &self.source {
            JwksSource::File(path) => tokio::fs::read(path).await?,
            JwksSource::Url(url) => {
                let client = self.client.as_ref().ok_or_else(|| anyhow::anyhow!("no HTTP client"))?;
                let mut response = client.get(url).header("accept", "application/json").send().await?.error_for_status()?;
                let mut body = Vec::new();
                while let Some(chunk) = response.chunk().await? {
                    body.extend_from_slice(&chunk);
                    if body.len() > MAX_JWKS_BYTES {
                        anyhow::bail!("the key set is larger than {MAX_JWKS_BYTES} bytes");
                    }
                }
                body
            }
        };
        let keys = self.parse(&bytes)?;
        tracing::info!(keys = keys.len(), "identity provider keys loaded");
        self.replace(keys);
        Ok(())
    }
}

/// The algorithm a JWK verifies, decided by the key alone; `None` for keys we do not use.
fn key_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    if jwk.common.public_key_use.as_ref().is_some_and(|u| *u != PublicKeyUse::Signature) {
        return None;
    }
    let fitting: &[Algorithm] = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => &[Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512],
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => &[Algorithm::ES256],
            EllipticCurve::P384 => &[Algorithm::ES384],
            _ => &[],
        },
        // Symmetric keys have no business in a public key set; Ed25519 is not offered.
        _ => &[],
    };
    match &jwk.common.key_algorithm {
        Some(stated) => Algorithm::from_str(&stated.to_string()).ok().filter(|a| fitting.contains(a)),
        None => fitting.first().copied(),
    }
}

/// Refreshes every [`REFRESH_EVERY`], and early when woken; a URL source is fetched at once.
/// Ends when the cache is dropped.
async fn refresher(cache: Weak<JwksCache>, wake: Arc<Notify>, fetch_now: bool) {
    let mut due = fetch_now;
    loop {
        if !due {
            tokio::select! {
                () = tokio::time::sleep(REFRESH_EVERY) => {}
                () = wake.notified() => {}
            }
        }
        due = false;
        let Some(cache) = cache.upgrade() else {
            return;
        };
        if let Ok(mut last) = cache.last_refresh.lock() {
            *last = Some(Instant::now());
        }
        if let Err(e) = cache.refresh().await {
            tracing::warn!(error = %e, "refreshing the identity provider's keys failed; keeping the keys we have");
            // A URL that has never answered is retried sooner than the periodic refresh.
            if !cache.is_loaded() {
                tokio::time::sleep(MIN_REFRESH_INTERVAL).await;
                due = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwk(json: serde_json::Value) -> Jwk {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_algorithm_comes_from_the_key() {
        let rsa = serde_json::json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"});
        assert_eq!(key_algorithm(&jwk(rsa.clone())), Some(Algorithm::RS256));
        let mut ps = rsa.clone();
        ps["alg"] = "PS256".into();
        assert_eq!(key_algorithm(&jwk(ps)), Some(Algorithm::PS256));
        // An RSA key claiming an HMAC or EC algorithm is not used at all.
        let mut hs = rsa.clone();
        hs["alg"] = "HS256".into();
        assert_eq!(key_algorithm(&jwk(hs)), None);
        let mut es = rsa.clone();
        es["alg"] = "ES256".into();
        assert_eq!(key_algorithm(&jwk(es)), None);
        let mut enc = rsa;
        enc["use"] = "enc".into();
        assert_eq!(key_algorithm(&jwk(enc)), None);
        let ec = serde_json::json!({"kty": "EC", "crv": "P-256", "x": "AQAB", "y": "AQAB"});
        assert_eq!(key_algorithm(&jwk(ec)), Some(Algorithm::ES256));
        assert_eq!(key_algorithm(&jwk(serde_json::json!({"kty": "oct", "k": "c2VjcmV0"}))), None);
    }
}
