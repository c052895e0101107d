//! Everything one run measured, with each figure's ratio to its limit from the same run.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::copy::CopyRun;
use crate::cpu::ServicesCpu;
use crate::machine::{Durability, Machine};
use crate::mysql::limit::MysqlWriteRun;
use crate::mysql::MariadbSettings;
use crate::pair_cost::{Load, PairCost};
use crate::pg_writes::PgWrites;
use crate::posting::{Posting, BATCH_LINES};
use crate::publish::{PublishOpenLoopRun, PublishRun};
use crate::stats::{ratio, LatencySummary};
use crate::witness::Witnessed;

/// The latency goal's offered rate, as a share of the best closed-loop rate.
pub const GOAL_OPEN_LOOP_SHARE: f64 = 0.5;

/// Closed-loop `POST /ingest/message` at one concurrency.
#[derive(Debug, Clone, Serialize)]
pub struct ApiRun {
    /// API pinned to one CPU and the load generator to the other.
    pub pinned: bool,
    /// Requests in flight.
    pub concurrency: usize,
    /// Requests answered 202.
    pub accepted: u64,
    /// Requests answered otherwise, or failed in transport.
    pub errors: u64,
    /// `errors` by the answer that refused them ([`crate::api_load::refusal`]).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub refusals: BTreeMap<String, u64>,
    /// Wall time, seconds.
    pub seconds: f64,
    /// 202s per second.
    pub msgs_per_sec: f64,
    /// Request latency (closed loop).
    pub latency: LatencySummary,
    /// CPU seconds of the load generator (this process) during the run.
    pub loadgen_cpu_seconds: Option<f64>,
    /// CPU seconds of the API process during the run.
    pub api_cpu_seconds: Option<f64>,
    /// CPU seconds NATS and PostgreSQL spent during the run.
    pub services_cpu: ServicesCpu,
    /// `msgs_per_sec` over the publish limit at the same number of acks in flight.
    pub ratio_to_publish: Option<f64>,
}

/// Open-loop `POST /ingest/message` at a fixed offered rate, latency corrected for
/// coordinated omission (measured from each request's due time).
#[derive(Debug, Clone, Serialize)]
pub struct OpenLoopRun {
    /// API pinned to one CPU and the load generator to the other.
    pub pinned: bool,
    /// Messages per second offered.
    pub offered_rate: f64,
    /// The offered rate as a share of the best closed-loop rate (API stage runs; `None` in
    /// end-to-end runs).
    pub share_of_max: Option<f64>,
    /// Kept-alive connections the requests were spread over.
    pub connections: usize,
    /// Messages per request (1: `POST /ingest/message`; more: NDJSON batches).
    pub lines_per_request: usize,
    /// Messages sent.
    pub sent: u64,
    /// Messages accepted (answered 202, or counted in a batch answer's `accepted`).
    pub accepted: u64,
    /// Messages refused, in failed requests, or never sent.
    pub errors: u64,
    /// `errors` by what refused them (`503 overloaded`, `no answer`, ...).
    pub errors_by_answer: BTreeMap<String, u64>,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Messages accepted per second.
    pub msgs_per_sec: f64,
    /// Corrected latency.
    pub latency: LatencySummary,
    /// When the slowest request was due, in seconds from the start.
    pub worst_at_s: Option<f64>,
    /// What the stall witnesses saw meanwhile (API stage runs; `None` in end-to-end runs).
    pub witnessed: Option<Witnessed>,
    /// CPU seconds of the load generator during the run.
    pub loadgen_cpu_seconds: Option<f64>,
    /// CPU seconds of the API process during the run.
    pub api_cpu_seconds: Option<f64>,
    /// CPU seconds NATS and PostgreSQL spent during the run.
    pub services_cpu: ServicesCpu,
}

/// `POST /ingest/batch` with NDJSON bodies.
#[derive(Debug, Clone, Serialize)]
pub struct BatchRun {
    /// API pinned to one CPU and the load generator to the other.
    pub pinned: bool,
    /// Lines (messages) per body.
    pub lines_per_body: usize,
    /// Bodies in flight.
    pub concurrency: usize,
    /// Lines accepted (from the responses' `accepted`).
    pub accepted: u64,
    /// Lines rejected plus lines of failed requests.
    pub errors: u64,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Accepted lines per second.
    pub msgs_per_sec: f64,
    /// Request latency of whole bodies.
    pub latency: LatencySummary,
    /// CPU seconds of the load generator during the run.
    pub loadgen_cpu_seconds: Option<f64>,
    /// CPU seconds of the API process during the run.
    pub api_cpu_seconds: Option<f64>,
    /// CPU seconds NATS and PostgreSQL spent during the run.
    pub services_cpu: ServicesCpu,
    /// `msgs_per_sec` over the pipelined publish limit.
    pub ratio_to_pipelined: Option<f64>,
}

