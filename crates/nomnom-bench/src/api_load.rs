//! The load generator: `POST /ingest/message` closed loop (N requests in flight) and open loop
//! (a fixed offered rate, latency from each request's due time), and `POST /ingest/batch` with
//! NDJSON bodies. The HTTP client is this program's own ([`crate::http1`]), on a thread of
//! its own, its CPU time recorded.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use uuid::Uuid;

use crate::cpu::{own_cpu, process_cpu, spent, ServicesSample};
use crate::http1::{Answer, Connection, RequestHead};
use crate::payloads::{ndjson_bodies, OrderTemplates};
use crate::posting::Posting;
use crate::results::{ApiRun, BatchRun, OpenLoopRun};
use crate::schedule::{corrected_latency, Schedule};
use crate::stats::{rate, sum_tallies, Latencies};
use crate::variant::Variant;
use crate::BenchError;

/// Connections of every open-loop run: the largest closed-loop concurrency, so the API's
/// memory in an open-loop run is bounded as in the closed loop at 256.
pub const OPEN_LOOP_CONNECTIONS: usize = 256;
/// Longest a request may take before it counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where request bodies come from.
#[derive(Clone)]
pub enum Payloads {
    /// A pool of ready bodies, used in turn (keys repeat across the pool's cycles): for API
    /// stages, where no worker writes the rows.
    Pool(Arc<Vec<Bytes>>),
    /// A fresh order for every request, numbered from `first` (unique keys): for end-to-end
    /// runs, where every message becomes new rows. The orders are cut from templates, so
    /// making one costs a copy.
    Fresh {
        /// The generated orders whose fields the fresh ones take.
        templates: Arc<OrderTemplates>,
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
            Payloads::Fresh { templates, first } => templates.order(first + i),
        }
    }
}

/// What a [`Posting`] means to the load generator: the bodies it sends and the answers it
/// counts.
impl Posting {
    /// The body of request `i`: message `i`, or messages `i × lines` onwards as NDJSON.
    fn body(&self, payloads: &Payloads, i: u64) -> Bytes {
        match self {
            Posting::Single => payloads.get(i),
            Posting::Batch { .. } => {
                let lines = self.lines() as u64;
                let orders: Vec<Bytes> = (i * lines..(i + 1) * lines)
                    .map(|m| payloads.get(m))
                    .collect();
                ndjson_bodies(&orders, orders.len()).swap_remove(0)
            }
        }
    }

    /// Messages a 202 answer accepted, with their ids when `collect_ids` (a single message's
    /// answer is only parsed for its id).
    fn accepted(&self, answer: &Answer, collect_ids: bool) -> (u64, Vec<Uuid>) {
        let json = || serde_json::from_slice::<serde_json::Value>(&answer.body).ok();
        let id = |v: &serde_json::Value| {
            v["message_id"]
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
        };
        match self {
            Posting::Single if collect_ids => {
                (1, json().as_ref().and_then(id).into_iter().collect())
            }
            Posting::Single => (1, Vec::new()),
            Posting::Batch { .. } => {
                let Some(json) = json() else {
                    return (0, Vec::new());
                };
                let ids = match json["results"].as_array() {
                    Some(results) if collect_ids => results.iter().filter_map(id).collect(),
                    _ => Vec::new(),
                };
                (json["accepted"].as_u64().unwrap_or(0), ids)
            }
        }
    }
}

/// The API under load: its address, its process (for CPU time), whether it is pinned, and
/// the model it was generated from (which says what it is sent).
#[derive(Debug, Clone)]
pub struct Api {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The API's process id, when it runs as a child of this program.
    pub pid: Option<u32>,
    /// API pinned to one CPU and the load generator to the other.
    pub pinned: bool,
    /// The model: the root entity posted to, and the form of its messages.
    pub variant: Variant,
    /// The `Authorization` header every request carries (an API with keys).
    pub authorization: Option<String>,
}

impl Api {
    /// The API at `addr` (process `pid`), unpinned, open, for `variant`'s messages.
    pub fn new(addr: SocketAddr, pid: Option<u32>, variant: Variant) -> Api {
        Api {
            addr,
            pid,
            pinned: false,
            variant,
            authorization: None,
        }
    }

