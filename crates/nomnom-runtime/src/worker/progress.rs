//! Keeps a batch's messages from being redelivered while the batch is still being handled:
//! every third of `ack_wait`, a "work in progress" acknowledgement (`+WPI`) resets their
//! redelivery timers. Stops when dropped, so a batch that ends (or a worker that dies) stops
//! extending them.

use std::time::Duration;

use async_nats::{jetstream, Subject};
use bytes::Bytes;

/// A running progress ticker; dropping it stops the ticks.
pub struct ProgressTicker {
    task: tokio::task::JoinHandle<()>,
}

impl ProgressTicker {
    /// Starts ticking for `messages` (their reply subjects) every `ack_wait / 3`.
    pub fn start(
        js: &jetstream::Context,
        messages: &[jetstream::Message],
        ack_wait: Duration,
    ) -> Self {
        let client = js.client();
        let replies: Vec<Subject> = messages.iter().filter_map(|m| m.reply.clone()).collect();
        let period = (ack_wait / 3).max(Duration::from_millis(100));
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            // Bounded by the batch: the ticker is aborted when the batch ends.
            loop {
                ticks.tick().await;
                for reply in &replies {
                    if let Err(e) = client
                        .publish(reply.clone(), Bytes::from_static(b"+WPI"))
                        .await
                    {
                        tracing::debug!(error = %e, "progress acknowledgement not sent");
                        break;
                    }
                }
            }
        });
        Self { task }
    }
}

impl Drop for ProgressTicker {
    fn drop(&mut self) {
        self.task.abort();
    }
}
