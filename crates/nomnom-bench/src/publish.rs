//! The publish limit: JetStream publishes of the same payloads with the same headers as the
//! ingestion API, from this process, with no HTTP in between. Closed-loop at a given number of
//! acknowledgements in flight, and pipelined (a window of thousands, acknowledgements drained
//! concurrently so the publisher never stalls on async-nats's bound of pending acks).

use std::future::IntoFuture;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;

use crate::payloads::envelope_headers;
use crate::stats::{rate, Latencies, LatencySummary};
use crate::BenchError;

/// One publish measurement.
#[derive(Debug, Clone, Serialize)]
pub struct PublishRun {
    /// Acknowledgements in flight: the number of publishers (closed loop) or the window
    /// (pipelined).
    pub in_flight: usize,
    /// `true` for the pipelined run.
    pub pipelined: bool,
    /// Messages acknowledged by JetStream.
    pub messages: u64,
    /// Publishes that failed or were not acknowledged.
    pub errors: u64,
    /// Wall time of the run, in seconds.
    pub seconds: f64,
    /// Acknowledged messages per second.
    pub msgs_per_sec: f64,
    /// Publish-to-acknowledgement latency (closed loop only).
    pub latency: Option<LatencySummary>,
    /// CPU seconds this process spent.
    pub cpu_seconds: Option<f64>,
}

/// The stream `name` as the runtime would configure it, created if missing (subjects
/// `<name lowercased>.ingest.>`, file storage, discard-new, 2-minute duplicate window). When
/// the stream exists (the generated binaries created it), it is used as it is.
pub async fn bench_stream(
    js: &jetstream::Context,
    name: &str,
    max_bytes: i64,
) -> Result<stream::Stream, BenchError> {
    if let Ok(existing) = js.get_stream(name).await {
        return Ok(existing);
    }
    js.create_stream(stream::Config {
        name: name.to_string(),
        subjects: vec![format!("{}.ingest.>", name.to_lowercase())],
        storage: stream::StorageType::File,
        discard: stream::DiscardPolicy::New,
        max_age: Duration::from_secs(24 * 3600),
        max_bytes,
        duplicate_window: Duration::from_secs(120),
        num_replicas: 1,
        ..Default::default()
    })
    .await
    .map_err(|e| BenchError::Nats(format!("creating stream {name}: {e}")))
}

/// A JetStream context allowing `window` acknowledgements in flight before `publish` waits.
pub fn context(client: async_nats::Client, window: usize) -> jetstream::Context {
    jetstream::context::ContextBuilder::new()
        .timeout(Duration::from_secs(10))
        .max_ack_inflight(window.max(1))
        .build(client)
}

/// `publishers` tasks, each publishing the next payload and awaiting its acknowledgement, for
/// `duration`.
pub async fn closed_loop(
    js: &jetstream::Context,
    subject: &str,
    payloads: Arc<Vec<Bytes>>,
    publishers: usize,
    duration: Duration,
) -> PublishRun {
    let next = Arc::new(AtomicU64::new(0));
    let cpu_before = crate::cpu::own_cpu();
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(publishers);
    for _ in 0..publishers.max(1) {
        let js = js.clone();
        let subject = subject.to_string();
        let payloads = payloads.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Latencies::new();
            let (mut ok, mut errors) = (0u64, 0u64);
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let payload = payloads[i % payloads.len()].clone();
                let sent = Instant::now();
                let acked = match js
                    .publish_with_headers(
                        subject.clone(),
                        envelope_headers(crate::payloads::ENTITY),
                        payload,
                    )
                    .await
                {
                    Ok(ack) => ack.await.is_ok(),
                    Err(_) => false,
                };
                if acked {
                    ok += 1;
                    latencies.record(sent.elapsed());
                } else {
                    errors += 1;
                }
            }
            (ok, errors, latencies)
        }));
    }
    let mut latencies = Latencies::new();
    let (mut ok, mut errors) = (0, 0);
    for task in tasks {
        if let Ok((o, e, l)) = task.await {
            ok += o;
            errors += e;
            latencies.merge(&l);
        }
    }
    let elapsed = start.elapsed();
    PublishRun {
        in_flight: publishers,
        pipelined: false,
        messages: ok,
        errors,
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(ok, elapsed),
        latency: Some(latencies.summary()),
        cpu_seconds: crate::cpu::spent(cpu_before, crate::cpu::own_cpu()),
    }
}

/// Publishes `count` messages without waiting for each acknowledgement: up to `window` are
/// in flight (the context must allow that many, see [`context`]), and a separate task awaits
/// them concurrently as they arrive.
pub async fn pipelined(
    js: &jetstream::Context,
    subject: &str,
    payloads: &[Bytes],
    count: u64,
    window: usize,
) -> PublishRun {
    let cpu_before = crate::cpu::own_cpu();
    let start = Instant::now();
    let (tx, mut rx) =
        tokio::sync::mpsc::channel::<jetstream::context::PublishAckFuture>(window.max(1));
    let drainer = tokio::spawn(async move {
        let mut pending = FuturesUnordered::new();
        let (mut ok, mut errors) = (0u64, 0u64);
        let mut open = true;
        loop {
            tokio::select! {
                next = rx.recv(), if open => match next {
                    Some(ack) => pending.push(ack.into_future()),
                    None => open = false,
                },
                Some(result) = pending.next(), if !pending.is_empty() => {
                    if result.is_ok() { ok += 1 } else { errors += 1 }
                }
                else => break,
            }
        }
        (ok, errors)
    });
    let mut publish_errors = 0u64;
    for i in 0..count {
        let payload = payloads[i as usize % payloads.len()].clone();
        match js
            .publish_with_headers(
                subject.to_string(),
                envelope_headers(crate::payloads::ENTITY),
                payload,
            )
            .await
        {
            Ok(ack) => {
                if tx.send(ack).await.is_err() {
                    publish_errors += 1;
                }
            }
            Err(_) => publish_errors += 1,
        }
    }
    drop(tx);
    let (ok, ack_errors) = drainer.await.unwrap_or((0, count));
    let elapsed = start.elapsed();
    PublishRun {
        in_flight: window,
        pipelined: true,
        messages: ok,
        errors: publish_errors + ack_errors,
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(ok, elapsed),
        latency: None,
        cpu_seconds: crate::cpu::spent(cpu_before, crate::cpu::own_cpu()),
    }
}

/// Removes every message from the stream (between runs, so none of them fills it).
pub async fn purge(js: &jetstream::Context, name: &str) -> Result<(), BenchError> {
    let stream = js
        .get_stream(name)
        .await
        .map_err(|e| BenchError::Nats(format!("stream {name}: {e}")))?;
    stream
        .purge()
        .await
        .map_err(|e| BenchError::Nats(format!("purging {name}: {e}")))?;
    Ok(())
}
