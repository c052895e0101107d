//! The worker's writes to `message_status`, set-based (one statement for a whole batch,
//! arrays bound as parameters with `UNNEST`), so the parameter count never depends on the
//! batch size.
//!
//! Precedence: `persisted` always wins; `failed` wins over everything but `persisted`;
//! `retrying` never overwrites `persisted` or `failed`. The API's `accepted` loses to all.
//!
//! Every writer of `message_status` takes its rows in `message_id` order, so two writers
//! with overlapping ids (the API's recorder and a worker that got to a message before the
//! recorder's flush) wait for each other in turn and never deadlock.

use chrono::{DateTime, Utc};
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

use crate::telemetry::TraceId;

/// One message's status update.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    /// The message.
    pub message_id: Uuid,
    /// Its root entity.
    pub entity_type: String,
    /// When the API accepted it.
    pub received_at: DateTime<Utc>,
    /// Failed attempts before this one (delivery count - 1).
    pub retry_count: i32,
    /// The error, for `retrying` and `failed`.
    pub error: Option<String>,
    /// For `persisted`: why some of its rows were not applied (a newer version of them was
    /// already stored).
    pub note: Option<String>,
    /// The trace the message belongs to (from its `traceparent`), kept when `None`.
    pub trace_id: Option<TraceId>,
}

struct Columns {
    ids: Vec<Uuid>,
    entities: Vec<String>,
    received: Vec<DateTime<Utc>>,
    retries: Vec<i32>,
    errors: Vec<Option<String>>,
    notes: Vec<Option<String>>,
    traces: Vec<Option<Uuid>>,
}

fn columns(updates: &[StatusUpdate]) -> Columns {
    Columns {
        ids: updates.iter().map(|u| u.message_id).collect(),
        entities: updates.iter().map(|u| u.entity_type.clone()).collect(),
        received: updates.iter().map(|u| u.received_at).collect(),
        retries: updates.iter().map(|u| u.retry_count).collect(),
        errors: updates.iter().map(|u| u.error.clone()).collect(),
        notes: updates.iter().map(|u| u.note.clone()).collect(),
        traces: updates
            .iter()
            .map(|u| u.trace_id.map(|t| Uuid::from_bytes(t.0)))
            .collect(),
    }
}

const UNNEST: &str =
    "FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[], $4::int4[], $5::text[], $6::text[], \
     $7::uuid[]) AS u(message_id, entity_type, received_at, retry_count, error_message, note, trace_id)";

async fn upsert<C: GenericClient>(
    client: &C,
    status: &str,
    on_conflict: &str,
    updates: &[StatusUpdate],
) -> Result<u64, tokio_postgres::Error> {
    if updates.is_empty() {
        return Ok(0);
    }
    let c = columns(updates);
    let processed = if status == "retrying" {
        "NULL::timestamptz"
    } else {
        "now()"
    };
    let sql = format!(
        "INSERT INTO message_status AS s (message_id, status, entity_type, received_at, \
         processed_at, error_message, note, retry_count, updated_at, trace_id) \
         SELECT u.message_id, '{status}', u.entity_type, u.received_at, {processed}, \
         u.error_message, u.note, u.retry_count, now(), u.trace_id {UNNEST} ORDER BY u.message_id \
         ON CONFLICT (message_id, received_at) DO UPDATE SET status = EXCLUDED.status, \
         processed_at = EXCLUDED.processed_at, error_message = EXCLUDED.error_message, \
         note = EXCLUDED.note, retry_count = EXCLUDED.retry_count, updated_at = now(), \
         trace_id = COALESCE(EXCLUDED.trace_id, s.trace_id) {on_conflict}"
    );
    // Typed parameters: one round trip, no separate prepare.
    client
        .execute_typed(
            &sql,
            &[
                (&c.ids, Type::UUID_ARRAY),
                (&c.entities, Type::TEXT_ARRAY),
                (&c.received, Type::TIMESTAMPTZ_ARRAY),
                (&c.retries, Type::INT4_ARRAY),
                (&c.errors, Type::TEXT_ARRAY),
                (&c.notes, Type::TEXT_ARRAY),
                (&c.traces, Type::UUID_ARRAY),
            ],
        )
        .await
}

/// Marks messages `persisted` (in the transaction that wrote their rows).
pub async fn mark_persisted<C: GenericClient>(
    client: &C,
    updates: &[StatusUpdate],
) -> Result<u64, tokio_postgres::Error> {
    upsert(client, "persisted", "", updates).await
}

/// Marks messages `failed` with their error (they were dead-lettered).
pub async fn mark_failed<C: GenericClient>(
    client: &C,
    updates: &[StatusUpdate],
) -> Result<u64, tokio_postgres::Error> {
    upsert(client, "failed", "WHERE s.status <> 'persisted'", updates).await
}

/// Marks messages `retrying` with their retry count and last error.
pub async fn mark_retrying<C: GenericClient>(
    client: &C,
    updates: &[StatusUpdate],
) -> Result<u64, tokio_postgres::Error> {
    upsert(
        client,
        "retrying",
        "WHERE s.status NOT IN ('persisted', 'failed')",
        updates,
    )
    .await
}
