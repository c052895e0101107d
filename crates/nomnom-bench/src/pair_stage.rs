//! The stages comparing two forms of a model ([`Pair`]): `api-computed` and `api-hl7` (the
//! API posting single messages at c=64 and 1,000-message batches; for HL7, also MLLP with 64
//! connections), `worker-computed` and `worker-hl7` (one worker draining a pre-filled
//! stream), each with both forms back to back, round after round, on the same messages. What
//! they add up to is in [`crate::pair_cost`].

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use nomnom_runtime::nats::NatsClient;
use nomnom_testkit::{Service, TestDatabase, TestStream};

use crate::api_keys::{self, BenchKey};
use crate::api_load::{self, Api, Payloads};
use crate::mllp_load::{self, MllpEndpoint};
use crate::options::Sizes;
use crate::pair_cost::{CostRun, Load, PairCost};
use crate::posting::BATCH_LINES;
use crate::project::Project;
use crate::publish;
use crate::results::{ApiRun, BatchRun, WorkerRun};
use crate::services::{self, Target};
use crate::variant::{Pair, Variant};
use crate::worker_bench::{self, Drain, Loop};
use crate::BenchError;

/// Requests in flight when posting single messages (and MLLP connections): the API goal's
/// concurrency.
pub const CONCURRENCY: usize = 64;

/// Where and how much the stages run.
pub struct PairStage<'a> {
    /// The two forms.
    pub pair: Pair,
    /// The baseline's binaries.
    pub baseline: &'a Project,
    /// The candidate's binaries.
    pub candidate: &'a Project,
    /// The NATS server measured.
    pub nats_url: &'a str,
    /// The PostgreSQL server measured (a database is created for every run).
    pub admin_db: &'a str,
    /// The run's sizes.
    pub sizes: Sizes,
    /// Seed of the messages, the same for both forms.
    pub seed: u64,
    /// Where the processes' logs go.
    pub logs: &'a Path,
}

/// One form's API under load, with what it needs.
struct ModelApi {
    variant: Variant,
    api: Api,
    /// Its MLLP listener, for the HL7 form.
    mllp: Option<MllpEndpoint>,
    nats: NatsClient,
    pool: Arc<Vec<Bytes>>,
    bodies: Arc<Vec<Bytes>>,
    // Kept until the stage ends: the process, then its stream and database.
    _service: Service,
    _stream: TestStream,
    _db: TestDatabase,
}

