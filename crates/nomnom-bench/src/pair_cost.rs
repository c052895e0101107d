//! What one form of a model costs against another ([`Pair`]): both run back to back on the
//! same messages, under the same loads, and each binary's rate and CPU per message are
//! compared. Computed fields (issue 16): the computed model's binary spends at most 10% more
//! CPU per message than the plain model's. HL7 v2 (issue 17): the API and the worker take
//! HL7 messages at least 80% as fast as JSON documents carrying the same reports.
//!
//! The runs alternate within each round ([`Pair::order`]), so a machine that drifts during
//! the stage weighs on both forms alike; the figures are totals over the rounds, and each
//! round's own difference shows the spread.

use serde::Serialize;

use crate::cpu::ServicesCpu;
use crate::stats::ratio;
use crate::variant::{Pair, Variant};

/// What the candidate must achieve against the baseline, under every load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PairGoal {
    /// The candidate's binary spends at most this much more CPU per message (0.10: 10%).
    ExtraCpuAtMost(f64),
    /// The candidate's rate is at least this share of the baseline's (0.8: 80%).
    RateAtLeast(f64),
}

impl PairGoal {
    /// Whether a comparison meets it; `None` when its figure was not measured.
    fn met(self, extra_binary_cpu: Option<f64>, rate_ratio: Option<f64>) -> Option<bool> {
        match self {
            PairGoal::ExtraCpuAtMost(bound) => extra_binary_cpu.map(|e| e <= bound),
            PairGoal::RateAtLeast(share) => rate_ratio.map(|r| r >= share),
        }
    }
}

impl Pair {
    /// The goal of this pair's stages.
    pub fn goal(self) -> PairGoal {
        match self {
            Pair::HL7 => PairGoal::RateAtLeast(0.80),
            Pair::KEYS | Pair::METRICS | Pair::TELEMETRY => PairGoal::RateAtLeast(0.97),
            _ => PairGoal::ExtraCpuAtMost(0.10),
        }
    }
}

/// A load both models ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Load {
    /// `POST /ingest/message`, closed loop at `concurrency`.
    Single {
        /// Requests in flight.
        concurrency: usize,
    },
    /// `POST /ingest/batch` with bodies of `lines` messages (NDJSON lines, or HL7 messages).
    Batch {
        /// Messages per body.
        lines: usize,
    },
    /// HL7 v2 over MLLP: `connections` senders, each sending its next message once the ACK of
    /// the previous one came. Only the HL7 form runs it; it is compared with the baseline's
    /// single messages at the same concurrency.
    Mllp {
        /// Connections, one message in flight on each.
        connections: usize,
    },
    /// A pre-filled stream drained by `processes` workers.
    Drain {
        /// Worker processes.
        processes: usize,
    },
}

impl Load {
    /// The load in words.
    pub fn label(&self) -> String {
        match self {
            Load::Single { concurrency } => format!("API, single messages, c={concurrency}"),
            Load::Batch { lines } => format!("API, {lines}-line batches"),
            Load::Mllp { connections } => format!("API, MLLP, {connections} connections"),
            Load::Drain { processes } => format!("worker x{processes}, drain"),
        }
    }

    /// The load of the baseline this load is compared with: itself, except MLLP, which only
    /// the HL7 form runs, against single messages at the same concurrency.
    pub fn baseline_load(self) -> Load {
        match self {
            Load::Mllp { connections } => Load::Single {
                concurrency: connections,
            },
            other => other,
        }
    }
}

/// One run of one form under one load.
#[derive(Debug, Clone, Serialize)]
pub struct CostRun {
    /// The model.
    pub variant: Variant,
    /// The load.
    pub load: Load,
    /// The round (from 0).
    pub round: usize,
    /// Messages accepted (API) or drained (worker).
    pub messages: u64,
    /// Messages refused or failed.
    pub errors: u64,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Messages per second.
    pub msgs_per_sec: f64,
    /// CPU seconds of the binary under test (the API, or the worker).
    pub binary_cpu_seconds: Option<f64>,
    /// CPU seconds of the load generator (API runs).
    pub loadgen_cpu_seconds: Option<f64>,
    /// CPU seconds NATS and PostgreSQL spent.
    pub services_cpu: ServicesCpu,
    /// Drains: the tables and `message_status` held exactly what was sent.
    pub verified: Option<bool>,
}