    fn head(&self, path: &str, content_type: &str) -> RequestHead {
        let headers: Vec<(&str, &str)> = self
            .authorization
            .iter()
            .map(|value| ("authorization", value.as_str()))
            .collect();
        RequestHead::new(
            "POST",
            &format!("{path}?entity={}", self.variant.entity()),
            &self.addr.to_string(),
            content_type,
            &headers,
        )
    }

    fn message_head(&self) -> RequestHead {
        self.head("/ingest/message", self.variant.content_type())
    }

    fn batch_head(&self) -> RequestHead {
        self.head("/ingest/batch", self.variant.batch_content_type())
    }
}

/// Runs `load` to completion on a thread of its own with a one-thread runtime, so the load
/// generator uses at most one core (as `wrk -t1` would) and never shares a scheduler with
/// this program's other work.
pub(crate) async fn on_load_thread<F, Fut, T>(load: F) -> Result<T, BenchError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T>,
    T: Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("load-generator".into())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|runtime| runtime.block_on(load()));
            let _ = tx.send(result);
        })
        .map_err(|e| BenchError::Io(format!("starting the load generator's thread: {e}")))?;
    match rx.await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(BenchError::Io(format!(
            "starting the load generator's runtime: {e}"
        ))),
        Err(_) => Err(BenchError::Io(
            "the load generator's thread panicked".into(),
        )),
    }
}

/// `count` connections to `addr`, opened and warmed up before a run's clock starts: each
/// has carried one `GET /health` (no side effects), so the server has accepted it and is
/// serving it, and neither connection set-up nor the server's first request on a connection
/// is charged to the run. One that fails is returned closed: it tries again on its first
/// request, whose failure then counts as that request's error.
async fn open_all(addr: SocketAddr, count: usize) -> Vec<Connection> {
    let health = RequestHead::get("/health", &addr.to_string());
    let mut connections: Vec<Connection> = (0..count).map(|_| Connection::new(addr)).collect();
    futures_util::future::join_all(connections.iter_mut().map(|c| {
        let health = &health;
        async move {
            match exchange(c, health).await {
                Some(answer) if answer.status == 200 => {}
                _ => c.close(),
            }
        }
    }))
    .await;
    connections
}

/// Sends one request, at most [`REQUEST_TIMEOUT`]; `None` on a transport failure or timeout.
async fn exchange(connection: &mut Connection, request: &[u8]) -> Option<Answer> {
    match tokio::time::timeout(REQUEST_TIMEOUT, connection.send(request)).await {
        Ok(Ok(answer)) => Some(answer),
        Ok(Err(_)) => None,
        Err(_) => {
            // The answer may still arrive on this connection: start afresh.
            connection.close();
            None
        }
    }
}

/// Posts `body` once to `POST /ingest/message` on a connection of its own; its status.
pub async fn post_once(api: &Api, body: &[u8]) -> Result<u16, BenchError> {
    let mut connection = Connection::new(api.addr);
    let answer = exchange(&mut connection, &api.message_head().with_body(body)).await;
    answer
        .map(|a| a.status)
        .ok_or_else(|| BenchError::Io(format!("no answer from the API at {}", api.addr)))
}