/// Draining a pre-filled stream into PostgreSQL.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerRun {
    /// `batched` (the default loop) or `legacy-baseline` (the first nomnom's loop).
    pub mode: String,
    /// Worker processes sharing the consumer.
    pub processes: usize,
    /// `WORKER_BATCH_SIZE` (the default unless stated).
    pub batch_size: usize,
    /// Messages drained.
    pub messages: u64,
    /// Rows written over both tables (counted in the database afterwards).
    pub rows: u64,
    /// From the first message taken to the last acknowledged, seconds.
    pub seconds: f64,
    /// Messages per second.
    pub msgs_per_sec: f64,
    /// Rows per second.
    pub rows_per_sec: f64,
    /// Largest VmHWM over the worker processes, KiB.
    pub peak_rss_kib: Option<u64>,
    /// CPU seconds of the worker processes during the drain.
    pub worker_cpu_seconds: Option<f64>,
    /// CPU seconds NATS and PostgreSQL spent during the drain.
    pub services_cpu: ServicesCpu,
    /// Checkpoints and WAL PostgreSQL wrote during the drain.
    pub postgres_writes: Option<PgWrites>,
    /// `true` when the tables and `message_status` held exactly what was sent.
    pub verified: bool,
    /// The stored rows' digest, when asked for ([`crate::rows_digest`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_digest: Option<String>,
    /// `msgs_per_sec` over the COPY limit's messages per second.
    pub ratio_to_copy: Option<f64>,
}

/// One step of the search for the highest rate the worker keeps up with.
#[derive(Debug, Clone, Serialize)]
pub struct RateStep {
    /// Offered rate, per second.
    pub offered_rate: f64,
    /// Messages accepted per second.
    pub accepted_rate: f64,
    /// Messages not accepted.
    pub errors: u64,
    /// `errors` by what refused them.
    pub errors_by_answer: BTreeMap<String, u64>,
    /// Largest consumer backlog (pending + unacknowledged) sampled during the step.
    pub max_backlog: u64,
    /// Consumer backlog at the end of the step.
    pub backlog_at_end: u64,
    /// Where the backlog settled at the end: the median of the step's last quarter.
    pub settled_backlog: u64,
    /// Least-squares trend of the backlog over the step's second half, messages per second.
    pub backlog_growth_per_sec: f64,
    /// Whether the worker kept up (no errors, backlog bounded and not trending upwards).
    pub kept_up: bool,
    /// Duration, seconds.
    pub seconds: f64,
    /// What every process spent during the step.
    #[serde(flatten)]
    pub cpu: PipelineCpu,
}

/// CPU seconds of every process taking part in an end-to-end run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PipelineCpu {
    /// CPU seconds of the load generator (this program).
    pub loadgen_cpu_seconds: Option<f64>,
    /// CPU seconds of the API.
    pub api_cpu_seconds: Option<f64>,
    /// CPU seconds of the worker.
    pub worker_cpu_seconds: Option<f64>,
    /// CPU seconds of NATS and PostgreSQL.
    pub services_cpu: ServicesCpu,
}

impl PipelineCpu {
    /// The API's and the worker's seconds together (either when only one was read).
    pub fn binaries(&self) -> Option<f64> {
        match (self.api_cpu_seconds, self.worker_cpu_seconds) {
            (Some(a), Some(w)) => Some(a + w),
            (a, w) => a.or(w),
        }
    }
}

