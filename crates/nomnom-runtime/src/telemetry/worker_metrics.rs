//! The worker's metrics, registered once at start: messages by entity and outcome, rows by
//! table, batch latency and size, the consumer's backlog and whether PostgreSQL answers.
//! Everything is recorded once per batch, from a [`Tally`] of its messages.

use std::sync::Mutex;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram};

use super::names::{
    STREAM_PENDING, WORKER_BATCH_DURATION, WORKER_BATCH_MESSAGES, WORKER_DATABASE_UP,
    WORKER_MESSAGES, WORKER_OUTCOMES, WORKER_ROWS,
};

/// What happened to one message in the worker (`nomnom_worker_messages_total{outcome}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerOutcome {
    /// Written and acknowledged.
    Persisted = 0,
    /// Stored in the dead-letter stream and acknowledged.
    DeadLettered = 1,
    /// NAKed for a later attempt.
    Retried = 2,
}

/// The `entity` label of a message whose entity is not one of the model's roots (not an
/// envelope, or naming an unknown entity): the label's values stay bounded.
pub const UNKNOWN_ENTITY: &str = "unknown";

/// The worker's handles (none with `OTEL_METRICS_EXPORTER=none`: see [`WorkerMetrics::off`]).
pub struct WorkerMetrics {
    /// Whether anything is recorded: every method returns at once when not.
    on: bool,
    roots: &'static [&'static str],
    /// Per root, then one for [`UNKNOWN_ENTITY`]: a counter per outcome.
    messages: Vec<[Counter; 3]>,
    tables: Mutex<Vec<(&'static str, Counter)>>,
    batch_duration: Histogram,
    batch_messages: Histogram,
    pending: Gauge,
    database_up: Gauge,
}

impl std::fmt::Debug for WorkerMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerMetrics")
            .field("roots", &self.roots)
            .finish_non_exhaustive()
    }
}

/// One batch's messages, counted by entity and outcome before they are recorded.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    counts: Vec<[u64; 3]>,
}

impl Tally {
    /// Counts one message of the entity at `index` ([`WorkerMetrics::entity_index`]).
    pub fn add(&mut self, index: usize, outcome: WorkerOutcome) {
        if self.counts.len() <= index {
            self.counts.resize(index + 1, [0; 3]);
        }
        self.counts[index][outcome as usize] += 1;
    }

    /// How many messages had `outcome`.
    pub fn total(&self, outcome: WorkerOutcome) -> u64 {
        self.counts.iter().map(|c| c[outcome as usize]).sum()
    }
}

impl WorkerMetrics {
    /// Registers the worker's metrics for the model's `roots` (every outcome of every root
    /// starts at 0), with the recorder installed first.
    pub fn new(roots: &'static [&'static str]) -> Self {
        super::prometheus::install();
        let messages = roots
            .iter()
            .copied()
            .chain([UNKNOWN_ENTITY])
            .map(|entity| {
                WORKER_OUTCOMES.map(|outcome| {
                    metrics::counter!(WORKER_MESSAGES, "entity" => entity, "outcome" => outcome)
                })
            })
            .collect();
        Self {
            on: true,
            roots,
            messages,
            tables: Mutex::new(Vec::new()),
            batch_duration: metrics::histogram!(WORKER_BATCH_DURATION),
            batch_messages: metrics::histogram!(WORKER_BATCH_MESSAGES),
            pending: metrics::gauge!(STREAM_PENDING),
            database_up: metrics::gauge!(WORKER_DATABASE_UP),
        }
    }

    /// Handles that record nothing, and no recorder installed (`OTEL_METRICS_EXPORTER=none`).
    pub fn off(roots: &'static [&'static str]) -> Self {
        Self {
            on: false,
            roots,
            messages: Vec::new(),
            tables: Mutex::new(Vec::new()),
            batch_duration: Histogram::noop(),
            batch_messages: Histogram::noop(),
            pending: Gauge::noop(),
            database_up: Gauge::noop(),
        }
    }

    /// Whether metrics are kept (and served on `/metrics`).
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// The index of `entity` for a [`Tally`]: its root's, or the unknown entity's.
    pub fn entity_index(&self, entity: &str) -> usize {
        self.roots
            .iter()
            .position(|r| *r == entity)
            .unwrap_or(self.roots.len())
    }

    /// The index counting messages that are not envelopes.
    pub fn unknown_index(&self) -> usize {
        self.roots.len()
    }

    /// Records one handled batch: its size, duration, messages and rows per table.
    pub fn batch(
        &self,
        size: usize,
        elapsed: Duration,
        tally: &Tally,
        rows: &[(&'static str, u64)],
    ) {
        if !self.on {
            return;
        }
        self.batch_messages.record(size as f64);
        self.batch_duration.record(elapsed.as_secs_f64());
        for (index, counts) in tally.counts.iter().enumerate() {
            let Some(counters) = self.messages.get(index) else {
                continue;
            };
            for (counter, count) in counters.iter().zip(counts) {
                if *count > 0 {
                    counter.increment(*count);
                }
            }
        }
        if rows.iter().all(|(_, n)| *n == 0) {
            return;
        }
        let mut tables = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        for (table, count) in rows.iter().filter(|(_, n)| *n > 0) {
            match tables.iter().find(|(name, _)| name == table) {
                Some((_, counter)) => counter.increment(*count),
                None => {
                    let counter = metrics::counter!(WORKER_ROWS, "table" => *table);
                    counter.increment(*count);
                    tables.push((table, counter));
                }
            }
        }
    }

    /// Sets the consumer's backlog (at a scrape).
    pub fn set_pending(&self, pending: u64) {
        if !self.on {
            return;
        }
        self.pending.set(pending as f64);
    }

    /// Sets whether PostgreSQL answered (at a scrape).
    pub fn set_database_up(&self, up: bool) {
        if !self.on {
            return;
        }
        self.database_up.set(if up { 1.0 } else { 0.0 });
    }
}
