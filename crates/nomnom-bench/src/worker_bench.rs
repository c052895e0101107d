//! The worker alone: a stream pre-filled with N messages drained into PostgreSQL by 1 or 2
//! worker processes (or by the first nomnom's loop, [`crate::first_loop`]), then the tables
//! and `message_status` checked against what was sent. The messages are those of the model
//! the project was generated from ([`Variant`]).

use std::path::Path;
use std::time::{Duration, Instant};

use nomnom_runtime::nats::NatsClient;
use nomnom_testkit::{TestDatabase, TestStream};

use crate::cpu::{process_cpu, ServicesSample};
use crate::payloads::CHUNK;
use crate::pg_writes::{between, PgWrites};
use crate::project::Project;
use crate::publish;
use crate::results::WorkerRun;
use crate::rows_digest;
use crate::services::{self, consumer_state, Target};
use crate::stats::rate;
use crate::variant::Variant;
use crate::BenchError;

/// Which loop drains the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loop {
    /// The generated `worker`, batched.
    Worker,
    /// The first nomnom's loop (`first-nomnom-loop`): fetch 10, one message at a time,
    /// sleep 100 ms.
    FirstNomnom,
}

impl Loop {
    /// The run's label in the results (`legacy-baseline` since the first nomnom's loop was a
    /// worker mode, so older results compare).
    pub fn label(self) -> &'static str {
        match self {
            Loop::Worker => "batched",
            Loop::FirstNomnom => "legacy-baseline",
        }
    }

    /// Messages fetched at a time.
    pub fn batch_size(self) -> usize {
        match self {
            Loop::Worker => DEFAULT_BATCH_SIZE,
            Loop::FirstNomnom => crate::first_loop::program::FETCH,
        }
    }

    /// The program that runs it.
    fn program(self, project: &Project) -> Result<&Path, BenchError> {
        match self {
            Loop::Worker => Ok(&project.worker),
            Loop::FirstNomnom => project
                .first_loop
                .as_deref()
                .map_err(|e| BenchError::Project(e.clone())),
        }
    }
}

/// One drain to measure.
#[derive(Debug, Clone)]
pub struct Drain {
    /// Worker processes sharing the consumer.
    pub processes: usize,
    /// Messages in the stream.
    pub messages: u64,
    /// The loop draining.
    pub looping: Loop,
    /// Seed of the messages.
    pub seed: u64,
    /// The model the project was generated from, and so the form of the messages.
    pub variant: Variant,
    /// Also read the [`rows_digest`] of what was stored (one more pass over the tables).
    pub digest_rows: bool,
}

/// The default `WORKER_BATCH_SIZE` (see the runtime's variable list).
pub const DEFAULT_BATCH_SIZE: usize = 500;

