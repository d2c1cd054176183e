//! Secrets and identity: the server refuses to start without a way to verify tokens (unless in
//! development mode), accepts RS256/ES256 tokens of an identity provider whose key set (JWKS)
//! it reads from a file or URL, honours `kid`, and refuses algorithm confusion, empty subjects,
//! unknown roles and oversize tokens. Keys are generated here, per test.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use inclusion_api::config::{DEV_JWT_SECRET, JwksSource};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use p256::pkcs8::EncodePrivateKey;
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, try_spawn_app_with};

const PEOPLE: &str = "/api/v1/people";

/// An RSA key of the test identity provider.
struct RsaKey {
    private: rsa::RsaPrivateKey,
    kid: String,
}

impl RsaKey {
    fn generate(kid: &str) -> Self {
        Self { private: rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap(), kid: kid.into() }
    }
    fn public(&self) -> rsa::RsaPublicKey {
        self.private.to_public_key()
    }
    /// The public key as published in a JWKS.
    fn jwk(&self) -> Value {
        let public = self.public();
        json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        })
    }
    fn encoding(&self) -> EncodingKey {
        EncodingKey::from_rsa_der(self.private.to_pkcs1_der().unwrap().as_bytes())
    }
    /// A token signed with this key, naming `kid` (or none).
    fn sign(&self, kid: Option<&str>, claims: &Value) -> String {
        encode(&header(Algorithm::RS256, kid), claims, &self.encoding()).unwrap()
    }
}

/// A P-256 key of the test identity provider.
struct EcKey {
    private: p256::ecdsa::SigningKey,
    kid: String,
}

impl EcKey {
    fn generate(kid: &str) -> Self {
        Self { private: p256::ecdsa::SigningKey::random(&mut rsa::rand_core::OsRng), kid: kid.into() }
    }
    fn jwk(&self) -> Value {
        let point = self.private.verifying_key().to_encoded_point(false);
        json!({
            "kty": "EC", "crv": "P-256", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
            "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
        })
    }
    fn sign(&self, kid: Option<&str>, claims: &Value) -> String {
        let key = EncodingKey::from_ec_der(self.private.to_pkcs8_der().unwrap().as_bytes());
        encode(&header(Algorithm::ES256, kid), claims, &key).unwrap()
    }
}

fn header(alg: Algorithm, kid: Option<&str>) -> Header {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    header
}

/// Claims the test server accepts (issuer and audience of `helpers::spawn`), valid for an hour.
fn claims(sub: &str, role: &str) -> Value {
    let now = jsonwebtoken::get_current_timestamp();
    json!({"sub": sub, "role": role, "iss": "inclusion-test", "aud": "inclusion-api", "iat": now, "nbf": now, "exp": now + 3600})
}

/// Writes a key set to a fresh file under the temporary directory.
fn jwks_file(keys: &[Value]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("inclusion-jwks-{}.json", Uuid::now_v7().simple()));
    write_jwks(&path, keys);
    path
}

fn write_jwks(path: &Path, keys: &[Value]) {
    std::fs::write(path, json!({ "keys": keys }).to_string()).unwrap();
}

/// A server that also accepts the identity provider's keys from `path`.
async fn spawn_with_jwks_file(path: &Path) -> TestApp {
    let source = JwksSource::File(path.to_path_buf());
    try_spawn_app_with(|s| s.jwks = Some(source)).await.unwrap()
}