/// The sustained run at the found rate.
#[derive(Debug, Clone, Serialize)]
pub struct Sustain {
    /// Offered rate, per second.
    pub offered_rate: f64,
    /// Duration, seconds.
    pub seconds: f64,
    /// Largest backlog sampled (once a second).
    pub max_backlog: u64,
    /// Backlog at the end.
    pub final_backlog: u64,
    /// Where the backlog settled at the end: the median of the run's last minute.
    pub settled_backlog: u64,
    /// Least-squares trend of the backlog over the run's second half, messages per second.
    pub backlog_growth_per_sec: f64,
    /// Messages not accepted.
    pub errors: u64,
    /// `errors` by what refused them.
    pub errors_by_answer: BTreeMap<String, u64>,
    /// Judged as a search step is: no errors, the settled backlog bounded, no upward trend.
    pub kept_up: bool,
    /// Messages accepted per second.
    pub accepted_rate: f64,
    /// What every process spent during the run.
    #[serde(flatten)]
    pub cpu: PipelineCpu,
    /// The backlog at the end of each minute.
    pub backlog_each_minute: Vec<u64>,
    /// `message_status`'s size (MiB) at the end of each minute: bounded by the retention.
    #[serde(default)]
    pub status_mib_each_minute: Vec<f64>,
    /// Checkpoints and WAL PostgreSQL wrote during the run.
    pub postgres_writes: Option<PgWrites>,
    /// Size of the database at the end of the run, MiB.
    pub database_mib_at_end: Option<f64>,
    /// Messages still queued two minutes after the run, purged so that a retry starts from
    /// an empty backlog.
    pub purged_backlog: Option<u64>,
}

/// API and worker together, with the messages posted one way.
#[derive(Debug, Clone, Serialize)]
pub struct EndToEnd {
    /// How the load generator posted the messages.
    pub posting: Posting,
    /// The search, step by step.
    pub steps: Vec<RateStep>,
    /// Highest offered rate a search step kept up with.
    pub search_rate: f64,
    /// The rate that held for the whole sustained run (the search's when there was none;
    /// 0 when no attempt held).
    pub sustained_rate: f64,
    /// The rate the latency was measured at (half the search's rate).
    pub latency_rate: f64,
    /// From `received_at` (just before the 202) to `processed_at` (`persisted`), in steady
    /// state (the run follows another at the same rate).
    pub latency_to_persisted: LatencySummary,
    /// The same, for a run of the same length starting from an idle pipeline.
    pub latency_after_idle: LatencySummary,
    /// Messages of the latency run found `persisted`.
    pub persisted: u64,
    /// Messages of the latency run that got a 202.
    pub accepted: u64,
    /// The long runs, in order: at the search's rate, then at 90% of it if that did not
    /// hold.
    pub sustain: Vec<Sustain>,
    /// `sustained_rate` over the slower of the API alone posting the same way (single
    /// messages at c=64, or the batch run) and the worker alone (1 process).
    pub ratio_to_slower: Option<f64>,
}

/// Peak resident memory (VmHWM) seen during the runs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Memory {
    /// API, read right after the unpinned concurrency-256 run (the goal's figure), KiB.
    pub api_peak_kib: Option<u64>,
    /// API after all its runs (open loop and 1,000-line batches included), KiB.
    pub api_peak_all_runs_kib: Option<u64>,
    /// Worker at the default batch size, KiB.
    pub worker_peak_kib: Option<u64>,
}

/// One goal of issue 6 checked against this run.
#[derive(Debug, Clone, Serialize)]
pub struct Goal {
    /// What is compared.
    pub name: String,
    /// The figure.
    pub value: Option<f64>,
    /// Its limit (or bound), same unit.
    pub limit: Option<f64>,
    /// `value / limit`.
    pub ratio: Option<f64>,
    /// The goal, in words.
    pub target: String,
    /// Met, missed, or not measured (`None`).
    pub met: Option<bool>,
    /// The ratio reads as "times" (a speed-up), not as a share of a limit.
    pub ratio_is_times: bool,
}

