//! The worker's status retention: a maintenance round of `message_status`'s partitions
//! ([`crate::status::partitions`]) at start-up and every quarter interval, until shutdown.
//! A round that fails is logged and tried again at the next one; ingestion never waits on it.

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::serve::pause;
use crate::config::StatusRetention;
use crate::db::Store;
use crate::status::partitions::round_every;

/// Starts the rounds on a connection of `pool` at a time.
pub fn spawn(
    store: Store,
    policy: StatusRetention,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            round(&store, &policy).await;
            if !pause(round_every(&policy), &mut shutdown).await {
                return;
            }
        }
    })
}

async fn round(store: &Store, policy: &StatusRetention) {
    match store.maintain_status(policy, Utc::now()).await {
        Ok(report)
            if !report.created.is_empty() || !report.dropped.is_empty() || report.expired > 0 =>
        {
            tracing::info!(
                created = ?report.created,
                dropped = ?report.dropped,
                deferred = ?report.deferred,
                expired = report.expired,
                "message_status partitions"
            );
        }
        Ok(report) if !report.deferred.is_empty() => {
            tracing::debug!(deferred = ?report.deferred, "message_status partitions busy; next round");
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "status retention round failed; next round");
        }
    }
}
