//! The load generator: `POST /ingest/message` closed loop (N requests in flight) and open loop
//! (a fixed offered rate, latency from each request's due time), and `POST /ingest/batch` with
//! NDJSON bodies. An HTTP client in this process, its own CPU time recorded.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use nomnom_testkit::http::HttpClient;
use nomnom_testkit::orders::{order, Rng};
use uuid::Uuid;

use crate::cpu::{own_cpu, process_cpu, spent};
use crate::results::{ApiRun, BatchRun, OpenLoopRun};
use crate::schedule::{corrected_latency, Schedule};
use crate::stats::{rate, Latencies};

/// The single-message route for the TPC-H root entity.
pub const MESSAGE_PATH: &str = "/ingest/message?entity=Order";
/// The batch route for the TPC-H root entity.
pub const BATCH_PATH: &str = "/ingest/batch?entity=Order";
/// Longest a request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where request bodies come from.
#[derive(Clone)]
pub enum Payloads {
    /// A pool of ready bodies, used in turn (keys repeat across the pool's cycles): for API
    /// stages, where no worker writes the rows.
    Pool(Arc<Vec<Bytes>>),
    /// A fresh order for every request, numbered from `first` (unique keys): for end-to-end
    /// runs, where every message becomes new rows.
    Fresh {
        /// Seed of the generator.
        seed: u64,
        /// Number of the first order.
        first: u64,
    },
}

impl Payloads {
    /// The first `count` bodies, made now, as a pool.
    pub fn prepare(&self, count: u64) -> Payloads {
        Payloads::Pool(Arc::new((0..count.max(1)).map(|i| self.get(i)).collect()))
    }

    /// The body of request `i`.
    pub fn get(&self, i: u64) -> Bytes {
        match self {
            Payloads::Pool(pool) => pool[(i % pool.len() as u64) as usize].clone(),
            Payloads::Fresh { seed, first } => {
                let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9).wrapping_add(i));
                Bytes::from(order(&mut rng, first + i).to_string())
            }
        }
    }
}

/// The API under load: its client, its process (for CPU time) and whether it is pinned.
#[derive(Clone)]
pub struct Api {
    /// A client bound to the API's base URL.
    pub client: HttpClient,
    /// The API's process id, when it runs as a child of this program.
    pub pid: Option<u32>,
    /// API pinned to one CPU and the load generator to the other.
    pub pinned: bool,
}

/// The outcome of one request.
struct Outcome {
    accepted: bool,
    message_id: Option<Uuid>,
}

async fn post_message(client: &HttpClient, body: Bytes, want_id: bool) -> Outcome {
    let response =
        tokio::time::timeout(REQUEST_TIMEOUT, client.post_json(MESSAGE_PATH, body)).await;
    match response {
        Ok(Ok(r)) if r.status == 202 => Outcome {
            accepted: true,
            message_id: if want_id {
                r.json()["message_id"]
                    .as_str()
                    .and_then(|s| Uuid::parse_str(s).ok())
            } else {
                None
            },
        },
        _ => Outcome {
            accepted: false,
            message_id: None,
        },
    }
}