/// The whole run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Results {
    /// The command line that produced these figures.
    pub command: String,
    /// When the run started (RFC 3339).
    pub started_at: String,
    /// Tiny sizes: a check that the program works, not figures.
    pub smoke: bool,
    /// The machine.
    pub machine: Machine,
    /// Durability settings in force.
    pub durability: Durability,
    /// Publish limit: closed loop by acks in flight, then pipelined.
    pub publish: Vec<PublishRun>,
    /// API closed loop.
    pub api: Vec<ApiRun>,
    /// The HTTP floor: a minimal endpoint (parse, publish, await the ack) at concurrency 64,
    /// unpinned ([`crate::minimal_api`]).
    pub minimal_handler: Option<ApiRun>,
    /// API open loop.
    pub api_open_loop: Vec<OpenLoopRun>,
    /// The in-process publish at the offered rates of the unpinned API open loops.
    pub publish_open_loop: Vec<PublishOpenLoopRun>,
    /// API batch endpoint.
    pub api_batch: Vec<BatchRun>,
    /// Write limit.
    pub copy: Option<CopyRun>,
    /// Worker drains.
    pub workers: Vec<WorkerRun>,
    /// The MariaDB server of the MariaDB stages, when they ran.
    pub mariadb: Option<MariadbSettings>,
    /// MariaDB's write limit and the two set-based upserts on the same rows (issue 21).
    pub copy_mysql: Option<MysqlWriteRun>,
    /// The worker generated for MySQL draining into MariaDB (issue 21).
    pub worker_mysql: Option<WorkerRun>,
    /// API and worker together: posting single messages, then batches.
    pub end_to_end: Vec<EndToEnd>,
    /// What computed fields cost per message: both models back to back (issue 16).
    pub computed: Option<PairCost>,
    /// What HL7 v2 costs against JSON: the lab model in both forms back to back (issue 17).
    pub hl7: Option<PairCost>,
    /// What API keys and a rate limit cost: the API open and keyed back to back (issue 20).
    pub api_keys: Option<PairCost>,
    /// What recording metrics costs: the binaries with and without, back to back (issue 19).
    pub metrics: Option<PairCost>,
    /// What metrics and trace context cost: the binaries with both and without, back to back
    /// (issue 19).
    pub telemetry: Option<PairCost>,
    /// What recording metrics and carrying trace context cost per message, timed in-process
    /// (issue 19).
    pub recording: Option<crate::recording::RecordingCost>,
    /// Peak memory.
    pub memory: Memory,
    /// The goals of issue 6, checked.
    pub goals: Vec<Goal>,
    /// Stages that could not run, and why.
    pub skipped: Vec<String>,
}

impl Results {
    /// The closed-loop publish rate at `in_flight` acks.
    pub fn publish_rate(&self, in_flight: usize) -> Option<f64> {
        self.publish
            .iter()
            .find(|p| !p.pipelined && !p.keyed && p.in_flight == in_flight)
            .map(|p| p.msgs_per_sec)
    }

    /// The pipelined publish limit: the best rate over the windows tried without ids.
    pub fn pipelined_rate(&self) -> Option<f64> {
        self.publish
            .iter()
            .filter(|p| p.pipelined && !p.keyed)
            .map(|p| p.msgs_per_sec)
            .reduce(f64::max)
    }

    /// The publish limit a load of the API is measured against: publishing at as many acks
    /// in flight as it has requests (single messages, MLLP), or pipelined (batches);
    /// `None` for drains or when the publish stage did not run.
    pub fn publish_limit_for(&self, load: Load) -> Option<f64> {
        match load {
            Load::Single { concurrency } => self.publish_rate(concurrency),
            Load::Mllp { connections } => self.publish_rate(connections),
            Load::Batch { .. } => self.pipelined_rate(),
            Load::Drain { .. } => None,
        }
    }

    /// The unpinned closed-loop API run at `concurrency`.
    pub fn api_run(&self, concurrency: usize) -> Option<&ApiRun> {
        self.api
            .iter()
            .find(|a| !a.pinned && a.concurrency == concurrency)
    }

    /// The one-process default worker run.
    pub fn worker_run(&self, processes: usize) -> Option<&WorkerRun> {
        self.workers
            .iter()
            .find(|w| w.mode == "batched" && w.processes == processes)
    }

