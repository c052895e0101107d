//! `/health` (the process is alive) and `/ready` (NATS connected and the database gate open)
//! for Kubernetes probes, on `WORKER_HEALTH_PORT`.

use axum::{extract::State, http::StatusCode, routing::get, Router};
use tokio::sync::watch;

use super::gate::DbGate;

#[derive(Clone)]
struct Probes {
    nats: async_nats::Client,
    gate: DbGate,
}

/// The probe routes.
fn router(nats: async_nats::Client, gate: DbGate) -> Router {
    Router::new()
        .route("/health", get(|| async { (StatusCode::OK, "ok") }))
        .route("/ready", get(ready))
        .with_state(Probes { nats, gate })
}

async fn ready(State(p): State<Probes>) -> (StatusCode, &'static str) {
    let nats_up = p.nats.connection_state() == async_nats::connection::State::Connected;
    match (nats_up, p.gate.is_open()) {
        (true, true) => (StatusCode::OK, "ready"),
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "NATS unavailable"),
        (true, false) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// Binds `0.0.0.0:port` and serves the probes until `shutdown` turns true.
pub async fn serve(
    port: u16,
    nats: async_nats::Client,
    gate: DbGate,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    let app = router(nats, gate);
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
