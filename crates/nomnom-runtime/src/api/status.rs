//! `GET /ingest/status/{message_id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use super::problem::{Problem, RETRY_AFTER_UNAVAILABLE_SECS};
use super::state::ApiState;
use crate::config::StatusRetention;
use crate::status::lookup;
use crate::status::partitions::expiry;

/// When `message_id` was accepted, if that is longer ago than the retention: the API's
/// message ids are UUIDv7 and carry the time. A key-derived id (`Idempotency-Key`) carries
/// none, and its expiry cannot be told from an id never seen.
fn expired_at(message_id: Uuid, retention: &StatusRetention) -> Option<String> {
    if message_id.get_version_num() != 7 {
        return None;
    }
    let (secs, nanos) = message_id.get_timestamp()?.to_unix();
    let accepted = DateTime::<Utc>::from_timestamp(i64::try_from(secs).ok()?, nanos)?;
    let cutoff = expiry(retention, Utc::now())?;
    (accepted < cutoff).then(|| accepted.to_rfc3339_opts(SecondsFormat::Millis, true))
}

pub(super) async fn message_status(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Response {
    let Ok(message_id) = Uuid::parse_str(&id) else {
        return Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-message-id",
            "Invalid message id",
            "the message id must be a UUID as returned by POST /ingest/message",
        )
        .into_response();
    };
    match lookup(&state.pool, message_id).await {
        Ok(Some(record)) => (StatusCode::OK, Json(record)).into_response(),
        Ok(None) => match expired_at(message_id, &state.config.status) {
            Some(accepted) => Problem::new(
                StatusCode::NOT_FOUND,
                "status-expired",
                "Status expired",
                format!(
                    "message {message_id} was accepted at {accepted}, longer ago than the \
                     status retention (STATUS_RETENTION): its status is no longer kept"
                ),
            )
            .into_response(),
            None => Problem::new(
                StatusCode::NOT_FOUND,
                "unknown-message",
                "Unknown message",
                format!("no status is recorded for message {message_id}"),
            )
            .into_response(),
        },
        Err(err) => {
            tracing::warn!(error = %err, "status lookup failed");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "status-unavailable",
                "Status store unavailable",
                "message statuses cannot be read right now; ingestion is not affected",
            )
            .retry_after(RETRY_AFTER_UNAVAILABLE_SECS)
            .into_response()
        }
    }
}
