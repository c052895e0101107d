//! The HTTP floor: the smallest ingestion endpoint that does what the API must do per
//! message — parse the JSON body, publish it to JetStream with the runtime's own
//! [`NatsClient::publish`] and answer 202 once the acknowledgement came — and nothing else
//! (no model validation, no status tracking, no limits). It runs as a child process of this
//! program (the same binary, started with [`CHILD_ARG`]) on a one-thread runtime with
//! `TCP_NODELAY`, as `ingestion-api` does, and is loaded by the same load generator, so the
//! gap between it and the publish limit is what HTTP and a process boundary cost on this
//! machine, and the gap between it and the API is what the API itself adds.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use nomnom_runtime::envelope::MessageEnvelope;
use nomnom_runtime::nats::NatsClient;
use nomnom_testkit::Service;

use crate::payloads::ENTITY;
use crate::services::{answers_200, Target};
use crate::BenchError;

/// The first argument that makes this program serve the minimal endpoint instead of
/// benchmarking.
pub const CHILD_ARG: &str = "--serve-minimal-api";

/// Starts the minimal endpoint as a child process publishing to `target`'s stream, and waits
/// until it answers `GET /health`.
pub async fn start(target: &Target, logs: &Path) -> Result<(Service, SocketAddr), BenchError> {
    let program = std::env::current_exe()
        .map_err(|e| BenchError::Io(format!("finding this program's executable: {e}")))?;
    let port = nomnom_testkit::free_port();
    let mut env = target.env();
    env.insert("PORT".into(), port.to_string());
    let service = Service::spawn(
        "minimal-api",
        &program,
        &[CHILD_ARG],
        &env,
        &logs.join(format!("minimal-api-{port}.log")),
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    answers_200(
        &service,
        addr,
        "/health",
        "the minimal endpoint",
        Duration::from_secs(30),
    )
    .await?;
    Ok((service, addr))
}

/// The child's `main`: serves until killed. Reads `NATS_URL`, `NATS_STREAM`,
/// `NATS_MAX_BYTES` and `PORT` (on 127.0.0.1).
pub fn serve_main() -> ExitCode {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let settings = (|| Ok::<_, String>((var("NATS_URL")?, var("NATS_STREAM")?, var("PORT")?)))();
    let (nats_url, stream, port) = match settings {
        Ok(s) => s,
        Err(e) => {
            eprintln!("minimal-api: {e}");
            return ExitCode::from(2);
        }
    };
    let max_bytes = std::env::var("NATS_MAX_BYTES").unwrap_or_else(|_| "4GB".into());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("minimal-api: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(&nats_url, &stream, &max_bytes, &port)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("minimal-api: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(
    nats_url: &str,
    stream: &str,
    max_bytes: &str,
    port: &str,
) -> Result<(), BenchError> {
    let nats = Arc::new(crate::services::connect_nats(nats_url, stream, max_bytes).await?);
    let address = format!("127.0.0.1:{port}");
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|e| BenchError::Io(format!("listening on {address}: {e}")))?;
    let listener = listener.tap_io(|stream| {
        // As `ingestion-api`: small answers go out at once.
        let _ = stream.set_nodelay(true);
    });
    let router = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ingest/message", post(ingest))
        .with_state(nats);
    axum::serve(listener, router)
        .await
        .map_err(|e| BenchError::Io(format!("serving: {e}")))
}

/// Parse, publish, await the acknowledgement, answer 202 with the message id.
async fn ingest(State(nats): State<Arc<NatsClient>>, body: Bytes) -> Response {
    if serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return (StatusCode::BAD_REQUEST, "body is not JSON").into_response();
    }
    let envelope = MessageEnvelope::new(ENTITY, body, None);
    match nats.publish(&envelope, None).await {
        Ok(published) => (
            StatusCode::ACCEPTED,
            [(header::CONTENT_TYPE, "application/json")],
            format!("{{\"message_id\":\"{}\"}}", published.message_id),
        )
            .into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}
