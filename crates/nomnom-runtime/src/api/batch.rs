//! `POST /ingest/batch`: newline-delimited JSON, one message per line, or an HL7 v2 batch
//! (FHS/BHS … BTS/FTS, or consecutive messages), one message per "line". Each line is validated
//! and published on its own, all publishes in flight together; the answer lists each line's
//! message id or errors (lines are 1-based; blank lines are skipped).
//!
//! Idempotency: an `Idempotency-Key: K` header gives line `n` the key `K:n`, so retrying the
//! same batch body with the same key stores nothing twice and answers the same ids.

use std::panic::AssertUnwindSafe;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::problem::{
    field_errors_json, Problem, RETRY_AFTER_FULL_SECS, RETRY_AFTER_UNAVAILABLE_SECS,
};
use super::request::{BatchRoute, Ingest};
use super::state::ApiState;
use crate::envelope::MessageEnvelope;
use crate::model::{FieldError, Model, Rejection};
use crate::nats::{PublishFailure, Published};
use crate::status::AcceptedMessage;
use crate::telemetry::api_metrics::IngestOutcome;
use crate::telemetry::{MessageSpan, TraceId};

/// Most publishes one batch keeps in flight at once.
const MAX_BATCH_CONCURRENCY: usize = 1024;

enum LineOutcome {
    Published(Published),
    Rejected(Value),
    Failed(PublishFailure),
}

pub(super) async fn ingest_batch<M: Model>(
    State(state): State<ApiState>,
    request: Ingest<M, BatchRoute>,
) -> Result<Response, Problem> {
    let Ingest {
        entity,
        hl7,
        idempotency_key,
        source,
        trace,
        body,
        ..
    } = request;
    let mut span = MessageSpan::ingest("ingest batch", trace, state.config.telemetry.trace_context);
    span.attribute("nomnom.entity", || entity.clone());
    let lines = if hl7 {
        split_hl7(&body)?
    } else {
        split_lines(&body)
    };
    if lines.len() > state.config.max_batch_lines {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-many-lines",
            "Too many lines",
            format!(
                "the batch has {} lines; the limit is {}",
                lines.len(),
                state.config.max_batch_lines
            ),
        )
        .with("limit_lines", state.config.max_batch_lines));
    }
    if lines.is_empty() {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "empty-batch",
            "Empty batch",
            "the batch has no lines",
        ));
    }

    let wanted = lines
        .len()
        .min(MAX_BATCH_CONCURRENCY)
        .min(state.config.max_in_flight);
    let permits = u32::try_from(wanted).unwrap_or(u32::MAX);
    let Ok(_permits) = state.in_flight.clone().try_acquire_many_owned(permits) else {
        state
            .metrics
            .ingested(&entity, IngestOutcome::Rejected, lines.len() as u64);
        span.end("rejected", true);
        return Err(Problem::overloaded());
    };
    span.attribute("nomnom.lines", || lines.len().to_string());

    // One `traceparent` text for every line: each message is a child of the request's span.
    let traceparent = span.carried().map(|c| c.traceparent());
    let trace_id = span.trace_id();
    let mut outcomes = validate_and_publish::<M>(
        &state,
        &Line {
            entity: &entity,
            source: source.as_deref(),
            idempotency_key: idempotency_key.as_deref(),
            traceparent: traceparent.as_deref(),
            trace_id,
        },
        lines,
        wanted,
    )
    .await;
    outcomes.sort_by_key(|(line, _)| *line);
    let mut counts = [0u64; 4];
    for (_, outcome) in &outcomes {
        let kind = match outcome {
            LineOutcome::Published(p) if p.duplicate => IngestOutcome::Duplicate,
            LineOutcome::Published(_) => IngestOutcome::Accepted,
            LineOutcome::Rejected(_) => IngestOutcome::Invalid,
            LineOutcome::Failed(_) => IngestOutcome::Rejected,
        };
        counts[kind as usize] += 1;
    }
    for kind in [
        IngestOutcome::Accepted,
        IngestOutcome::Invalid,
        IngestOutcome::Duplicate,
        IngestOutcome::Rejected,
    ] {
        state.metrics.ingested(&entity, kind, counts[kind as usize]);
    }
    span.end("answered", counts[IngestOutcome::Rejected as usize] > 0);
    answer(outcomes)
}