/// `concurrency` clients, each posting the next payload as soon as the previous answer came,
/// for `duration`.
pub async fn closed_loop(
    api: &Api,
    payloads: &Payloads,
    concurrency: usize,
    duration: Duration,
) -> ApiRun {
    let (client, api_pid, pinned) = (&api.client, api.pid, api.pinned);
    let next = Arc::new(AtomicU64::new(0));
    let (cpu0, api0) = (own_cpu(), api_pid.and_then(process_cpu));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (client, payloads, next) = (client.clone(), payloads.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Latencies::new();
            let (mut ok, mut errors) = (0u64, 0u64);
            while Instant::now() < deadline {
                let body = payloads.get(next.fetch_add(1, Ordering::Relaxed));
                let sent = Instant::now();
                if post_message(&client, body, false).await.accepted {
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
    let (mut accepted, mut errors) = (0, 0);
    for task in tasks {
        if let Ok((o, e, l)) = task.await {
            accepted += o;
            errors += e;
            latencies.merge(&l);
        }
    }
    let elapsed = start.elapsed();
    ApiRun {
        pinned,
        concurrency,
        accepted,
        errors,
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(accepted, elapsed),
        latency: latencies.summary(),
        loadgen_cpu_seconds: spent(cpu0, own_cpu()),
        api_cpu_seconds: spent(api0, api_pid.and_then(process_cpu)),
        ratio_to_publish: None,
    }
}

/// An open-loop run and the message ids it got back (when asked for).
pub struct OpenLoop {
    /// The figures.
    pub run: OpenLoopRun,
    /// Message ids of the 202s, when collected.
    pub message_ids: Vec<Uuid>,
}

/// Posts at `offered_rate` for `duration`, whatever the server does (at most `max_in_flight`
/// outstanding; a request that must wait for a slot still counts from its due time).
pub async fn open_loop(
    api: &Api,
    payloads: &Payloads,
    offered_rate: f64,
    duration: Duration,
    max_in_flight: usize,
    collect_ids: bool,
) -> OpenLoop {
    let (client, api_pid, pinned) = (&api.client, api.pid, api.pinned);
    let schedule = Schedule::new(offered_rate);
    let total = schedule.total(duration);
    let slots = Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1)));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Duration, Outcome)>();
    let (cpu0, api0) = (own_cpu(), api_pid.and_then(process_cpu));
    let start = Instant::now();
    // Stop dispatching if the run falls far behind (a stalled server): bounded in time.
    let give_up = start + duration + REQUEST_TIMEOUT;
    let mut sent = 0u64;
    'dispatch: while sent < total {
        let due = schedule.due_by(start.elapsed()).min(total);
        while sent < due {
            let permit = tokio::select! {
                p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break 'dispatch },
                _ = tokio::time::sleep_until(give_up.into()) => break 'dispatch,
            };
            let (client, tx) = (client.clone(), tx.clone());
            let body = payloads.get(sent);
            let due_at = schedule.due_at(sent);
            tokio::spawn(async move {
                let outcome = post_message(&client, body, collect_ids).await;
                let latency = corrected_latency(due_at, start.elapsed());
                drop(permit);
                let _ = tx.send((latency, outcome));
            });
            sent += 1;
        }
        if sent < total {
            tokio::time::sleep_until((start + schedule.due_at(sent)).into()).await;
        }
    }
    drop(tx);
    let mut latencies = Latencies::new();
    let (mut accepted, mut errors) = (0u64, 0u64);
    let mut message_ids = Vec::new();
    while let Some((latency, outcome)) = rx.recv().await {
        if outcome.accepted {
            accepted += 1;
            latencies.record(latency);
            message_ids.extend(outcome.message_id);
        } else {
            errors += 1;
        }
    }
    errors += total - sent;
    let elapsed = start.elapsed();
    OpenLoop {
        run: OpenLoopRun {
            pinned,
            offered_rate,
            sent,
            accepted,
            errors,
            seconds: elapsed.as_secs_f64(),
            msgs_per_sec: rate(accepted, elapsed),
            latency: latencies.summary(),
            loadgen_cpu_seconds: spent(cpu0, own_cpu()),
            api_cpu_seconds: spent(api0, api_pid.and_then(process_cpu)),
        },
        message_ids,
    }
}

/// `concurrency` clients posting NDJSON `bodies` (of `lines_per_body` lines) in turn for
/// `duration`; messages counted from each response's `accepted`.
pub async fn batch(
    api: &Api,
    bodies: Arc<Vec<Bytes>>,
    lines_per_body: usize,
    concurrency: usize,
    duration: Duration,
) -> BatchRun {
    let (client, api_pid, pinned) = (&api.client, api.pid, api.pinned);
    let next = Arc::new(AtomicU64::new(0));
    let (cpu0, api0) = (own_cpu(), api_pid.and_then(process_cpu));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (client, bodies, next) = (client.clone(), bodies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Latencies::new();
            let (mut accepted, mut errors) = (0u64, 0u64);
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let body = bodies[i % bodies.len()].clone();
                let lines = body.iter().filter(|&&b| b == b'\n').count() as u64;
                let sent = Instant::now();
                let response = tokio::time::timeout(
                    REQUEST_TIMEOUT,
                    client.send(
                        "POST",
                        BATCH_PATH,
                        &[("content-type", "application/x-ndjson")],
                        body,
                    ),
                )
                .await;
                match response {
                    Ok(Ok(r)) if r.status == 202 => {
                        let json = r.json();
                        let ok = json["accepted"].as_u64().unwrap_or(0);
                        accepted += ok;
                        errors += lines.saturating_sub(ok);
                        latencies.record(sent.elapsed());
                    }
                    _ => errors += lines,
                }
            }
            (accepted, errors, latencies)
        }));
    }
    let mut latencies = Latencies::new();
    let (mut accepted, mut errors) = (0, 0);
    for task in tasks {
        if let Ok((a, e, l)) = task.await {
            accepted += a;
            errors += e;
            latencies.merge(&l);
        }
    }
    let elapsed = start.elapsed();
    BatchRun {
        pinned,
        lines_per_body,
        concurrency,
        accepted,
        errors,
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(accepted, elapsed),
        latency: latencies.summary(),
        loadgen_cpu_seconds: spent(cpu0, own_cpu()),
        api_cpu_seconds: spent(api0, api_pid.and_then(process_cpu)),
        ratio_to_pipelined: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_payloads_have_unique_keys_and_prepare_makes_the_same_bodies() {
        let fresh = Payloads::Fresh {
            seed: 9,
            first: 100,
        };
        let key = |b: &Bytes| {
            serde_json::from_slice::<serde_json::Value>(b).unwrap()["order_key"].clone()
        };
        assert_eq!(key(&fresh.get(0)), "O-100");
        assert_eq!(key(&fresh.get(5)), "O-105");
        assert_eq!(fresh.get(3), fresh.get(3));
        let pool = fresh.prepare(10);
        for i in 0..10 {
            assert_eq!(pool.get(i), fresh.get(i));
        }
        // A pool cycles.
        assert_eq!(pool.get(10), fresh.get(0));
    }
}
