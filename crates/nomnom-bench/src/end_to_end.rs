//! API and worker together: the highest steady posting rate the worker keeps up with (a
//! stepwise search judged on the backlog's level and trend, see [`crate::backlog`]), the
//! latency from 202 to `persisted` at half that rate, and a long run at the found rate with
//! the backlog sampled; when the long run does not hold, once more at 90% of it. The load
//! generator posts either single messages or NDJSON batches ([`Posting`]): on a machine whose
//! cores API, worker, NATS and PostgreSQL share, what the ingest side costs per message
//! decides how much is left for the worker.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use nomnom_runtime::nats::NatsClient;
use nomnom_testkit::{Service, TestDatabase, TestStream};
use uuid::Uuid;

use crate::api_load::{self, Api, Payloads, OPEN_LOOP_CONNECTIONS};
use crate::backlog;
use crate::cpu::{own_cpu, process_cpu, spent, ServicesSample};
use crate::payloads::OrderTemplates;
use crate::pg_writes::{between, PgWrites};
use crate::posting::Posting;
use crate::project::Project;
use crate::publish;
use crate::results::{EndToEnd, PipelineCpu, RateStep, Sustain};
use crate::services::{self, Target};
use crate::stats::Latencies;
use crate::status_size::{self, StatusSampler};
use crate::variant::Variant;
use crate::BenchError;

/// Sizes of the end-to-end stage.
#[derive(Debug, Clone)]
pub struct Plan {
    /// How the load generator posts.
    pub posting: Posting,
    /// Rate of the first step (typically half the slower of API and worker alone).
    pub start_rate: f64,
    /// Growth per passing step (see [`RateSearch::new`]).
    pub growth: f64,
    /// Length of each search step.
    pub step: Duration,
    /// Most search steps.
    pub max_steps: usize,
    /// Length of the latency run at half the found rate.
    pub latency_run: Duration,
    /// Length of the sustained run at the found rate (`ZERO`: none).
    pub sustain: Duration,
    /// Seed of the orders.
    pub seed: u64,
}

/// The stepwise search for the highest rate the worker keeps up with: climb by `growth`
/// while steps pass; after the first failure, bisect (geometrically) between the best
/// passing rate and the lowest failing one until they are within 10%; when the very first
/// step fails, back off by a third until one passes.
#[derive(Debug, Clone, PartialEq)]
pub struct RateSearch {
    growth: f64,
    best: Option<f64>,
    lowest_failed: Option<f64>,
}

/// Distinct generated orders the stage's fresh orders take their fields from (about 1 KiB
/// each): enough that neither the API nor PostgreSQL sees a short cycle.
const ORDER_TEMPLATES: u64 = 10_000;

/// Connections of the open loops posting batches: a batch of 1,000 takes tens of
/// milliseconds, so a handful are busy at ten batches a second and the rest absorb a stall.
const BATCH_CONNECTIONS: usize = 16;

/// The kept-alive connections an open loop posting as `posting` spreads its requests over.
fn connections(posting: Posting) -> usize {
    match posting {
        Posting::Single => OPEN_LOOP_CONNECTIONS,
        Posting::Batch { .. } => BATCH_CONNECTIONS,
    }
}

/// The search stops bisecting once the lowest failing rate is within this factor of the
/// best passing one.
const SEARCH_RESOLUTION: f64 = 1.1;

impl RateSearch {
    /// A search climbing by `growth` per passing step (1.25 when the start comes from the
    /// API and worker rates measured alone, 2 when it is a guess).
    pub fn new(growth: f64) -> RateSearch {
        RateSearch {
            growth: growth.max(1.05),
            best: None,
            lowest_failed: None,
        }
    }

    /// The best rate that kept up so far.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// Records the step at `rate`; returns the next rate to try, `None` when done.
    pub fn next(&mut self, rate: f64, kept_up: bool) -> Option<f64> {
        if kept_up {
            self.best = Some(self.best.map_or(rate, |b| b.max(rate)));
        } else {
            self.lowest_failed = Some(self.lowest_failed.map_or(rate, |f| f.min(rate)));
        }
        match (self.best, self.lowest_failed) {
            (Some(best), Some(failed)) if failed / best > SEARCH_RESOLUTION => {
                Some((best * failed).sqrt())
            }
            (Some(_), Some(_)) => None,
            (Some(best), None) => Some(best * self.growth),
            (None, Some(failed)) if failed > 15.0 => Some(failed / 1.5),
            (None, _) => None,
        }
    }
}