/// `concurrency` clients, each on its own kept-alive connection, posting the next payload as
/// soon as the previous answer came, for `duration`.
pub async fn closed_loop(
    api: &Api,
    payloads: &Payloads,
    concurrency: usize,
    duration: Duration,
) -> Result<ApiRun, BenchError> {
    let (addr, head, payloads) = (api.addr, api.message_head(), payloads.clone());
    let (cpu0, api0, services) = (
        own_cpu(),
        api.pid.and_then(process_cpu),
        ServicesSample::now(),
    );
    let (accepted, errors, latencies, elapsed, refusals) = on_load_thread(move || async move {
        let connections = open_all(addr, concurrency.max(1)).await;
        let next = Arc::new(AtomicU64::new(0));
        // Refusals are counted by answer, apart from the hot path's tallies: only errors
        // reach the lock.
        let refusals = Arc::new(Mutex::new(BTreeMap::<String, u64>::new()));
        let start = Instant::now();
        let deadline = start + duration;
        let mut tasks = Vec::new();
        for mut connection in connections {
            let (head, payloads, next) = (head.clone(), payloads.clone(), next.clone());
            let refusals = refusals.clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Latencies::new();
                let (mut ok, mut errors) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let request =
                        head.with_body(&payloads.get(next.fetch_add(1, Ordering::Relaxed)));
                    let sent = Instant::now();
                    match exchange(&mut connection, &request).await {
                        Some(answer) if answer.status == 202 => {
                            ok += 1;
                            latencies.record(sent.elapsed());
                        }
                        other => {
                            errors += 1;
                            if let Ok(mut by_answer) = refusals.lock() {
                                *by_answer.entry(refusal(other.as_ref())).or_default() += 1;
                            }
                        }
                    }
                }
                (ok, errors, latencies)
            }));
        }
        let (accepted, errors, latencies) = sum_tallies(tasks).await;
        let refusals = refusals.lock().map(|r| r.clone()).unwrap_or_default();
        (accepted, errors, latencies, start.elapsed(), refusals)
    })
    .await?;
    Ok(ApiRun {
        pinned: api.pinned,
        concurrency,
        accepted,
        errors,
        refusals,
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(accepted, elapsed),
        latency: latencies.summary(),
        loadgen_cpu_seconds: spent(cpu0, own_cpu()),
        api_cpu_seconds: spent(api0, api.pid.and_then(process_cpu)),
        services_cpu: services.spent(),
        ratio_to_publish: None,
    })
}

/// An open-loop run and the message ids it got back (when asked for).
pub struct OpenLoop {
    /// The figures.
    pub run: OpenLoopRun,
    /// Message ids of the 202s, when collected.
    pub message_ids: Vec<Uuid>,
    /// When the run's clock started (request 0 was due).
    pub started: Instant,
}

/// What one open-loop connection saw.
#[derive(Default)]
struct ConnectionTally {
    sent: u64,
    accepted: u64,
    errors: u64,
    /// `errors` by the answer that refused them ([`refusal`]).
    errors_by_answer: BTreeMap<String, u64>,
    latencies: Latencies,
    message_ids: Vec<Uuid>,
    /// The slowest answer's latency and due time.
    worst: Option<(Duration, Duration)>,
}

impl ConnectionTally {
    /// Counts `messages` refused by `answer` (`None`: no answer in time, or the connection
    /// failed).
    fn refuse(&mut self, messages: u64, answer: Option<&Answer>) {
        if messages > 0 {
            self.errors += messages;
            *self.errors_by_answer.entry(refusal(answer)).or_default() += messages;
        }
    }
}

/// What refused a request's messages, in a few words: the status and the problem type of
/// the API's `application/problem+json` answer (`503 overloaded`), `202 (lines refused)` for
/// the refused lines of an accepted batch, or `no answer`.
pub fn refusal(answer: Option<&Answer>) -> String {
    let Some(answer) = answer else {
        return "no answer".into();
    };
    if answer.status == 202 {
        return "202 (lines refused)".into();
    }
    let problem = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|body| body["type"].as_str().map(str::to_owned))
        .map(|kind| kind.rsplit(':').next().unwrap_or_default().to_owned());
    match problem {
        Some(kind) if !kind.is_empty() => format!("{} {kind}", answer.status),
        _ => answer.status.to_string(),
    }
}

