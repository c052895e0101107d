//! The worker process: connect, set up the consumer, migrate, then run
//! one fetch loop feeding `WORKER_CONCURRENCY` write loops until shutdown; every
//! fetched batch is written and acknowledged before the process stops.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use tokio::sync::{mpsc, watch, Mutex};
use tokio::task::JoinHandle;

use super::batch::{process_batch, BatchContext};
use super::fetch::next_batch;
use super::gate::DbGate;
use super::{health, WorkerError};
use crate::config::worker::WorkerConfig;
use crate::db;
use crate::model::Model;
use crate::nats::consumer::{ensure_consumer, ConsumerSettings};
use crate::nats::NatsClient;
use crate::telemetry::worker_metrics::WorkerMetrics;

/// Runs the worker for model `M` until `shutdown` turns true: streams and consumer set up,
/// migrations applied, then the loops. Returns once every in-flight batch is committed and
/// acknowledged.
pub async fn serve<M: Model>(
    config: WorkerConfig,
    shutdown: watch::Receiver<bool>,
) -> Result<(), WorkerError> {
    let report = db::Store::migrate(&config.database, M::MIGRATIONS).await?;
    if !report.applied.is_empty() {
        tracing::info!(applied = ?report.applied, "migrations applied");
    }
    // The shared setup: the same code as the API creates or updates both streams.
    let nats = NatsClient::connect(config.nats.clone()).await?;
    let (client, js) = (nats.client().clone(), nats.jetstream().clone());
    let settings = ConsumerSettings {
        name: config.consumer.clone(),
        ack_wait: config.ack_wait,
        max_deliver: config.max_deliver,
    };
    let consumer = ensure_consumer(&js, config.stream(), &settings).await?;
    let store = db::Store::connect(&config.database, db::CONNECT_TIMEOUT);
    let gate = DbGate::new(store.clone(), shutdown.clone());
    let metrics = if config.telemetry.metrics {
        let metrics = WorkerMetrics::new(M::ROOT_ENTITIES);
        crate::telemetry::prometheus::build_info(M::PROJECT);
        crate::telemetry::prometheus::spawn_upkeep();
        metrics
    } else {
        WorkerMetrics::off(M::ROOT_ENTITIES)
    };
    let metrics = Arc::new(metrics);
    let health = match config.health_port {
        Some(port) => {
            let probes = health::Probes {
                nats: client.clone(),
                gate: gate.clone(),
                consumer: consumer.clone(),
                metrics: metrics.clone(),
            };
            Some(
                health::serve(port, probes, shutdown.clone())
                    .await
                    .map_err(|e| WorkerError::Health(port, e))?,
            )
        }
        None => None,
    };
    let retention =
        super::retention::spawn(store.clone(), config.database.status, shutdown.clone());
    let ctx = BatchContext {
        js,
        store,
        config: config.clone(),
        gate,
        metrics,
    };
    tracing::info!(
        project = M::PROJECT,
        stream = %config.stream(),
        consumer = %config.consumer,
        batch_size = config.batch_size,
        concurrency = config.concurrency,
        "worker started"
    );
    for handle in pipeline::<M>(&ctx, &consumer, &shutdown) {
        if let Err(e) = handle.await {
            tracing::error!(error = %e, "a worker loop ended abnormally");
        }
    }
    if let Some(handle) = health {
        let _ = handle.await;
    }
    let _ = retention.await;
    if let Err(e) = client.flush().await {
        tracing::warn!(error = %e, "final flush of acknowledgements failed");
    }
    tracing::info!("worker stopped: in-flight batches committed and acknowledged");
    Ok(())
}

/// Waits `delay` unless shutdown comes first; `false` on shutdown.
pub(super) async fn pause(delay: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    if *shutdown.borrow_and_update() {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(delay) => !*shutdown.borrow(),
        _ = shutdown.changed() => false,
    }
}

/// The batched worker: one fetch loop hands batches to `WORKER_CONCURRENCY` write loops
/// through a one-batch queue, so the next batch is fetched while the current ones are
/// written, and a fetched batch waits at most for one write to finish.
fn pipeline<M: Model>(
    ctx: &BatchContext,
    consumer: &PullConsumer,
    shutdown: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let (tx, rx) = mpsc::channel(1);
    let rx = Arc::new(Mutex::new(rx));
    let mut loops = vec![tokio::spawn(fetch_loop(
        ctx.clone(),
        consumer.clone(),
        tx,
        shutdown.clone(),
    ))];
    for _ in 0..ctx.config.concurrency.max(1) {
        loops.push(tokio::spawn(write_loop::<M>(ctx.clone(), rx.clone())));
    }
    loops
}

/// Fetches batches until shutdown; each fetch starts only once the queue has room for it.
async fn fetch_loop(
    ctx: BatchContext,
    consumer: PullConsumer,
    queue: mpsc::Sender<Vec<async_nats::jetstream::Message>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut idle = false;
    let mut error_delay = Duration::from_millis(100);
    loop {
        if !ctx.gate.wait_open().await {
            break;
        }
        // Room first, so fetched messages never wait behind a full queue.
        let Ok(slot) = queue.reserve().await else {
            break;
        };
        if *shutdown.borrow() {
            break;
        }
        // Not cancelled by shutdown: messages already delivered to this pull request must
        // be processed, not left to redelivery. It ends within the batch wait (busy) or the
        // idle poll, each plus the grace of `fetch`.
        let fetched = next_batch(
            &consumer,
            ctx.config.batch_size,
            ctx.config.batch_wait,
            idle,
        )
        .await;
        match fetched {
            Ok(messages) if messages.is_empty() => idle = true,
            Ok(messages) => {
                idle = false;
                error_delay = Duration::from_millis(100);
                slot.send(messages);
            }
            Err(e) => {
                drop(slot);
                // An error, not an empty stream: back off (100 ms doubling to 5 s).
                tracing::warn!(error = %e, retry_in_ms = error_delay.as_millis() as u64, "fetch failed");
                if !pause(error_delay, &mut shutdown).await {
                    break;
                }
                error_delay = (error_delay * 2).min(Duration::from_secs(5));
            }
        }
        if *shutdown.borrow() {
            break;
        }
    }
    // Dropping the sender lets the write loops finish what is queued, then stop.
}

/// Writes queued batches until the fetch loop has stopped and the queue is empty.
async fn write_loop<M: Model>(
    ctx: BatchContext,
    queue: Arc<Mutex<mpsc::Receiver<Vec<async_nats::jetstream::Message>>>>,
) {
    loop {
        let next = queue.lock().await.recv().await;
        let Some(messages) = next else {
            break;
        };
        // Not cancelled by shutdown: an in-flight batch always finishes.
        process_batch::<M>(&ctx, messages).await;
    }
}
