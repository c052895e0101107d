//! The publish limit: the runtime's own JetStream publish ([`NatsClient::publish`], the code
//! the ingestion API calls) of the same payloads as envelopes, from this process, with no
//! HTTP in between. Closed loop at a given number of acknowledgements in flight, and
//! pipelined: a window of thousands of publishes in flight at once, each awaiting its
//! acknowledgement concurrently (as the batch endpoint does), so the publisher never stalls
//! on async-nats's bound of pending acknowledgements.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use nomnom_runtime::envelope::MessageEnvelope;
use nomnom_runtime::nats::NatsClient;
use serde::Serialize;

use crate::payloads::ENTITY;
use crate::schedule::{corrected_latency, Schedule};
use crate::stats::{rate, sum_tallies, Latencies, LatencySummary};
use crate::BenchError;

/// One publish measurement.
#[derive(Debug, Clone, Serialize)]
pub struct PublishRun {
    /// Acknowledgements in flight: the number of publishers (closed loop) or the window
    /// (pipelined).
    pub in_flight: usize,
    /// `true` for the pipelined run.
    pub pipelined: bool,
    /// `true` when every publish carried a `Nats-Msg-Id` (as a message posted with an
    /// `Idempotency-Key` does), which JetStream remembers for the duplicate window. Such a
    /// run shows what the ids cost; it is never the limit, since the API's runs send no keys.
    pub keyed: bool,
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
    /// CPU seconds NATS (and PostgreSQL, idle here) spent during the run.
    pub services_cpu: crate::cpu::ServicesCpu,
}

impl PublishRun {
    /// What a label of this run adds when it carried ids: `", Nats-Msg-Id on each"` or nothing.
    pub fn ids_note(&self) -> &'static str {
        if self.keyed {
            ", Nats-Msg-Id on each"
        } else {
            ""
        }
    }
}

/// Whether each publish carries a `Nats-Msg-Id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgIds {
    /// None, as the API publishes a message without an idempotency key.
    Without,
    /// A unique one on every message, as if each had an idempotency key.
    OnEach,
}

async fn publish_one(nats: &NatsClient, entity: &str, payload: Bytes, ids: MsgIds) -> bool {
    let envelope = MessageEnvelope::new(entity, payload, None);
    let mut id_text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let dedup_id = match ids {
        MsgIds::Without => None,
        MsgIds::OnEach => Some(&*envelope.message_id.hyphenated().encode_lower(&mut id_text)),
    };
    nats.publish(&envelope, dedup_id).await.is_ok()
}

/// `publishers` tasks, each publishing the next payload and awaiting its acknowledgement, for
/// `duration`.
pub async fn closed_loop(
    nats: &Arc<NatsClient>,
    payloads: Arc<Vec<Bytes>>,
    publishers: usize,
    duration: Duration,
) -> PublishRun {
    let next = Arc::new(AtomicU64::new(0));
    let cpu_before = crate::cpu::own_cpu();
    let services = crate::cpu::ServicesSample::now();
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(publishers);
    for _ in 0..publishers.max(1) {
        let (nats, payloads, next) = (nats.clone(), payloads.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Latencies::new();
            let (mut ok, mut errors) = (0u64, 0u64);
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let payload = payloads[i % payloads.len()].clone();
                let sent = Instant::now();
                if publish_one(&nats, ENTITY, payload, MsgIds::Without).await {
                    ok += 1;
                    latencies.record(sent.elapsed());
                } else {
                    errors += 1;
                }
            }
            (ok, errors, latencies)
        }));
    }
    let (ok, errors, latencies) = sum_tallies(tasks).await;
    let elapsed = start.elapsed();
    PublishRun {
        in_flight: publishers,
        pipelined: false,
        keyed: false,
        messages: ok,
        errors,
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(ok, elapsed),
        latency: Some(latencies.summary()),
        cpu_seconds: crate::cpu::spent(cpu_before, crate::cpu::own_cpu()),
        services_cpu: services.spent(),
    }
}