/// CPU of everything taking part in a sustained run, read at its start.
struct CpuSample {
    loadgen: Option<Duration>,
    api: Option<Duration>,
    worker: Option<Duration>,
    services: ServicesSample,
}

impl CpuSample {
    fn now(api: Option<u32>, worker: Option<u32>) -> CpuSample {
        CpuSample {
            loadgen: own_cpu(),
            api: api.and_then(process_cpu),
            worker: worker.and_then(process_cpu),
            services: ServicesSample::now(),
        }
    }

    /// What each spent since this sample, in seconds.
    fn spent(&self, api: Option<u32>, worker: Option<u32>) -> PipelineCpu {
        PipelineCpu {
            loadgen_cpu_seconds: spent(self.loadgen, own_cpu()),
            api_cpu_seconds: spent(self.api, api.and_then(process_cpu)),
            worker_cpu_seconds: spent(self.worker, worker.and_then(process_cpu)),
            services_cpu: self.services.spent(),
        }
    }
}

fn progress(text: String) {
    eprintln!("[nomnom-bench] {text}");
}

async fn wait_drained(js: &jetstream::Context, stream: &str, timeout: Duration) -> Option<u64> {
    let deadline = Instant::now() + timeout;
    loop {
        let b = services::backlog(js, stream).await;
        if b == Some(0) || Instant::now() >= deadline {
            return b;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs the stage against a fresh stream and database.
pub async fn run(
    project: &Project,
    nats_url: &str,
    admin_db_url: &str,
    plan: &Plan,
    logs: &Path,
) -> Result<EndToEnd, BenchError> {
    let stream = TestStream::new(nats_url);
    let db = TestDatabase::create(admin_db_url).await;
    let target = Target {
        nats_url: nats_url.to_string(),
        stream: stream.name().to_string(),
        database_url: db.url(),
        // Shorter than the sustained run: the status table's size levels off within it.
        extra: vec![
            ("STATUS_RETENTION", status_size::RETENTION.into()),
            ("STATUS_PARTITION_INTERVAL", status_size::INTERVAL.into()),
        ],
    };
    let nats = services::connect_nats(nats_url, stream.name(), "4GB").await?;
    let js = nats.jetstream().clone();
    let pg = db.client().await;
    let (api_service, addr) = services::start_api(project, &target, logs).await?;
    let mut worker = services::spawn_worker(&project.worker, &target, &[], logs, "worker-e2e");
    services::wait_for("the worker's consumer", Duration::from_secs(60), || {
        let (js, name) = (js.clone(), target.stream.clone());
        async move { services::backlog(&js, &name).await.is_some() }
    })
    .await?;
    let pipeline = Pipeline {
        plan,
        api: Api::new(addr, api_service.pid(), Variant::Plain),
        api_service: &api_service,
        worker: &worker,
        js,
        stream: target.stream.clone(),
        database_url: target.database_url.clone(),
        connections: connections(plan.posting),
        templates: Arc::new(OrderTemplates::new(plan.seed, ORDER_TEMPLATES)),
        next_order: AtomicU64::new(1),
    };
    let (steps, search_rate) = pipeline.search().await?;
    let latency = pipeline.latency(&db, search_rate).await?;
    let sustain = pipeline.sustain(&nats, &pg, search_rate).await?;
    drop(pipeline);
    // The rate that held for the sustained run (the search's when there was none).
    let sustained_rate = match sustain.last() {
        Some(s) if s.kept_up => s.offered_rate,
        Some(_) => 0.0,
        None => search_rate,
    };
    worker.terminate(Duration::from_secs(15)).await;
    drop(api_service);
    Ok(EndToEnd {
        posting: plan.posting,
        steps,
        search_rate,
        sustained_rate,
        latency_rate: latency.rate,
        latency_to_persisted: latency.steady.summary(),
        latency_after_idle: latency.after_idle.summary(),
        persisted: latency.persisted,
        accepted: latency.accepted,
        sustain,
        ratio_to_slower: None,
    })
}

/// Longest wait for the worker to drain what a run left.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

/// What the stage's phases share: the pipeline under load, its stream, and where its orders
/// come from.
struct Pipeline<'a> {
    plan: &'a Plan,
    api: Api,
    api_service: &'a Service,
    worker: &'a Service,
    js: jetstream::Context,
    stream: String,
    /// The stage's database, for the status table's size.
    database_url: String,
    connections: usize,
    templates: Arc<OrderTemplates>,
    /// The number of the next fresh order: keys are never used twice in the stage, so every
    /// message becomes new rows.
    next_order: AtomicU64,
}

/// The latency runs at half the found rate.
struct LatencyRuns {
    rate: f64,
    after_idle: Latencies,
    steady: Latencies,
    persisted: u64,
    accepted: u64,
}

impl Pipeline<'_> {
    /// `count` orders never used before in this stage, made as the load generator sends.
    fn fresh(&self, count: u64) -> Payloads {
        Payloads::Fresh {
            templates: self.templates.clone(),
            first: self.next_order.fetch_add(count, Ordering::Relaxed),
        }
    }

    /// The same, made before the run so the load generator only sends (for runs of bounded
    /// size; the long sustained run makes each body from the templates as it goes).
    fn prepared(&self, count: u64) -> Payloads {
        self.fresh(count).prepare(count)
    }

    fn cpu_now(&self) -> CpuSample {
        CpuSample::now(self.api_service.pid(), self.worker.pid())
    }

    fn cpu_since(&self, sample: &CpuSample) -> PipelineCpu {
        sample.spent(self.api_service.pid(), self.worker.pid())
    }

    async fn backlog(&self) -> Option<u64> {
        services::backlog(&self.js, &self.stream).await
    }

    async fn drain(&self) -> Option<u64> {
        wait_drained(&self.js, &self.stream, DRAIN_TIMEOUT).await
    }

    async fn open_loop(
        &self,
        payloads: &Payloads,
        rate: f64,
        duration: Duration,
        collect_ids: bool,
    ) -> Result<api_load::OpenLoop, BenchError> {
        let posting = self.plan.posting;
        api_load::open_loop(
            &self.api,
            payloads,
            rate,
            duration,
            self.connections,
            posting,
            collect_ids,
        )
        .await
    }

    /// The stepwise search; returns its steps and the highest rate that kept up.
    async fn search(&self) -> Result<(Vec<RateStep>, f64), BenchError> {
        let mut steps = Vec::new();
        let mut search = RateSearch::new(self.plan.growth);
        let mut rate = self.plan.start_rate.max(10.0);
        for _ in 0..self.plan.max_steps {
            let step = self.step(rate).await?;
            let kept_up = step.kept_up;
            steps.push(step);
            if !kept_up {
                // Only a failed step leaves a backlog worth draining; after a passing one the
                // next step follows at once, so the worker never idles between steps.
                self.drain().await;
            }
            match search.next(rate, kept_up) {
                Some(r) => rate = r,
                None => break,
            }
        }
        Ok((steps, search.best().unwrap_or(0.0)))
    }

    /// One step of the search at `rate`.
    async fn step(&self, rate: f64) -> Result<RateStep, BenchError> {
        let posting = self.plan.posting;
        let payloads = self.prepared(posting.messages(rate, self.plan.step));
        let cpu = self.cpu_now();
        let sampler = backlog::Sampler::start(&self.js, &self.stream);
        let run = self
            .open_loop(&payloads, rate, self.plan.step, false)
            .await?;
        let trend = sampler.finish(self.backlog().await);
        let cpu = self.cpu_since(&cpu);
        let kept_up = trend.is_some_and(|t| t.kept_up(rate, run.run.errors, posting.lines()));
        progress(format!(
            "end to end, {}: step at {rate:.0}/s: backlog {} (settled {}), trend {:+.0}/s, {} errors: {}",
            posting.label(),
            trend.map_or(u64::MAX, |t| t.last),
            trend.map_or(u64::MAX, |t| t.settled),
            trend.map_or(f64::NAN, |t| t.growth_per_sec),
            run.run.errors,
            if kept_up { "kept up" } else { "fell behind" }
        ));
        Ok(RateStep {
            offered_rate: rate,
            accepted_rate: run.run.msgs_per_sec,
            errors: run.run.errors,
            errors_by_answer: run.run.errors_by_answer.clone(),
            max_backlog: trend.map_or(u64::MAX, |t| t.max),
            backlog_at_end: trend.map_or(u64::MAX, |t| t.last),
            settled_backlog: trend.map_or(u64::MAX, |t| t.settled),
            backlog_growth_per_sec: trend.map_or(f64::INFINITY, |t| t.growth_per_sec),
            kept_up,
            seconds: run.run.seconds,
            cpu,
        })
    }

    /// Latency from 202 to persisted at half the found rate: a first run starting from an
    /// idle pipeline (the worker waiting in its long poll), then at once the steady-state run.
    async fn latency(
        &self,
        db: &TestDatabase,
        search_rate: f64,
    ) -> Result<LatencyRuns, BenchError> {
        let rate = (search_rate / 2.0).max(1.0);
        let expected = self.plan.posting.messages(rate, self.plan.latency_run);
        let warm = self
            .open_loop(&self.prepared(expected), rate, self.plan.latency_run, true)
            .await?;
        let run = self
            .open_loop(&self.prepared(expected), rate, self.plan.latency_run, true)
            .await?;
        self.drain().await;
        let (after_idle, _) = persisted_latency(db, &warm.message_ids).await?;
        let (steady, persisted) = persisted_latency(db, &run.message_ids).await?;
        Ok(LatencyRuns {
            rate,
            after_idle,
            steady,
            persisted,
            accepted: run.message_ids.len() as u64,
        })
    }

    /// The sustained run at the found rate; if its backlog does not stay bounded, once more
    /// at 90% of it (the search's steps are short, so its rate may sit on the edge).
    async fn sustain(
        &self,
        nats: &NatsClient,
        pg: &tokio_postgres::Client,
        search_rate: f64,
    ) -> Result<Vec<Sustain>, BenchError> {
        let mut sustain = Vec::new();
        let mut rate = search_rate;
        while self.plan.sustain > Duration::ZERO && rate > 0.0 && sustain.len() < 2 {
            let run = self.sustain_once(nats, pg, rate).await?;
            let kept_up = run.kept_up;
            sustain.push(run);
            if kept_up {
                break;
            }
            rate *= 0.9;
        }
        Ok(sustain)
    }

    /// One sustained run at `rate`, then what it left drained or purged.
    async fn sustain_once(
        &self,
        nats: &NatsClient,
        pg: &tokio_postgres::Client,
        rate: f64,
    ) -> Result<Sustain, BenchError> {
        let posting = self.plan.posting;
        let expected = posting.messages(rate, self.plan.sustain);
        let cpu = self.cpu_now();
        let pg_before = PgWrites::read(pg).await;
        let sampler = backlog::Sampler::start(&self.js, &self.stream);
        let status_sampler = StatusSampler::start(&self.database_url).await;
        let run = self
            .open_loop(&self.fresh(expected), rate, self.plan.sustain, false)
            .await?;
        let (trend, samples) = sampler.finish_with_samples(self.backlog().await);
        let status_mib_each_minute = status_sampler
            .map(StatusSampler::finish)
            .unwrap_or_default();
        let cpu = self.cpu_since(&cpu);
        let postgres_writes = between(pg_before, PgWrites::read(pg).await);
        let database_mib_at_end = database_mib(pg).await;
        let kept_up = trend.is_some_and(|t| t.kept_up(rate, run.run.errors, posting.lines()));
        progress(format!(
            "end to end, {}: {:.0} s at {rate:.0}/s: max backlog {}, trend {:+.1}/s: {}",
            posting.label(),
            run.run.seconds,
            trend.map_or(u64::MAX, |t| t.max),
            trend.map_or(f64::NAN, |t| t.growth_per_sec),
            if kept_up { "held" } else { "did not hold" }
        ));
        // A run that fell far behind would leave the retry its backlog: give the worker the
        // usual time to drain, then purge what is left, and say how much.
        let purged_backlog = match self.drain().await {
            Some(0) => None,
            left => {
                publish::purge(nats).await?;
                left
            }
        };
        Ok(Sustain {
            offered_rate: rate,
            seconds: run.run.seconds,
            max_backlog: trend.map_or(u64::MAX, |t| t.max),
            final_backlog: trend.map_or(u64::MAX, |t| t.last),
            settled_backlog: trend.map_or(u64::MAX, |t| t.settled),
            backlog_growth_per_sec: trend.map_or(f64::INFINITY, |t| t.growth_per_sec),
            errors: run.run.errors,
            errors_by_answer: run.run.errors_by_answer.clone(),
            kept_up,
            accepted_rate: run.run.msgs_per_sec,
            cpu,
            backlog_each_minute: backlog::each_minute(&samples),
            status_mib_each_minute,
            postgres_writes,
            database_mib_at_end,
            purged_backlog,
        })
    }
}

/// The size of the connected database, MiB.
async fn database_mib(client: &tokio_postgres::Client) -> Option<f64> {
    let row = client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await
        .ok()?;
    Some(row.get::<_, i64>(0) as f64 / (1024.0 * 1024.0))
}

/// `processed_at - received_at` of the given messages that are `persisted`.
async fn persisted_latency(
    db: &TestDatabase,
    ids: &[Uuid],
) -> Result<(Latencies, u64), BenchError> {
    let client = db.client().await;
    let rows = client
        .query(
            "SELECT (EXTRACT(EPOCH FROM processed_at - received_at) * 1000000)::bigint \
             FROM message_status WHERE message_id = ANY($1) AND status = 'persisted'",
            &[&ids],
        )
        .await
        .map_err(|e| BenchError::Postgres(format!("reading message_status: {e}")))?;
    let mut latencies = Latencies::new();
    for row in &rows {
        let micros: Option<i64> = row.get(0);
        if let Some(m) = micros {
            latencies.record(Duration::from_micros(m.max(0) as u64));
        }
    }
    Ok((latencies, rows.len() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_climbs_then_bisects_to_ten_percent() {
        let mut s = RateSearch::new(1.25);
        assert_eq!(s.next(1000.0, true), Some(1250.0));
        assert_eq!(s.next(1250.0, true), Some(1562.5));
        // The first failure: try between the best pass and it.
        let mid = s.next(1562.5, false).expect("bisects");
        assert!((mid - (1250.0f64 * 1562.5).sqrt()).abs() < 1e-9);
        // The middle passes: still 12% below the failure, so once more in between…
        let upper = s.next(mid, true).expect("bisects again");
        assert!(upper > mid && upper < 1562.5);
        // … which fails: best and failure are within 10%, the search is done.
        assert_eq!(s.next(upper, false), None);
        assert_eq!(s.best(), Some(mid));
    }

    #[test]
    fn a_failing_start_backs_off_until_a_step_passes() {
        let mut s = RateSearch::new(2.0);
        assert_eq!(s.next(3000.0, false), Some(2000.0));
        assert_eq!(s.best(), None);
        // Passing at 2,000 with 3,000 failed: bisect between them, failing each time.
        let mut rate = s.next(2000.0, true).expect("bisects");
        let mut tries = 0;
        while let Some(next) = s.next(rate, false) {
            assert!(
                next > 2000.0 && next < rate,
                "each try is between the bounds"
            );
            rate = next;
            tries += 1;
        }
        assert!(
            tries <= 3,
            "10% resolution from a factor of 1.5 takes a few steps"
        );
        assert_eq!(s.best(), Some(2000.0));
        // A search that never passes gives up once rates get tiny.
        let mut never = RateSearch::new(2.0);
        let mut rate = 100.0;
        let mut steps = 0;
        while let Some(next) = never.next(rate, false) {
            rate = next;
            steps += 1;
            assert!(steps < 20, "the back-off ends");
        }
        assert_eq!(never.best(), None);
    }
}