/// Asserts a 401 problem whose detail mentions `reason`.
async fn refused(app: &TestApp, token: &str, reason: &str) {
    let res = app.get(PEOPLE, Some(token)).await;
    let detail = res.problem(401)["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains(reason), "expected a 401 about `{reason}`, got: {detail}");
}

#[tokio::test]
async fn an_rs256_token_signed_by_the_identity_provider_is_accepted_and_its_kid_honoured() {
    let key = RsaKey::generate("idp-2026");
    let path = jwks_file(&[key.jwk()]);
    let app = spawn_with_jwks_file(&path).await;

    let token = key.sign(Some("idp-2026"), &claims("alice@idp.example", "admin"));
    assert_eq!(app.get(PEOPLE, Some(&token)).await.status, 200);
    // Without a kid, the only RS256 key of the set is meant.
    assert_eq!(app.get(PEOPLE, Some(&key.sign(None, &claims("alice@idp.example", "admin")))).await.status, 200);
    // A kid the set does not hold (even after re-reading the file) is refused.
    refused(&app, &key.sign(Some("idp-1999"), &claims("alice@idp.example", "admin")), "kid").await;
    // The audit records the provider's subject as the actor.
    let org = app.create("/api/v1/organizations", &token, json!({"name": "Obec IdP", "kind": "municipality"})).await;
    let audit = app.get(&format!("/api/v1/audit?resource_id={org}"), Some(&token)).await;
    assert!(audit.body.to_string().contains("alice@idp.example"), "audit: {}", audit.body);
    // Our own HS256 secret keeps working beside the key set.
    assert_eq!(app.get(PEOPLE, Some(&app.admin())).await.status, 200);
    std::fs::remove_file(path).ok();
}

#[tokio::test]
async fn an_hs256_token_forged_with_the_public_key_as_secret_is_refused() {
    let key = RsaKey::generate("idp-2026");
    let path = jwks_file(&[key.jwk()]);
    let app = spawn_with_jwks_file(&path).await;
    let public = key.public();
    let pkcs1_pem = public.to_pkcs1_pem(LineEnding::LF).unwrap();
    let spki_pem = public.to_public_key_pem(LineEnding::LF).unwrap();
    let pkcs1_der = public.to_pkcs1_der().unwrap().as_bytes().to_vec();
    let spki_der = public.to_public_key_der().unwrap().as_bytes().to_vec();
    let n_e = [public.n().to_bytes_be(), public.e().to_bytes_be()].concat();
    let secrets: [(&str, &[u8]); 6] = [
        ("PKCS#1 PEM", pkcs1_pem.as_bytes()),
        ("SPKI PEM", spki_pem.as_bytes()),
        ("PKCS#1 DER", &pkcs1_der),
        ("SPKI DER", &spki_der),
        ("n and e", &n_e),
        ("n", &public.n().to_bytes_be()),
    ];
    for (what, secret) in secrets {
        for kid in [Some("idp-2026"), None] {
            let forged = encode(&header(Algorithm::HS256, kid), &claims("mallory", "admin"), &EncodingKey::from_secret(secret)).unwrap();
            let res = app.get(PEOPLE, Some(&forged)).await;
            assert_eq!(res.status, 401, "an HS256 token keyed with the {what} (kid {kid:?}) was accepted");
            res.problem(401);
        }
    }
    // The key's own algorithm is the only one: the RSA key with another RSA algorithm is refused.
    let rs512 = encode(&header(Algorithm::RS512, Some("idp-2026")), &claims("alice", "admin"), &key.encoding()).unwrap();
    refused(&app, &rs512, "algorithm").await;
    // Other HMAC algorithms never reach the key set.
    let hs512 = encode(&header(Algorithm::HS512, None), &claims("mallory", "admin"), &EncodingKey::from_secret(pkcs1_pem.as_bytes())).unwrap();
    refused(&app, &hs512, "algorithm").await;
    std::fs::remove_file(path).ok();
}

#[tokio::test]
async fn expired_subjectless_unknown_role_and_oversize_tokens_are_refused() {
    let key = RsaKey::generate("idp-2026");
    let path = jwks_file(&[key.jwk()]);
    let app = spawn_with_jwks_file(&path).await;
    let kid = Some("idp-2026");

    let mut expired = claims("alice", "admin");
    let now = jsonwebtoken::get_current_timestamp();
    expired["iat"] = json!(now - 7200);
    expired["nbf"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    refused(&app, &key.sign(kid, &expired), "expired").await;

    for sub in ["", "   "] {
        refused(&app, &key.sign(kid, &claims(sub, "admin")), "`sub`").await;
    }
    refused(&app, &key.sign(kid, &claims("alice", "superuser")), "unknown role").await;
    refused(&app, &key.sign(kid, &claims("alice", "Admin")), "unknown role").await;

    // Over 8 KB, refused before decoding; just under, accepted.
    let mut big = claims("alice", "admin");
    big["padding"] = json!("x".repeat(6200));
    let token = key.sign(kid, &big);
    assert!(token.len() > 8192);
    refused(&app, &token, "8192").await;
    big["padding"] = json!("x".repeat(5000));
    let token = key.sign(kid, &big);
    assert!(token.len() <= 8192);
    assert_eq!(app.get(PEOPLE, Some(&token)).await.status, 200);
    refused(&app, &format!("{}.{}", "a".repeat(9000), "b.c"), "8192").await;

    // The same rules for our own HS256 tokens.
    let secret = EncodingKey::from_secret(crate::helpers::SECRET.as_bytes());
    let hs = |c: &Value| encode(&Header::new(Algorithm::HS256), c, &secret).unwrap();
    refused(&app, &hs(&claims(" ", "admin")), "`sub`").await;
    refused(&app, &hs(&claims("alice", "root")), "unknown role").await;
    refused(&app, &hs(&expired), "expired").await;
    std::fs::remove_file(path).ok();
}

#[tokio::test]
async fn an_es256_token_is_accepted_and_a_key_added_to_the_file_is_found() {
    let rsa_key = RsaKey::generate("rsa-1");
    let ec_key = EcKey::generate("ec-1");
    let path = jwks_file(&[rsa_key.jwk()]);
    let app = spawn_with_jwks_file(&path).await;
    assert_eq!(app.get(PEOPLE, Some(&rsa_key.sign(Some("rsa-1"), &claims("a", "reporter")))).await.status, 200);

    // The provider publishes a new key: a token naming it makes the server re-read the file.
    write_jwks(&path, &[rsa_key.jwk(), ec_key.jwk()]);
    let es = ec_key.sign(Some("ec-1"), &claims("b", "reporter"));
    assert_eq!(app.get(PEOPLE, Some(&es)).await.status, 200, "the new key was not picked up");
    assert_eq!(app.get(PEOPLE, Some(&rsa_key.sign(Some("rsa-1"), &claims("a", "reporter")))).await.status, 200);
    // A token whose header claims another algorithm than its key's is refused.
    let mismatched = rsa_key.sign(Some("ec-1"), &claims("a", "admin"));
    refused(&app, &mismatched, "algorithm").await;
    std::fs::remove_file(path).ok();
}

#[tokio::test]
async fn keys_are_fetched_from_a_jwks_url() {
    let key = EcKey::generate("url-1");
    let body = json!({ "keys": [key.jwk()] }).to_string();
    let url = serve_once_per_connection(body);
    let source = JwksSource::url(&url).unwrap();
    let app = try_spawn_app_with(|s| s.jwks = Some(source)).await.unwrap();
    let token = key.sign(Some("url-1"), &claims("carol", "admin"));
    // The first fetch runs in the background right after start; wait for it (bounded).
    let mut status = 0;
    for _ in 0..100 {
        status = app.get(PEOPLE, Some(&token)).await.status.as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 200, "the key set was not fetched");
    refused(&app, &key.sign(Some("url-2"), &claims("carol", "admin")), "kid").await;
    // Plain http is refused except to the loopback interface.
    assert!(JwksSource::url("http://idp.example/jwks").is_err());
    assert!(JwksSource::url("https://idp.example/jwks").is_ok());
}

/// A minimal HTTP server on 127.0.0.1 answering every request with `body` (a JWKS).
fn serve_once_per_connection(body: String) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/.well-known/jwks.json", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let response = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
            let _ = stream.write_all(response.as_bytes());
        }
    });
    url
}

