//! What the MLLP listener does with each frame: the HL7 v2 message is validated against the
//! model's HL7 root and published like a `POST /ingest/message`; the sender's answer is an
//! ACK sent only once the stream holds the message (`MSA-1` `AA`, `MSA-2` its `MSH-10`), `AE`
//! with an ERR segment naming the path when the model refuses it or when the stream cannot
//! take it (nothing is stored then), `AR` when it is not a message of the model at all.

use bytes::Bytes;

use super::state::ApiState;
use crate::envelope::MessageEnvelope;
use crate::hl7::{ack, ack_with, AckCode, AckError, ErrorCode, Message, Path};
use crate::mllp::{handler, Handler};
use crate::model::{FieldError, Model, Rejection};
use crate::status::AcceptedMessage;
use crate::telemetry::api_metrics::IngestOutcome;
use crate::telemetry::MessageSpan;

/// The value of the envelope's `source` for messages received over MLLP.
pub const MLLP_SOURCE: &str = "mllp";

/// The handler of model `M`'s MLLP listener.
pub fn ingest_handler<M: Model>(state: ApiState) -> Handler {
    handler(move |payload: Bytes| {
        let state = state.clone();
        async move { Bytes::from(answer::<M>(&state, payload).await) }
    })
}

/// The ACK of one frame.
async fn answer<M: Model>(state: &ApiState, payload: Bytes) -> String {
    let message = match Message::parse_bytes(&payload) {
        Ok(message) => message,
        Err(e) => return bare_reject(&format!("not an HL7 v2 message: {e}")),
    };
    let roots: Vec<&str> = M::ROOT_ENTITIES
        .iter()
        .copied()
        .filter(|e| M::is_hl7(e))
        .collect();
    let [entity] = roots.as_slice() else {
        return reject(&message, "this service takes no HL7 v2 message over MLLP: it has not exactly one HL7 root entity");
    };
    // HL7 v2 has no trace context: every message starts a trace.
    let mut span = MessageSpan::ingest("ingest mllp", None, state.config.telemetry.trace_context);
    span.attribute("nomnom.entity", || (*entity).to_owned());
    match M::validate(entity, &payload) {
        Ok(_) => {}
        Err(Rejection::Invalid(errors)) => {
            state.metrics.ingested(entity, IngestOutcome::Invalid, 1);
            span.end("invalid", false);
            return refusal(&message, &errors);
        }
        Err(other) => {
            state.metrics.ingested(entity, IngestOutcome::Invalid, 1);
            span.end("invalid", false);
            return reject(&message, &format!("{other:?}"));
        }
    }
    let Ok(_permit) = state.in_flight.clone().try_acquire_owned() else {
        state.metrics.ingested(entity, IngestOutcome::Rejected, 1);
        span.end("rejected", true);
        return error(
            &message,
            "the service is overloaded; send the message again",
        );
    };
    let envelope = MessageEnvelope::new(*entity, payload.clone(), Some(MLLP_SOURCE.to_string()))
        .with_model_version(M::MODEL_VERSION);
    let traceparent = span.carried().map(|c| c.traceparent());
    match state.publish(&envelope, None, traceparent.as_deref()).await {
        Ok(published) => {
            state.metrics.ingested(entity, IngestOutcome::Accepted, 1);
            state.recorder.record(AcceptedMessage {
                message_id: published.message_id,
                entity_type: envelope.entity_type.clone(),
                received_at: published.received_at,
                trace_id: span.trace_id(),
            });
            span.attribute("nomnom.message_id", || published.message_id.to_string());
            span.end("accepted", false);
            ack(&message, AckCode::Accept, None)
        }
        Err(failure) => {
            state.metrics.ingested(entity, IngestOutcome::Rejected, 1);
            span.end("rejected", true);
            tracing::warn!(error = %failure, entity = %envelope.entity_type, "MLLP: publish failed");
            error(
                &message,
                &format!("the message could not be stored: {failure}; send it again"),
            )
        }
    }
}

/// `AE` naming the first failing path.
fn refusal(message: &Message<'_>, errors: &[FieldError]) -> String {
    let Some(first) = errors.first() else {
        return error(message, "the message breaks the model");
    };
    let text = format!("{}: {}", first.path, first.message);
    match Path::parse(&first.path) {
        Ok(path) => ack(message, AckCode::Error, Some((&path, &text))),
        Err(_) => error(message, &text),
    }
}

/// `AE` with an error that names no path.
fn error(message: &Message<'_>, text: &str) -> String {
    with_error(
        message,
        AckCode::Error,
        ErrorCode::ApplicationInternal,
        text,
    )
}

/// `AR`: not a message this service takes.
fn reject(message: &Message<'_>, text: &str) -> String {
    with_error(
        message,
        AckCode::Reject,
        ErrorCode::UnsupportedMessageType,
        text,
    )
}

fn with_error(message: &Message<'_>, code: AckCode, error_code: ErrorCode, text: &str) -> String {
    let error = AckError {
        path: None,
        text,
        code: error_code,
    };
    ack_with(
        message,
        code,
        Some(&error),
        chrono::Utc::now(),
        &crate::hl7::new_control_id(),
    )
}

/// The answer to bytes that are not an HL7 message: there is no header to answer to, so a
/// minimal ACK with `MSA-1` `AR` and the reason in `MSA-3`.
fn bare_reject(reason: &str) -> String {
    let reason: String = reason
        .chars()
        .map(|c| {
            if matches!(c, '|' | '^' | '~' | '\\' | '&' | '\r' | '\n') {
                ' '
            } else {
                c
            }
        })
        .take(200)
        .collect();
    format!(
        "MSH|^~\\&|||||{}||ACK|{}|P|2.5\rMSA|AR||{reason}\r",
        chrono::Utc::now().format("%Y%m%d%H%M%S"),
        crate::hl7::new_control_id()
    )
}
