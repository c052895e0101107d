//! `POST /ingest/message`: one JSON object → validated → published → 202 once the stream
//! holds it.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::problem::Problem;
use super::request::{Ingest, MessageRoute};
use super::state::ApiState;
use crate::envelope::{IngestionResponse, IngestionStatus, MessageEnvelope};
use crate::model::{Model, Rejection};
use crate::status::AcceptedMessage;

/// Turns a validation rejection of a whole body into its problem answer.
pub fn rejection_problem(rejection: Rejection, roots: &[&str]) -> Problem {
    match rejection {
        Rejection::Malformed(e) => Problem::malformed_json(e.line, e.column, &e.message),
        Rejection::Invalid(errors) => Problem::validation_failed(&errors),
        Rejection::UnknownEntity => Problem::new(
            StatusCode::BAD_REQUEST,
            "unknown-entity",
            "Unknown entity",
            format!("valid entities: {}", roots.join(", ")),
        )
        .with("valid_entities", roots.to_vec()),
    }
}

pub(super) async fn ingest_message<M: Model>(
    State(state): State<ApiState>,
    request: Ingest<M, MessageRoute>,
) -> Result<Response, Problem> {
    let Ingest {
        entity,
        idempotency_key,
        source,
        permit: _permit,
        body,
        ..
    } = request;
    M::validate(&entity, &body).map_err(|r| rejection_problem(r, M::ROOT_ENTITIES))?;

    let mut envelope = MessageEnvelope::new(entity, body, source);
    if let Some(key) = &idempotency_key {
        envelope = envelope.with_idempotency_key(&state.nats.config().stream, key);
    }
    let published = state
        .nats
        .publish(&envelope, idempotency_key.as_deref())
        .await
        .map_err(|failure| {
            tracing::warn!(error = %failure, entity = %envelope.entity_type, "publish failed");
            Problem::from_publish(&failure)
        })?;
    if published.duplicate {
        tracing::debug!(message_id = %published.message_id, "idempotent retry: answered with the original message");
    } else {
        state.recorder.record(AcceptedMessage {
            message_id: published.message_id,
            entity_type: envelope.entity_type.clone(),
            received_at: published.received_at,
        });
    }
    let answer = IngestionResponse {
        message_id: published.message_id,
        status: IngestionStatus::Accepted,
        timestamp: published.received_at,
    };
    Ok((
        StatusCode::ACCEPTED,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        answer.to_json(),
    )
        .into_response())
}
