//! The models the benchmark runs, each with its payloads: the TPC-H model as
//! `examples/tpch` (every column read from the message) and as `models/tpch-computed` (the
//! same tables and columns, twelve of them computed from inputs in the sender's formats,
//! [`crate::raw_orders`]); the laboratory model as `examples/hl7-lab` (HL7 v2 ORU^R01
//! messages) and as `models/lab-json` (the same tables and columns from JSON documents). The
//! same seed gives the same orders (or reports) in both forms of a model, which become the
//! same rows; [`Pair`] names the two forms a stage compares.

use std::path::PathBuf;

use bytes::Bytes;
use nomnom_testkit::lab_reports;
use serde::Serialize;

use crate::pair_cost::Load;
use crate::pair_stage::CONCURRENCY;
use crate::payloads::{self, CHUNK};
use crate::posting::BATCH_LINES;
use crate::raw_orders::raw_order;

/// A model, with its payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// `examples/tpch`: every column read from the message.
    Plain,
    /// `crates/nomnom-bench/models/tpch-computed`: twelve columns computed.
    Computed,
    /// `crates/nomnom-bench/models/lab-json`: lab reports as JSON documents.
    LabJson,
    /// `examples/hl7-lab`: lab reports as HL7 v2 ORU^R01 messages.
    LabHl7,
    /// `examples/tpch` with API keys and a rate limit configured: the plain model's binaries
    /// and messages, each request carrying a key ([`crate::api_keys`]).
    Keyed,
    /// `examples/tpch` with metrics off (`OTEL_METRICS_EXPORTER=none`) and trace context on:
    /// the plain model's binaries and messages, doing all but recording metrics.
    Unmetered,
    /// `examples/tpch` with metrics and trace context off (`OTEL_METRICS_EXPORTER=none`,
    /// `OTEL_PROPAGATORS=none`): the plain model's binaries and messages, doing what they did
    /// before either existed.
    Unobserved,
}

/// Two forms of one model that store the same rows, compared back to back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pair {
    /// The form the other is measured against.
    pub baseline: Variant,
    /// The form measured.
    pub candidate: Variant,
}

impl Pair {
    /// Computed fields against the same model without them (issue 16).
    pub const COMPUTED: Pair = Pair {
        baseline: Variant::Plain,
        candidate: Variant::Computed,
    };
    /// HL7 v2 messages against JSON documents carrying the same reports (issue 17).
    pub const HL7: Pair = Pair {
        baseline: Variant::LabJson,
        candidate: Variant::LabHl7,
    };
    /// The API with keys and a rate limit configured against the open API (issue 20).
    pub const KEYS: Pair = Pair {
        baseline: Variant::Plain,
        candidate: Variant::Keyed,
    };
    /// The binaries with metrics (their default) against the same binaries with metrics off,
    /// trace context on in both: what recording metrics costs (issue 19's goal).
    pub const METRICS: Pair = Pair {
        baseline: Variant::Unmetered,
        candidate: Variant::Plain,
    };
    /// The binaries with metrics and trace context (their default) against the same binaries
    /// with both off: what issue 19 costs in all, the `traceparent` header with it.
    pub const TELEMETRY: Pair = Pair {
        baseline: Variant::Unobserved,
        candidate: Variant::Plain,
    };

