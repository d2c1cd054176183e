//! Webhooks: subscriptions of integrations to the changes, delivered by the Standard Webhooks
//! 1.0 specification (<https://www.standardwebhooks.com/>): `webhook-id`, `webhook-timestamp`
//! and `webhook-signature` (`v1,` + base64 of the HMAC-SHA256 of `id.timestamp.body` under the
//! subscription's `whsec_` secret).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use domain::access::{Action, Principal};
use domain::{DomainError, FieldError};
use hmac::{Hmac, Mac};
use persistence::Conn;
use persistence::webhooks::{self, Delivery, Webhook, WebhookData};
use persistence::{Page, PageRequest};
use rand::Rng;
use sha2::Sha256;
use uuid::Uuid;

use crate::{Error, Result, Session, Updated};

/// What a subscriber sends.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub url: String,
    pub event_types: Vec<String>,
    /// `whsec_` + base64 of 24–64 random bytes; generated when absent.
    pub secret: Option<String>,
}

/// A new secret in the Standard Webhooks form.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill(&mut key);
    format!("whsec_{}", BASE64.encode(key))
}

/// The key of a `whsec_` secret, or why it is none.
pub fn secret_key(secret: &str) -> std::result::Result<Vec<u8>, &'static str> {
    let encoded = secret.strip_prefix("whsec_").ok_or("a secret starts with `whsec_`")?;
    let key = BASE64.decode(encoded).map_err(|_| "a secret is `whsec_` and base64")?;
    if (24..=64).contains(&key.len()) { Ok(key) } else { Err("a secret's key is 24 to 64 bytes") }
}

/// The `webhook-signature` of a delivery.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    // HMAC accepts a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// Whether deliveries may go to `url` now: parsed, resolved, and checked by
/// [`domain::webhook::check_target`] against the operator's allowed hosts.
pub async fn check_url(url: &str, allowed_hosts: &[String]) -> std::result::Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "https" | "http") || !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("deliveries go to an http(s) URL without credentials".into());
    }
    let host = parsed.host_str().ok_or("the URL names no host")?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addresses: Vec<std::net::IpAddr> = match host.parse() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host.as_str(), port)).await.map(|a| a.map(|s| s.ip()).collect()).unwrap_or_default(),
    };
    domain::webhook::check_target(parsed.scheme(), &host, port, &addresses, allowed_hosts).map_err(str::to_owned)?;
    Ok(parsed)
}

/// Subscribes the caller; answers the subscription and its secret (shown this once).
#[tracing::instrument(name = "webhooks::subscribe", skip_all)]
pub async fn subscribe(s: &Session<'_>, subscription: Subscription, allowed_hosts: &[String]) -> Result<(Webhook, String)> {
    s.allow(Action::Subscribe).await?;
    let mut errors = Vec::new();
    if let Err(why) = check_url(&subscription.url, allowed_hosts).await {
        errors.push(FieldError::new("url", "not_allowed", why));
    }
    if let Err(DomainError::Invalid(e)) = domain::webhook::check_event_types(&subscription.event_types) {
        errors.extend(e);
    }
    let secret = subscription.secret.unwrap_or_else(new_secret);
    if let Err(why) = secret_key(&secret) {
        errors.push(FieldError::new("secret", "format", why));
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors).into());
    }
    let who = s.who();
    let data =
        WebhookData { url: subscription.url, event_types: subscription.event_types, owner: who.subject.clone(), owner_role: who.role.as_str().to_owned() };
    Ok((webhooks::create(s.tx(), data, &secret).await?, secret))
}

/// A subscription its owner (or an admin) reads: 404 for anyone else.
#[tracing::instrument(name = "webhooks::get", skip_all, fields(%id))]
pub async fn get(conn: &impl Conn, who: &Principal, id: Uuid) -> Result<Webhook> {
    who.authorize(Action::Subscribe)?;
    let hook = webhooks::get(conn, id).await?;
    if hook.data.owner == who.subject || who.may_administer() { Ok(hook) } else { Err(Error::not_found()) }
}

/// The caller's subscriptions (an admin's: everyone's).
pub async fn list(conn: &impl Conn, who: &Principal, include_archived: bool, req: &PageRequest) -> Result<Page<Webhook>> {
    who.authorize(Action::Subscribe)?;
    let owner = (!who.may_administer()).then_some(who.subject.as_str());
    Ok(webhooks::list(conn, owner, include_archived, req).await?)
}

/// Ends a subscription.
#[tracing::instrument(name = "webhooks::unsubscribe", skip_all, fields(%id))]
pub async fn unsubscribe(s: &Session<'_>, id: Uuid) -> Result<Updated<Webhook>> {
    s.allow(Action::Subscribe).await?;
    let before = get(s.conn(), s.who(), id).await?;
    let after = webhooks::archive(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

/// A subscription's deliveries: status, attempts, the last error.
pub async fn deliveries(conn: &impl Conn, who: &Principal, id: Uuid, req: &PageRequest) -> Result<Page<Delivery>> {
    get(conn, who, id).await?;
    Ok(webhooks::deliveries(conn, id, req).await?)
}

/// Sends a delivery again, now.
#[tracing::instrument(name = "webhooks::redeliver", skip_all, fields(%webhook_id, %delivery_id))]
pub async fn redeliver(s: &Session<'_>, webhook_id: Uuid, delivery_id: Uuid) -> Result<Updated<Delivery>> {
    s.allow(Action::Subscribe).await?;
    get(s.conn(), s.who(), webhook_id).await?;
    let before = webhooks::get_delivery(s.conn(), delivery_id).await?;
    if before.webhook_id != webhook_id {
        return Err(Error::not_found());
    }
    let after = webhooks::redeliver(s.tx(), &before).await?;
    Ok(Updated { before, after })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference implementations.
    #[test]
    fn signs_as_the_specification_does() {
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_or_default();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(secret_key(&new_secret()).is_ok());
        assert!(secret_key("whsec_c2hvcnQ=").is_err());
        assert!(secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
    }
}
