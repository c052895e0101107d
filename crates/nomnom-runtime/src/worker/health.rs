//! `/health` (the process is alive), `/ready` (NATS connected and the database gate open) for
//! Kubernetes probes, and `/metrics` (Prometheus text format; 404 when `OTEL_METRICS_EXPORTER`
//! is `none`), on `WORKER_HEALTH_PORT`.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{extract::State, http::StatusCode, routing::get, Router};
use tokio::sync::watch;

use super::gate::DbGate;
use crate::telemetry::prometheus;
use crate::telemetry::worker_metrics::WorkerMetrics;

/// Longest a scrape waits for the consumer's backlog or the database probe.
const SCRAPE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// What the endpoints look at.
#[derive(Clone)]
pub struct Probes {
    /// The NATS connection.
    pub nats: async_nats::Client,
    /// The database gate (and its probe).
    pub gate: DbGate,
    /// The durable consumer, whose backlog `/metrics` reports.
    pub consumer: PullConsumer,
    /// The worker's metrics.
    pub metrics: Arc<WorkerMetrics>,
}

/// The probe routes.
fn router(probes: Probes) -> Router {
    Router::new()
        .route("/health", get(|| async { (StatusCode::OK, "ok") }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(probes)
}

async fn ready(State(p): State<Probes>) -> (StatusCode, &'static str) {
    let nats_up = p.nats.connection_state() == async_nats::connection::State::Connected;
    match (nats_up, p.gate.is_open()) {
        (true, true) => (StatusCode::OK, "ready"),
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "NATS unavailable"),
        (true, false) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// The metrics, with the backlog and the database's state read now: the consumer's
/// `num_pending` (left as it was when NATS does not answer in time) and a `SELECT 1`.
async fn metrics(State(p): State<Probes>) -> Response {
    if !p.metrics.is_on() {
        return (
            StatusCode::NOT_FOUND,
            "metrics are off: OTEL_METRICS_EXPORTER is `none`\n",
        )
            .into_response();
    }
    let backlog = tokio::time::timeout(SCRAPE_CHECK_TIMEOUT, p.consumer.get_info());
    let (backlog, database_up) = tokio::join!(backlog, p.gate.healthy());
    match backlog {
        Ok(Ok(info)) => p.metrics.set_pending(info.num_pending),
        Ok(Err(e)) => tracing::debug!(error = %e, "consumer info unavailable for /metrics"),
        Err(_) => tracing::debug!("consumer info timed out for /metrics"),
    }
    p.metrics.set_database_up(database_up);
    (
        [(header::CONTENT_TYPE, prometheus::CONTENT_TYPE)],
        prometheus::render(),
    )
        .into_response()
}

/// Binds `0.0.0.0:port` and serves the endpoints until `shutdown` turns true.
pub async fn serve(
    port: u16,
    probes: Probes,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    let app = router(probes);
    Ok(tokio::spawn(async move {
        let stop = async move {
            while !*shutdown.borrow_and_update() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(error = %e, "health endpoint stopped");
        }
    }))
}
