//! One benchmark run, stage after stage. A stage that cannot run records why in
//! `Results::skipped`; the others go on.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nomnom_testkit::{TestDatabase, TestStream};

use crate::api_load::{self, Api, Payloads, OPEN_LOOP_CONNECTIONS};
use crate::machine::{postgres_settings, Durability, Machine};
use crate::mysql::limit::MysqlWriteRun;
use crate::options::{Options, Sizes, StageName};
use crate::pair_cost::PairCost;
use crate::pair_stage::{self, PairStage, PairStages};
use crate::payloads;
use crate::posting::{Posting, BATCH_LINES};
use crate::project::Project;
use crate::publish::MsgIds;
use crate::report::CONCURRENCY;
use crate::results::{Results, GOAL_OPEN_LOOP_SHARE};
use crate::services::{self, Target};
use crate::variant::{Pair, Variant};
use crate::witness::{Witnessed, Witnesses};
use crate::worker_bench::{self, Drain, Loop};
use crate::{copy, end_to_end, minimal_api, mysql, publish, BenchError};
use nomnom_runtime::nats::NatsClient;

/// Offered rates of the open-loop runs, as shares of the best closed-loop rate: the goal's
/// half, then a quarter, so that a tail set by load (falling with the rate) can be told from
/// one set by stalls (there at any rate).
const OPEN_LOOP_SHARES: [f64; 2] = [GOAL_OPEN_LOOP_SHARE, 0.25];

/// Seed of every generated order of a run.
const SEED: u64 = 20_240_611;

pub(crate) fn progress(text: impl AsRef<str>) {
    eprintln!("[nomnom-bench] {}", text.as_ref());
}

/// The witnesses' maxima, for a progress line.
fn witnessed_text(w: Option<&Witnessed>) -> String {
    w.map_or_else(String::new, |w| {
        format!(
            " (witnesses: NATS max {:.1} ms, API /health max {:.1} ms)",
            w.nats.latency.max_ms, w.api_health.latency.max_ms
        )
    })
}

/// Runs every stage and returns the results, ratios filled.
pub async fn run(options: &Options) -> Results {
    let sizes = options.sizes();
    let logs = options.out.join("logs");
    let _ = std::fs::create_dir_all(&logs);
    let nats_url = nomnom_testkit::shared_nats_url();
    let admin_db = nomnom_testkit::shared_database_url();
    let mut r = Results {
        command: options.command.clone(),
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        smoke: options.smoke,
        machine: Machine::detect(),
        durability: durability(&nats_url, &admin_db).await,
        ..Results::default()
    };
    progress(format!("machine: {:?}", r.machine));

    progress("generating and building examples/tpch (release)");
    let project = match Project::generate_and_build(Variant::Plain) {
        Ok(p) => Some(p),
        Err(e) => {
            r.skipped.push(format!(
                "API, API keys, COPY, worker, computed-fields and end-to-end stages (they need \
                 the generated binaries): {e}"
            ));
            None
        }
    };

    let computed = match &project {
        Some(plain) if options.pair_stages(Pair::COMPUTED).any() => {
            progress("generating and building the computed model (release)");
            Project::generate_and_build(Variant::Computed)
                .map_err(|e| r.skipped.push(format!("computed-fields stages: {e}")))
                .ok()
                .map(|computed| (plain.clone(), computed))
        }
        _ => None,
    };
    let lab = if options.pair_stages(Pair::HL7).any() {
        progress("generating and building the lab models, JSON and HL7 v2 (release)");
        Project::generate_and_build(Variant::LabJson)
            .and_then(|json| Ok((json, Project::generate_and_build(Variant::LabHl7)?)))
            .map_err(|e| r.skipped.push(format!("HL7 v2 stages: {e}")))
            .ok()
    } else {
        None
    };

    let ctx = Stage {
        nats_url: nats_url.clone(),
        admin_db: admin_db.clone(),
        sizes,
        logs: logs.clone(),
        pin: options.pin,
        publish: options.runs(StageName::Publish),
        api: options.runs(StageName::Api),
    };
    if ctx.publish || ctx.api {
        if let Err(e) = ctx.publish_and_api(&mut r, project.as_ref()).await {
            r.skipped.push(format!("publish limit / API stages: {e}"));
        }
    }
    // Pairs of one binary: both forms are the plain model's, only their settings differ
    // (keys and a rate limit; OTEL_* variables).
    if let Some(plain) = &project {
        r.api_keys = ctx
            .same_binary_pair(&mut r, Pair::KEYS, plain, options)
            .await;
        r.metrics = ctx
            .same_binary_pair(&mut r, Pair::METRICS, plain, options)
            .await;
        r.telemetry = ctx
            .same_binary_pair(&mut r, Pair::TELEMETRY, plain, options)
            .await;
    }
    if options.runs(StageName::Recording) {
        progress("timing what recording metrics and carrying trace context cost");
        r.recording = Some(crate::recording::measure(sizes.recording_iterations));
    }
    if let Some(project) = &project {
        let copy_result = if options.runs(StageName::Copy) {
            Some(ctx.copy_limit(project).await)
        } else {
            None
        };
        match copy_result {
            None => {}
            Some(Ok(c)) => {
                progress(format!(
                    "COPY: {:.0} rows/s, {:.0} msgs/s",
                    c.rows_per_sec, c.msgs_per_sec
                ));
                r.copy = Some(c);
            }
            Some(Err(e)) => r.skipped.push(format!("write limit (COPY): {e}")),
        }
        if options.runs(StageName::Worker) {
            ctx.workers(&mut r, project).await;
        }
        if let Some(projects) = &computed {
            let stages = options.pair_stages(Pair::COMPUTED);
            r.computed = Some(ctx.pair(&mut r, Pair::COMPUTED, projects, stages).await);
        }
    }
    if options.runs(StageName::CopyMysql) || options.runs(StageName::WorkerMysql) {
        mysql::stage::run(&mut r, options, &nats_url, sizes, &logs, SEED).await;
    }
    if let Some(projects) = &lab {
        let stages = options.pair_stages(Pair::HL7);
        r.hl7 = Some(ctx.pair(&mut r, Pair::HL7, projects, stages).await);
    }
    if let Some(project) = project
        .as_ref()
        .filter(|_| options.runs(StageName::EndToEnd))
    {
        for &posting in &options.e2e_postings {
            ctx.end_to_end(&mut r, project, posting).await;
        }
    }
    r.fill_ratios();
    r
}

