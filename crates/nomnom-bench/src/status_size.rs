//! The size of `message_status` (every partition, indexes included) at the end of each minute
//! of a sustained run, to show it bounded by the status retention: the end-to-end stage runs
//! its pipeline with [`RETENTION`] in partitions of [`INTERVAL`], shorter than the sustained
//! run, so the table grows for the retention and then stays level as partitions are dropped.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;

/// `STATUS_RETENTION` of the end-to-end stage.
pub const RETENTION: &str = "5m";
/// `STATUS_PARTITION_INTERVAL` of the end-to-end stage.
pub const INTERVAL: &str = "30s";

/// Samples the table's size once a minute until finished.
pub struct StatusSampler {
    samples: Arc<Mutex<Vec<f64>>>,
    task: JoinHandle<()>,
}

impl StatusSampler {
    /// Starts sampling through a connection of its own to `database_url`.
    pub async fn start(database_url: &str) -> Option<StatusSampler> {
        let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls)
            .await
            .ok()?;
        let samples = Arc::new(Mutex::new(Vec::new()));
        let into = samples.clone();
        let task = tokio::spawn(async move {
            let driver = tokio::spawn(connection);
            let mut minute = tokio::time::interval(Duration::from_secs(60));
            minute.tick().await; // the first tick is now: the run has only begun
            loop {
                minute.tick().await;
                if let Some(mib) = status_mib(&client).await {
                    into.lock().unwrap_or_else(|p| p.into_inner()).push(mib);
                }
                if driver.is_finished() {
                    return;
                }
            }
        });
        Some(StatusSampler { samples, task })
    }

    /// Stops; returns the size in MiB at the end of each whole minute.
    pub fn finish(self) -> Vec<f64> {
        self.task.abort();
        let samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        samples.clone()
    }
}

/// `message_status` with every partition and index, MiB.
pub async fn status_mib(client: &tokio_postgres::Client) -> Option<f64> {
    let row = client
        .query_one(
            "SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint \
             FROM pg_partition_tree('message_status')",
            &[],
        )
        .await
        .ok()?;
    Some(row.get::<_, i64>(0) as f64 / (1024.0 * 1024.0))
}
