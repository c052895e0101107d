//! The `worker-mysql` stage: the tpch worker generated for MySQL (`nomnom generate
//! --database mysql`) draining a stream pre-filled with the orders the PostgreSQL worker
//! stage drains, into a fresh database on MariaDB; then the tables and `message_status`
//! counted against what was sent, as [`crate::worker_bench`] does on PostgreSQL.

use std::path::Path;
use std::time::{Duration, Instant};

use nomnom_testkit::mysql_database::MysqlTestDatabase;
use nomnom_testkit::TestStream;

use super::{connect, landed, Infiles};
use crate::cpu::{process_cpu, ServicesSample};
use crate::project::Project;
use crate::results::WorkerRun;
use crate::services::{self, Target};
use crate::stats::rate;
use crate::variant::Variant;
use crate::worker_bench::{prefill, tail, wait_drained, Drain, Loop, DEFAULT_BATCH_SIZE};
use crate::BenchError;

/// One worker process drains `messages` orders drawn from `seed` into MariaDB (the server of
/// `admin_url`); the figures and whether every row and status landed.
pub async fn drain(
    project: &Project,
    nats_url: &str,
    admin_url: &str,
    messages: u64,
    seed: u64,
    logs: &Path,
) -> Result<WorkerRun, BenchError> {
    let stream = TestStream::new(nats_url);
    let db = MysqlTestDatabase::create(admin_url).await;
    let target = Target {
        nats_url: nats_url.to_string(),
        stream: stream.name().to_string(),
        database_url: db.url(),
        extra: Vec::new(),
    };
    let nats = services::connect_nats(nats_url, stream.name(), "4GB").await?;
    let js = nats.jetstream().clone();
    let plan = Drain {
        processes: 1,
        messages,
        looping: Loop::Worker,
        seed,
        variant: Variant::Plain,
        digest_rows: false,
    };
    let (sent, child_rows) = prefill(&nats, &plan).await?;
    services::migrate(project, &target, logs).await?;

    let mut worker = services::spawn_worker(&project.worker, &target, &[], logs, "worker-mysql-0");
    let spawned = Instant::now();
    let services_sample = ServicesSample::now();
    let deadline = spawned + Duration::from_secs(120) + Duration::from_secs(sent / 20);
    let (first_taken, finished) = wait_drained(&js, &target.stream, sent, deadline).await;
    let services_cpu = services_sample.spent();
    let peak_rss_kib = worker.peak_rss_kib();
    let cpu = worker.pid().and_then(process_cpu).map(|d| d.as_secs_f64());
    let Some(finished) = finished else {
        return Err(BenchError::Project(format!(
            "the MySQL worker did not drain {sent} messages in time; log:\n{}",
            tail(&worker.log(), 20)
        )));
    };
    worker.terminate(Duration::from_secs(15)).await;
    let elapsed = finished.duration_since(first_taken.unwrap_or(spawned));

    let tables = Variant::Plain.tables();
    let mut conn = connect(&db.url(), &Infiles::default()).await?;
    let (roots, children, persisted) = landed(&mut conn, tables).await?;
    let _ = conn.disconnect().await;
    let verified = roots == sent && children == child_rows && persisted == sent;
    if !verified {
        eprintln!(
            "warning: MySQL worker: expected {sent} orders / {child_rows} line items / {sent} \
             persisted, found {roots} / {children} / {persisted}"
        );
    }
    let rows = roots + children;
    Ok(WorkerRun {
        mode: "batched".into(),
        processes: 1,
        batch_size: DEFAULT_BATCH_SIZE,
        messages: sent,
        rows,
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(sent, elapsed),
        rows_per_sec: rate(rows, elapsed),
        peak_rss_kib,
        worker_cpu_seconds: cpu,
        services_cpu,
        postgres_writes: None,
        verified,
        rows_digest: None,
        ratio_to_copy: None,
    })
}