    /// What the pair measures, in the results.
    pub fn title(self) -> &'static str {
        match self {
            Pair::HL7 => "HL7 v2",
            Pair::KEYS => "API keys",
            Pair::METRICS => "metrics",
            Pair::TELEMETRY => "metrics and traces",
            _ => "computed fields",
        }
    }

    /// What its API stage posts, in running order: single messages at c=64, then (except for
    /// keys, whose goal is single messages) 1,000-message batches, then (HL7 only) MLLP.
    pub fn api_loads(self) -> Vec<Load> {
        let mut loads = vec![Load::Single {
            concurrency: CONCURRENCY,
        }];
        if self != Pair::KEYS {
            loads.push(Load::Batch { lines: BATCH_LINES });
        }
        if self.candidate.is_hl7() {
            loads.push(Load::Mllp {
                connections: CONCURRENCY,
            });
        }
        loads
    }

    /// Both, the baseline first.
    pub fn both(self) -> [Variant; 2] {
        [self.baseline, self.candidate]
    }

    /// The order the two run in, in round `round`: the baseline first in even rounds, the
    /// candidate first in odd ones, so a machine that drifts weighs on both alike.
    pub fn order(self, round: usize) -> [Variant; 2] {
        if round.is_multiple_of(2) {
            [self.baseline, self.candidate]
        } else {
            [self.candidate, self.baseline]
        }
    }
}

