//! `GET /ingest/status/{message_id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use super::problem::{Problem, RETRY_AFTER_UNAVAILABLE_SECS};
use super::state::ApiState;
use crate::status::lookup;

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
        Ok(None) => Problem::new(
            StatusCode::NOT_FOUND,
            "unknown-message",
            "Unknown message",
            format!("no status is recorded for message {message_id}"),
        )
        .into_response(),
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
