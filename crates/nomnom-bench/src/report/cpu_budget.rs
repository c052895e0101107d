//! "Where the CPU went": for every run, the CPU seconds of the load generator, the binary
//! under test, NATS and PostgreSQL, how busy that kept the machine's cores, and the CPU all
//! of them spent per message. On a 2-core machine this is what bounds each figure: a run
//! whose cores are all busy cannot go faster by waiting less, only by spending less.

use crate::cpu::ServicesCpu;
use crate::results::{PipelineCpu, Results};

/// One run's CPU, in seconds, over its wall time.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// The run, as the other tables name it.
    pub run: String,
    /// Messages handled per second.
    pub msgs_per_sec: f64,
    /// Wall time.
    pub seconds: f64,
    /// This program (the load generator or publisher).
    pub loadgen: Option<f64>,
    /// The generated binary under test (API or workers).
    pub binary: Option<f64>,
    /// NATS and PostgreSQL.
    pub services: ServicesCpu,
}

impl Budget {
    /// Every CPU second counted.
    pub fn total(&self) -> f64 {
        [
            self.loadgen,
            self.binary,
            self.services.nats_cpu_seconds,
            self.services.postgres_cpu_seconds,
        ]
        .iter()
        .flatten()
        .sum()
    }

    /// The share of `cores` kept busy by the processes counted.
    pub fn busy(&self, cores: usize) -> Option<f64> {
        (self.seconds > 0.0 && cores > 0).then(|| self.total() / (self.seconds * cores as f64))
    }

    /// CPU microseconds spent per message by everything counted.
    pub fn micros_per_message(&self) -> Option<f64> {
        let messages = self.msgs_per_sec * self.seconds;
        (messages >= 1.0).then(|| self.total() * 1e6 / messages)
    }
}

/// The budget of every run of `r` that recorded CPU times, in the page's order.
pub fn budgets(r: &Results) -> Vec<Budget> {
    let mut out = ingest(r);
    out.extend(drains(r));
    out.extend(pairs(r));
    out.extend(end_to_end(r));
    out
}

/// The publish limit's and the API's runs.
fn ingest(r: &Results) -> Vec<Budget> {
    let pin = |p: bool| if p { ", pinned" } else { "" };
    let mut out = Vec::new();
    for p in &r.publish {
        out.push(Budget {
            run: if p.pipelined {
                format!("publish, pipelined window {}{}", p.in_flight, p.ids_note())
            } else {
                format!("publish, {} in flight", p.in_flight)
            },
            msgs_per_sec: p.msgs_per_sec,
            seconds: p.seconds,
            loadgen: p.cpu_seconds,
            binary: None,
            services: p.services_cpu,
        });
    }
    for a in &r.api {
        out.push(Budget {
            run: format!("API c={}{}", a.concurrency, pin(a.pinned)),
            msgs_per_sec: a.msgs_per_sec,
            seconds: a.seconds,
            loadgen: a.loadgen_cpu_seconds,
            binary: a.api_cpu_seconds,
            services: a.services_cpu,
        });
    }
    if let Some(m) = &r.minimal_handler {
        out.push(Budget {
            run: format!("minimal handler c={}", m.concurrency),
            msgs_per_sec: m.msgs_per_sec,
            seconds: m.seconds,
            loadgen: m.loadgen_cpu_seconds,
            binary: m.api_cpu_seconds,
            services: m.services_cpu,
        });
    }
    for o in &r.api_open_loop {
        out.push(Budget {
            run: format!("API open loop {:.0}/s{}", o.offered_rate, pin(o.pinned)),
            msgs_per_sec: o.msgs_per_sec,
            seconds: o.seconds,
            loadgen: o.loadgen_cpu_seconds,
            binary: o.api_cpu_seconds,
            services: o.services_cpu,
        });
    }
    for b in &r.api_batch {
        out.push(Budget {
            run: format!("API batch{}", pin(b.pinned)),
            msgs_per_sec: b.msgs_per_sec,
            seconds: b.seconds,
            loadgen: b.loadgen_cpu_seconds,
            binary: b.api_cpu_seconds,
            services: b.services_cpu,
        });
    }
    out
}