/// The NATS and PostgreSQL durability settings in force.
async fn durability(nats_url: &str, admin_db: &str) -> Durability {
    let mut d = Durability {
        jetstream: Durability::JETSTREAM_DEFAULT.into(),
        ..Durability::default()
    };
    if let Ok(client) = async_nats::connect(nats_url).await {
        d.nats_version = client.server_info().version;
    }
    if let Ok((client, conn)) = tokio_postgres::connect(admin_db, tokio_postgres::NoTls).await {
        tokio::spawn(conn);
        let _ = postgres_settings(&client, &mut d).await;
    }
    d
}

struct Stage {
    nats_url: String,
    admin_db: String,
    sizes: Sizes,
    logs: PathBuf,
    pin: bool,
    publish: bool,
    api: bool,
}

impl Stage {
    fn target(&self, stream: &TestStream, db: &TestDatabase) -> Target {
        Target {
            nats_url: self.nats_url.clone(),
            stream: stream.name().to_string(),
            database_url: db.url(),
            extra: Vec::new(),
        }
    }

    /// Publish limit, then the API (closed loop, open loop, batch; unpinned, then pinned).
    async fn publish_and_api(
        &self,
        r: &mut Results,
        project: Option<&Project>,
    ) -> Result<(), BenchError> {
        let stream = TestStream::new(&self.nats_url);
        let db = TestDatabase::create(&self.admin_db).await;
        let target = self.target(&stream, &db);
        // The API and the benchmark's own connection create or check the stream with the same
        // runtime code, so its settings are the generated binaries' whoever comes first.
        let api = match project {
            Some(p) if self.api => {
                services::migrate(p, &target, &self.logs).await?;
                Some(services::start_api(p, &target, &self.logs).await?)
            }
            _ => None,
        };
        let nats = Arc::new(services::connect_nats(&self.nats_url, stream.name(), "4GB").await?);
        let pool = Arc::new(payloads::orders_json(SEED, self.sizes.pool));
        if self.publish {
            for c in CONCURRENCY {
                let run =
                    publish::closed_loop(&nats, pool.clone(), c, self.sizes.publish_run).await;
                progress(format!("publish c={c}: {:.0} msgs/s", run.msgs_per_sec));
                r.publish.push(run);
                publish::purge(&nats).await?;
            }
            // The windows without ids (the limit), then the largest again with a
            // `Nats-Msg-Id` on every message: what JetStream's duplicate window costs.
            let windows = self
                .sizes
                .pipelined_windows
                .iter()
                .map(|&w| (w, MsgIds::Without));
            let keyed = self
                .sizes
                .pipelined_windows
                .last()
                .map(|&w| (w, MsgIds::OnEach));
            for (window, ids) in windows.chain(keyed) {
                let count = self.sizes.pipelined_messages;
                let run =
                    publish::pipelined(&nats, payloads::ENTITY, &pool, count, window, ids).await;
                progress(format!(
                    "publish pipelined, window {window}{}: {:.0} msgs/s",
                    run.ids_note(),
                    run.msgs_per_sec
                ));
                r.publish.push(run);
                publish::purge(&nats).await?;
            }
        }

        let Some((service, addr)) = api else {
            return Ok(());
        };
        let mut api = Api::new(addr, service.pid(), Variant::Plain);
        self.api_runs(r, &api, &service, &nats, &pool).await?;
        r.memory.api_peak_all_runs_kib = service.peak_rss_kib();
        match self.minimal_handler(&target, &nats, &pool).await {
            Ok(run) => r.minimal_handler = Some(run),
            Err(e) => r.skipped.push(format!("minimal handler (HTTP floor): {e}")),
        }
        if self.pin {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            match (api.pid, cores >= 2) {
                (Some(pid), true) => {
                    services::pin(pid, "0")?;
                    services::pin(std::process::id(), "1")?;
                    api.pinned = true;
                    let pinned = self.api_runs(r, &api, &service, &nats, &pool).await;
                    let all = format!("0-{}", cores - 1);
                    let _ = services::pin(std::process::id(), &all);
                    let _ = services::pin(pid, &all);
                    pinned?;
                }
                _ => r
                    .skipped
                    .push("pinned API run: needs at least 2 cores and a running API".into()),
            }
        }
        drop(service);
        Ok(())
    }

