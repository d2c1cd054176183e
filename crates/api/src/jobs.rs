//! Scheduled jobs. The plan-expiry job ends plans whose validity has ended: it runs once at
//! start (before the server accepts requests) and then every hour, so that a plan expires
//! within an hour of midnight after its last day. It is idempotent (a run finds only plans
//! still recorded as in force past their validity) and audited (actor `system`).

use std::time::Duration;

use persistence::Store;

/// How often the expiry job looks for lapsed plans after the first run.
const EVERY: Duration = Duration::from_secs(3600);

/// Expires the plans whose validity ended before today (UTC); returns how many.
pub async fn expire_plans_once(store: &Store) -> anyhow::Result<usize> {
    let today = chrono::Utc::now().date_naive();
    let expired = persistence::plans::expire_lapsed(store, today).await?;
    if !expired.is_empty() {
        tracing::info!(count = expired.len(), plans = ?expired, "plans whose validity ended are now expired");
    }
    Ok(expired.len())
}

/// Runs the expiry job every hour in the background (the first run is the caller's, at start).
pub fn schedule_plan_expiry(store: Store) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + EVERY, EVERY);
        loop {
            ticks.tick().await;
            if let Err(e) = expire_plans_once(&store).await {
                tracing::error!(error = format!("{e:#}"), "the plan-expiry job failed; it runs again in an hour");
            }
        }
    });
}
