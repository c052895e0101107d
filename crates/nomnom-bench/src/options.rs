//! Command-line options and the sizes of every stage (full run or `--smoke`).

use std::path::PathBuf;
use std::time::Duration;

use crate::pair_stage::PairStages;
use crate::posting::{Posting, BATCH_LINES};
use crate::variant::Pair;

/// The end-to-end stage's batches, before the run's sizes set their lines.
const BATCH_POSTING: Posting = Posting::Batch { lines: BATCH_LINES };

/// A stage of the program, for `--only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageName {
    /// The publish limit.
    Publish,
    /// The API (closed loop, open loop, batch).
    Api,
    /// The API with keys and a rate limit configured and the open API, back to back.
    ApiKeys,
    /// The API with metrics and without (trace context on in both), back to back.
    ApiMetrics,
    /// One worker with metrics and without (trace context on in both), back to back.
    WorkerMetrics,
    /// The API with metrics and trace context and without, back to back.
    ApiTelemetry,
    /// One worker with metrics and trace context and without, back to back.
    WorkerTelemetry,
    /// What recording metrics and carrying trace context cost per message, timed in-process.
    Recording,
    /// The COPY limit.
    Copy,
    /// The worker drains (1 and 2 processes, the first nomnom's loop).
    Worker,
    /// MariaDB's write limit (`LOAD DATA LOCAL INFILE`) and the two set-based upserts.
    CopyMysql,
    /// The worker generated for MySQL draining into MariaDB.
    WorkerMysql,
    /// The API with the plain model and with the computed one, back to back.
    ApiComputed,
    /// One worker with the plain model and with the computed one, back to back.
    WorkerComputed,
    /// The API with the lab model as JSON and as HL7 v2 (single, batches, MLLP), back to back.
    ApiHl7,
    /// One worker with the lab model as JSON and as HL7 v2, back to back.
    WorkerHl7,
    /// API and worker together.
    EndToEnd,
}

impl StageName {
    /// Every stage, in running order, with its name on the command line.
    pub const ALL: [(StageName, &'static str); 17] = [
        (StageName::Publish, "publish"),
        (StageName::Api, "api"),
        (StageName::ApiKeys, "api-keys"),
        (StageName::ApiMetrics, "api-metrics"),
        (StageName::WorkerMetrics, "worker-metrics"),
        (StageName::ApiTelemetry, "api-telemetry"),
        (StageName::WorkerTelemetry, "worker-telemetry"),
        (StageName::Recording, "recording"),
        (StageName::Copy, "copy"),
        (StageName::Worker, "worker"),
        (StageName::ApiComputed, "api-computed"),
        (StageName::WorkerComputed, "worker-computed"),
        (StageName::CopyMysql, "copy-mysql"),
        (StageName::WorkerMysql, "worker-mysql"),
        (StageName::ApiHl7, "api-hl7"),
        (StageName::WorkerHl7, "worker-hl7"),
        (StageName::EndToEnd, "e2e"),
    ];

    fn parse(name: &str) -> Option<StageName> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(s, _)| *s)
    }
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Tiny sizes, finishing in well under a minute: checks that the program works.
    pub smoke: bool,
    /// Where results, charts and logs go.
    pub out: PathBuf,
    /// Also run the API stages with the API pinned to CPU 0 and the load generator to CPU 1.
    pub pin: bool,
    /// Length of the sustained end-to-end run, overriding the default.
    pub sustain: Option<Duration>,
    /// `--rounds`: rounds of the stages comparing two forms back to back.
    pub rounds: Option<usize>,
    /// The stages to run (all unless `--only` names some).
    pub stages: Vec<StageName>,
    /// How the end-to-end stage posts, in running order (single messages, then 1,000-line
    /// batches, unless `--e2e-posting` names some).
    pub e2e_postings: Vec<Posting>,
    /// The command line, for the results page.
    pub command: String,
}

