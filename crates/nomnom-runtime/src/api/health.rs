//! `GET /health` (the process answers), `GET /ready` (NATS connected, stream present) and
//! `GET /metrics` (Prometheus text format; 404 `metrics-off` when metrics are off).

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::problem::{Problem, RETRY_AFTER_UNAVAILABLE_SECS};
use super::state::ApiState;

/// Longest wait for the stream check of `/ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) async fn health() -> Response {
    (StatusCode::OK, Json(json!({"status": "ok"}))).into_response()
}

pub(super) async fn ready(State(state): State<ApiState>) -> Response {
    if state.nats.is_ready(READY_TIMEOUT).await {
        (StatusCode::OK, Json(json!({"status": "ready"}))).into_response()
    } else {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            "Not ready",
            "NATS is not connected or the message stream is not available",
        )
        .retry_after(RETRY_AFTER_UNAVAILABLE_SECS)
        .into_response()
    }
}

pub(super) async fn metrics(State(state): State<ApiState>) -> Response {
    if !state.metrics.is_on() {
        return metrics_off().into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            crate::telemetry::prometheus::CONTENT_TYPE,
        )],
        crate::telemetry::prometheus::render(),
    )
        .into_response()
}

/// The answer of `/metrics` with `OTEL_METRICS_EXPORTER=none`.
fn metrics_off() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "metrics-off",
        "Metrics are off",
        "no metric is kept: OTEL_METRICS_EXPORTER is `none`",
    )
}