/// Posts at `offered_rate` for `duration` over a fixed set of `connections` kept-alive
/// connections, whatever the server does. Request `i` is due at `i / offered_rate` and goes
/// out on connection `i mod connections` (as wrk2 schedules): when that connection is still
/// waiting for an earlier answer, the request leaves late, and its latency still runs from
/// its due time, so a stall is charged to every request it delayed. A fixed set of
/// connections keeps connection set-up out of the figures (a client that opens a connection
/// whenever all are busy turns a short stall into a storm of new connections).
pub async fn open_loop(
    api: &Api,
    payloads: &Payloads,
    offered_rate: f64,
    duration: Duration,
    connections: usize,
    posting: Posting,
    collect_ids: bool,
) -> Result<OpenLoop, BenchError> {
    let head = match posting {
        Posting::Single => api.message_head(),
        Posting::Batch { .. } => api.batch_head(),
    };
    let (addr, payloads) = (api.addr, payloads.clone());
    let lines = posting.lines() as u64;
    // The schedule counts requests; the offered rate is in messages.
    let schedule = Schedule::new(offered_rate / lines as f64);
    let total = schedule.total(duration);
    let connections = connections.clamp(1, usize::try_from(total).unwrap_or(usize::MAX));
    let (cpu0, api0, services) = (
        own_cpu(),
        api.pid.and_then(process_cpu),
        ServicesSample::now(),
    );
    let (tally, started, elapsed) = on_load_thread(move || async move {
        let opened = open_all(addr, connections).await;
        let start = Instant::now();
        // Stop sending if the run falls far behind (a stalled server): bounded in time.
        let give_up = start + duration + REQUEST_TIMEOUT;
        let mut tasks = Vec::with_capacity(connections);
        for (k, mut connection) in (0u64..).zip(opened) {
            let (head, payloads) = (head.clone(), payloads.clone());
            tasks.push(tokio::spawn(async move {
                let mut tally = ConnectionTally::default();
                let mut i = k;
                while i < total && Instant::now() < give_up {
                    let due = schedule.due_at(i);
                    tokio::time::sleep_until((start + due).into()).await;
                    let request = head.with_body(&posting.body(&payloads, i));
                    tally.sent += lines;
                    match exchange(&mut connection, &request).await {
                        Some(answer) if answer.status == 202 => {
                            let (accepted, ids) = posting.accepted(&answer, collect_ids);
                            tally.accepted += accepted;
                            tally.refuse(lines.saturating_sub(accepted), Some(&answer));
                            tally.message_ids.extend(ids);
                            let latency = corrected_latency(due, start.elapsed());
                            tally.latencies.record(latency);
                            if tally.worst.is_none_or(|(worst, _)| latency > worst) {
                                tally.worst = Some((latency, due));
                            }
                        }
                        answer => tally.refuse(lines, answer.as_ref()),
                    }
                    i += connections as u64;
                }
                tally
            }));
        }
        let mut all = ConnectionTally::default();
        for task in tasks {
            if let Ok(t) = task.await {
                all.sent += t.sent;
                all.accepted += t.accepted;
                all.errors += t.errors;
                for (answer, messages) in t.errors_by_answer {
                    *all.errors_by_answer.entry(answer).or_default() += messages;
                }
                all.latencies.merge(&t.latencies);
                all.message_ids.extend(t.message_ids);
                if t.worst
                    .is_some_and(|(l, _)| all.worst.is_none_or(|(w, _)| l > w))
                {
                    all.worst = t.worst;
                }
            }
        }
        (all, start, start.elapsed())
    })
    .await?;
    // Messages never sent (the run gave up) count as errors too.
    let unsent = (total * lines).saturating_sub(tally.sent);
    let mut errors_by_answer = tally.errors_by_answer;
    if unsent > 0 {
        errors_by_answer.insert("never sent (the run gave up)".into(), unsent);
    }
    Ok(OpenLoop {
        run: OpenLoopRun {
            pinned: api.pinned,
            offered_rate,
            share_of_max: None,
            connections,
            lines_per_request: posting.lines(),
            sent: tally.sent,
            accepted: tally.accepted,
            errors: tally.errors + unsent,
            errors_by_answer,
            seconds: elapsed.as_secs_f64(),
            msgs_per_sec: rate(tally.accepted, elapsed),
            latency: tally.latencies.summary(),
            worst_at_s: tally.worst.map(|(_, due)| due.as_secs_f64()),
            witnessed: None,
            loadgen_cpu_seconds: spent(cpu0, own_cpu()),
            api_cpu_seconds: spent(api0, api.pid.and_then(process_cpu)),
            services_cpu: services.spent(),
        },
        message_ids: tally.message_ids,
        started,
    })
}

