//! The HTTP ingestion API: validate, wrap in an envelope, publish to JetStream and wait for
//! the acknowledgement, answer 202.
//!
//! [`router`] builds the routes over an [`ApiState`] (tests drive it in-process);
//! [`run`] is the whole `ingestion-api` binary: configuration, logs, connection, serving,
//! and a graceful stop on SIGTERM or SIGINT.
//!
//! # Routes
//! - `POST /ingest/message` (`application/json` or any `+json`): 202
//!   `{"message_id", "status": "accepted", "timestamp"}` once the stream holds the message.
//!   The entity is `?entity=`, else `X-Entity-Type`, else the only root entity.
//!   `Idempotency-Key` becomes `Nats-Msg-Id`; a retry within `NATS_DUPLICATE_WINDOW` answers
//!   the original's id and stores nothing. `X-Source` travels as the envelope's source.
//! - `POST /ingest/batch` (`application/x-ndjson`, `application/jsonl`): 202
//!   `{"accepted", "rejected", "results": [{"line", "message_id"} | {"line", "errors"}]}`;
//!   lines are 1-based, blank lines skipped; `Idempotency-Key: K` gives line `n` the key
//!   `K:n`. Lines are validated on a blocking thread, off the event loop, and each is
//!   published as soon as its chunk is validated. A line the stream could not take has an
//!   error of rule `unavailable`, `full` or `too_large` (and the answer a `Retry-After`);
//!   when no line could be stored because of the stream, the whole answer is that 503.
//! - `GET /ingest/status/{message_id}`: 200 with the `message_status` row, 400, 404, 503.
//! - `GET /health`, `GET /ready` (NATS connected and the stream answering), `GET /openapi.json`.
//! - `GET /metrics`: Prometheus metrics ([`crate::telemetry`]); 404 `metrics-off` with
//!   `OTEL_METRICS_EXPORTER=none`.
//!
//! # Traces
//! A valid W3C `traceparent` on an ingest request is kept: the request's span is its child,
//! and the published message carries the span's context in its `traceparent` header, which
//! the worker's span joins; a request without one starts a new trace. The trace id is stored
//! with the message's status and shown by `GET /ingest/status/{message_id}`. With
//! `OTEL_PROPAGATORS=none` no trace context is read or carried, and a status has a trace id
//! only when spans are exported.
//!
//! # Keys and rate limits
//! With `API_KEYS_FILE`, `/ingest/*` needs a key with the route's scope (401 without a
//! valid one, 403 without the scope); with `RATE_LIMIT_PER_SECOND`, each key (or client
//! address) is held to a token bucket (429 over it). See [`access`].
//!
//! # Errors
//! `application/problem+json` with `type` `urn:nomnom:problem:<kind>`, `title`, `status`,
//! `detail`, and per kind: `malformed-json` 400 (`line`, `column`); `missing-entity` and
//! `unknown-entity` 400 (`valid_entities`); `invalid-header` 400 (`header`); `empty-batch`
//! 400; `unreadable-body` 400; `invalid-message-id` 400; `unknown-message` 404; `not-found`
//! 404; `metrics-off` 404; `body-timeout` 408 (`timeout_ms`); `payload-too-large` 413
//! (`limit_bytes`); `too-many-lines` 413 (`limit_lines`); `unsupported-media-type` 415
//! (`accepted`); `validation-failed` 422 (`errors`: every `{"path", "rule", "message"}`);
//! `stream-unavailable`, `stream-full`, `overloaded`,
//! `status-unavailable` and `not-ready` 503 with `Retry-After`; `method-not-allowed` 405
//! with `Allow`. Any other error axum or a layer answers on its own keeps its status and
//! becomes problem+json too (`bad-request`, `request-timeout`, ...).
//!
//! # Slow and idle clients
//! A connection must send each request's complete header within `API_HEADER_TIMEOUT` of
//! opening (or of its previous answer, when kept alive), or it is closed; the body must then
//! arrive within `API_BODY_TIMEOUT`, or the answer is 408 `body-timeout`. So neither silent
//! connections, trickled headers or bodies, nor idle kept-alive connections hold the server's
//! sockets for longer ([`connections`]).
//!
//! A 422 also refuses what PostgreSQL is sure to refuse later (rule `format`): U+0000 in a
//! string or inside a `json` value, a number in a `json` value beyond `numeric`, a date
//! before 4714 BC; see [`crate::db::limits`].

pub mod access;
mod batch;
mod connections;
mod health;
pub mod hl7_ack;
mod message;
pub mod mllp_ingest;
pub mod problem;
pub mod request;
mod server;
pub mod state;
mod status;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;

use crate::model::Model;
use crate::telemetry::http_layer::HttpMetricsLayer;
use request::{BatchRoute, IngestRoute, MessageRoute};

pub use message::rejection_problem;
pub use problem::Problem;
pub use server::{run, serve, shutdown_signal, StartError};
pub use state::ApiState;

/// The routes of the ingestion API for model `M`. Every error answer is problem+json: the
/// handlers' own, a 404 for an unknown path, a 405 (with `Allow`) for a method a route does
/// not take, and whatever axum or a layer answers on its own ([`problem::ProblemLayer`]).
pub fn router<M: Model>(state: ApiState) -> Router {
    let metrics = state.metrics;
    if metrics.is_on() {
        metrics.register_entities(M::ROOT_ENTITIES);
        crate::telemetry::prometheus::build_info(M::PROJECT);
    }
    let message_limit = MessageRoute::body_limit_layer(&state.config);
    let batch_limit = BatchRoute::body_limit_layer(&state.config);
    let router = Router::new()
        .route(
            "/ingest/message",
            post(message::ingest_message::<M>).layer(message_limit),
        )
        .route(
            "/ingest/batch",
            post(batch::ingest_batch::<M>).layer(batch_limit),
        )
        .route("/ingest/status/{message_id}", get(status::message_status))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route(
            "/openapi.json",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    M::OPENAPI_JSON,
                )
            }),
        )
        .fallback(|| async {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                "no such route; see /openapi.json",
            )
            .into_response()
        })
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.access.clone(),
            access::guard,
        ))
        .layer(problem::ProblemLayer);
    // Without metrics, no layer: a request costs what it did before metrics existed.
    let router = if metrics.is_on() {
        router.layer(HttpMetricsLayer::new(metrics))
    } else {
        router
    };
    router.with_state(state)
}