    /// Fills every ratio from the limits measured in this run, and the goals.
    pub fn fill_ratios(&mut self) {
        let publish: Vec<(usize, f64)> = self
            .publish
            .iter()
            .filter(|p| !p.pipelined)
            .map(|p| (p.in_flight, p.msgs_per_sec))
            .collect();
        for run in &mut self.api {
            let limit = publish
                .iter()
                .find(|(c, _)| *c == run.concurrency)
                .map(|(_, r)| *r);
            run.ratio_to_publish = ratio(run.msgs_per_sec, limit);
        }
        let publish64 = self.publish_rate(64);
        if let Some(run) = &mut self.minimal_handler {
            run.ratio_to_publish = ratio(run.msgs_per_sec, publish64);
        }
        let pipelined = self.pipelined_rate();
        for run in &mut self.api_batch {
            run.ratio_to_pipelined = ratio(run.msgs_per_sec, pipelined);
        }
        let copy = self.copy.as_ref().map(|c| c.msgs_per_sec);
        for run in &mut self.workers {
            run.ratio_to_copy = ratio(run.msgs_per_sec, copy);
        }
        if let Some(c) = &mut self.copy_mysql {
            c.fill_ratios();
        }
        let load_data = self.copy_mysql.as_ref().and_then(MysqlWriteRun::limit);
        if let Some(run) = &mut self.worker_mysql {
            run.ratio_to_copy = ratio(run.msgs_per_sec, load_data);
        }
        for i in 0..self.end_to_end.len() {
            let slower = self.slower_alone(self.end_to_end[i].posting);
            let e2e = &mut self.end_to_end[i];
            e2e.ratio_to_slower = ratio(e2e.sustained_rate, slower);
        }
        if self.memory.worker_peak_kib.is_none() {
            self.memory.worker_peak_kib = self
                .workers
                .iter()
                .filter(|w| w.mode == "batched")
                .filter_map(|w| w.peak_rss_kib)
                .max();
        }
        for pair in [
            &mut self.computed,
            &mut self.hl7,
            &mut self.api_keys,
            &mut self.metrics,
            &mut self.telemetry,
        ]
        .into_iter()
        .flatten()
        {
            pair.compare();
        }
        self.goals = self.goals_checked();
    }

    /// The API alone posting as `posting` does: single messages at c=64, or the unpinned
    /// batch run.
    pub fn api_alone(&self, posting: Posting) -> Option<f64> {
        match posting {
            Posting::Single => self.api_run(64).map(|a| a.msgs_per_sec),
            Posting::Batch { .. } => self
                .api_batch
                .iter()
                .find(|b| !b.pinned)
                .map(|b| b.msgs_per_sec),
        }
    }

    /// The slower of the API alone posting as `posting` does ([`Results::api_alone`]) and
    /// the worker alone (1 process).
    pub fn slower_alone(&self, posting: Posting) -> Option<f64> {
        let worker = self.worker_run(1).map(|w| w.msgs_per_sec);
        Some(self.api_alone(posting)?.min(worker?))
    }

    /// The end-to-end goal for each way of posting that ran (single messages when none did).
    fn end_to_end_goals(&self) -> Vec<Goal> {
        let runs: Vec<Option<&EndToEnd>> = if self.end_to_end.is_empty() {
            vec![None]
        } else {
            self.end_to_end.iter().map(Some).collect()
        };
        runs.into_iter()
            .map(|e2e| {
                let posting = e2e.map_or(Posting::Single, |e| e.posting);
                let value = e2e.map(|e| e.sustained_rate);
                let limit = self.slower_alone(posting);
                let r = value.and_then(|v| ratio(v, limit));
                // The rate must also hold for the whole sustained run, when there was one.
                let held = e2e.and_then(|e| e.sustain.last()).is_none_or(|s| s.kept_up);
                Goal {
                    name: format!(
                        "End to end sustained, {}, vs slower of API-only and worker-only (msgs/s)",
                        posting.label()
                    ),
                    value,
                    limit,
                    ratio: r,
                    target: "at least 80% of the limit, backlog bounded for the sustained run"
                        .into(),
                    met: r.map(|r| r >= 0.8 && held),
                    ratio_is_times: false,
                }
            })
            .collect()
    }