/// The usage text.
pub const USAGE: &str = "\
usage: nomnom-bench [--smoke] [--out DIR] [--pin] [--sustain SECONDS] [--rounds N]
                    [--only STAGES] [--e2e-posting WAYS] [--help]

  --smoke            tiny sizes: checks the program works (well under a minute), no figures
  --out DIR          where results.md, results.json, the SVG charts and logs go
                     (default: target/nomnom-bench)
  --pin              also run the API stages pinned (API on CPU 0, load generator on CPU 1)
  --sustain SECONDS  length of the sustained end-to-end run (default 600; smoke 2)
  --rounds N         rounds of the stages comparing two forms back to back (api-keys,
                     api-metrics, worker-metrics, api-telemetry, worker-telemetry,
                     api-computed, worker-computed, api-hl7, worker-hl7; default 3, smoke 1):
                     more rounds narrow a comparison on a machine whose speed moves
  --only STAGES      comma-separated subset of publish,api,api-keys,api-metrics,
                     worker-metrics,api-telemetry,worker-telemetry,recording,copy,worker,
                     api-computed,worker-computed,copy-mysql,worker-mysql,api-hl7,worker-hl7,
                     e2e, in that running order (ratios to limits not measured
                     in the run are left out)
  --e2e-posting WAYS comma-separated subset of single,batch: how the end-to-end stage posts
                     (default both: single messages, then 1,000-line NDJSON batches)
  -h, --help         print this help and exit

api-keys: what API keys and a rate limit cost. The API of examples/tpch posting single
messages at c=64, open and then with API_KEYS_FILE (one key, sent as Authorization: Bearer
on every request) and RATE_LIMIT_PER_SECOND/RATE_LIMIT_BURST set high enough never to
refuse, back to back on the same orders, in 3 rounds (smoke: 1); a 401 or 429 fails the
stage. Goal: the keyed rate at least 97% of the open one.

api-metrics, worker-metrics: what recording metrics costs. The binaries of examples/tpch
as they run by default and with OTEL_METRICS_EXPORTER=none (trace context carried in both),
the API posting single messages at c=64 and 1,000-line batches, and one worker draining a
stream, back to back on the same orders in 3 rounds (smoke: 1). Goal: with metrics, at
least 97% of the rate without.

api-telemetry, worker-telemetry: what metrics and trace context cost together. The same,
against both off (OTEL_METRICS_EXPORTER=none, OTEL_PROPAGATORS=none: what the binaries did
before either existed). Goal: with both, at least 97% of the rate without.

recording: what the API and the worker do per message because metrics and trace context are
on (the publish timed and its histogram sample, the outcome counted, the timing layer per
request, the traceparent header; the worker's per-batch recording and its reading of the
header), timed in this process with the runtime's code, 1,000,000 times each (smoke:
10,000), the fastest of 3; beside the API's CPU per message when api-metrics ran.

copy-mysql, worker-mysql: the worker on MariaDB (examples/tpch generated for MySQL).
copy-mysql writes the worker's rows for the same orders three ways, each into a
database of its own, one transaction per 500 orders: LOAD DATA LOCAL INFILE into the real
tables (the limit), the runtime's multi-row INSERT ... ON DUPLICATE KEY UPDATE, and LOAD
DATA into a staging table + INSERT ... SELECT ... ON DUPLICATE KEY UPDATE. worker-mysql
drains a pre-filled stream with one worker. Goal: the worker at least 50% of LOAD DATA.