impl CostRun {
    /// CPU seconds of every process counted.
    fn all_cpu(&self) -> Option<f64> {
        let parts = [
            self.binary_cpu_seconds,
            self.loadgen_cpu_seconds,
            self.services_cpu.nats_cpu_seconds,
            self.services_cpu.postgres_cpu_seconds,
        ];
        parts
            .iter()
            .any(Option::is_some)
            .then(|| parts.iter().flatten().sum())
    }
}

/// One form's runs under one load, added up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Messages over the rounds.
    pub messages: u64,
    /// Errors over the rounds.
    pub errors: u64,
    /// Wall time over the rounds, seconds.
    pub seconds: f64,
    /// Messages per second over the rounds.
    pub msgs_per_sec: f64,
    /// The binary's CPU microseconds per message.
    pub binary_micros: Option<f64>,
    /// Every counted process's CPU microseconds per message.
    pub all_micros: Option<f64>,
}

impl Totals {
    fn of<'a>(runs: impl Iterator<Item = &'a CostRun>) -> Option<Totals> {
        let mut t = Totals::default();
        let (mut binary, mut all) = (Some(0.0), Some(0.0));
        let mut any = false;
        for run in runs {
            any = true;
            t.messages += run.messages;
            t.errors += run.errors;
            t.seconds += run.seconds;
            binary = binary.zip(run.binary_cpu_seconds).map(|(a, b)| a + b);
            all = all.zip(run.all_cpu()).map(|(a, b)| a + b);
        }
        if !any {
            return None;
        }
        let per_message = |cpu: Option<f64>| {
            cpu.filter(|_| t.messages > 0)
                .map(|c| c * 1e6 / t.messages as f64)
        };
        t.msgs_per_sec = if t.seconds > 0.0 {
            t.messages as f64 / t.seconds
        } else {
            0.0
        };
        t.binary_micros = per_message(binary);
        t.all_micros = per_message(all);
        Some(t)
    }
}

/// The two forms under one load, and the goal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The candidate's load (the baseline ran [`Load::baseline_load`]).
    pub load: Load,
    /// The baseline's runs.
    pub baseline: Totals,
    /// The candidate's runs.
    pub candidate: Totals,
    /// The candidate's binary CPU per message over the baseline's, minus 1.
    pub extra_binary_cpu: Option<f64>,
    /// The same for every counted process.
    pub extra_all_cpu: Option<f64>,
    /// The candidate's rate over the baseline's.
    pub rate_ratio: Option<f64>,
    /// Each round's `extra_binary_cpu`: how far the rounds agree.
    pub extra_binary_cpu_by_round: Vec<f64>,
    /// Each round's `rate_ratio`.
    pub rate_ratio_by_round: Vec<f64>,
    /// Whether the pair's goal is met; `None` when its figure was not measured.
    pub met: Option<bool>,
}

/// A pair's stages: every run and what they add up to.
#[derive(Debug, Clone, Serialize)]
pub struct PairCost {
    /// The two forms.
    pub pair: Pair,
    /// The candidate's goal.
    pub goal: PairGoal,
    /// Rounds of each stage.
    pub rounds: usize,
    /// Mean bytes of a message, baseline.
    pub baseline_bytes_per_message: Option<f64>,
    /// Mean bytes of a message, candidate.
    pub candidate_bytes_per_message: Option<f64>,
    /// Every run, in running order.
    pub runs: Vec<CostRun>,
    /// For each round of drains: whether both forms stored rows with the same digest.
    pub same_rows_by_round: Vec<bool>,
    /// The comparisons, one per load ([`PairCost::compare`]).
    pub comparisons: Vec<Comparison>,
}

/// `a / b - 1`.
fn extra(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b - 1.0),
        _ => None,
    }
}

impl PairCost {
    /// No runs yet, `rounds` of each stage to come.
    pub fn new(pair: Pair, rounds: usize) -> PairCost {
        PairCost {
            pair,
            goal: pair.goal(),
            rounds,
            baseline_bytes_per_message: None,
            candidate_bytes_per_message: None,
            runs: Vec::new(),
            same_rows_by_round: Vec::new(),
            comparisons: Vec::new(),
        }
    }

    /// The candidate's loads, in running order.
    pub fn loads(&self) -> Vec<Load> {
        let mut loads: Vec<Load> = Vec::new();
        for run in self
            .runs
            .iter()
            .filter(|r| r.variant == self.pair.candidate)
        {
            if !loads.contains(&run.load) {
                loads.push(run.load);
            }
        }
        loads
    }