    async fn api_runs(
        &self,
        r: &mut Results,
        api: &Api,
        service: &nomnom_testkit::Service,
        nats: &NatsClient,
        pool: &Arc<Vec<bytes::Bytes>>,
    ) -> Result<(), BenchError> {
        let label = if api.pinned { "pinned" } else { "unpinned" };
        let payloads = Payloads::Pool(pool.clone());
        let mut best: f64 = 0.0;
        for c in CONCURRENCY {
            let run = api_load::closed_loop(api, &payloads, c, self.sizes.api_run).await?;
            progress(format!(
                "API {label} c={c}: {:.0} msgs/s, p99 {:.2} ms, {} errors",
                run.msgs_per_sec, run.latency.p99_ms, run.errors
            ));
            best = best.max(run.msgs_per_sec);
            r.api.push(run);
            if c == 256 && !api.pinned {
                // The goal's figure: the peak up to and including 256 connections in flight.
                r.memory.api_peak_kib = service.peak_rss_kib();
            }
            publish::purge(nats).await?;
        }
        for share in OPEN_LOOP_SHARES {
            let witnesses = Witnesses::start(&self.nats_url, api.addr, pool[0].clone()).await?;
            let mut open = api_load::open_loop(
                api,
                &payloads,
                (best * share).max(1.0),
                self.sizes.open_loop_run,
                OPEN_LOOP_CONNECTIONS,
                Posting::Single,
                false,
            )
            .await?;
            open.run.witnessed = Some(witnesses.finish(open.started).await?);
            open.run.share_of_max = Some(share);
            progress(format!(
                "API {label} open loop at {:.0}/s ({:.0}% of max): p99 {:.2} ms{}",
                open.run.offered_rate,
                share * 100.0,
                open.run.latency.p99_ms,
                witnessed_text(open.run.witnessed.as_ref())
            ));
            let offered = open.run.offered_rate;
            r.api_open_loop.push(open.run);
            publish::purge(nats).await?;
            if !api.pinned {
                // The same schedule without HTTP: what NATS alone does to the tail.
                let witnesses = Witnesses::start(&self.nats_url, api.addr, pool[0].clone()).await?;
                let (mut floor, started) =
                    publish::open_loop(nats, pool, offered, self.sizes.open_loop_run).await;
                floor.witnessed = Some(witnesses.finish(started).await?);
                floor.share_of_max = Some(share);
                progress(format!(
                    "publish open loop at {offered:.0}/s: p99 {:.2} ms{}",
                    floor.latency.p99_ms,
                    witnessed_text(floor.witnessed.as_ref())
                ));
                r.publish_open_loop.push(floor);
                publish::purge(nats).await?;
            }
        }
        let bodies = Arc::new(payloads::ndjson_bodies(pool, BATCH_LINES));
        let run = api_load::batch(
            api,
            bodies,
            BATCH_LINES,
            self.sizes.batch_concurrency,
            self.sizes.batch_run,
        )
        .await?;
        progress(format!(
            "API {label} batch: {:.0} msgs/s, {} errors",
            run.msgs_per_sec, run.errors
        ));
        r.api_batch.push(run);
        publish::purge(nats).await?;
        Ok(())
    }

