//! The computed-fields stages: `api-computed` (the API posting single messages at c=64 and
//! 1,000-line batches) and `worker-computed` (one worker draining a pre-filled stream), each
//! with the plain model and the computed one back to back, round after round, on the same
//! orders. What they add up to is in [`crate::computed_cost`].

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use nomnom_runtime::nats::NatsClient;
use nomnom_testkit::{Service, TestDatabase, TestStream};

use crate::api_load::{self, Api, Payloads};
use crate::computed_cost::{ComputedCost, CostRun, Load};
use crate::options::Sizes;
use crate::payloads;
use crate::posting::BATCH_LINES;
use crate::project::Project;
use crate::publish;
use crate::results::{ApiRun, BatchRun, WorkerRun};
use crate::services::{self, Target};
use crate::variant::Variant;
use crate::worker_bench::{self, Drain, Loop};
use crate::BenchError;

/// Requests in flight when posting single messages: the API goal's concurrency.
pub const CONCURRENCY: usize = 64;

/// Where and how much the stages run.
pub struct CostStage<'a> {
    /// The plain model's binaries.
    pub plain: &'a Project,
    /// The computed model's binaries.
    pub computed: &'a Project,
    /// The NATS server measured.
    pub nats_url: &'a str,
    /// The PostgreSQL server measured (a database is created for every run).
    pub admin_db: &'a str,
    /// The run's sizes.
    pub sizes: Sizes,
    /// Seed of the orders, the same for both models.
    pub seed: u64,
    /// Where the processes' logs go.
    pub logs: &'a Path,
}

fn progress(text: impl AsRef<str>) {
    eprintln!("[nomnom-bench] computed fields: {}", text.as_ref());
}

/// One model's API under load, with what it needs.
struct ModelApi {
    variant: Variant,
    api: Api,
    nats: NatsClient,
    pool: Arc<Vec<Bytes>>,
    bodies: Arc<Vec<Bytes>>,
    // Kept until the stage ends: the process, then its stream and database.
    _service: Service,
    _stream: TestStream,
    _db: TestDatabase,
}

