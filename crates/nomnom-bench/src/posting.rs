//! How requests carry messages: one per `POST /ingest/message`, or NDJSON bodies of many per
//! `POST /ingest/batch`. Shared by the load generator and the results, so neither imports
//! the other for it.

use std::time::Duration;

use serde::Serialize;

use crate::schedule::Schedule;

/// Lines of every batch body: the 1,000-line bodies.
pub const BATCH_LINES: usize = 1_000;

/// How an open loop posts its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Posting {
    /// One message per `POST /ingest/message`.
    Single,
    /// Bodies of `lines` messages per `POST /ingest/batch` (NDJSON).
    Batch {
        /// Messages per body.
        lines: usize,
    },
}

impl Posting {
    /// Messages per request.
    pub fn lines(&self) -> usize {
        match self {
            Posting::Single => 1,
            Posting::Batch { lines } => (*lines).max(1),
        }
    }

    /// In words, for progress lines and the results page.
    pub fn label(&self) -> String {
        match self {
            Posting::Single => "single messages".to_string(),
            Posting::Batch { lines } => format!("{lines}-line batches"),
        }
    }

    /// Messages an open loop at `rate` messages per second sends in `duration` (whole
    /// requests: a multiple of [`Posting::lines`]).
    pub fn messages(&self, rate: f64, duration: Duration) -> u64 {
        let lines = self.lines() as u64;
        Schedule::new(rate / lines as f64).total(duration) * lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_loop_of_batches_sends_whole_requests() {
        let batch = Posting::Batch { lines: 1_000 };
        // 2,500 messages a second for 2 s: 5 requests of 1,000.
        assert_eq!(batch.messages(2_500.0, Duration::from_secs(2)), 5_000);
        assert_eq!(
            Posting::Single.messages(2_500.0, Duration::from_secs(2)),
            5_000
        );
        assert_eq!(batch.lines(), 1_000);
        assert_eq!(Posting::Batch { lines: 0 }.lines(), 1);
        assert_eq!(batch.label(), "1000-line batches");
    }
}