    /// The HTTP floor ([`crate::minimal_api`]) at concurrency 64, on the same stream, while
    /// the API idles.
    async fn minimal_handler(
        &self,
        target: &Target,
        nats: &NatsClient,
        pool: &Arc<Vec<bytes::Bytes>>,
    ) -> Result<crate::results::ApiRun, BenchError> {
        let (service, addr) = minimal_api::start(target, &self.logs).await?;
        let endpoint = Api::new(addr, service.pid(), Variant::Plain);
        let run = api_load::closed_loop(
            &endpoint,
            &Payloads::Pool(pool.clone()),
            64,
            self.sizes.api_run,
        )
        .await?;
        progress(format!(
            "minimal handler c=64: {:.0} msgs/s, p99 {:.2} ms, {} errors",
            run.msgs_per_sec, run.latency.p99_ms, run.errors
        ));
        drop(service);
        publish::purge(nats).await?;
        Ok(run)
    }

    /// Binary COPY into the tables `worker migrate` creates in a fresh database.
    async fn copy_limit(&self, project: &Project) -> Result<copy::CopyRun, BenchError> {
        let stream = TestStream::new(&self.nats_url);
        let db = TestDatabase::create(&self.admin_db).await;
        services::migrate(project, &self.target(&stream, &db), &self.logs).await?;
        let mut client = db.client().await;
        copy::measure(
            &mut client,
            SEED,
            self.sizes.copy_messages,
            self.sizes.copy_batch,
        )
        .await
    }

    async fn workers(&self, r: &mut Results, project: &Project) {
        let n = self
            .sizes
            .worker_messages(r.copy.as_ref().map(|c| c.msgs_per_sec));
        let drains = [
            Drain {
                processes: 1,
                messages: n,
                looping: Loop::Worker,
                seed: SEED,
                variant: Variant::Plain,
                digest_rows: false,
            },
            Drain {
                processes: 2,
                messages: n,
                looping: Loop::Worker,
                seed: SEED + 1,
                variant: Variant::Plain,
                digest_rows: false,
            },
            Drain {
                processes: 1,
                messages: self.sizes.legacy_messages,
                looping: Loop::FirstNomnom,
                seed: SEED + 2,
                variant: Variant::Plain,
                digest_rows: false,
            },
        ];
        for drain in &drains {
            let name = match drain.looping {
                Loop::Worker => "worker",
                Loop::FirstNomnom => drain.looping.label(),
            };
            let what = format!("{name} x{}", drain.processes);
            progress(format!("{what}: draining {} messages", drain.messages));
            match worker_bench::drain(project, &self.nats_url, &self.admin_db, drain, &self.logs)
                .await
            {
                Ok(run) => {
                    progress(format!(
                        "{what}: {:.0} msgs/s, {:.0} rows/s, verified {}",
                        run.msgs_per_sec, run.rows_per_sec, run.verified
                    ));
                    r.workers.push(run);
                }
                Err(e) => r.skipped.push(format!("{what}: {e}")),
            }
        }
    }

    /// A pair's stages (API, then worker), both forms back to back.
    /// `pair`'s stages that `options` names, both forms run by `plain`'s binaries; `None`
    /// when none is named.
    async fn same_binary_pair(
        &self,
        r: &mut Results,
        pair: Pair,
        plain: &Project,
        options: &Options,
    ) -> Option<PairCost> {
        let stages = options.pair_stages(pair);
        if !stages.any() {
            return None;
        }
        let projects = (plain.clone(), plain.clone());
        Some(self.pair(r, pair, &projects, stages).await)
    }

    async fn pair(
        &self,
        r: &mut Results,
        pair: Pair,
        projects: &(Project, Project),
        stages: PairStages,
    ) -> PairCost {
        let stage = PairStage {
            pair,
            baseline: &projects.0,
            candidate: &projects.1,
            nats_url: &self.nats_url,
            admin_db: &self.admin_db,
            sizes: self.sizes,
            seed: SEED,
            logs: &self.logs,
        };
        stage.measure(stages, &mut r.skipped).await
    }