impl Variant {
    /// Its name in the results.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::Computed => "computed",
            Variant::LabJson => "json",
            Variant::LabHl7 => "hl7",
            Variant::Keyed => "keyed",
            Variant::Unmetered => "unmetered",
            Variant::Unobserved => "unobserved",
        }
    }

    /// The name its project and binaries are built under in the shared target directory.
    pub fn project_name(self) -> &'static str {
        match self {
            Variant::Plain | Variant::Keyed | Variant::Unmetered | Variant::Unobserved => "tpch",
            Variant::Computed => "tpch-computed",
            Variant::LabJson => "lab-json",
            Variant::LabHl7 => "hl7-lab",
        }
    }

    /// The folder holding its `nomnom.yaml`.
    pub fn model_dir(self) -> PathBuf {
        let root = nomnom_testkit::project::workspace_root();
        match self {
            Variant::Plain | Variant::Keyed | Variant::Unmetered | Variant::Unobserved => {
                root.join("examples/tpch")
            }
            Variant::Computed => root.join("crates/nomnom-bench/models/tpch-computed"),
            Variant::LabJson => root.join("crates/nomnom-bench/models/lab-json"),
            Variant::LabHl7 => root.join("examples/hl7-lab"),
        }
    }

    /// The variable naming a folder that holds its `ingestion-api` and `worker` already
    /// built (nothing is built then).
    pub fn bin_dir_variable(self) -> &'static str {
        match self {
            Variant::Plain | Variant::Keyed | Variant::Unmetered | Variant::Unobserved => {
                "NOMNOM_BENCH_BIN_DIR"
            }
            Variant::Computed => "NOMNOM_BENCH_COMPUTED_BIN_DIR",
            Variant::LabJson => "NOMNOM_BENCH_LAB_JSON_BIN_DIR",
            Variant::LabHl7 => "NOMNOM_BENCH_HL7_BIN_DIR",
        }
    }

    /// The root entity its messages are for.
    pub fn entity(self) -> &'static str {
        match self {
            Variant::Plain
            | Variant::Computed
            | Variant::Keyed
            | Variant::Unmetered
            | Variant::Unobserved => payloads::ENTITY,
            Variant::LabJson | Variant::LabHl7 => "LabReport",
        }
    }

    /// The variables its API and worker run with beyond the benchmark's own (the keyed
    /// form's keys file is written per run, by the stage).
    pub fn env(self) -> Vec<(&'static str, String)> {
        match self {
            Variant::Unmetered => vec![("OTEL_METRICS_EXPORTER", "none".to_owned())],
            Variant::Unobserved => vec![
                ("OTEL_METRICS_EXPORTER", "none".to_owned()),
                ("OTEL_PROPAGATORS", "none".to_owned()),
            ],
            _ => Vec::new(),
        }
    }

    /// Whether its messages are HL7 v2.
    pub fn is_hl7(self) -> bool {
        self == Variant::LabHl7
    }

    /// The tables a drain of its messages writes, the root's first.
    pub fn tables(self) -> &'static [&'static str] {
        match self {
            Variant::Plain
            | Variant::Computed
            | Variant::Keyed
            | Variant::Unmetered
            | Variant::Unobserved => &["orders", "order_line_items"],
            Variant::LabJson | Variant::LabHl7 => &["lab_reports", "lab_orders", "lab_results"],
        }
    }

    /// `Content-Type` of a single message.
    pub fn content_type(self) -> &'static str {
        if self.is_hl7() {
            "x-application/hl7-v2+er7"
        } else {
            "application/json"
        }
    }

    /// `Content-Type` of a batch.
    pub fn batch_content_type(self) -> &'static str {
        if self.is_hl7() {
            "x-application/hl7-v2+er7"
        } else {
            "application/x-ndjson"
        }
    }

    /// Messages `first_chunk*CHUNK+1 ..` (`chunks` chunks) from `seed`, in this form
    /// ([`payloads::order_chunks`] for the plain model). A chunk is drawn from its own seed,
    /// so any chunk can be made without the ones before it.
    pub fn message_chunks(self, seed: u64, first_chunk: u64, chunks: u64) -> Vec<Bytes> {
        match self {
            Variant::Plain | Variant::Keyed | Variant::Unmetered | Variant::Unobserved => {
                payloads::order_chunks(seed, first_chunk, chunks)
            }
            Variant::Computed => payloads::order_values(seed, first_chunk, chunks)
                .map(|order| Bytes::from(raw_order(&order).to_string()))
                .collect(),
            Variant::LabJson | Variant::LabHl7 => (first_chunk..first_chunk + chunks)
                .flat_map(|k| {
                    let chunk_seed = seed.wrapping_mul(1_000_003).wrapping_add(k);
                    lab_reports::reports(chunk_seed, k * CHUNK + 1, CHUNK)
                })
                .map(|report| match self {
                    Variant::LabHl7 => Bytes::from(report.to_hl7()),
                    _ => Bytes::from(report.to_json().to_string()),
                })
                .collect(),
        }
    }

    /// The first `count` messages from `seed`, in this form ([`payloads::orders_json`] for
    /// the plain model).
    pub fn messages(self, seed: u64, count: u64) -> Vec<Bytes> {
        let mut messages = self.message_chunks(seed, 0, count.div_ceil(CHUNK));
        messages.truncate(count as usize);
        messages
    }

    /// Rows below the root that `messages` become (line items, or orders and results).
    pub fn child_rows(self, messages: &[Bytes]) -> u64 {
        match self {
            Variant::Plain
            | Variant::Computed
            | Variant::Keyed
            | Variant::Unmetered
            | Variant::Unobserved => payloads::line_item_count(messages),
            Variant::LabHl7 => messages
                .iter()
                .flat_map(|m| m.split(|&c| c == b'\r'))
                .filter(|s| s.starts_with(b"OBR|") || s.starts_with(b"OBX|"))
                .count() as u64,
            Variant::LabJson => messages
                .iter()
                .filter_map(|m| serde_json::from_slice::<serde_json::Value>(m).ok())
                .flat_map(|r| r["orders"].as_array().cloned().unwrap_or_default())
                .map(|o| 1 + o["results"].as_array().map_or(0, Vec::len) as u64)
                .sum(),
        }
    }

    /// Batch bodies of `per_body` messages each, cut from `messages` (the last may be
    /// shorter): NDJSON lines, or HL7 messages one after the other (a batch without
    /// BHS/BTS, which the API splits at each MSH).
    pub fn batch_bodies(self, messages: &[Bytes], per_body: usize) -> Vec<Bytes> {
        if !self.is_hl7() {
            return payloads::ndjson_bodies(messages, per_body);
        }
        messages
            .chunks(per_body.max(1))
            .map(|chunk| Bytes::from(chunk.concat()))
            .collect()
    }

    /// Messages in a batch body made by [`Variant::batch_bodies`].
    pub fn messages_in_body(self, body: &[u8]) -> u64 {
        if self.is_hl7() {
            let starts = body
                .split(|&c| c == b'\r')
                .filter(|s| s.starts_with(b"MSH|"));
            starts.count() as u64
        } else {
            body.iter().filter(|&&c| c == b'\n').count() as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_carry_the_same_orders() {
        let plain = Variant::Plain.messages(4, 1_500);
        let computed = Variant::Computed.messages(4, 1_500);
        assert_eq!(plain, payloads::orders_json(4, 1_500));
        assert_eq!(computed.len(), 1_500);
        for (p, c) in plain.iter().zip(&computed) {
            let p: serde_json::Value = serde_json::from_slice(p).unwrap();
            let c: serde_json::Value = serde_json::from_slice(c).unwrap();
            assert_eq!(c, raw_order(&p));
        }
        assert_eq!(
            payloads::line_item_count(&plain),
            payloads::line_item_count(&computed)
        );
        assert!(Variant::Computed.model_dir().join("nomnom.yaml").is_file());
        assert!(Variant::Plain.model_dir().join("nomnom.yaml").is_file());
    }

    #[test]
    fn both_lab_forms_carry_the_same_reports_and_batch_alike() {
        let json = Variant::LabJson.messages(6, 1_200);
        let hl7 = Variant::LabHl7.messages(6, 1_200);
        assert_eq!((json.len(), hl7.len()), (1_200, 1_200));
        let reports = nomnom_testkit::lab_reports::reports(6_u64.wrapping_mul(1_000_003), 1, 3);
        assert_eq!(hl7[0], Bytes::from(reports[0].to_hl7()));
        assert_eq!(json[2], Bytes::from(reports[2].to_json().to_string()));
        assert!(hl7[1_000].starts_with(b"MSH|^~\\&|LAB|"));
        let children = Variant::LabHl7.child_rows(&hl7);
        assert_eq!(Variant::LabJson.child_rows(&json), children);
        assert!(children > 1_200 * 3, "1-3 orders of 1-6 results each");
        for variant in Pair::HL7.both() {
            let messages = variant.messages(6, 250);
            let bodies = variant.batch_bodies(&messages, 100);
            let counts: Vec<u64> = bodies.iter().map(|b| variant.messages_in_body(b)).collect();
            assert_eq!(counts, [100, 100, 50], "{variant:?}");
        }
        assert_eq!(Pair::HL7.order(1), [Variant::LabHl7, Variant::LabJson]);
        // Metrics and traces: the plain binaries and orders, both off in the baseline only.
        assert_eq!(
            Variant::Unobserved.messages(6, 40),
            Variant::Plain.messages(6, 40)
        );
        assert_eq!(
            Variant::Unobserved.project_name(),
            Variant::Plain.project_name()
        );
        let env = Variant::Unobserved.env();
        let off: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            off,
            [
                ("OTEL_METRICS_EXPORTER", "none"),
                ("OTEL_PROPAGATORS", "none")
            ]
        );
        let env = nomnom_runtime::config::Env::from_pairs(off);
        assert_eq!(
            nomnom_runtime::config::TelemetryConfig::from(&env),
            Ok(nomnom_runtime::config::TelemetryConfig::OFF)
        );
        assert!(Variant::Plain.env().is_empty());
        let unmetered = Variant::Unmetered.env();
        let env = nomnom_runtime::config::Env::from_pairs(
            unmetered.iter().map(|(k, v)| (*k, v.as_str())),
        );
        let config = nomnom_runtime::config::TelemetryConfig::from(&env).unwrap();
        assert!(!config.metrics && config.trace_context);
        assert_eq!(Pair::METRICS.api_loads().len(), 2);
        assert_eq!(Pair::TELEMETRY.api_loads().len(), 2);
        assert!(Variant::LabJson.model_dir().join("nomnom.yaml").is_file());
        assert!(Variant::LabHl7.model_dir().join("nomnom.yaml").is_file());
    }
}