    /// One form's runs under one load, added up (optionally only round `round`).
    pub fn totals(&self, variant: Variant, load: Load, round: Option<usize>) -> Option<Totals> {
        Totals::of(self.runs.iter().filter(|r| {
            r.variant == variant && r.load == load && round.is_none_or(|n| r.round == n)
        }))
    }

    /// Baseline and candidate totals of `load` (the baseline's under its counterpart).
    fn both(&self, load: Load, round: Option<usize>) -> Option<(Totals, Totals)> {
        Some((
            self.totals(self.pair.baseline, load.baseline_load(), round)?,
            self.totals(self.pair.candidate, load, round)?,
        ))
    }

    /// Fills [`PairCost::comparisons`]: for each load both forms ran, the difference.
    pub fn compare(&mut self) {
        self.comparisons = self
            .loads()
            .into_iter()
            .filter_map(|load| {
                let (baseline, candidate) = self.both(load, None)?;
                let extra_binary_cpu = extra(candidate.binary_micros, baseline.binary_micros);
                let rate_ratio = ratio(candidate.msgs_per_sec, Some(baseline.msgs_per_sec));
                let rounds: Vec<(Totals, Totals)> = (0..self.rounds)
                    .filter_map(|n| self.both(load, Some(n)))
                    .collect();
                Some(Comparison {
                    load,
                    baseline,
                    candidate,
                    extra_binary_cpu,
                    extra_all_cpu: extra(candidate.all_micros, baseline.all_micros),
                    rate_ratio,
                    extra_binary_cpu_by_round: rounds
                        .iter()
                        .filter_map(|(b, c)| extra(c.binary_micros, b.binary_micros))
                        .collect(),
                    rate_ratio_by_round: rounds
                        .iter()
                        .filter_map(|(b, c)| ratio(c.msgs_per_sec, Some(b.msgs_per_sec)))
                        .collect(),
                    met: self.goal.met(extra_binary_cpu, rate_ratio),
                })
            })
            .collect();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A run of `variant` under `load` in `round`: 1,000 messages in 1 s, the binary spending
    /// `binary` CPU seconds and NATS 0.1.
    pub(crate) fn run(variant: Variant, load: Load, round: usize, binary: f64) -> CostRun {
        CostRun {
            variant,
            load,
            round,
            messages: 1_000,
            errors: 0,
            seconds: 1.0,
            msgs_per_sec: 1_000.0,
            binary_cpu_seconds: Some(binary),
            loadgen_cpu_seconds: None,
            services_cpu: ServicesCpu {
                nats_cpu_seconds: Some(0.1),
                postgres_cpu_seconds: None,
            },
            verified: None,
        }
    }

    #[test]
    fn the_extra_cost_is_the_binarys_cpu_per_message_over_the_rounds() {
        let single = Load::Single { concurrency: 64 };
        let drain = Load::Drain { processes: 1 };
        let mut cost = PairCost::new(Pair::COMPUTED, 2);
        cost.runs = vec![
            run(Variant::Plain, single, 0, 0.020),
            run(Variant::Computed, single, 0, 0.021),
            run(Variant::Computed, single, 1, 0.023),
            run(Variant::Plain, single, 1, 0.020),
            run(Variant::Plain, drain, 0, 0.030),
            run(Variant::Computed, drain, 0, 0.036),
        ];
        cost.compare();
        assert_eq!(cost.loads(), vec![single, drain]);
        let api = &cost.comparisons[0];
        // 20 µs per message against 22: 10% more, the goal's bound.
        assert_eq!(api.baseline.binary_micros, Some(20.0));
        assert!((api.candidate.binary_micros.unwrap() - 22.0).abs() < 1e-9);
        assert!((api.extra_binary_cpu.unwrap() - 0.10).abs() < 1e-9);
        assert_eq!(api.extra_binary_cpu_by_round.len(), 2);
        assert!((api.extra_binary_cpu_by_round[0] - 0.05).abs() < 1e-9);
        assert!((api.extra_binary_cpu_by_round[1] - 0.15).abs() < 1e-9);
        // With NATS's 100 µs per message counted too, the whole path costs 1.7% more.
        assert!((api.extra_all_cpu.unwrap() - 2.0 / 120.0).abs() < 1e-9);
        assert_eq!(api.baseline.messages, 2_000);
        assert_eq!(api.rate_ratio, Some(1.0));
        let worker = &cost.comparisons[1];
        assert!((worker.extra_binary_cpu.unwrap() - 0.2).abs() < 1e-9);
        assert_eq!(worker.met, Some(false));
    }

    #[test]
    fn hl7_is_judged_on_its_rate_and_mllp_against_single_json_messages() {
        let single = Load::Single { concurrency: 64 };
        let mllp = Load::Mllp { connections: 64 };
        let at = |variant, load, rate: f64| CostRun {
            msgs_per_sec: rate,
            seconds: 1_000.0 / rate,
            ..run(variant, load, 0, 0.02)
        };
        let mut cost = PairCost::new(Pair::HL7, 1);
        cost.runs = vec![
            at(Variant::LabJson, single, 10_000.0),
            at(Variant::LabHl7, single, 8_500.0),
            at(Variant::LabHl7, mllp, 7_000.0),
        ];
        cost.compare();
        assert_eq!(cost.goal, PairGoal::RateAtLeast(0.8));
        assert_eq!(cost.loads(), vec![single, mllp]);
        let http = &cost.comparisons[0];
        assert!((http.rate_ratio.unwrap() - 0.85).abs() < 1e-9);
        assert_eq!(http.rate_ratio_by_round.len(), 1);
        assert_eq!(http.met, Some(true));
        let over_mllp = &cost.comparisons[1];
        assert_eq!(over_mllp.load, mllp);
        assert_eq!(
            over_mllp.baseline, http.baseline,
            "against JSON single messages"
        );
        assert!((over_mllp.rate_ratio.unwrap() - 0.7).abs() < 1e-9);
        assert_eq!(over_mllp.met, Some(false));
    }

    #[test]
    fn keys_are_judged_on_single_messages_against_the_open_api_at_ninety_seven_percent() {
        let single = Load::Single { concurrency: 64 };
        assert_eq!(Pair::KEYS.api_loads(), vec![single]);
        assert_eq!(
            Pair::COMPUTED.api_loads(),
            vec![single, Load::Batch { lines: 1_000 }]
        );
        assert_eq!(Pair::HL7.api_loads().len(), 3);
        let at = |variant, round, rate: f64| CostRun {
            msgs_per_sec: rate,
            seconds: 1_000.0 / rate,
            ..run(variant, single, round, 0.02)
        };
        let mut cost = PairCost::new(Pair::KEYS, 2);
        cost.runs = vec![
            at(Variant::Plain, 0, 10_000.0),
            at(Variant::Keyed, 0, 9_800.0),
            at(Variant::Keyed, 1, 9_600.0),
            at(Variant::Plain, 1, 10_000.0),
        ];
        cost.compare();
        assert_eq!(cost.goal, PairGoal::RateAtLeast(0.97));
        let c = &cost.comparisons[0];
        assert_eq!(c.rate_ratio_by_round.len(), 2);
        assert!((c.rate_ratio_by_round[0] - 0.98).abs() < 1e-9);
        assert!((c.rate_ratio_by_round[1] - 0.96).abs() < 1e-9);
        // 2,000 messages in 0.2041 + 0.2083 s against 0.2 s: 96.99%, just short.
        assert!(c.rate_ratio.unwrap() < 0.97 && c.rate_ratio.unwrap() > 0.969);
        assert_eq!(c.met, Some(false));
        cost.runs[2] = at(Variant::Keyed, 1, 9_900.0);
        cost.compare();
        assert_eq!(cost.comparisons[0].met, Some(true));
    }

    #[test]
    fn a_load_only_one_form_ran_is_not_compared() {
        let mut cost = PairCost::new(Pair::COMPUTED, 1);
        cost.runs = vec![run(Variant::Plain, Load::Batch { lines: 1_000 }, 0, 0.01)];
        cost.compare();
        assert!(cost.comparisons.is_empty());
        let mut unmeasured = run(Variant::Plain, Load::Batch { lines: 1_000 }, 0, 0.01);
        unmeasured.binary_cpu_seconds = None;
        cost.runs = vec![
            unmeasured,
            run(Variant::Computed, Load::Batch { lines: 1_000 }, 0, 0.01),
        ];
        cost.compare();
        assert_eq!(cost.comparisons[0].met, None, "no CPU figure, no verdict");
    }
}