    async fn end_to_end(&self, r: &mut Results, project: &Project, posting: Posting) {
        let api = r.api_alone(posting);
        let worker1 = r.worker_run(1).map(|w| w.msgs_per_sec);
        // Without both rates from this run the start is a guess, and the search climbs faster.
        let (start_rate, growth) = match (api, worker1) {
            (Some(a), Some(w)) => (a.min(w) * 0.5, 1.25),
            (Some(x), None) | (None, Some(x)) => (x * 0.5, 1.5),
            (None, None) => (500.0, 2.0),
        };
        let plan = end_to_end::Plan {
            posting,
            start_rate,
            growth,
            step: self.sizes.e2e_step,
            max_steps: self.sizes.e2e_max_steps,
            latency_run: self.sizes.e2e_latency_run,
            sustain: self.sizes.sustain,
            seed: SEED + 3,
        };
        let label = posting.label();
        progress(format!(
            "end to end, {label}: searching from {:.0}/s",
            plan.start_rate
        ));
        match end_to_end::run(project, &self.nats_url, &self.admin_db, &plan, &self.logs).await {
            Ok(e2e) => {
                progress(format!(
                    "end to end, {label}: sustained {:.0}/s, 202→persisted p99 {:.2} ms",
                    e2e.sustained_rate, e2e.latency_to_persisted.p99_ms
                ));
                r.end_to_end.push(e2e);
            }
            Err(e) => r.skipped.push(format!("end to end, {label}: {e}")),
        }
    }
}

/// The default output folder, inside the workspace's `target/`.
pub fn default_out() -> PathBuf {
    crate::project::workspace_root().join("target/nomnom-bench")
}

/// Resolves `out` against the workspace root when relative (cargo runs the program from the
/// crate's folder or the workspace, depending on how it was started).
pub fn resolve_out(out: &Path) -> PathBuf {
    if out.is_absolute() {
        out.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(out))
            .unwrap_or_else(|_| default_out())
    }
}

/// Checks that every stage of `options` produced its figures (a smoke run's verdict).
pub fn smoke_is_complete(r: &Results, options: &Options) -> Result<(), String> {
    let mut missing: Vec<String> = Vec::new();
    if options.runs(StageName::Publish)
        && (r.publish.iter().filter(|p| !p.pipelined).count() != CONCURRENCY.len()
            || !r.publish.iter().any(|p| p.pipelined))
    {
        missing.push("publish limit".into());
    }
    if options.runs(StageName::Api)
        && (r.api.len() < CONCURRENCY.len()
            || r.api_open_loop.is_empty()
            || r.publish_open_loop.is_empty()
            || r.api_batch.is_empty()
            || r.minimal_handler.is_none())
    {
        missing.push("API".into());
    }
    if options.runs(StageName::Copy) && r.copy.is_none() {
        missing.push("COPY limit".into());
    }
    if options.runs(StageName::Worker)
        && (r.workers.len() < 3 || r.workers.iter().any(|w| !w.verified))
    {
        missing.push("worker drains (all verified)".into());
    }
    let all_verified = |c: &MysqlWriteRun| {
        c.runs.len() == crate::mysql::strategies::Strategy::ALL.len()
            && c.runs.iter().all(|s| s.verified && s.rows > 0)
    };
    if options.runs(StageName::CopyMysql) && !r.copy_mysql.as_ref().is_some_and(all_verified) {
        missing.push("MariaDB write limit and upserts (all verified)".into());
    }
    if options.runs(StageName::WorkerMysql) && !r.worker_mysql.as_ref().is_some_and(|w| w.verified)
    {
        missing.push("MariaDB worker drain (verified)".into());
    }
    if options.runs(StageName::Recording) && r.recording.is_none() {
        missing.push("recording".into());
    }
    if options.runs(StageName::EndToEnd) && r.end_to_end.len() < options.e2e_postings.len() {
        missing.push("end to end".into());
    }
    for (pair, cost) in [
        (Pair::COMPUTED, &r.computed),
        (Pair::KEYS, &r.api_keys),
        (Pair::METRICS, &r.metrics),
        (Pair::TELEMETRY, &r.telemetry),
        (Pair::HL7, &r.hl7),
    ] {
        missing.extend(pair_stage::missing(
            pair,
            cost.as_ref(),
            options.pair_stages(pair),
        ));
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "missing: {}; skipped: {}",
            missing.join(", "),
            r.skipped.join(" | ")
        ))
    }
}
