//! `POST /ingest/message`: one JSON object or HL7 v2 message → validated → published → 202
//! once the stream holds it (with an HL7 ACK as the body when the client asks for one).

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::hl7_ack::{ack_response, ack_text};
use super::problem::Problem;
use super::request::{Ingest, MessageRoute};
use super::state::ApiState;
use crate::envelope::{IngestionResponse, IngestionStatus, MessageEnvelope};
use crate::hl7::AckCode;
use crate::model::{Model, Rejection};
use crate::status::AcceptedMessage;
use crate::telemetry::api_metrics::IngestOutcome;
use crate::telemetry::MessageSpan;

/// Turns a validation rejection of a whole body into its problem answer.
pub fn rejection_problem(rejection: Rejection, roots: &[&str]) -> Problem {
    match rejection {
        Rejection::Malformed(e) => Problem::malformed_json(e.line, e.column, &e.message),
        Rejection::NotHl7(message) => Problem::not_hl7(&message),
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
        ack,
        idempotency_key,
        source,
        trace,
        permit: _permit,
        body,
        ..
    } = request;
    let mut span = MessageSpan::ingest(
        "ingest message",
        trace,
        state.config.telemetry.trace_context,
    );
    span.attribute("nomnom.entity", || entity.clone());
    if let Err(rejection) = M::validate(&entity, &body) {
        state.metrics.ingested(&entity, IngestOutcome::Invalid, 1);
        span.end("invalid", false);
        if let (true, Rejection::Invalid(errors)) = (ack, &rejection) {
            if let Some(text) = ack_text(&body, AckCode::Error, errors) {
                return Ok(ack_response(StatusCode::UNPROCESSABLE_ENTITY, text));
            }
        }
        return Err(rejection_problem(rejection, M::ROOT_ENTITIES));
    }

    let mut envelope =
        MessageEnvelope::new(entity, body, source).with_model_version(M::MODEL_VERSION);
    if let Some(key) = &idempotency_key {
        envelope = envelope.with_idempotency_key(&state.nats.config().stream, key);
    }
    let published = state
        .publish(
            &envelope,
            idempotency_key.as_deref(),
            span.carried().map(|c| c.traceparent()).as_deref(),
        )
        .await
        .map_err(|failure| {
            tracing::warn!(error = %failure, entity = %envelope.entity_type, "publish failed");
            Problem::from_publish(&failure)
        });
    let published = match published {
        Ok(published) => published,
        Err(problem) => {
            state
                .metrics
                .ingested(&envelope.entity_type, IngestOutcome::Rejected, 1);
            span.end("rejected", true);
            return reject_publish(problem, ack, &envelope);
        }
    };
    span.attribute("nomnom.message_id", || published.message_id.to_string());
    if published.duplicate {
        state
            .metrics
            .ingested(&envelope.entity_type, IngestOutcome::Duplicate, 1);
        span.end("duplicate", false);
        tracing::debug!(message_id = %published.message_id, "idempotent retry: answered with the original message");
    } else {
        state
            .metrics
            .ingested(&envelope.entity_type, IngestOutcome::Accepted, 1);
        state.recorder.record(AcceptedMessage {
            message_id: published.message_id,
            entity_type: envelope.entity_type.clone(),
            received_at: published.received_at,
            trace_id: span.trace_id(),
        });
        span.end("accepted", false);
    }
    if ack {
        if let Some(text) = ack_text(&envelope.body, AckCode::Accept, &[]) {
            return Ok(ack_response(StatusCode::ACCEPTED, text));
        }
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

/// The answer when the stream could not take the message: its problem, or an HL7 ACK `AE`
/// with the problem's status when the client asked for ACKs.
fn reject_publish(
    problem: Problem,
    ack: bool,
    envelope: &MessageEnvelope,
) -> Result<Response, Problem> {
    if !ack {
        return Err(problem);
    }
    match ack_text(&envelope.body, AckCode::Error, &[]) {
        Some(text) => Ok(ack_response(problem.status(), text)),
        None => Err(problem),
    }
}
