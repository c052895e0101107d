//! `POST /ingest/batch`: newline-delimited JSON, one message per line. Each line is validated
//! and published on its own, all publishes in flight together; the answer lists each line's
//! message id or errors (lines are 1-based; blank lines are skipped).
//!
//! Idempotency: an `Idempotency-Key: K` header gives line `n` the key `K:n`, so retrying the
//! same batch body with the same key stores nothing twice and answers the same ids.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

use super::message::EntityQuery;
use super::problem::{
    field_errors_json, Problem, RETRY_AFTER_FULL_SECS, RETRY_AFTER_UNAVAILABLE_SECS,
};
use super::request::{read_body, require_content_type, resolve_entity, text_header};
use super::state::ApiState;
use crate::envelope::MessageEnvelope;
use crate::model::{FieldError, Model, Rejection};
use crate::nats::{PublishFailure, Published};
use crate::status::AcceptedMessage;

/// Content types accepted for a batch.
const BATCH_CONTENT_TYPES: &[&str] = &[
    "application/x-ndjson",
    "application/jsonl",
    "application/jsonlines",
];
/// Most publishes one batch keeps in flight at once.
const MAX_BATCH_CONCURRENCY: usize = 1024;

enum LineOutcome {
    Published(Published),
    Rejected(Value),
    Failed(PublishFailure),
}

pub(super) async fn ingest_batch<M: Model>(
    State(state): State<ApiState>,
    query: Result<Query<EntityQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match handle::<M>(&state, query.ok().and_then(|q| q.0.entity), &headers, body).await {
        Ok(response) => response,
        Err(problem) => problem.into_response(),
    }
}

async fn handle<M: Model>(
    state: &ApiState,
    entity: Option<String>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    require_content_type(headers, BATCH_CONTENT_TYPES, false)?;
    let entity = resolve_entity(entity.as_deref(), headers, M::ROOT_ENTITIES)?;
    let idempotency_key = text_header(headers, "idempotency-key")?;
    let source = text_header(headers, "x-source")?;
    let body = read_body(headers, body, state.config.max_batch_bytes).await?;

    let lines = split_lines(&body);
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

    let mut outcomes: Vec<(usize, LineOutcome)> = Vec::with_capacity(lines.len());
    let mut to_publish = Vec::new();
    for (line, bytes) in lines {
        match M::validate(&entity, &bytes) {
            Ok(_) => {
                let mut envelope = MessageEnvelope::new(entity.clone(), bytes, source.clone());
                if let Some(key) = &idempotency_key {
                    let line_key = line_idempotency_key(key, line);
                    envelope =
                        envelope.with_idempotency_key(&state.nats.config().stream, &line_key);
                }
                to_publish.push((line, envelope));
            }
            Err(rejection) => outcomes.push((line, LineOutcome::Rejected(line_errors(rejection)))),
        }
    }

    if !to_publish.is_empty() {
        let wanted = to_publish
            .len()
            .min(MAX_BATCH_CONCURRENCY)
            .min(state.config.max_in_flight);
        let permits = u32::try_from(wanted).unwrap_or(u32::MAX);
        let _permits = state
            .in_flight
            .clone()
            .try_acquire_many_owned(permits)
            .map_err(|_| Problem::overloaded())?;
        let nats = &state.nats;
        let key = idempotency_key.as_deref();
        let published: Vec<(usize, LineOutcome)> = stream::iter(to_publish)
            .map(|(line, envelope)| async move {
                let dedup = key.map(|k| line_idempotency_key(k, line));
                let outcome = match nats.publish(&envelope, dedup.as_deref()).await {
                    Ok(p) => {
                        if !p.duplicate {
                            state.recorder.record(AcceptedMessage {
                                message_id: p.message_id,
                                entity_type: envelope.entity_type.clone(),
                                received_at: p.received_at,
                            });
                        }
                        LineOutcome::Published(p)
                    }
                    Err(failure) => LineOutcome::Failed(failure),
                };
                (line, outcome)
            })
            .buffer_unordered(wanted)
            .collect()
            .await;
        outcomes.extend(published);
    }
    outcomes.sort_by_key(|(line, _)| *line);
    answer(outcomes)
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

fn line_errors(rejection: Rejection) -> Value {
    let errors = match rejection {
        Rejection::Malformed(e) => vec![FieldError {
            path: String::new(),
            rule: "json",
            message: format!("not valid JSON at column {}: {}", e.column, e.message),
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