    fn goals_checked(&self) -> Vec<Goal> {
        let at_least = |name: &str, value: Option<f64>, limit: Option<f64>, share: f64| {
            let r = value.and_then(|v| ratio(v, limit));
            Goal {
                name: name.into(),
                value,
                limit,
                ratio: r,
                target: format!("at least {:.0}% of the limit", share * 100.0),
                met: r.map(|r| r >= share),
                ratio_is_times: false,
            }
        };
        let at_most = |name: &str, value: Option<f64>, bound: f64, unit: &str| Goal {
            name: name.into(),
            value,
            limit: Some(bound),
            ratio: value.and_then(|v| ratio(v, Some(bound))),
            target: format!("at most {bound} {unit}"),
            met: value.map(|v| v <= bound),
            ratio_is_times: false,
        };
        let open_loop_p99 = self
            .api_open_loop
            .iter()
            .find(|o| !o.pinned && o.share_of_max == Some(GOAL_OPEN_LOOP_SHARE))
            .map(|o| o.latency.p99_ms);
        let batch = self.api_alone(Posting::Batch { lines: BATCH_LINES });
        let legacy = self
            .workers
            .iter()
            .find(|w| w.mode == "legacy-baseline")
            .map(|w| w.msgs_per_sec);
        let worker1 = self.worker_run(1).map(|w| w.msgs_per_sec);
        let mut goals = vec![
            at_least(
                "API single messages, c=64, vs publish at 64 acks in flight (msgs/s)",
                self.api_run(64).map(|a| a.msgs_per_sec),
                self.publish_rate(64),
                0.5,
            ),
            at_most(
                "API p99 latency, open loop at half the maximum rate (ms)",
                open_loop_p99,
                10.0,
                "ms",
            ),
            at_least(
                "API batch vs pipelined publish (msgs/s)",
                batch,
                self.pipelined_rate(),
                0.8,
            ),
            at_least(
                "Worker (1 process) vs binary COPY (msgs/s)",
                worker1,
                self.copy.as_ref().map(|c| c.msgs_per_sec),
                0.5,
            ),
        ];
        goals.extend(self.end_to_end_goals());
        goals.extend([
            at_most(
                "API peak memory (MiB)",
                self.memory.api_peak_kib.map(|k| k as f64 / 1024.0),
                32.0,
                "MiB",
            ),
            at_most(
                "Worker peak memory (MiB)",
                self.memory.worker_peak_kib.map(|k| k as f64 / 1024.0),
                64.0,
                "MiB",
            ),
        ]);
        let gain = match (worker1, legacy) {
            (Some(w), Some(l)) if l > 0.0 => Some(w / l),
            _ => None,
        };
        // The MariaDB worker before the first nomnom's loop, which stays last.
        goals.push(at_least(
            "Worker on MariaDB (1 process) vs LOAD DATA LOCAL INFILE (msgs/s)",
            self.worker_mysql.as_ref().map(|w| w.msgs_per_sec),
            self.copy_mysql.as_ref().and_then(MysqlWriteRun::limit),
            0.5,
        ));
        goals.push(Goal {
            name: "Worker vs the first nomnom's loop (times faster)".into(),
            value: worker1,
            limit: legacy,
            ratio: gain,
            target: "at least 100×".into(),
            met: gain.map(|g| g >= 100.0),
            ratio_is_times: true,
        });
        goals
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An end-to-end result with one sustained run (when `sustain_kept_up` is set).
    pub(crate) fn end_to_end(sustained_rate: f64, sustain_kept_up: Option<bool>) -> EndToEnd {
        EndToEnd {
            posting: Posting::Single,
            steps: Vec::new(),
            search_rate: sustained_rate,
            sustained_rate,
            latency_rate: sustained_rate / 2.0,
            latency_to_persisted: LatencySummary::default(),
            latency_after_idle: LatencySummary::default(),
            persisted: 0,
            accepted: 0,
            sustain: sustain_kept_up
                .map(|kept_up| Sustain {
                    offered_rate: sustained_rate,
                    seconds: 600.0,
                    max_backlog: 0,
                    final_backlog: 0,
                    settled_backlog: 0,
                    backlog_growth_per_sec: 0.0,
                    errors: 0,
                    errors_by_answer: BTreeMap::new(),
                    kept_up,
                    accepted_rate: sustained_rate,
                    cpu: PipelineCpu::default(),
                    backlog_each_minute: Vec::new(),
                    status_mib_each_minute: Vec::new(),
                    postgres_writes: None,
                    database_mib_at_end: None,
                    purged_backlog: None,
                })
                .into_iter()
                .collect(),
            ratio_to_slower: None,
        }
    }

    fn with_limits(e2e: EndToEnd) -> Results {
        let mut r = Results {
            end_to_end: vec![e2e],
            ..Results::default()
        };
        r.api.push(ApiRun {
            pinned: false,
            concurrency: 64,
            accepted: 1,
            errors: 0,
            refusals: BTreeMap::new(),
            seconds: 1.0,
            msgs_per_sec: 10_000.0,
            latency: LatencySummary::default(),
            loadgen_cpu_seconds: None,
            api_cpu_seconds: None,
            services_cpu: ServicesCpu::default(),
            ratio_to_publish: None,
        });
        r.workers.push(WorkerRun {
            mode: "batched".into(),
            processes: 1,
            batch_size: 500,
            messages: 1,
            rows: 5,
            seconds: 1.0,
            msgs_per_sec: 5_000.0,
            rows_per_sec: 25_000.0,
            peak_rss_kib: Some(20_000),
            worker_cpu_seconds: None,
            services_cpu: ServicesCpu::default(),
            postgres_writes: None,
            verified: true,
            rows_digest: None,
            ratio_to_copy: None,
        });
        r.fill_ratios();
        r
    }

    fn e2e_goal(r: &Results) -> &Goal {
        r.goals
            .iter()
            .find(|g| g.name.starts_with("End to end"))
            .expect("end-to-end goal")
    }

    #[test]
    fn end_to_end_is_compared_with_the_slower_of_api_and_worker_alone() {
        let r = with_limits(end_to_end(4_500.0, None));
        assert_eq!(r.end_to_end[0].ratio_to_slower, Some(0.9));
        assert_eq!(e2e_goal(&r).met, Some(true));
        assert_eq!(r.memory.worker_peak_kib, Some(20_000));
        assert_eq!(
            with_limits(end_to_end(3_000.0, None)).goals[4].met,
            Some(false)
        );
    }

    #[test]
    fn a_rate_that_does_not_hold_for_the_sustained_run_misses_the_goal() {
        assert_eq!(
            e2e_goal(&with_limits(end_to_end(4_500.0, Some(true)))).met,
            Some(true)
        );
        assert_eq!(
            e2e_goal(&with_limits(end_to_end(4_500.0, Some(false)))).met,
            Some(false)
        );
    }

    #[test]
    fn batch_posting_is_compared_with_the_batch_run_and_judged_on_its_own() {
        let mut r = with_limits(end_to_end(4_500.0, Some(false)));
        r.api_batch.push(BatchRun {
            pinned: false,
            lines_per_body: 1_000,
            concurrency: 4,
            accepted: 1,
            errors: 0,
            seconds: 1.0,
            msgs_per_sec: 4_000.0,
            latency: LatencySummary::default(),
            loadgen_cpu_seconds: None,
            api_cpu_seconds: None,
            services_cpu: ServicesCpu::default(),
            ratio_to_pipelined: None,
        });
        r.end_to_end.push(EndToEnd {
            posting: Posting::Batch { lines: 1_000 },
            ..end_to_end(3_600.0, Some(true))
        });
        r.fill_ratios();
        // The batch run (4,000/s) is slower than the worker (5,000/s): it is the limit.
        assert_eq!(
            r.slower_alone(Posting::Batch { lines: 1_000 }),
            Some(4_000.0)
        );
        assert_eq!(r.end_to_end[1].ratio_to_slower, Some(0.9));
        let goals: Vec<&Goal> = r
            .goals
            .iter()
            .filter(|g| g.name.starts_with("End to end"))
            .collect();
        assert_eq!(goals.len(), 2, "one goal per way of posting");
        assert!(goals[0].name.contains("single messages"));
        assert_eq!(goals[0].met, Some(false), "its sustained run did not hold");
        assert!(goals[1].name.contains("1000-line batches"));
        assert_eq!(goals[1].met, Some(true));
        assert!(r
            .goals
            .last()
            .unwrap()
            .name
            .starts_with("Worker vs the first"));
    }

    fn publish_run(
        in_flight: usize,
        pipelined: bool,
        keyed: bool,
        msgs_per_sec: f64,
    ) -> PublishRun {
        PublishRun {
            in_flight,
            pipelined,
            keyed,
            messages: 1,
            errors: 0,
            seconds: 1.0,
            msgs_per_sec,
            latency: None,
            cpu_seconds: None,
            services_cpu: ServicesCpu::default(),
        }
    }

    #[test]
    fn the_run_with_message_ids_is_never_the_publish_limit() {
        let r = Results {
            publish: vec![
                publish_run(64, false, false, 40_000.0),
                publish_run(1_024, true, false, 50_000.0),
                publish_run(4_096, true, false, 60_000.0),
                publish_run(4_096, true, true, 70_000.0),
            ],
            ..Results::default()
        };
        assert_eq!(r.pipelined_rate(), Some(60_000.0));
        assert_eq!(r.publish_rate(64), Some(40_000.0));
        assert_eq!(
            r.publish_rate(4_096),
            None,
            "pipelined runs are not closed loops"
        );
    }
}
