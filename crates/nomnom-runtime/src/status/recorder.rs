//! Recording `accepted` rows in batches, off the request path.
//!
//! Handlers hand accepted ids to a bounded channel and never wait on PostgreSQL. A background
//! task collects ids for at most [`LINGER`] after the first one arrives (or until it holds
//! `MAX_ROWS_PER_FLUSH`) and writes them with one set-based `INSERT … ON CONFLICT
//! (message_id) DO NOTHING`, so a state the worker already wrote always wins. The linger
//! keeps the number of commits (each one a WAL flush) near `1 / LINGER` per second whatever
//! the request rate: without it a steady trickle of requests became one small commit each
//! millisecond, and PostgreSQL spent two to four times the CPU per row it spends on large
//! batches. When PostgreSQL is down the task retries with backoff; the channel buffers
//! meanwhile, and only when it is full are ids dropped (and logged). Ingestion never depends
//! on the database: the stream is the point of durability.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::db::Store;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::telemetry::TraceId;

/// Most rows written by one statement.
const MAX_ROWS_PER_FLUSH: usize = 4096;
/// Longest wait for more ids after the first of a flush arrives: how much later than the
/// 202 an `accepted` row may appear, beside the write itself.
pub const LINGER: Duration = Duration::from_millis(20);
/// First and longest pause between attempts while PostgreSQL fails.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A message the stream holds, to be shown as `accepted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedMessage {
    /// Its id.
    pub message_id: Uuid,
    /// Its root entity.
    pub entity_type: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The trace it belongs to.
    pub trace_id: Option<TraceId>,
}

/// The handle handlers use; cheap to clone.
#[derive(Debug, Clone)]
pub struct StatusRecorder {
    sender: mpsc::Sender<AcceptedMessage>,
    dropped: Arc<AtomicU64>,
}

/// The background task; [`RecorderTask::finish`] flushes what is buffered at shutdown.
#[derive(Debug)]
pub struct RecorderTask {
    handle: JoinHandle<()>,
}

impl StatusRecorder {
    /// Starts the background writer with a buffer of `capacity` ids.
    pub fn spawn(store: Store, capacity: usize) -> (Self, RecorderTask) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let handle = tokio::spawn(write_loop(store, receiver));
        let recorder = Self {
            sender,
            dropped: Arc::new(AtomicU64::new(0)),
        };
        (recorder, RecorderTask { handle })
    }

    /// Queues `message` without waiting; when the buffer is full it is dropped and logged
    /// (its message is safe in the stream; only the early `accepted` row is lost).
    pub fn record(&self, message: AcceptedMessage) {
        match self.sender.try_send(message) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(message)) => {
                let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if dropped.is_power_of_two() {
                    tracing::warn!(
                        message_id = %message.message_id,
                        dropped_total = dropped,
                        "status buffer full (PostgreSQL slow or down): `accepted` row not recorded"
                    );
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::warn!("status recorder stopped: `accepted` row not recorded");
            }
        }
    }

    /// How many ids were dropped because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl RecorderTask {
    /// Waits (at most `deadline`) for everything queued to be written. Every
    /// [`StatusRecorder`] handle must have been dropped first, or this waits the whole deadline.
    pub async fn finish(self, deadline: Duration) {
        if tokio::time::timeout(deadline, self.handle).await.is_err() {
            tracing::warn!(
                ?deadline,
                "status recorder did not finish writing before the deadline"
            );
        }
    }
}