impl PairStage<'_> {
    fn project(&self, variant: Variant) -> &Project {
        if variant == self.pair.baseline {
            self.baseline
        } else {
            self.candidate
        }
    }

    fn progress(&self, text: impl AsRef<str>) {
        eprintln!(
            "[nomnom-bench] {} against {}: {}",
            self.pair.candidate.label(),
            self.pair.baseline.label(),
            text.as_ref()
        );
    }

    /// Both APIs, each on a stream and a database of its own, loaded in turn.
    pub async fn api(&self, cost: &mut PairCost) -> Result<(), BenchError> {
        let mut apis = Vec::with_capacity(2);
        for variant in self.pair.both() {
            apis.push(self.start_api(variant).await?);
        }
        let mean_bytes = |m: &ModelApi| {
            let bytes: usize = m.pool.iter().map(Bytes::len).sum();
            Some(bytes as f64 / m.pool.len().max(1) as f64)
        };
        cost.baseline_bytes_per_message = mean_bytes(&apis[0]);
        cost.candidate_bytes_per_message = mean_bytes(&apis[1]);
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
        let loads = self.pair.api_loads();
        for round in 0..cost.rounds {
            if loads.contains(&Load::Single {
                concurrency: CONCURRENCY,
            }) {
                for variant in self.pair.order(round) {
                    let m = model(variant);
                    let payloads = Payloads::Pool(m.pool.clone());
                    let run =
                        api_load::closed_loop(&m.api, &payloads, CONCURRENCY, self.sizes.api_run)
                            .await?;
                    publish::purge(&m.nats).await?;
                    let refused = api_keys::access_refusals(&run.refusals);
                    self.record(cost, from_api(variant, round, &run));
                    if !refused.is_empty() {
                        // A key or a rate limit that turns requests away measures refusals,
                        // not what checking them costs.
                        return Err(BenchError::Project(format!(
                            "the {} API refused requests for their key or rate: {}",
                            variant.label(),
                            refused.join(", ")
                        )));
                    }
                }
            }
            if loads.contains(&Load::Batch { lines: BATCH_LINES }) {
                for variant in self.pair.order(round) {
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
            // MLLP, which only the HL7 form speaks, once per round after its HTTP runs.
            for m in apis.iter() {
                let Some(endpoint) = m.mllp else { continue };
                let run =
                    mllp_load::closed_loop(endpoint, &m.pool, CONCURRENCY, self.sizes.api_run)
                        .await?;
                publish::purge(&m.nats).await?;
                self.record(cost, from_mllp(m.variant, round, &run));
            }
        }
        Ok(())
    }

    async fn start_api(&self, variant: Variant) -> Result<ModelApi, BenchError> {
        let stream = TestStream::new(self.nats_url);
        let db = TestDatabase::create(self.admin_db).await;
        let mllp_port = variant.is_hl7().then(nomnom_testkit::free_port);
        // The keyed form's API reads a keys file holding the benchmark's key, with a rate
        // limit that never refuses.
        let key = match variant {
            Variant::Keyed => Some(BenchKey::write(
                &self.logs.join(format!("api-keys-{}", stream.name())),
            )?),
            _ => None,
        };
        let mut extra: Vec<(&'static str, String)> = mllp_port
            .map(|port| ("MLLP_PORT", port.to_string()))
            .into_iter()
            .collect();
        extra.extend(key.iter().flat_map(BenchKey::env));
        extra.extend(variant.env());
        let target = Target {
            nats_url: self.nats_url.to_string(),
            stream: stream.name().to_string(),
            database_url: db.url(),
            extra,
        };
        let project = self.project(variant);
        services::migrate(project, &target, self.logs).await?;
        let (service, addr) = services::start_api(project, &target, self.logs).await?;
        let mllp = match mllp_port {
            Some(port) => {
                let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
                services::accepts_connections(addr, "the API's MLLP port").await?;
                Some(MllpEndpoint {
                    addr,
                    pid: service.pid(),
                })
            }
            None => None,
        };
        let nats = services::connect_nats(self.nats_url, stream.name(), "4GB").await?;
        let pool = Arc::new(variant.messages(self.seed, self.sizes.pool));
        if key.is_some() {
            // The keys must be in force, or the keyed runs measure the open API.
            let open = Api::new(addr, None, variant);
            let answer = api_load::post_once(&open, &pool[0]).await?;
            if answer != 401 {
                return Err(BenchError::Project(format!(
                    "the keyed API answered {answer} to a message without a key (expected 401)"
                )));
            }
        }
        let bodies = Arc::new(variant.batch_bodies(&pool, BATCH_LINES));
        Ok(ModelApi {
            variant,
            api: Api {
                authorization: key.as_ref().map(BenchKey::authorization),
                ..Api::new(addr, service.pid(), variant)
            },
            mllp,
            nats,
            pool,
            bodies,
            _service: service,
            _stream: stream,
            _db: db,
        })
    }

    /// One worker draining the same messages into each form's tables, round after round;
    /// the rows both forms stored are compared each round.
    pub async fn workers(&self, cost: &mut PairCost) -> Result<(), BenchError> {
        for round in 0..cost.rounds {
            let mut digests = Vec::with_capacity(2);
            for variant in self.pair.order(round) {
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
                    "warning: {} against {}, round {}: the forms stored different rows: {:?}",
                    self.pair.candidate.label(),
                    self.pair.baseline.label(),
                    round + 1,
                    digests
                );
            }
            cost.same_rows_by_round.push(same);
        }
        Ok(())
    }

    fn record(&self, cost: &mut PairCost, run: CostRun) {
        self.progress(format!(
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

/// Which of a pair's stages run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairStages {
    /// Both APIs under each load.
    pub api: bool,
    /// One worker of each draining the same messages.
    pub worker: bool,
}

impl PairStages {
    /// Whether either runs.
    pub fn any(self) -> bool {
        self.api || self.worker
    }
}

impl PairStage<'_> {
    /// The pair's stages that `stages` names, API then worker; a stage that fails keeps the
    /// runs it made and records why it stopped in `skipped`.
    pub async fn measure(&self, stages: PairStages, skipped: &mut Vec<String>) -> PairCost {
        let mut cost = PairCost::new(self.pair, self.sizes.computed_rounds);
        if stages.api {
            if let Err(e) = self.api(&mut cost).await {
                skipped.push(format!("{}, API: {e}", self.pair.title()));
            }
        }
        if stages.worker {
            if let Err(e) = self.workers(&mut cost).await {
                skipped.push(format!("{}, worker: {e}", self.pair.title()));
            }
        }
        cost
    }
}

/// What a pair's `stages` left out: for the API, both forms under every load (MLLP too for
/// HL7), each with messages accepted; for the worker, every drain verified and each round's
/// two drains storing the same rows.
pub fn missing(pair: Pair, cost: Option<&PairCost>, stages: PairStages) -> Vec<String> {
    let mut missing = Vec::new();
    let compared = |load: Load| {
        cost.is_some_and(|c| {
            c.comparisons
                .iter()
                .any(|x| x.load == load && x.baseline.messages > 0 && x.candidate.messages > 0)
        })
    };
    if stages.api && !pair.api_loads().into_iter().all(compared) {
        missing.push(format!("{}, API (both forms)", pair.title()));
    }
    let drains_agree = cost.is_some_and(|c| {
        c.runs.iter().all(|r| r.verified != Some(false))
            && !c.same_rows_by_round.is_empty()
            && c.same_rows_by_round.iter().all(|&same| same)
    });
    if stages.worker && !(compared(Load::Drain { processes: 1 }) && drains_agree) {
        missing.push(format!(
            "{}, worker (both forms verified, the same rows)",
            pair.title()
        ));
    }
    missing
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

fn from_mllp(variant: Variant, round: usize, run: &ApiRun) -> CostRun {
    CostRun {
        load: Load::Mllp {
            connections: run.concurrency,
        },
        ..from_api(variant, round, run)
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