#[tokio::test]
async fn the_server_refuses_to_start_without_a_secret_or_key_set() {
    // Neither INCLUSION_JWT_SECRET nor a JWKS, not in development mode.
    let err = try_spawn_app_with(|s| s.jwt.secret = String::new()).await.err().expect("the server started without a secret");
    for var in ["INCLUSION_JWT_SECRET", "INCLUSION_JWT_JWKS_URL", "INCLUSION_JWT_JWKS_FILE", "--dev"] {
        assert!(err.contains(var), "the message does not name {var}: {err}");
    }
    // The public development secret set explicitly is no better.
    let err = try_spawn_app_with(|s| s.jwt.secret = DEV_JWT_SECRET.into()).await.err().expect("the server started with the public secret");
    assert!(err.contains("development secret"), "{err}");
    // A short secret.
    let err = try_spawn_app_with(|s| s.jwt.secret = "short".into()).await.err().expect("the server started with a short secret");
    assert!(err.contains("32 bytes"), "{err}");
    // A key set file that is missing.
    let missing = std::env::temp_dir().join(format!("inclusion-missing-{}.json", Uuid::now_v7().simple()));
    let err = try_spawn_app_with(|s| {
        s.jwt.secret = String::new();
        s.jwks = Some(JwksSource::File(missing));
    })
    .await
    .err()
    .expect("the server started with a missing JWKS file");
    assert!(err.contains("INCLUSION_JWT_JWKS_FILE"), "{err}");
}

#[tokio::test]
async fn development_mode_accepts_the_development_secret_and_a_key_set_alone_refuses_hs256() {
    let app = try_spawn_app_with(|s| {
        s.jwt.secret = String::new();
        s.dev_mode = true;
    })
    .await
    .unwrap();
    let dev = encode(&Header::new(Algorithm::HS256), &claims("dev-admin", "admin"), &EncodingKey::from_secret(DEV_JWT_SECRET.as_bytes())).unwrap();
    assert_eq!(app.get(PEOPLE, Some(&dev)).await.status, 200);

    // Only a key set: tokens of the provider, no HS256 at all (not even the development secret).
    let key = EcKey::generate("only");
    let path = jwks_file(&[key.jwk()]);
    let source = JwksSource::File(path.clone());
    let app = try_spawn_app_with(|s| {
        s.jwt.secret = String::new();
        s.jwks = Some(source);
    })
    .await
    .unwrap();
    assert_eq!(app.get(PEOPLE, Some(&key.sign(Some("only"), &claims("x", "admin")))).await.status, 200);
    refused(&app, &dev, "algorithm").await;
    refused(&app, &app.admin(), "algorithm").await;
    std::fs::remove_file(path).ok();
}
