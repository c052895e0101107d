//! Running the `ingestion-api` binary: configuration, connection, serving, graceful stop.

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use tokio::net::TcpListener;

use super::access::reload::KeyStoreError;
use super::access::Access;
use super::{mllp_ingest, router, ApiState};
use crate::config::{
    logging, AccessConfig, ApiConfig, ConfigError, DatabaseConfig, Env, NatsConfig,
};
use crate::mllp::MllpConfig;
use crate::model::Model;
use crate::nats::{NatsClient, NatsError};
use crate::status::StatusRecorder;

/// Accepted ids buffered for the status table while PostgreSQL is slow or down.
const STATUS_BUFFER: usize = 65_536;
/// How long a status lookup may wait for a database connection.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the shutdown waits for buffered statuses to be written.
const STATUS_FLUSH_DEADLINE: Duration = Duration::from_secs(10);

/// Why the API could not start (or stopped with an error).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A configuration value is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// NATS or the streams could not be set up.
    #[error(transparent)]
    Nats(#[from] NatsError),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `HOST:PORT`.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// `API_KEYS_FILE` cannot be read or parsed.
    #[error(transparent)]
    Keys(#[from] KeyStoreError),
    /// `HL7_TIMEZONE` is not a time zone.
    #[error("{0}")]
    Hl7Timezone(String),
    /// The async runtime could not be built.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// Runs the `ingestion-api` binary for model `M`: exit code 0 after a clean stop on SIGTERM
/// or SIGINT, 1 when start-up fails (the reason is logged and printed).
pub fn run<M: Model>() -> ExitCode {
    let env = Env::process();
    if let Err(err) = logging::init(&env) {
        eprintln!("ingestion-api: {err}");
        return ExitCode::FAILURE;
    }
    let exporting =
        match crate::telemetry::tracer::init(&env, &format!("{}-ingestion-api", M::PROJECT)) {
            Ok(exporting) => exporting,
            Err(err) => {
                tracing::error!(error = %err, "ingestion-api stopped");
                eprintln!("ingestion-api: {err}");
                return ExitCode::FAILURE;
            }
        };
    let result = build_runtime(&env)
        .and_then(|runtime| runtime.block_on(serve::<M>(&env, shutdown_signal())));
    if let Some(exporting) = exporting {
        exporting.shutdown();
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "ingestion-api stopped");
            eprintln!("ingestion-api: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The async runtime with `API_THREADS` threads. One (the default) serves everything on the
/// calling thread: on the small machines this API is sized for, NATS and the API share a
/// couple of cores, and in nomnom's benchmark a second worker thread bought no throughput,
/// only cross-thread wake-ups (futex calls, context switches) and a second malloc arena
/// (resident memory): 6.6k against 11.7k messages/s at 64 concurrent clients.
fn build_runtime(env: &Env) -> Result<tokio::runtime::Runtime, StartError> {
    let threads = ApiConfig::from(env).map(|c| c.threads).unwrap_or(1);
    let mut builder = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    builder.enable_all().build().map_err(StartError::Runtime)
}

/// Reads the configuration from `env`, connects, listens on `HOST:PORT` and serves until
/// `shutdown` completes; then stops accepting, lets in-flight requests (and their publishes)
/// finish, writes the buffered statuses and flushes NATS.
pub async fn serve<M: Model>(
    env: &Env,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let api = ApiConfig::from(env)?;
    let access = Access::from_config(&AccessConfig::from(env)?)?;
    let mllp = MllpConfig::from(env)?;
    crate::hl7::field::check_timezone().map_err(StartError::Hl7Timezone)?;
    let nats_config = NatsConfig::from(env)?;
    let database = DatabaseConfig::from(env)?;
    database.check_for(M::DATABASE)?;
    let address = format!("{}:{}", api.host, api.port);
    let nats = NatsClient::connect(nats_config).await?;
    let store = crate::db::Store::connect(&database, DATABASE_TIMEOUT);
    let (recorder, recorder_task) = StatusRecorder::spawn(store.clone(), STATUS_BUFFER);
    let host = api.host.clone();
    access.log_start();
    access.start_background();
    let state = ApiState::with_access(nats.clone(), recorder, store, api, access);
    crate::telemetry::prometheus::spawn_upkeep();
    // One stop signal for both listeners.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let mllp_task = match mllp {
        Some(config) => {
            let mllp_address = format!("{host}:{}", config.port);
            let listener =
                TcpListener::bind(&mllp_address)
                    .await
                    .map_err(|source| StartError::Bind {
                        address: mllp_address.clone(),
                        source,
                    })?;
            let handler = mllp_ingest::ingest_handler::<M>(state.clone());
            Some(tokio::spawn(crate::mllp::serve(
                listener,
                config,
                handler,
                stopped(stopping.clone()),
            )))
        }
        None => None,
    };
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|source| StartError::Bind {
            address: address.clone(),
            source,
        })?;
    tracing::info!(%address, project = M::PROJECT, stream = %nats.config().stream, "ingestion-api listening");
    let header_timeout = state.config.header_timeout;
    super::connections::serve_http(
        listener,
        router::<M>(state),
        header_timeout,
        stopped(stopping),
    )
    .await;
    if let Some(task) = mllp_task {
        if let Err(err) = task.await {
            tracing::warn!(error = %err, "the MLLP listener ended abnormally");
        }
    }
    tracing::info!("stopped accepting; writing buffered statuses");
    recorder_task.finish(STATUS_FLUSH_DEADLINE).await;
    if let Err(err) = nats.flush().await {
        tracing::warn!(error = %err, "flushing NATS at shutdown failed");
    }
    tracing::info!("ingestion-api stopped cleanly");
    Ok(())
}

/// Completes on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}
