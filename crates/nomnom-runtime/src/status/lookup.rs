//! Reading one message's status row.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use serde::Serialize;
use uuid::Uuid;

use crate::envelope::IngestionStatus;

/// One row of `message_status`, as `GET /ingest/status/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusRecord {
    /// The message id.
    pub message_id: Uuid,
    /// Where it is in its life.
    pub status: IngestionStatus,
    /// Its root entity.
    pub entity_type: String,
    /// When the API received it.
    pub received_at: DateTime<Utc>,
    /// When the worker persisted or dead-lettered it.
    pub processed_at: Option<DateTime<Utc>>,
    /// The last error, when retrying or failed.
    pub error_message: Option<String>,
    /// When persisted: rows of the message that were not applied because a newer version
    /// of them was already stored.
    pub note: Option<String>,
    /// Retries so far.
    pub retry_count: i32,
    /// The W3C trace id of the request that sent it (32 hex digits): the client's
    /// `traceparent`, or the new trace the API started.
    pub trace_id: Option<String>,
}

/// Why a lookup could not answer.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// PostgreSQL is unreachable or failed.
    #[error("status store unavailable: {0}")]
    Unavailable(String),
}

/// The status of `message_id`, or `None` when it is unknown (including when the table does
/// not exist yet, and when its partition was dropped with the retention). A message id of an
/// `Idempotency-Key` accepted again after the broker's duplicate window has a row per
/// acceptance: the latest is answered.
pub async fn lookup(pool: &Pool, message_id: Uuid) -> Result<Option<StatusRecord>, LookupError> {
    let client = pool
        .get()
        .await
        .map_err(|e| LookupError::Unavailable(e.to_string()))?;
    let result = client
        .query_opt(
            "SELECT message_id, status, entity_type, received_at, processed_at, error_message, retry_count, note, trace_id \
             FROM message_status WHERE message_id = $1 ORDER BY received_at DESC LIMIT 1",
            &[&message_id],
        )
        .await;
    let row = match result {
        Ok(row) => row,
        Err(err) if err.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {
            return Ok(None)
        }
        Err(err) => return Err(LookupError::Unavailable(err.to_string())),
    };
    let Some(row) = row else { return Ok(None) };
    let read = || -> Result<StatusRecord, tokio_postgres::Error> {
        let status: String = row.try_get(1)?;
        Ok(StatusRecord {
            message_id: row.try_get(0)?,
            status: IngestionStatus::parse(&status).unwrap_or(IngestionStatus::Accepted),
            entity_type: row.try_get(2)?,
            received_at: row.try_get(3)?,
            processed_at: row.try_get(4)?,
            error_message: row.try_get(5)?,
            retry_count: row.try_get(6)?,
            note: row.try_get(7)?,
            trace_id: row
                .try_get::<_, Option<Uuid>>(8)?
                .map(|t| t.simple().to_string()),
        })
    };
    read()
        .map(Some)
        .map_err(|e| LookupError::Unavailable(e.to_string()))
}