/// `concurrency` clients posting batch `bodies` (of `lines_per_body` messages, made by
/// [`Variant::batch_bodies`]) in turn for `duration`; messages counted from each answer's
/// `accepted`.
pub async fn batch(
    api: &Api,
    bodies: Arc<Vec<Bytes>>,
    lines_per_body: usize,
    concurrency: usize,
    duration: Duration,
) -> Result<BatchRun, BenchError> {
    let (addr, head) = (api.addr, api.batch_head());
    // Whole requests made before the run: the load generator only sends.
    let requests: Arc<Vec<(Bytes, u64)>> = Arc::new(
        bodies
            .iter()
            .map(|b| (head.with_body(b), api.variant.messages_in_body(b)))
            .collect(),
    );
    let (cpu0, api0, services) = (
        own_cpu(),
        api.pid.and_then(process_cpu),
        ServicesSample::now(),
    );
    let (accepted, errors, latencies, elapsed) = on_load_thread(move || async move {
        let connections = open_all(addr, concurrency.max(1)).await;
        let next = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let deadline = start + duration;
        let mut tasks = Vec::new();
        for mut connection in connections {
            let (requests, next) = (requests.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Latencies::new();
                let (mut accepted, mut errors) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let (request, lines) = &requests[i % requests.len()];
                    let sent = Instant::now();
                    match exchange(&mut connection, request).await {
                        Some(answer) if answer.status == 202 => {
                            let json: serde_json::Value =
                                serde_json::from_slice(&answer.body).unwrap_or_default();
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
        let (accepted, errors, latencies) = sum_tallies(tasks).await;
        (accepted, errors, latencies, start.elapsed())
    })
    .await?;
    Ok(BatchRun {
        pinned: api.pinned,
        lines_per_body,
        concurrency,
        accepted,
        errors,
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(accepted, elapsed),
        latency: latencies.summary(),
        loadgen_cpu_seconds: spent(cpu0, own_cpu()),
        api_cpu_seconds: spent(api0, api.pid.and_then(process_cpu)),
        services_cpu: services.spent(),
        ratio_to_pipelined: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_payloads_have_unique_keys_and_prepare_makes_the_same_bodies() {
        let fresh = Payloads::Fresh {
            templates: Arc::new(OrderTemplates::new(9, 4)),
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

    #[test]
    fn refusals_are_named_by_their_status_and_problem_type() {
        let answer = |status, body: &str| Answer {
            status,
            body: Bytes::from(body.to_owned()),
        };
        let overloaded = answer(
            503,
            r#"{"type": "urn:nomnom:problem:overloaded", "title": "Overloaded"}"#,
        );
        assert_eq!(refusal(Some(&overloaded)), "503 overloaded");
        assert_eq!(refusal(Some(&answer(502, "Bad Gateway"))), "502");
        assert_eq!(refusal(Some(&answer(202, "{}"))), "202 (lines refused)");
        assert_eq!(refusal(None), "no answer");
        let mut tally = ConnectionTally::default();
        tally.refuse(1000, Some(&overloaded));
        tally.refuse(0, None);
        tally.refuse(3, None);
        assert_eq!(tally.errors, 1003);
        assert_eq!(
            tally.errors_by_answer.into_iter().collect::<Vec<_>>(),
            [
                ("503 overloaded".to_owned(), 1000),
                ("no answer".to_owned(), 3)
            ]
        );
    }

    #[test]
    fn a_batch_request_carries_the_next_lines_and_counts_what_its_answer_accepted() {
        let fresh = Payloads::Fresh {
            templates: Arc::new(OrderTemplates::new(3, 2)),
            first: 1,
        };
        let batch = Posting::Batch { lines: 3 };
        let body = batch.body(&fresh, 2);
        let keys: Vec<String> = body
            .split(|&c| c == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| {
                let order: serde_json::Value = serde_json::from_slice(line).unwrap();
                order["order_key"].as_str().unwrap().to_string()
            })
            .collect();
        // Request 2 holds messages 6, 7 and 8: orders 7 to 9.
        assert_eq!(keys, ["O-7", "O-8", "O-9"]);
        assert!(body.ends_with(b"\n"));
        assert_eq!(Posting::Single.body(&fresh, 2), fresh.get(2));

        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let answer = Answer {
            status: 202,
            body: Bytes::from(
                serde_json::json!({"accepted": 2, "rejected": 1, "results": [
                    {"line": 1, "message_id": a},
                    {"line": 2, "errors": []},
                    {"line": 3, "message_id": b},
                ]})
                .to_string(),
            ),
        };
        assert_eq!(batch.accepted(&answer, true), (2, vec![a, b]));
        assert_eq!(batch.accepted(&answer, false), (2, Vec::new()));
        let single = Answer {
            status: 202,
            body: Bytes::from(serde_json::json!({"message_id": a}).to_string()),
        };
        assert_eq!(Posting::Single.accepted(&single, true), (1, vec![a]));
        assert_eq!(Posting::Single.accepted(&single, false), (1, Vec::new()));
    }
}