async fn write_loop(store: Store, mut receiver: mpsc::Receiver<AcceptedMessage>) {
    let mut table_ready = false;
    let mut batch = Vec::with_capacity(MAX_ROWS_PER_FLUSH);
    loop {
        if !collect(&mut receiver, &mut batch).await {
            return; // every handle dropped and the buffer drained
        }
        let mut backoff = FIRST_BACKOFF;
        let mut attempts: u64 = 0;
        loop {
            match write(&store, &batch, &mut table_ready).await {
                Ok(()) => break,
                Err(err) => {
                    attempts += 1;
                    if attempts == 1 || attempts.is_power_of_two() {
                        tracing::warn!(error = %err, rows = batch.len(), attempts, "recording accepted statuses failed; retrying");
                    }
                    if receiver.is_closed() && attempts >= 3 {
                        // Shutting down and the database is still failing: give up rather
                        // than hold the process (the messages are safe in the stream).
                        tracing::warn!(
                            rows = batch.len(),
                            "shutting down: `accepted` rows not recorded"
                        );
                        break;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        batch.clear();
    }
}

/// Waits for the first id, then gathers more until [`LINGER`] has passed since it came or the
/// batch is full. `false` once every handle is dropped and nothing is left to write.
async fn collect(
    receiver: &mut mpsc::Receiver<AcceptedMessage>,
    batch: &mut Vec<AcceptedMessage>,
) -> bool {
    if receiver.recv_many(batch, MAX_ROWS_PER_FLUSH).await == 0 {
        return false;
    }
    let until = tokio::time::Instant::now() + LINGER;
    while batch.len() < MAX_ROWS_PER_FLUSH {
        let room = MAX_ROWS_PER_FLUSH - batch.len();
        match tokio::time::timeout_at(until, receiver.recv_many(batch, room)).await {
            Ok(0) | Err(_) => break, // closed (what is here is written first) or time is up
            Ok(_) => {}
        }
    }
    true
}

async fn write(
    store: &Store,
    batch: &[AcceptedMessage],
    table_ready: &mut bool,
) -> Result<(), String> {
    if !*table_ready {
        // The worker's migrations create the table too; creating it here lets statuses be
        // recorded before the first worker starts. A failure (no privilege) is not fatal:
        // the insert below tells whether the table is there.
        match store.ensure_status_table().await {
            Ok(()) => *table_ready = true,
            Err(err) => tracing::debug!(error = %err, "cannot create message_status"),
        }
    }
    store.insert_accepted(batch).await
}

/// Inserts `accepted` rows for `batch` in one statement; a state the worker already wrote
/// is never overwritten. Returns the rows inserted.
///
/// Rows go in `message_id` order, as the worker's status upserts do
/// ([`super::worker_updates`]): a worker that got to some of these messages first holds
/// their rows until it commits, and two writers taking overlapping ids in different orders
/// would each wait for the other (PostgreSQL then aborts one with a deadlock).
pub async fn insert_accepted(
    client: &deadpool_postgres::Client,
    batch: &[AcceptedMessage],
) -> Result<u64, tokio_postgres::Error> {
    let ids: Vec<Uuid> = batch.iter().map(|m| m.message_id).collect();
    let entities: Vec<&str> = batch.iter().map(|m| m.entity_type.as_str()).collect();
    let received: Vec<DateTime<Utc>> = batch.iter().map(|m| m.received_at).collect();
    // A trace id's 16 bytes are stored as a uuid: binary on the wire, 16 bytes in the row.
    let traces: Vec<Option<Uuid>> = batch
        .iter()
        .map(|m| m.trace_id.map(|t| Uuid::from_bytes(t.0)))
        .collect();
    // Prepared once per connection (a pooled client caches it): no parse and plan per flush.
    let statement = client.prepare_cached(INSERT_ACCEPTED).await?;
    client
        .execute(&statement, &[&ids, &entities, &received, &traces])
        .await
}

/// Records `accepted` rows in id order; a state the worker already wrote is never overwritten.
const INSERT_ACCEPTED: &str =
    "INSERT INTO message_status (message_id, status, entity_type, received_at, trace_id) \
     SELECT id, 'accepted', entity, received, trace \
     FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[], $4::uuid[]) \
     AS t(id, entity, received, trace) \
     ORDER BY id ON CONFLICT (message_id, received_at) DO NOTHING";
