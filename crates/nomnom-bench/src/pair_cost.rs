//! What computed fields cost per message (issue 16): the API and the worker run with the
//! plain model and with the computed one ([`Variant`]), back to back, on the same orders, and
//! each binary's CPU per message is compared. The goal: the computed model's binary spends
//! at most [`GOAL_EXTRA`] more CPU per message than the plain model's.
//!
//! The runs alternate within each round (plain first in even rounds, computed first in odd
//! ones), so a machine that drifts during the stage weighs on both models alike; the figures
//! are totals over the rounds, and each round's own difference shows the spread.

use serde::Serialize;

use crate::cpu::ServicesCpu;
use crate::stats::ratio;
use crate::variant::Variant;

/// The goal: at most 10% more CPU per message in the binary (API or worker).
pub const GOAL_EXTRA: f64 = 0.10;

/// A load both models ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Load {
    /// `POST /ingest/message`, closed loop at `concurrency`.
    Single {
        /// Requests in flight.
        concurrency: usize,
    },
    /// `POST /ingest/batch` with NDJSON bodies of `lines` lines.
    Batch {
        /// Lines per body.
        lines: usize,
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
            Load::Drain { processes } => format!("worker x{processes}, drain"),
        }
    }
}

/// One run of one model under one load.
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

/// One model's runs under one load, added up.
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

/// The two models under one load, and the goal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The load.
    pub load: Load,
    /// The plain model's runs.
    pub plain: Totals,
    /// The computed model's runs.
    pub computed: Totals,
    /// The computed model's binary CPU per message over the plain one's, minus 1.
    pub extra_binary_cpu: Option<f64>,
    /// The same for every counted process.
    pub extra_all_cpu: Option<f64>,
    /// The computed model's rate over the plain one's.
    pub rate_ratio: Option<f64>,
    /// Each round's `extra_binary_cpu`: how far the rounds agree.
    pub extra_binary_cpu_by_round: Vec<f64>,
    /// `extra_binary_cpu` at most [`GOAL_EXTRA`]; `None` when not measured.
    pub met: Option<bool>,
}

/// The computed-fields stages' runs and what they add up to.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ComputedCost {
    /// Rounds of each stage.
    pub rounds: usize,
    /// Mean bytes of a message, plain model.
    pub plain_bytes_per_message: Option<f64>,
    /// Mean bytes of a message, computed model (its raw inputs).
    pub computed_bytes_per_message: Option<f64>,
    /// Every run, in running order.
    pub runs: Vec<CostRun>,
    /// For each round of drains: whether both models stored rows with the same digest.
    pub same_rows_by_round: Vec<bool>,
    /// The comparisons, one per load ([`ComputedCost::compare`]).
    pub comparisons: Vec<Comparison>,
}

/// `a / b - 1`.
fn extra(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b - 1.0),
        _ => None,
    }
}

impl ComputedCost {
    /// The order the two models run in, in round `round`.
    pub fn order(round: usize) -> [Variant; 2] {
        if round.is_multiple_of(2) {
            [Variant::Plain, Variant::Computed]
        } else {
            [Variant::Computed, Variant::Plain]
        }
    }

    /// The loads that ran, in running order.
    pub fn loads(&self) -> Vec<Load> {
        let mut loads: Vec<Load> = Vec::new();
        for run in &self.runs {
            if !loads.contains(&run.load) {
                loads.push(run.load);
            }
        }
        loads
    }

    /// One model's runs under one load, added up (optionally only round `round`).
    pub fn totals(&self, variant: Variant, load: Load, round: Option<usize>) -> Option<Totals> {
        Totals::of(self.runs.iter().filter(|r| {
            r.variant == variant && r.load == load && round.is_none_or(|n| r.round == n)
        }))
    }

    /// Fills [`ComputedCost::comparisons`]: for each load both models ran, the difference.
    pub fn compare(&mut self) {
        self.comparisons = self
            .loads()
            .into_iter()
            .filter_map(|load| {
                let plain = self.totals(Variant::Plain, load, None)?;
                let computed = self.totals(Variant::Computed, load, None)?;
                let extra_binary_cpu = extra(computed.binary_micros, plain.binary_micros);
                let by_round = (0..self.rounds)
                    .filter_map(|n| {
                        let p = self.totals(Variant::Plain, load, Some(n))?;
                        let c = self.totals(Variant::Computed, load, Some(n))?;
                        extra(c.binary_micros, p.binary_micros)
                    })
                    .collect();
                Some(Comparison {
                    load,
                    plain,
                    computed,
                    extra_binary_cpu,
                    extra_all_cpu: extra(computed.all_micros, plain.all_micros),
                    rate_ratio: ratio(computed.msgs_per_sec, Some(plain.msgs_per_sec)),
                    extra_binary_cpu_by_round: by_round,
                    met: extra_binary_cpu.map(|e| e <= GOAL_EXTRA),
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
        let mut cost = ComputedCost {
            rounds: 2,
            runs: vec![
                run(Variant::Plain, single, 0, 0.020),
                run(Variant::Computed, single, 0, 0.021),
                run(Variant::Computed, single, 1, 0.023),
                run(Variant::Plain, single, 1, 0.020),
                run(Variant::Plain, drain, 0, 0.030),
                run(Variant::Computed, drain, 0, 0.036),
            ],
            ..ComputedCost::default()
        };
        cost.compare();
        assert_eq!(cost.loads(), vec![single, drain]);
        let api = &cost.comparisons[0];
        // 20 µs per message against 22: 10% more, just within the goal.
        assert_eq!(api.plain.binary_micros, Some(20.0));
        assert!((api.computed.binary_micros.unwrap() - 22.0).abs() < 1e-9);
        assert!((api.extra_binary_cpu.unwrap() - 0.10).abs() < 1e-9);
        assert_eq!(api.extra_binary_cpu_by_round.len(), 2);
        assert!((api.extra_binary_cpu_by_round[0] - 0.05).abs() < 1e-9);
        assert!((api.extra_binary_cpu_by_round[1] - 0.15).abs() < 1e-9);
        // With NATS's 100 µs per message counted too, the whole path costs 1.7% more.
        assert!((api.extra_all_cpu.unwrap() - 2.0 / 120.0).abs() < 1e-9);
        assert_eq!(api.plain.messages, 2_000);
        assert_eq!(api.rate_ratio, Some(1.0));
        let worker = &cost.comparisons[1];
        assert!((worker.extra_binary_cpu.unwrap() - 0.2).abs() < 1e-9);
        assert_eq!(worker.met, Some(false));
    }

    #[test]
    fn a_load_only_one_model_ran_is_not_compared() {
        let mut cost = ComputedCost {
            rounds: 1,
            runs: vec![run(Variant::Plain, Load::Batch { lines: 1_000 }, 0, 0.01)],
            ..ComputedCost::default()
        };
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

    #[test]
    fn rounds_alternate_which_model_runs_first() {
        assert_eq!(ComputedCost::order(0)[0], Variant::Plain);
        assert_eq!(ComputedCost::order(1)[0], Variant::Computed);
        assert_eq!(ComputedCost::order(2), ComputedCost::order(0));
    }
}