impl CostStage<'_> {
    fn project(&self, variant: Variant) -> &Project {
        match variant {
            Variant::Plain => self.plain,
            Variant::Computed => self.computed,
        }
    }

    /// Both APIs, each on a stream and a database of its own, loaded in turn.
    pub async fn api(&self, cost: &mut ComputedCost) -> Result<(), BenchError> {
        let mut apis = Vec::with_capacity(2);
        for variant in Variant::BOTH {
            apis.push(self.start_api(variant).await?);
        }
        let mean_bytes = |m: &ModelApi| {
            let bytes: usize = m.pool.iter().map(Bytes::len).sum();
            Some(bytes as f64 / m.pool.len().max(1) as f64)
        };
        cost.plain_bytes_per_message = mean_bytes(&apis[0]);
        cost.computed_bytes_per_message = mean_bytes(&apis[1]);
        // Unrecorded, so the first measured run of each API does not pay for what a fresh
        // process does once (its connections to PostgreSQL, its allocator's first pages).
        for m in &apis {
            let payloads = Payloads::Pool(m.pool.clone());
            let warm_up = self.sizes.api_run / 5;
            api_load::closed_loop(&m.api, &payloads, CONCURRENCY, warm_up).await?;
            publish::purge(&m.nats).await?;
        }
        let model = |variant: Variant| {
            apis.iter()
                .find(|m| m.variant == variant)
                .expect("both APIs started")
        };
        for round in 0..cost.rounds {
            for variant in ComputedCost::order(round) {
                let m = model(variant);
                let payloads = Payloads::Pool(m.pool.clone());
                let run = api_load::closed_loop(&m.api, &payloads, CONCURRENCY, self.sizes.api_run)
                    .await?;
                publish::purge(&m.nats).await?;
                self.record(cost, from_api(variant, round, &run));
            }
            for variant in ComputedCost::order(round) {
                let m = model(variant);
                let run = api_load::batch(
                    &m.api,
                    m.bodies.clone(),
                    BATCH_LINES,
                    self.sizes.batch_concurrency,
                    self.sizes.batch_run,
                )
                .await?;
                publish::purge(&m.nats).await?;
                self.record(cost, from_batch(variant, round, &run));
            }
        }
        Ok(())
    }

    async fn start_api(&self, variant: Variant) -> Result<ModelApi, BenchError> {
        let stream = TestStream::new(self.nats_url);
        let db = TestDatabase::create(self.admin_db).await;
        let target = Target {
            nats_url: self.nats_url.to_string(),
            stream: stream.name().to_string(),
            database_url: db.url(),
            extra: Vec::new(),
        };
        let project = self.project(variant);
        services::migrate(project, &target, self.logs).await?;
        let (service, addr) = services::start_api(project, &target, self.logs).await?;
        let nats = services::connect_nats(self.nats_url, stream.name(), "4GB").await?;
        let pool = Arc::new(variant.orders_json(self.seed, self.sizes.pool));
        let bodies = Arc::new(payloads::ndjson_bodies(&pool, BATCH_LINES));
        Ok(ModelApi {
            variant,
            api: Api {
                addr,
                pid: service.pid(),
                pinned: false,
            },
            nats,
            pool,
            bodies,
            _service: service,
            _stream: stream,
            _db: db,
        })
    }

    /// One worker draining the same orders into each model's tables, round after round; the
    /// rows both models stored are compared each round.
    pub async fn workers(&self, cost: &mut ComputedCost) -> Result<(), BenchError> {
        for round in 0..cost.rounds {
            let mut digests = Vec::with_capacity(2);
            for variant in ComputedCost::order(round) {
                let drain = Drain {
                    processes: 1,
                    messages: self.sizes.computed_drain_messages,
                    looping: Loop::Worker,
                    seed: self.seed,
                    variant,
                    digest_rows: true,
                };
                let run = worker_bench::drain(
                    self.project(variant),
                    self.nats_url,
                    self.admin_db,
                    &drain,
                    self.logs,
                )
                .await?;
                digests.push(run.rows_digest.clone());
                self.record(cost, from_drain(variant, round, &run));
            }
            let same = digests[0].is_some() && digests[0] == digests[1];
            if !same {
                eprintln!(
                    "warning: computed fields, round {}: the models stored different rows: {:?}",
                    round + 1,
                    digests
                );
            }
            cost.same_rows_by_round.push(same);
        }
        Ok(())
    }

    fn record(&self, cost: &mut ComputedCost, run: CostRun) {
        progress(format!(
            "{}, {}, round {}/{}: {:.0} msgs/s, {} errors, {} µs of {} CPU per message",
            run.load.label(),
            run.variant.label(),
            run.round + 1,
            cost.rounds,
            run.msgs_per_sec,
            run.errors,
            run.binary_cpu_seconds
                .filter(|_| run.messages > 0)
                .map_or_else(
                    || "–".into(),
                    |c| format!("{:.1}", c * 1e6 / run.messages as f64)
                ),
            match run.load {
                Load::Drain { .. } => "worker",
                _ => "API",
            }
        ));
        cost.runs.push(run);
    }
}

fn from_api(variant: Variant, round: usize, run: &ApiRun) -> CostRun {
    CostRun {
        variant,
        load: Load::Single {
            concurrency: run.concurrency,
        },
        round,
        messages: run.accepted,
        errors: run.errors,
        seconds: run.seconds,
        msgs_per_sec: run.msgs_per_sec,
        binary_cpu_seconds: run.api_cpu_seconds,
        loadgen_cpu_seconds: run.loadgen_cpu_seconds,
        services_cpu: run.services_cpu,
        verified: None,
    }
}

fn from_batch(variant: Variant, round: usize, run: &BatchRun) -> CostRun {
    CostRun {
        variant,
        load: Load::Batch {
            lines: run.lines_per_body,
        },
        round,
        messages: run.accepted,
        errors: run.errors,
        seconds: run.seconds,
        msgs_per_sec: run.msgs_per_sec,
        binary_cpu_seconds: run.api_cpu_seconds,
        loadgen_cpu_seconds: run.loadgen_cpu_seconds,
        services_cpu: run.services_cpu,
        verified: None,
    }
}

fn from_drain(variant: Variant, round: usize, run: &WorkerRun) -> CostRun {
    CostRun {
        variant,
        load: Load::Drain {
            processes: run.processes,
        },
        round,
        messages: run.messages,
        errors: 0,
        seconds: run.seconds,
        msgs_per_sec: run.msgs_per_sec,
        binary_cpu_seconds: run.worker_cpu_seconds,
        loadgen_cpu_seconds: None,
        services_cpu: run.services_cpu,
        verified: Some(run.verified),
    }
}
