//! `POST /ingest/message`: one JSON object → validated → published → 202 once the stream
//! holds it.

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::problem::Problem;
use super::request::{read_body, require_content_type, resolve_entity, text_header};
use super::state::ApiState;
use crate::envelope::{IngestionResponse, IngestionStatus, MessageEnvelope};
use crate::model::{Model, Rejection};
use crate::status::AcceptedMessage;

/// The query string of the ingestion routes.
#[derive(Debug, Default, Deserialize)]
pub struct EntityQuery {
    /// The root entity (`?entity=Order`).
    pub entity: Option<String>,
}

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
    request: Request,
) -> Response {
    // The request is taken whole: the `HeaderMap` extractor would copy every header.
    let (parts, body) = request.into_parts();
    let entity = Query::<EntityQuery>::try_from_uri(&parts.uri)
        .ok()
        .and_then(|q| q.0.entity);
    match handle::<M>(&state, entity, &parts.headers, body).await {
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
    require_content_type(headers, &["application/json"], true)?;
    let entity = resolve_entity(entity.as_deref(), headers, M::ROOT_ENTITIES)?;
    let idempotency_key = text_header(headers, "idempotency-key")?;
    let source = text_header(headers, "x-source")?;
    let _permit = state
        .in_flight
        .clone()
        .try_acquire_owned()
        .map_err(|_| Problem::overloaded())?;
    let body = read_body(headers, body, state.config.max_body_bytes).await?;
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