/// Validates `lines` off the event loop and publishes each valid one as soon as its chunk is
/// validated (while the next chunk is being validated), at most `wanted` in flight. Returns
/// one outcome per line, in no particular order.
async fn validate_and_publish<M: Model>(
    state: &ApiState,
    request: &Line<'_>,
    lines: Vec<(usize, Bytes)>,
    wanted: usize,
) -> Vec<(usize, LineOutcome)> {
    let Line {
        entity,
        source,
        idempotency_key,
        ..
    } = *request;
    let line_numbers: Vec<usize> = lines.iter().map(|(line, _)| *line).collect();
    let mut verdicts = validate_off_the_event_loop::<M>(entity.to_owned(), lines);
    let mut outcomes: Vec<(usize, LineOutcome)> = Vec::with_capacity(line_numbers.len());
    let mut publishing = FuturesUnordered::new();
    let mut chunk = Vec::with_capacity(VALIDATION_CHUNK);
    while verdicts.recv_many(&mut chunk, VALIDATION_CHUNK).await > 0 {
        for (line, bytes, verdict) in chunk.drain(..) {
            if let Err(rejection) = verdict {
                outcomes.push((line, LineOutcome::Rejected(line_errors(rejection))));
                continue;
            }
            while publishing.len() >= wanted {
                if let Some(done) = publishing.next().await {
                    outcomes.push(done);
                }
            }
            let mut envelope = MessageEnvelope::new(entity, bytes, source.map(str::to_owned))
                .with_model_version(M::MODEL_VERSION);
            if let Some(key) = idempotency_key {
                envelope = envelope.with_idempotency_key(
                    &state.nats.config().stream,
                    &line_idempotency_key(key, line),
                );
            }
            publishing.push(publish_line(state, request, line, envelope));
        }
        // Hand what is queued to the connection before waiting for the next chunk.
        while let Some(Some(done)) = publishing.next().now_or_never() {
            outcomes.push(done);
        }
    }
    while let Some(done) = publishing.next().await {
        outcomes.push(done);
    }
    if outcomes.len() < line_numbers.len() {
        // The validation thread could not run to the end (the runtime is shutting down):
        // the lines it never reached were not published; the client retries them.
        let answered: std::collections::HashSet<usize> =
            outcomes.iter().map(|(line, _)| *line).collect();
        for line in line_numbers.into_iter().filter(|l| !answered.contains(l)) {
            let failure = PublishFailure::Unavailable("the line was not validated".into());
            outcomes.push((line, LineOutcome::Failed(failure)));
        }
    }
    outcomes
}

/// Lines validated per hand-over from the validation thread.
const VALIDATION_CHUNK: usize = 64;

/// Validates `lines` on a blocking thread (a 1,000-line body takes milliseconds, which would
/// stall every other connection of the event loop), sending each line with its verdict as
/// soon as it is known. A line whose validation panics is refused with its own error; the
/// others go on.
fn validate_off_the_event_loop<M: Model>(
    entity: String,
    lines: Vec<(usize, Bytes)>,
) -> mpsc::Receiver<(usize, Bytes, Result<(), Rejection>)> {
    let (tx, rx) = mpsc::channel(VALIDATION_CHUNK * 4);
    tokio::task::spawn_blocking(move || {
        for (line, bytes) in lines {
            let verdict = std::panic::catch_unwind(AssertUnwindSafe(|| {
                M::validate(&entity, &bytes).map(|_| ())
            }))
            .unwrap_or_else(|_| {
                tracing::error!(line, "validation panicked; the line is refused");
                Err(Rejection::Invalid(vec![FieldError {
                    path: String::new(),
                    rule: "internal",
                    message: "this line could not be validated".to_owned(),
                }]))
            });
            if tx.blocking_send((line, bytes, verdict)).is_err() {
                return; // the request was abandoned
            }
        }
    });
    rx
}

/// What every line of one batch request shares.
#[derive(Clone, Copy)]
struct Line<'a> {
    entity: &'a str,
    source: Option<&'a str>,
    idempotency_key: Option<&'a str>,
    /// The request's span as a `traceparent`, when carried: every line's message is its child.
    traceparent: Option<&'a str>,
    /// The request's trace, kept with every line's status.
    trace_id: Option<TraceId>,
}

/// Publishes line `line` of `request` and records it `accepted`.
async fn publish_line(
    state: &ApiState,
    request: &Line<'_>,
    line: usize,
    envelope: MessageEnvelope,
) -> (usize, LineOutcome) {
    let dedup = request
        .idempotency_key
        .map(|k| line_idempotency_key(k, line));
    let outcome = match state
        .publish(&envelope, dedup.as_deref(), request.traceparent)
        .await
    {
        Ok(p) => {
            if !p.duplicate {
                state.recorder.record(AcceptedMessage {
                    message_id: p.message_id,
                    entity_type: envelope.entity_type,
                    received_at: p.received_at,
                    trace_id: request.trace_id,
                });
            }
            LineOutcome::Published(p)
        }
        Err(failure) => LineOutcome::Failed(failure),
    };
    (line, outcome)
}

