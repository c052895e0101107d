//! The first nomnom's worker loop, the baseline of the benchmark's "speed-up over the first
//! nomnom's loop": fetch 10 messages, handle each one alone (its own write, no batch
//! transaction around them), then always sleep 100 ms. The product's worker never runs it.
//!
//! This file is compiled twice. In `nomnom-bench` it is a module, so the workspace builds and
//! lints it against `nomnom-runtime`. The benchmark also copies it verbatim into the small
//! `first-nomnom-loop` program it builds beside the generated project (see
//! `first_loop::binary`), where `nomnom_runtime` is the project's vendored copy and the model
//! is the generated one. So it names nothing but `std` and `nomnom_runtime`, and every item
//! is used by [`main`].

use std::process::ExitCode;
use std::time::Duration;

use nomnom_runtime::config::worker::WorkerConfig;
use nomnom_runtime::config::Env;
use nomnom_runtime::export::tokio;
use nomnom_runtime::model::Model;
use nomnom_runtime::nats::consumer::{ensure_consumer, ConsumerSettings};
use nomnom_runtime::nats::NatsClient;
use nomnom_runtime::telemetry::worker_metrics::WorkerMetrics;
use nomnom_runtime::worker::batch::{process_batch, BatchContext};
use nomnom_runtime::worker::fetch::fetch;
use nomnom_runtime::worker::gate::DbGate;
use tokio::sync::watch;

/// Messages the first nomnom fetched at a time.
pub const FETCH: usize = 10;
/// The first nomnom's sleep after every fetch, whatever it brought.
pub const PAUSE: Duration = Duration::from_millis(100);

/// Runs the loop for model `M` with the worker's variables (`NATS_*`, `DATABASE_*`,
/// `WORKER_BATCH_WAIT` as the pull's expiry) until SIGTERM or SIGINT.
pub fn main<M: Model>() -> ExitCode {
    if let Err(e) = nomnom_runtime::config::logging::init(&Env::process()) {
        eprintln!("first-nomnom-loop: {e}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("first-nomnom-loop: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run::<M>()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("first-nomnom-loop: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Sets up what the worker sets up (migrations, streams, the shared consumer, the pool),
/// then runs the loop until a signal; the fetch in hand is always handled before stopping.
pub async fn run<M: Model>() -> Result<(), String> {
    let config = WorkerConfig::from_env().map_err(|e| e.to_string())?;
    nomnom_runtime::db::apply_migrations(&config.database.pg, M::MIGRATIONS)
        .await
        .map_err(|e| e.to_string())?;
    let nats = NatsClient::connect(config.nats.clone())
        .await
        .map_err(|e| e.to_string())?;
    let settings = ConsumerSettings {
        name: config.consumer.clone(),
        ack_wait: config.ack_wait,
        max_deliver: config.max_deliver,
    };
    let consumer = ensure_consumer(nats.jetstream(), config.stream(), &settings)
        .await
        .map_err(|e| e.to_string())?;
    let (stop, mut stopped) = watch::channel(false);
    tokio::spawn(async move {
        nomnom_runtime::api::shutdown_signal().await;
        let _ = stop.send(true);
    });
    let store =
        nomnom_runtime::db::Store::connect(&config.database, nomnom_runtime::db::CONNECT_TIMEOUT);
    let ctx = BatchContext {
        js: nats.jetstream().clone(),
        gate: DbGate::new(store.clone(), stopped.clone()),
        store,
        config: config.clone(),
        metrics: std::sync::Arc::new(WorkerMetrics::new(M::ROOT_ENTITIES)),
    };
    loop {
        if let Ok(messages) = fetch(&consumer, FETCH, config.batch_wait).await {
            for message in messages {
                process_batch::<M>(&ctx, vec![message]).await;
            }
        }
        if !pause(&mut stopped).await {
            break;
        }
    }
    nats.flush().await.map_err(|e| e.to_string())
}

/// Sleeps [`PAUSE`] unless a signal comes first; `false` once one has.
async fn pause(stopped: &mut watch::Receiver<bool>) -> bool {
    if *stopped.borrow_and_update() {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(PAUSE) => !*stopped.borrow(),
        _ = stopped.changed() => false,
    }
}