api-computed, worker-computed: what computed fields cost per message. The API (single
messages at c=64, then 1,000-line batches) and one worker draining a stream, each run with
examples/tpch and with crates/nomnom-bench/models/tpch-computed (the same columns and rows,
twelve columns computed from the sender's formats), back to back on the same orders, in 3
rounds (smoke: 1). Goal: at most 10% more CPU per message in the API and in the worker.

api-hl7, worker-hl7: what HL7 v2 costs against JSON. The same generated ORU^R01 lab
reports as HL7 v2 messages (examples/hl7-lab) and as JSON documents
(crates/nomnom-bench/models/lab-json, the same tables and columns), the API posting single
messages at c=64 and 1,000-message batches (and, for HL7, MLLP with 64 connections), and one
worker draining each, back to back in 3 rounds (smoke: 1). Goal: HL7 at least 80% of JSON's
rate, MLLP at least 80% of JSON single messages.

environment: NOMNOM_TEST_NATS_URL, NOMNOM_TEST_DATABASE_URL, NOMNOM_TEST_MYSQL_URL (the
services measured; the MariaDB must allow LOAD DATA LOCAL INFILE),
NOMNOM_TARGET_DIR (shared target directory of generated projects),
NOMNOM_BENCH_BIN_DIR (use the ingestion-api, worker and first-nomnom-loop binaries in this
folder; without first-nomnom-loop the first nomnom's loop is skipped; nothing is built),
NOMNOM_BENCH_COMPUTED_BIN_DIR (the computed model's ingestion-api and worker; required by
the computed stages when NOMNOM_BENCH_BIN_DIR is set), NOMNOM_BENCH_LAB_JSON_BIN_DIR and
NOMNOM_BENCH_HL7_BIN_DIR (the same for the lab models and the HL7 stages),
NOMNOM_BENCH_MYSQL_BIN_DIR (tpch generated for MySQL, for the MariaDB stages)";

impl Options {
    /// Whether the arguments ask for the usage text (`-h` or `--help` anywhere).
    pub fn wants_help(args: &[String]) -> bool {
        args.iter().any(|a| a == "-h" || a == "--help")
    }

    /// Parses the arguments after the program name.
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            smoke: false,
            out: PathBuf::from("target/nomnom-bench"),
            pin: false,
            sustain: None,
            rounds: None,
            stages: StageName::ALL.iter().map(|(s, _)| *s).collect(),
            e2e_postings: vec![Posting::Single, BATCH_POSTING],
            command: std::iter::once("cargo run --release -p nomnom-bench --".to_string())
                .chain(args.iter().cloned())
                .collect::<Vec<_>>()
                .join(" "),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--smoke" => options.smoke = true,
                "--pin" => options.pin = true,
                "--out" => {
                    options.out = PathBuf::from(it.next().ok_or("--out needs a folder")?);
                }
                "--sustain" => {
                    let secs: u64 = it
                        .next()
                        .and_then(|s| s.parse().ok())
                        .ok_or("--sustain needs a number of seconds")?;
                    options.sustain = Some(Duration::from_secs(secs));
                }
                "--rounds" => {
                    let rounds: usize = it
                        .next()
                        .and_then(|s| s.parse().ok())
                        .filter(|n| *n > 0)
                        .ok_or("--rounds needs a whole number above 0")?;
                    options.rounds = Some(rounds);
                }
                "--only" => {
                    let list = it.next().ok_or("--only needs a list of stages")?;
                    options.stages = list
                        .split(',')
                        .map(|name| {
                            StageName::parse(name.trim())
                                .ok_or_else(|| format!("unknown stage `{name}`"))
                        })
                        .collect::<Result<_, _>>()?;
                }
                "--e2e-posting" => {
                    let list = it
                        .next()
                        .ok_or("--e2e-posting needs single, batch or both")?;
                    options.e2e_postings = list
                        .split(',')
                        .map(|way| match way.trim() {
                            "single" => Ok(Posting::Single),
                            "batch" => Ok(BATCH_POSTING),
                            other => Err(format!(
                                "unknown way of posting `{other}` (single or batch)"
                            )),
                        })
                        .collect::<Result<_, _>>()?;
                }
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        // Batches as large as the API batch run's, or smaller for a smoke run's tiny rates
        // (whatever the order of the flags).
        let lines = options.sizes().e2e_batch_lines;
        for posting in &mut options.e2e_postings {
            if let Posting::Batch { lines: l } = posting {
                *l = lines;
            }
        }
        if options.command.ends_with(" --") {
            options.command.truncate(options.command.len() - 3);
        }
        Ok(options)
    }

    /// Whether `stage` runs.
    pub fn runs(&self, stage: StageName) -> bool {
        self.stages.contains(&stage)
    }

    /// Which of `pair`'s stages run.
    pub fn pair_stages(&self, pair: Pair) -> PairStages {
        let (api, worker) = match pair {
            Pair::HL7 => (StageName::ApiHl7, Some(StageName::WorkerHl7)),
            // Keys are the API's: there is no worker stage.
            Pair::KEYS => (StageName::ApiKeys, None),
            Pair::METRICS => (StageName::ApiMetrics, Some(StageName::WorkerMetrics)),
            Pair::TELEMETRY => (StageName::ApiTelemetry, Some(StageName::WorkerTelemetry)),
            _ => (StageName::ApiComputed, Some(StageName::WorkerComputed)),
        };
        PairStages {
            api: self.runs(api),
            worker: worker.is_some_and(|w| self.runs(w)),
        }
    }

    /// The sizes for this run.
    pub fn sizes(&self) -> Sizes {
        let mut sizes = if self.smoke {
            Sizes::SMOKE
        } else {
            Sizes::FULL
        };
        if let Some(s) = self.sustain {
            sizes.sustain = s;
        }
        if let Some(rounds) = self.rounds {
            sizes.computed_rounds = rounds;
        }
        sizes
    }
}

/// How long or how much each stage runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizes {
    /// Each closed-loop publish run.
    pub publish_run: Duration,
    /// Iterations of each loop of the recording stage.
    pub recording_iterations: u64,
    /// Messages of each pipelined publish run.
    pub pipelined_messages: u64,
    /// Windows of the pipelined publish runs (the best is the limit).
    pub pipelined_windows: &'static [usize],
    /// Each closed-loop API run.
    pub api_run: Duration,
    /// The open-loop API run.
    pub open_loop_run: Duration,
    /// Each batch-endpoint run.
    pub batch_run: Duration,
    /// Bodies in flight on the batch endpoint.
    pub batch_concurrency: usize,
    /// Orders in the payload pool of the API and publish stages.
    pub pool: u64,
    /// Orders copied for the write limit.
    pub copy_messages: u64,
    /// Orders per COPY transaction (the worker's default batch size).
    pub copy_batch: usize,
    /// Fewest orders in the worker's stream.
    pub worker_min_messages: u64,
    /// Most orders in the worker's stream.
    pub worker_max_messages: u64,
    /// Seconds of work the worker's stream should hold, estimated from the COPY limit.
    pub worker_target: Duration,
    /// Orders for the first nomnom's loop (about 100 msgs/s).
    pub legacy_messages: u64,
    /// Each end-to-end search step.
    pub e2e_step: Duration,
    /// Most end-to-end search steps.
    pub e2e_max_steps: usize,
    /// The latency run at half the found rate.
    pub e2e_latency_run: Duration,
    /// The sustained run at the found rate.
    pub sustain: Duration,
    /// Lines per body when the end-to-end stage posts batches.
    pub e2e_batch_lines: usize,
    /// Rounds of the computed-fields stages (each runs both models).
    pub computed_rounds: usize,
    /// Orders in each drain of the computed-fields stage.
    pub computed_drain_messages: u64,
}