/// The worker drains.
fn drains(r: &Results) -> Vec<Budget> {
    r.workers
        .iter()
        .map(|w| Budget {
            run: format!("{} x{}", w.mode, w.processes),
            msgs_per_sec: w.msgs_per_sec,
            seconds: w.seconds,
            loadgen: None,
            binary: w.worker_cpu_seconds,
            services: w.services_cpu,
        })
        .collect()
}

/// The runs of the stages comparing two forms of a model (computed fields, HL7 v2).
fn pairs(r: &Results) -> Vec<Budget> {
    [&r.api_keys, &r.metrics, &r.telemetry, &r.computed, &r.hl7]
        .into_iter()
        .flatten()
        .flat_map(|c| c.runs.iter().map(move |run| (c.pair.title(), run)))
        .map(|(title, run)| Budget {
            run: format!(
                "{title}: {}, {}, round {}",
                run.load.label(),
                run.variant.label(),
                run.round + 1
            ),
            msgs_per_sec: run.msgs_per_sec,
            seconds: run.seconds,
            loadgen: run.loadgen_cpu_seconds,
            binary: run.binary_cpu_seconds,
            services: run.services_cpu,
        })
        .collect()
}

/// Every step and sustained run of the end-to-end stage.
fn end_to_end(r: &Results) -> Vec<Budget> {
    let mut out = Vec::new();
    for e in &r.end_to_end {
        let posting = e.posting.label();
        for s in &e.steps {
            out.push(pipeline(
                format!("end to end, {posting}, step at {:.0}/s", s.offered_rate),
                s.accepted_rate,
                s.seconds,
                &s.cpu,
            ));
        }
        for s in &e.sustain {
            out.push(pipeline(
                format!(
                    "end to end, {posting}, {:.0} s at {:.0}/s (binary: API + worker)",
                    s.seconds, s.offered_rate
                ),
                s.accepted_rate,
                s.seconds,
                &s.cpu,
            ));
        }
    }
    out
}

/// The budget of an end-to-end run: the binary is the API and the worker together.
pub fn pipeline(run: String, msgs_per_sec: f64, seconds: f64, cpu: &PipelineCpu) -> Budget {
    Budget {
        run,
        msgs_per_sec,
        seconds,
        loadgen: cpu.loadgen_cpu_seconds,
        binary: cpu.binaries(),
        services: cpu.services_cpu,
    }
}

/// The rows of the budget table (`cores`: the machine's).
pub fn rows(r: &Results) -> Vec<String> {
    let cores = r.machine.cores;
    let secs = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |c| format!("{c:.1}"));
    budgets(r)
        .iter()
        .map(|b| {
            format!(
                "{} | {} | {:.1} | {} | {} | {} | {} | {} | {}",
                b.run,
                super::format::rate(b.msgs_per_sec),
                b.seconds,
                secs(b.loadgen),
                secs(b.binary),
                secs(b.services.nats_cpu_seconds),
                secs(b.services.postgres_cpu_seconds),
                super::format::percent(b.busy(cores)),
                b.micros_per_message()
                    .map_or_else(|| "–".to_string(), |m| format!("{m:.0}"))
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_costs_follow_from_the_seconds() {
        let b = Budget {
            run: "API c=64".into(),
            msgs_per_sec: 10_000.0,
            seconds: 10.0,
            loadgen: Some(2.0),
            binary: Some(8.0),
            services: ServicesCpu {
                nats_cpu_seconds: Some(6.0),
                postgres_cpu_seconds: Some(2.0),
            },
        };
        assert_eq!(b.total(), 18.0);
        // 18 CPU seconds over 10 s on 2 cores: 90% busy.
        assert_eq!(b.busy(2), Some(0.9));
        // 18 s for 100,000 messages: 180 µs each.
        assert_eq!(b.micros_per_message(), Some(180.0));
        let unknown = Budget {
            loadgen: None,
            binary: None,
            services: ServicesCpu::default(),
            msgs_per_sec: 0.0,
            ..b
        };
        assert_eq!(unknown.total(), 0.0);
        assert_eq!(unknown.micros_per_message(), None);
    }
}