/// Pre-fills a fresh stream, drains it, verifies the database, and reports.
pub async fn drain(
    project: &Project,
    nats_url: &str,
    admin_db_url: &str,
    drain: &Drain,
    logs: &Path,
) -> Result<WorkerRun, BenchError> {
    let stream = TestStream::new(nats_url);
    let db = TestDatabase::create(admin_db_url).await;
    let target = Target {
        nats_url: nats_url.to_string(),
        stream: stream.name().to_string(),
        database_url: db.url(),
        extra: drain.variant.env(),
    };
    // The runtime's own code creates the stream; the workers create their consumer (which
    // delivers from the start of the stream) and apply the migrations when they start.
    let nats = services::connect_nats(nats_url, stream.name(), "4GB").await?;
    let js = nats.jetstream().clone();
    let program = drain.looping.program(project)?;
    let label = drain.looping.label();

    // 1. Pre-fill, pipelined, as the API publishes.
    let (sent, child_rows) = prefill(&nats, drain).await?;

    // 2. Migrations first (two workers starting on an empty database would race for them),
    //    then drain with `processes` workers.
    services::migrate(project, &target, logs).await?;
    let client = db.client().await;
    let pg_before = PgWrites::read(&client).await;
    let model = match drain.variant {
        Variant::Plain => String::new(),
        other => format!("-{}", other.label()),
    };
    let tables = drain.variant.tables();
    let mut workers: Vec<_> = (0..drain.processes.max(1))
        .map(|i| {
            let name = format!("worker-{label}{model}-{i}");
            services::spawn_worker(program, &target, &[], logs, &name)
        })
        .collect();
    let spawned = Instant::now();
    let services = ServicesSample::now();
    // Bounded: even the first nomnom's loop (about 100 msgs/s) finishes well within this.
    let deadline = spawned + Duration::from_secs(120) + Duration::from_secs(sent / 20);
    let (first_taken, finished) = wait_drained(&js, &target.stream, sent, deadline).await;
    let services_cpu = services.spent();
    let postgres_writes = between(pg_before, PgWrites::read(&client).await);
    let peak_rss_kib = workers.iter().filter_map(|w| w.peak_rss_kib()).max();
    let cpu: Option<f64> = workers
        .iter()
        .map(|w| w.pid().and_then(process_cpu).map(|d| d.as_secs_f64()))
        .sum();
    let Some(finished) = finished else {
        let log = workers.first().map(|w| w.log()).unwrap_or_default();
        return Err(BenchError::Project(format!(
            "{label} workers did not drain {sent} messages in time; log:\n{}",
            tail(&log, 20)
        )));
    };
    for w in &mut workers {
        w.terminate(Duration::from_secs(15)).await;
    }
    let elapsed = finished.duration_since(first_taken.unwrap_or(spawned));

    // 3. Verify what landed.
    let (roots, children, persisted) = landed(&client, tables).await?;
    let rows_digest = if drain.digest_rows {
        Some(rows_digest::digest(&client, tables).await?)
    } else {
        None
    };
    let verified = roots == sent && children == child_rows && persisted == sent;
    if !verified {
        eprintln!(
            "warning: {label} x{}: expected {sent} {} / {child_rows} rows in {} / {sent} \
             persisted, found {roots} / {children} / {persisted}",
            drain.processes,
            tables[0],
            tables[1..].join(" and ")
        );
    }
    let rows = roots + children;
    Ok(WorkerRun {
        mode: label.to_string(),
        processes: drain.processes,
        batch_size: drain.looping.batch_size(),
        messages: sent,
        rows,
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(sent, elapsed),
        rows_per_sec: rate(rows, elapsed),
        peak_rss_kib,
        worker_cpu_seconds: cpu,
        services_cpu,
        postgres_writes,
        verified,
        rows_digest,
        ratio_to_copy: None,
    })
}

/// Publishes the drain's messages, pipelined as the API publishes; returns the messages sent
/// and the rows below the root they hold.
pub(crate) async fn prefill(nats: &NatsClient, drain: &Drain) -> Result<(u64, u64), BenchError> {
    let chunks = drain.messages.div_ceil(CHUNK).max(1);
    let (mut sent, mut child_rows) = (0u64, 0u64);
    for k in 0..chunks {
        let mut messages = drain.variant.message_chunks(drain.seed, k, 1);
        messages.truncate((drain.messages - k * CHUNK) as usize);
        child_rows += drain.variant.child_rows(&messages);
        let run = publish::pipelined(
            nats,
            drain.variant.entity(),
            &messages,
            messages.len() as u64,
            4096,
            publish::MsgIds::Without,
        )
        .await;
        if run.errors > 0 {
            return Err(BenchError::Nats(format!(
                "pre-filling the stream: {} publishes failed",
                run.errors
            )));
        }
        sent += run.messages;
    }
    Ok((sent, child_rows))
}

/// Polls the consumer every 20 ms until all `sent` messages are delivered and acknowledged
/// or `deadline` passes; returns when the first was taken and when the last was
/// acknowledged (`None` past the deadline).
pub(crate) async fn wait_drained(
    js: &async_nats::jetstream::Context,
    stream: &str,
    sent: u64,
    deadline: Instant,
) -> (Option<Instant>, Option<Instant>) {
    let mut first_taken: Option<Instant> = None;
    loop {
        if let Some((pending, ack_pending, delivered)) = consumer_state(js, stream).await {
            if first_taken.is_none() && delivered > 0 {
                first_taken = Some(Instant::now());
            }
            if pending == 0 && ack_pending == 0 && delivered >= sent {
                return (first_taken, Some(Instant::now()));
            }
        }
        if Instant::now() >= deadline {
            return (first_taken, None);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Rows of the root table, rows of the other tables, and `persisted` statuses in the
/// database.
async fn landed(
    client: &tokio_postgres::Client,
    tables: &[&str],
) -> Result<(u64, u64, u64), BenchError> {
    let count = |sql: String| async move {
        client
            .query_one(&sql, &[])
            .await
            .map(|r| r.get::<_, i64>(0) as u64)
            .map_err(|e| BenchError::Postgres(format!("{sql}: {e}")))
    };
    let root = count(format!("SELECT count(*) FROM {}", tables[0])).await?;
    let mut children = 0;
    for table in &tables[1..] {
        children += count(format!("SELECT count(*) FROM {table}")).await?;
    }
    let persisted =
        count("SELECT count(*) FROM message_status WHERE status = 'persisted'".into()).await?;
    Ok((root, children, persisted))
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