/// Publishes `count` messages for `entity` with up to `window` in flight at once: each
/// finished publish is replaced by the next, and every acknowledgement is awaited as it
/// arrives. `window` stays below async-nats's bound of pending acknowledgements (5,000 by
/// default).
pub async fn pipelined(
    nats: &NatsClient,
    entity: &str,
    payloads: &[Bytes],
    count: u64,
    window: usize,
    ids: MsgIds,
) -> PublishRun {
    let cpu_before = crate::cpu::own_cpu();
    let services = crate::cpu::ServicesSample::now();
    let start = Instant::now();
    let mut in_flight = FuturesUnordered::new();
    let (mut ok, mut errors, mut sent) = (0u64, 0u64, 0u64);
    while sent < count || !in_flight.is_empty() {
        while sent < count && in_flight.len() < window.max(1) {
            let payload = payloads[sent as usize % payloads.len()].clone();
            in_flight.push(publish_one(nats, entity, payload, ids));
            sent += 1;
        }
        match in_flight.next().await {
            Some(true) => ok += 1,
            Some(false) => errors += 1,
            None => break,
        }
    }
    let elapsed = start.elapsed();
    PublishRun {
        in_flight: window,
        pipelined: true,
        keyed: ids == MsgIds::OnEach,
        messages: ok,
        errors,
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(ok, elapsed),
        latency: None,
        cpu_seconds: crate::cpu::spent(cpu_before, crate::cpu::own_cpu()),
        services_cpu: services.spent(),
    }
}

/// The publish limit in the open loop: publishes due at a fixed rate, from this process.
#[derive(Debug, Clone, Serialize)]
pub struct PublishOpenLoopRun {
    /// Publishes per second offered.
    pub offered_rate: f64,
    /// The offered rate as a share of the API's best closed-loop rate (the open-loop API
    /// run this one is the floor of).
    pub share_of_max: Option<f64>,
    /// Messages acknowledged.
    pub messages: u64,
    /// Publishes that failed.
    pub errors: u64,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Acknowledged messages per second.
    pub msgs_per_sec: f64,
    /// From each publish's due time to its acknowledgement.
    pub latency: LatencySummary,
    /// When the slowest publish was due, in seconds from the start.
    pub worst_at_s: Option<f64>,
    /// What the stall witnesses saw meanwhile.
    pub witnessed: Option<crate::witness::Witnessed>,
    /// CPU seconds this process spent.
    pub cpu_seconds: Option<f64>,
    /// CPU seconds NATS (and PostgreSQL) spent during the run.
    pub services_cpu: crate::cpu::ServicesCpu,
}

/// Publishes at `offered_rate` for `duration` whatever NATS does: every publish that is due
/// goes out at once, however many are still waiting for their acknowledgement (all awaited
/// concurrently), and each latency runs from its due time, as the API's open loop measures.
/// What NATS itself adds to the API's corrected latency at the same rate. Also returns when
/// the run's clock started.
pub async fn open_loop(
    nats: &NatsClient,
    payloads: &[Bytes],
    offered_rate: f64,
    duration: Duration,
) -> (PublishOpenLoopRun, Instant) {
    let schedule = Schedule::new(offered_rate);
    let total = schedule.total(duration);
    let cpu_before = crate::cpu::own_cpu();
    let services = crate::cpu::ServicesSample::now();
    let start = Instant::now();
    let mut in_flight = FuturesUnordered::new();
    let mut latencies = Latencies::new();
    let mut worst: Option<(Duration, Duration)> = None;
    let (mut sent, mut ok, mut errors) = (0u64, 0u64, 0u64);
    while sent < total || !in_flight.is_empty() {
        let next_due = start + schedule.due_at(sent);
        tokio::select! {
            () = tokio::time::sleep_until(next_due.into()), if sent < total => {
                let due_now = schedule.due_by(start.elapsed()).min(total);
                while sent < due_now {
                    let due = schedule.due_at(sent);
                    let payload = payloads[sent as usize % payloads.len()].clone();
                    in_flight.push(async move { (due, publish_one(nats, ENTITY, payload, MsgIds::Without).await) });
                    sent += 1;
                }
            }
            Some((due, acknowledged)) = in_flight.next(), if !in_flight.is_empty() => {
                if acknowledged {
                    ok += 1;
                    let latency = corrected_latency(due, start.elapsed());
                    latencies.record(latency);
                    if worst.is_none_or(|(w, _)| latency > w) {
                        worst = Some((latency, due));
                    }
                } else {
                    errors += 1;
                }
            }
        }
    }
    let elapsed = start.elapsed();
    let run = PublishOpenLoopRun {
        offered_rate,
        share_of_max: None,
        messages: ok,
        errors,
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(ok, elapsed),
        latency: latencies.summary(),
        worst_at_s: worst.map(|(_, due)| due.as_secs_f64()),
        witnessed: None,
        cpu_seconds: crate::cpu::spent(cpu_before, crate::cpu::own_cpu()),
        services_cpu: services.spent(),
    };
    (run, start)
}

/// Removes every message from the stream (between runs, so none of them fills it).
pub async fn purge(nats: &NatsClient) -> Result<(), BenchError> {
    nats.stream()
        .purge()
        .await
        .map_err(|e| BenchError::Nats(format!("purging the stream: {e}")))?;
    Ok(())
}
