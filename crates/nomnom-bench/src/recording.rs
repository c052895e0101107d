//! The `recording` stage: what the API and the worker do per message because metrics and
//! trace context are on, timed in this process in tight loops with the runtime's own code,
//! apart from NATS, PostgreSQL and the network. On a shared machine the pair stages'
//! rounds spread wider than these costs; here each figure is the fastest of a few
//! repetitions, which a busy neighbour can only slow.
//!
//! Per message, the API records the time to JetStream's acknowledgement (two clock reads
//! and a histogram sample) and counts the message; per request, its timing layer records
//! the answer; the published message carries a `traceparent` header. The worker reads that
//! header and records once per batch.

use std::hint::black_box;
use std::time::{Duration, Instant};

use nomnom_runtime::envelope::MessageEnvelope;
use nomnom_runtime::telemetry::api_metrics::{ApiMetrics, IngestOutcome};
use nomnom_runtime::telemetry::worker_metrics::{Tally, WorkerMetrics, WorkerOutcome};
use nomnom_runtime::telemetry::{TraceContext, TRACEPARENT};
use serde::Serialize;

use crate::payloads;

/// Repetitions of each loop; the fastest counts.
const REPETITIONS: usize = 3;
/// The header's name, built once, as the runtime builds it.
const TRACEPARENT_HEADER: async_nats::header::HeaderName =
    async_nats::header::HeaderName::from_static(TRACEPARENT);
/// Messages per worker batch (the default `WORKER_BATCH_SIZE`).
const WORKER_BATCH: usize = crate::worker_bench::DEFAULT_BATCH_SIZE;

/// Nanoseconds per message (or request) of each piece of recording.
#[derive(Debug, Clone, Serialize)]
pub struct RecordingCost {
    /// Iterations of each loop.
    pub iterations: u64,
    /// API, per published message: timing the publish and its histogram sample, and the
    /// message's outcome counted.
    pub api_metrics_ns_per_message: f64,
    /// API, per answered request: the timing layer's clock reads, histogram and counter.
    pub api_metrics_ns_per_request: f64,
    /// API, per published message: its headers with a `traceparent` against without.
    pub api_trace_ns_per_message: f64,
    /// Worker, per message: one batch's recording shared by its messages.
    pub worker_metrics_ns_per_message: f64,
    /// Worker, per message: reading its `traceparent`.
    pub worker_trace_ns_per_message: f64,
}

/// Times every piece `iterations` times (fastest of [`REPETITIONS`]).
pub fn measure(iterations: u64) -> RecordingCost {
    let metrics = ApiMetrics::get();
    metrics.register_entities(&[payloads::ENTITY]);
    let api_metrics_ns_per_message = fastest(iterations, || {
        let started = Instant::now();
        black_box(&started);
        metrics.published(started.elapsed());
        metrics.ingested(payloads::ENTITY, IngestOutcome::Accepted, 1);
    });
    let api_metrics_ns_per_request = fastest(iterations, || {
        let started = Instant::now();
        black_box(&started);
        metrics.answered(Some("/ingest/message"), 202, started.elapsed());
    });

    let body = payloads::orders_json(1, 1).remove(0);
    let traceparent = TraceContext::new_root().traceparent();
    let envelope =
        || MessageEnvelope::new(payloads::ENTITY, body.clone(), None).with_model_version(1);
    let plain = fastest(iterations, || {
        black_box(envelope().to_nats(None));
    });
    // What `NatsClient::publish_traced` adds to the envelope's headers.
    let traced = fastest(iterations, || {
        let (mut headers, payload) = envelope().to_nats(None);
        headers.insert(TRACEPARENT_HEADER, traceparent.as_str());
        black_box((headers, payload));
    });

    let worker = WorkerMetrics::new(&[payloads::ENTITY]);
    let mut tally = Tally::default();
    for _ in 0..WORKER_BATCH {
        tally.add(
            worker.entity_index(payloads::ENTITY),
            WorkerOutcome::Persisted,
        );
    }
    let rows = [("orders", WORKER_BATCH as u64), ("order_line_items", 2_000)];
    let batches = (iterations / WORKER_BATCH as u64).max(1);
    let worker_metrics_ns_per_message = fastest(batches, || {
        worker.batch(WORKER_BATCH, Duration::from_millis(20), &tally, &rows);
    }) / WORKER_BATCH as f64;
    let worker_trace_ns_per_message = fastest(iterations, || {
        black_box(TraceContext::from_header(Some(black_box(&traceparent))));
    });
    RecordingCost {
        iterations,
        api_metrics_ns_per_message,
        api_metrics_ns_per_request,
        api_trace_ns_per_message: (traced - plain).max(0.0),
        worker_metrics_ns_per_message,
        worker_trace_ns_per_message,
    }
}

/// Nanoseconds per call of `step`, the fastest of [`REPETITIONS`] loops of `iterations`.
fn fastest(iterations: u64, mut step: impl FnMut()) -> f64 {
    (0..REPETITIONS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..iterations {
                step();
            }
            started.elapsed().as_nanos() as f64 / iterations.max(1) as f64
        })
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_piece_is_timed_and_costs_something() {
        let cost = measure(2_000);
        assert_eq!(cost.iterations, 2_000);
        for (name, ns) in [
            ("api metrics per message", cost.api_metrics_ns_per_message),
            ("api metrics per request", cost.api_metrics_ns_per_request),
            (
                "worker metrics per message",
                cost.worker_metrics_ns_per_message,
            ),
            ("worker trace per message", cost.worker_trace_ns_per_message),
        ] {
            assert!(ns.is_finite() && ns > 0.0, "{name}: {ns}");
        }
        assert!(cost.api_trace_ns_per_message.is_finite());
    }
}
