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
    match state.store.lookup(message_id).await {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn only_a_time_ordered_id_older_than_the_retention_has_expired() {
        let week = StatusRetention {
            retention: Some(Duration::from_secs(7 * 86_400)),
            interval: Duration::from_secs(86_400),
        };
        let eight_days_ago = Utc::now().timestamp() - 8 * 86_400;
        let old = Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            u64::try_from(eight_days_ago).expect("after 1970"),
            0,
        ));
        assert!(expired_at(old, &week).is_some());
        assert_eq!(expired_at(Uuid::now_v7(), &week), None);
        let keyed = Uuid::new_v5(&Uuid::NAMESPACE_OID, b"an idempotency key");
        assert_eq!(expired_at(keyed, &week), None, "no time to tell by");
        let forever = StatusRetention {
            retention: None,
            ..week
        };
        assert_eq!(expired_at(old, &forever), None);
    }
}
