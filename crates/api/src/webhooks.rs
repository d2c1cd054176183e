//! The webhook dispatcher: a background task of every instance (unless
//! `INCLUSION_WEBHOOK_DISPATCH=off`) that claims due deliveries from the outbox, sends them
//! signed by the Standard Webhooks specification, and records each attempt. A failed attempt
//! is retried with exponential backoff; a resource's events go out in order, because a
//! delivery is claimed only when no earlier one of the same subscription and resource waits.

use std::time::Duration;

use persistence::Store;
use persistence::webhooks::{self, Attempt, Claimed};

use crate::config::WebhookSettings;

/// How long an instance holds a claimed delivery before another may take it over.
const LEASE_MS: i64 = 60_000;
/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries claimed per round.
const BATCH: u64 = 20;

/// Starts the dispatcher on the current runtime.
pub fn start(store: Store, settings: WebhookSettings) {
    if !settings.dispatch {
        return;
    }
    tokio::spawn(async move {
        // Redirects are not followed: a receiver cannot send the delivery elsewhere.
        let client = match reqwest::Client::builder().timeout(TIMEOUT).redirect(reqwest::redirect::Policy::none()).build() {
            Ok(client) => client,
            Err(e) => return tracing::error!(error = %e, "webhook deliveries are off: no HTTP client"),
        };
        let mut ticks = tokio::time::interval(Duration::from_millis(settings.poll_ms));
        loop {
            ticks.tick().await;
            if let Err(e) = round(&store, &client, &settings).await {
                tracing::warn!(error = %e, "a round of webhook deliveries failed; it runs again");
            }
        }
    });
}

/// Claims the due deliveries and sends them.
async fn round(store: &Store, client: &reqwest::Client, settings: &WebhookSettings) -> Result<(), persistence::StoreError> {
    let now = chrono::Utc::now().timestamp_millis();
    for claimed in webhooks::claim_due(store, now, LEASE_MS, BATCH).await? {
        let attempt = send(client, settings, &claimed).await;
        if let Attempt::Failed { error, .. } = &attempt {
            tracing::info!(delivery = %claimed.delivery.id, attempts = claimed.delivery.attempts + 1, error, "a webhook delivery failed");
        }
        webhooks::record_attempt(store, &claimed.delivery, attempt).await?;
    }
    Ok(())
}

async fn send(client: &reqwest::Client, settings: &WebhookSettings, claimed: &Claimed) -> Attempt {
    let d = &claimed.delivery;
    let attempts = d.attempts + 1;
    let failed = |status: Option<u16>, error: String| {
        let retry_at_ms = (u32::try_from(attempts).unwrap_or(u32::MAX) < settings.max_attempts).then(|| {
            let backoff = settings.retry_base_ms.saturating_mul(1 << attempts.clamp(1, 20).saturating_sub(1)).min(3_600_000);
            chrono::Utc::now().timestamp_millis() + i64::try_from(backoff).unwrap_or(i64::MAX / 2)
        });
        Attempt::Failed { status, error, retry_at_ms }
    };
    // The target is checked again at each attempt: a name may resolve elsewhere by now.
    if let Err(why) = service::webhooks::check_url(&claimed.url, &settings.allowed_hosts).await {
        return failed(None, format!("target refused: {why}"));
    }
    let key = match service::webhooks::secret_key(&claimed.secret) {
        Ok(key) => key,
        Err(why) => return failed(None, why.to_owned()),
    };
    let id = d.id.to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let signature = service::webhooks::sign(&key, &id, timestamp, &d.payload);
    let sent = client
        .post(&claimed.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(d.payload.clone())
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Attempt::Delivered { status: response.status().as_u16() },
        Ok(response) => failed(Some(response.status().as_u16()), format!("the receiver answered {}", response.status())),
        Err(e) => failed(None, format!("not delivered: {e}")),
    }
}