/// Non-blank lines with their 1-based numbers (a trailing `\r` is removed).
fn split_lines(body: &Bytes) -> Vec<(usize, Bytes)> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (index, chunk) in body.split(|b| *b == b'\n').enumerate() {
        let end = start + chunk.len();
        let mut line = body.slice(start..end);
        if line.last() == Some(&b'\r') {
            line.truncate(line.len() - 1);
        }
        if line.iter().any(|b| !b.is_ascii_whitespace()) {
            lines.push((index + 1, line));
        }
        start = end + 1;
    }
    lines
}

/// The messages of an HL7 batch (FHS/BHS … BTS/FTS, or consecutive messages), numbered from 1
/// like lines; a body that is not one is a 400.
fn split_hl7(body: &Bytes) -> Result<Vec<(usize, Bytes)>, Problem> {
    let messages =
        crate::hl7::split_batch_bytes(body).map_err(|e| Problem::not_hl7(&e.to_string()))?;
    Ok(messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| (i + 1, body.slice(m.range)))
        .collect())
}

fn line_errors(rejection: Rejection) -> Value {
    let errors = match rejection {
        Rejection::Malformed(e) => vec![FieldError {
            path: String::new(),
            rule: "json",
            message: format!("not valid JSON at column {}: {}", e.column, e.message),
        }],
        Rejection::NotHl7(message) => vec![FieldError {
            path: String::new(),
            rule: "hl7",
            message: format!("not an HL7 v2 message: {message}"),
        }],
        Rejection::Invalid(errors) => errors,
        Rejection::UnknownEntity => vec![FieldError {
            path: String::new(),
            rule: "entity",
            message: "unknown entity".to_owned(),
        }],
    };
    field_errors_json(&errors)
}

fn answer(outcomes: Vec<(usize, LineOutcome)>) -> Result<Response, Problem> {
    let accepted = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, LineOutcome::Published(_)))
        .count();
    let worst_failure = outcomes
        .iter()
        .filter_map(|(_, o)| match o {
            LineOutcome::Failed(f) => Some(f),
            _ => None,
        })
        .max_by_key(|f| match f {
            PublishFailure::Full(_) => 2,
            PublishFailure::Unavailable(_) => 1,
            PublishFailure::TooLarge(_) => 0,
        })
        .cloned();
    if accepted == 0 {
        if let Some(failure @ (PublishFailure::Full(_) | PublishFailure::Unavailable(_))) =
            &worst_failure
        {
            tracing::warn!(error = %failure, "batch publish failed");
            return Err(Problem::from_publish(failure));
        }
    }
    let results: Vec<Value> = outcomes
        .into_iter()
        .map(|(line, outcome)| match outcome {
            LineOutcome::Published(p) => json!({"line": line, "message_id": p.message_id}),
            LineOutcome::Rejected(errors) => json!({"line": line, "errors": errors}),
            LineOutcome::Failed(failure) => {
                let (rule, message) = match failure {
                    PublishFailure::Unavailable(_) => (
                        "unavailable",
                        "the message stream was unavailable; retry this line",
                    ),
                    PublishFailure::Full(_) => {
                        ("full", "the message stream is full; retry this line later")
                    }
                    PublishFailure::TooLarge(_) => (
                        "too_large",
                        "the line is larger than the message stream accepts",
                    ),
                };
                json!({"line": line, "errors": [{"path": "", "rule": rule, "message": message}]})
            }
        })
        .collect();
    let rejected = results.len() - accepted;
    let body = json!({"accepted": accepted, "rejected": rejected, "results": results});
    let mut response = (StatusCode::ACCEPTED, axum::Json(body)).into_response();
    match worst_failure {
        Some(PublishFailure::Full(_)) => {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(RETRY_AFTER_FULL_SECS),
            );
        }
        Some(PublishFailure::Unavailable(_)) => {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(RETRY_AFTER_UNAVAILABLE_SECS),
            );
        }
        _ => {}
    }
    Ok(response)
}

/// The idempotency key of line `line` (1-based) of a batch sent with `Idempotency-Key: key`.
fn line_idempotency_key(key: &str, line: usize) -> String {
    format!("{key}:{line}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_from_one_and_blank_lines_skipped() {
        let body = Bytes::from_static(b"{\"a\":1}\r\n\n  \n{\"b\":2}");
        let lines = split_lines(&body);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], (1, Bytes::from_static(b"{\"a\":1}")));
        assert_eq!(lines[1], (4, Bytes::from_static(b"{\"b\":2}")));
        assert!(split_lines(&Bytes::from_static(b"\n\n")).is_empty());
    }
}