impl Sizes {
    /// A full run: figures for the results page (about 25 minutes with a 10-minute sustain).
    pub const FULL: Sizes = Sizes {
        recording_iterations: 1_000_000,
        publish_run: Duration::from_secs(10),
        // About 10 s at this machine's pipelined rate, as long as the batch run it is the
        // limit of (200,000 took 2–3.5 s: a burst measured against a 10 s run).
        pipelined_messages: 800_000,
        pipelined_windows: &[1_024, 4_096],
        api_run: Duration::from_secs(10),
        open_loop_run: Duration::from_secs(20),
        batch_run: Duration::from_secs(10),
        batch_concurrency: 4,
        pool: 20_000,
        copy_messages: 100_000,
        copy_batch: 500,
        worker_min_messages: 50_000,
        worker_max_messages: 1_000_000,
        worker_target: Duration::from_secs(25),
        legacy_messages: 2_000,
        e2e_step: Duration::from_secs(20),
        e2e_max_steps: 10,
        e2e_latency_run: Duration::from_secs(20),
        sustain: Duration::from_secs(600),
        e2e_batch_lines: BATCH_LINES,
        computed_rounds: 3,
        // About 8 s at the worker's rate on two cores: long enough for its CPU per message.
        computed_drain_messages: 100_000,
    };

