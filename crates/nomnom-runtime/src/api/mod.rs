//! The HTTP ingestion API: validate, wrap in an envelope, publish to JetStream and wait for
//! the acknowledgement, answer 202.
//!
//! [`router`] builds the routes over an [`ApiState`] (tests drive it in-process);
//! [`run`] is the whole `ingestion-api` binary: configuration, logs, connection, serving,
//! and a graceful stop on SIGTERM or SIGINT.

mod batch;
mod health;
mod message;
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

pub use message::rejection_problem;
pub use problem::Problem;
pub use server::{run, serve, shutdown_signal, StartError};
pub use state::ApiState;

/// The routes of the ingestion API for model `M`.
pub fn router<M: Model>(state: ApiState) -> Router {
    Router::new()
        .route("/ingest/message", post(message::ingest_message::<M>))
        .route("/ingest/batch", post(batch::ingest_batch::<M>))
        .route("/ingest/status/{message_id}", get(status::message_status))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
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
        .with_state(state)
}