    /// A smoke run: every stage once, tiny.
    pub const SMOKE: Sizes = Sizes {
        recording_iterations: 10_000,
        publish_run: Duration::from_millis(300),
        pipelined_messages: 2_000,
        pipelined_windows: &[512],
        api_run: Duration::from_millis(300),
        open_loop_run: Duration::from_millis(500),
        batch_run: Duration::from_millis(300),
        batch_concurrency: 2,
        pool: 1_000,
        copy_messages: 1_000,
        copy_batch: 500,
        worker_min_messages: 1_000,
        worker_max_messages: 1_000,
        worker_target: Duration::from_secs(1),
        legacy_messages: 100,
        e2e_step: Duration::from_millis(700),
        e2e_max_steps: 3,
        e2e_latency_run: Duration::from_millis(700),
        sustain: Duration::from_secs(2),
        e2e_batch_lines: 100,
        computed_rounds: 1,
        computed_drain_messages: 500,
    };

    /// Orders for the worker's stream: enough for `worker_target` at half the COPY limit
    /// (the worker's goal), within the bounds.
    pub fn worker_messages(&self, copy_msgs_per_sec: Option<f64>) -> u64 {
        let estimate = copy_msgs_per_sec.map_or(self.worker_min_messages, |r| {
            (r * 0.5 * self.worker_target.as_secs_f64()) as u64
        });
        estimate.clamp(self.worker_min_messages, self.worker_max_messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_flags_and_records_the_command() {
        let o = Options::parse(&args(&[
            "--smoke",
            "--out",
            "/tmp/x",
            "--pin",
            "--sustain",
            "30",
        ]))
        .unwrap();
        assert!(o.smoke && o.pin);
        assert_eq!(o.out, PathBuf::from("/tmp/x"));
        assert_eq!(o.sizes().sustain, Duration::from_secs(30));
        assert_eq!(
            o.command,
            "cargo run --release -p nomnom-bench -- --smoke --out /tmp/x --pin --sustain 30"
        );
        let d = Options::parse(&[]).unwrap();
        assert_eq!(d.command, "cargo run --release -p nomnom-bench");
        assert_eq!(d.sizes(), Sizes::FULL);
        assert!(Options::parse(&args(&["--fast"])).is_err());
        assert!(Options::parse(&args(&["--out"])).is_err());
        assert!(Options::parse(&args(&["--sustain", "soon"])).is_err());
        let rounds = Options::parse(&args(&["--smoke", "--rounds", "8"])).unwrap();
        assert_eq!(rounds.sizes().computed_rounds, 8);
        assert_eq!(Options::parse(&[]).unwrap().sizes().computed_rounds, 3);
        for bad in ["0", "many"] {
            assert!(Options::parse(&args(&["--rounds", bad])).is_err(), "{bad}");
        }
        assert!(Options::parse(&args(&["--rounds"])).is_err());
        assert!(d.runs(StageName::Publish) && d.runs(StageName::EndToEnd));
        let only = Options::parse(&args(&["--only", "publish,e2e"])).unwrap();
        assert_eq!(only.stages, vec![StageName::Publish, StageName::EndToEnd]);
        assert!(!only.runs(StageName::Api));
        assert!(Options::parse(&args(&["--only", "publish,fast"])).is_err());
        let computed = Options::parse(&args(&["--only", "api-computed,worker-computed"])).unwrap();
        assert_eq!(
            computed.stages,
            vec![StageName::ApiComputed, StageName::WorkerComputed]
        );
        assert!(d.runs(StageName::ApiComputed) && d.runs(StageName::WorkerComputed));
        let keys = Options::parse(&args(&["--only", "api-keys"])).unwrap();
        assert_eq!(keys.stages, vec![StageName::ApiKeys]);
        assert_eq!(
            keys.pair_stages(Pair::KEYS),
            PairStages {
                api: true,
                worker: false
            }
        );
        assert!(!keys.pair_stages(Pair::COMPUTED).any());
        assert!(d.runs(StageName::ApiKeys));
        let telemetry = Options::parse(&args(&["--only", "worker-telemetry"])).unwrap();
        assert_eq!(
            telemetry.pair_stages(Pair::TELEMETRY),
            PairStages {
                api: false,
                worker: true
            }
        );
        assert!(!telemetry.pair_stages(Pair::KEYS).any());
        assert!(d.pair_stages(Pair::TELEMETRY).api && d.pair_stages(Pair::TELEMETRY).worker);
        let metrics = Options::parse(&args(&["--only", "api-metrics"])).unwrap();
        assert_eq!(
            metrics.pair_stages(Pair::METRICS),
            PairStages {
                api: true,
                worker: false
            }
        );
        assert!(!metrics.pair_stages(Pair::TELEMETRY).any());
        let mariadb = Options::parse(&args(&["--only", "worker-mysql,copy-mysql"])).unwrap();
        assert_eq!(
            mariadb.stages,
            vec![StageName::WorkerMysql, StageName::CopyMysql]
        );
        assert!(d.runs(StageName::CopyMysql) && d.runs(StageName::WorkerMysql));
    }

    #[test]
    fn end_to_end_posts_both_ways_unless_told() {
        let d = Options::parse(&[]).unwrap();
        assert_eq!(
            d.e2e_postings,
            vec![Posting::Single, Posting::Batch { lines: 1_000 }]
        );
        let batch = Options::parse(&args(&["--e2e-posting", "batch"])).unwrap();
        assert_eq!(batch.e2e_postings, vec![Posting::Batch { lines: 1_000 }]);
        let both = Options::parse(&args(&["--e2e-posting", "batch, single"])).unwrap();
        assert_eq!(
            both.e2e_postings,
            vec![Posting::Batch { lines: 1_000 }, Posting::Single]
        );
        let unknown = Options::parse(&args(&["--e2e-posting", "stream"])).unwrap_err();
        assert!(unknown.contains("`stream`"), "{unknown}");
        assert!(Options::parse(&args(&["--e2e-posting"])).is_err());
        let smoke = Options::parse(&args(&["--e2e-posting", "batch", "--smoke"])).unwrap();
        assert_eq!(smoke.e2e_postings, vec![Posting::Batch { lines: 100 }]);
    }

    #[test]
    fn worker_stream_holds_about_twenty_five_seconds_at_half_the_copy_rate() {
        let s = Sizes::FULL;
        assert_eq!(s.worker_messages(Some(20_000.0)), 250_000);
        assert_eq!(s.worker_messages(Some(100.0)), 50_000);
        assert_eq!(s.worker_messages(Some(1e9)), 1_000_000);
        assert_eq!(s.worker_messages(None), 50_000);
        assert_eq!(Sizes::SMOKE.worker_messages(Some(20_000.0)), 1_000);
    }

    /// Every option the usage text names is one the parser accepts, with the kind of value
    /// the text gives it.
    #[test]
    fn every_option_in_the_usage_is_accepted() {
        let words: Vec<&str> = USAGE.split_whitespace().collect();
        let mut seen = 0;
        for (i, word) in words.iter().enumerate() {
            let flag = word.trim_matches(|c| c == '[' || c == ']' || c == ',');
            if !flag.starts_with("--") || flag == "--help" {
                continue;
            }
            let value = match words.get(i + 1).map(|w| w.trim_end_matches(']')) {
                Some("DIR") => Some("/tmp/out"),
                Some("SECONDS") => Some("5"),
                Some("N") => Some("5"),
                Some("STAGES") => Some("publish,worker"),
                Some("WAYS") => Some("single,batch"),
                _ => None,
            };
            let mut given = vec![flag];
            given.extend(value);
            assert!(Options::parse(&args(&given)).is_ok(), "{given:?}");
            seen += 1;
        }
        assert!(
            seen >= 12,
            "each option in the synopsis and in the list: {seen}"
        );
        assert!(Options::wants_help(&args(&["--pin", "-h"])));
        assert!(!Options::wants_help(&args(&["--pin"])));
    }
}
