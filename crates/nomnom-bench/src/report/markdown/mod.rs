//! The results as Markdown: one table per stage, each figure next to its limit and ratio, and
//! the durability settings stated with every table. Each section of the page is a module
//! named for it; the cells and tables they share are in [`super::format`].

mod api;
mod cpu;
mod end_to_end;
mod goals;
mod heading;
mod mariadb;
mod memory;
mod open_loop;
mod pairs;
mod publish;
mod recording;
mod writes;

use std::fmt::Write as _;

use crate::results::Results;

/// Renders the whole run, section by section in running order.
pub fn render(r: &Results) -> String {
    let mut out = String::new();
    heading::write(&mut out, r);
    goals::write(&mut out, r);
    goals::floors(&mut out, r);
    publish::write(&mut out, r);
    api::closed_loop(&mut out, r);
    open_loop::write(&mut out, r);
    open_loop::witnesses(&mut out, r);
    api::batches(&mut out, r);
    writes::copy(&mut out, r);
    writes::workers(&mut out, r);
    mariadb::write(&mut out, r);
    pairs::write(&mut out, r);
    recording::write(&mut out, r);
    end_to_end::write(&mut out, r);
    cpu::write(&mut out, r);
    memory::write(&mut out, r);
    if !r.skipped.is_empty() {
        let _ = writeln!(out, "## Stages not run\n");
        for s in &r.skipped {
            let _ = writeln!(out, "- {s}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Charts: ![throughput](throughput.svg) ![p99](p99.svg) ![worker](worker.svg)"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::ServicesCpu;
    use crate::pg_writes::PgWrites;
    use crate::publish::PublishRun;
    use crate::report::format::DURABILITY_NOTE;
    use crate::results::{ApiRun, WorkerRun};
    use crate::stats::LatencySummary;
    use crate::witness::{Probe, Witnessed};

    fn sample() -> Results {
        let latency = LatencySummary {
            count: 10,
            p50_ms: 1.0,
            p99_ms: 4.0,
            p999_ms: 5.0,
            max_ms: 6.0,
            mean_ms: 1.5,
        };
        let mut r = Results {
            command: "cargo run --release -p nomnom-bench".into(),
            ..Results::default()
        };
        r.publish.push(PublishRun {
            in_flight: 64,
            pipelined: false,
            keyed: false,
            messages: 100,
            errors: 0,
            seconds: 1.0,
            msgs_per_sec: 20_000.0,
            latency: Some(latency),
            cpu_seconds: Some(0.5),
            services_cpu: ServicesCpu::default(),
        });
        r.api.push(ApiRun {
            pinned: false,
            concurrency: 64,
            accepted: 100,
            errors: 0,
            refusals: Default::default(),
            seconds: 1.0,
            msgs_per_sec: 12_000.0,
            latency,
            loadgen_cpu_seconds: Some(0.4),
            api_cpu_seconds: Some(0.9),
            services_cpu: ServicesCpu {
                nats_cpu_seconds: Some(0.3),
                postgres_cpu_seconds: Some(0.1),
            },
            ratio_to_publish: None,
        });
        r.workers.push(WorkerRun {
            mode: "batched".into(),
            processes: 1,
            batch_size: 500,
            messages: 1000,
            rows: 5000,
            seconds: 1.0,
            msgs_per_sec: 9_000.0,
            rows_per_sec: 45_000.0,
            peak_rss_kib: Some(30_000),
            worker_cpu_seconds: Some(0.8),
            services_cpu: ServicesCpu::default(),
            postgres_writes: Some(PgWrites {
                checkpoints: 2,
                requested_checkpoints: 1,
                wal_bytes: 5_000_000,
            }),
            verified: true,
            rows_digest: None,
            ratio_to_copy: None,
        });
        r.workers.push(WorkerRun {
            mode: "legacy-baseline".into(),
            messages: 100,
            msgs_per_sec: 90.0,
            ..r.workers[0].clone()
        });
        r.fill_ratios();
        r
    }

    #[test]
    fn mariadb_ways_are_shown_against_load_data_and_the_worker_is_judged_on_it() {
        use crate::mysql::limit::{MysqlWriteRun, StrategyRun};
        use crate::mysql::strategies::Strategy;
        let mut r = sample();
        let way = |strategy, msgs_per_sec: f64| StrategyRun {
            strategy,
            rows: 5_000,
            seconds: 1_000.0 / msgs_per_sec,
            rows_per_sec: msgs_per_sec * 5.0,
            msgs_per_sec,
            ratio_to_load_data: None,
            verified: true,
        };
        r.copy_mysql = Some(MysqlWriteRun {
            messages: 1_000,
            rows: 5_000,
            batch_messages: 500,
            runs: vec![
                way(Strategy::LoadData, 8_000.0),
                way(Strategy::InsertUpsert, 5_000.0),
                way(Strategy::StagingUpsert, 6_000.0),
            ],
        });
        r.worker_mysql = Some(WorkerRun {
            msgs_per_sec: 3_000.0,
            ..r.workers[0].clone()
        });
        r.fill_ratios();
        assert_eq!(r.worker_mysql.as_ref().unwrap().ratio_to_copy, Some(0.375));
        let goal = r.goals.iter().find(|g| g.name.contains("MariaDB")).unwrap();
        assert_eq!((goal.limit, goal.met), (Some(8_000.0), Some(false)));
        assert!(r.goals.last().unwrap().name.contains("first nomnom"));
        let md = render(&r);
        assert!(md.contains("## MariaDB: write limit and set-based upserts on the same rows"));
        assert!(
            md.contains("| multi-row INSERT … ON DUPLICATE KEY UPDATE (the runtime's) | 5000 |"),
            "{md}"
        );
        assert!(md.contains("| 62.5% | yes |"), "{md}");
        assert!(md.contains("The faster upsert here: LOAD DATA into a staging table"));
        assert!(md.contains("## MariaDB: the worker draining a pre-filled stream"));
        assert!(md.contains("| 37.5% |"), "{md}");
    }

    #[test]
    fn ratios_and_goals_come_from_the_same_run() {
        let r = sample();
        assert_eq!(r.api[0].ratio_to_publish, Some(0.6));
        let api_goal = &r.goals[0];
        assert_eq!(api_goal.ratio, Some(0.6));
        assert_eq!(api_goal.met, Some(true));
        // No COPY figure: the worker goal is not measured rather than met or missed.
        assert_eq!(r.goals[3].met, None);
        let gain = r.goals.last().unwrap();
        assert_eq!(gain.ratio, Some(100.0));
        assert_eq!(gain.met, Some(true));
        assert_eq!(r.goals[6].met, Some(true), "30000 KiB is under 64 MiB");
    }

    #[test]
    fn markdown_has_a_table_per_measured_stage_with_durability_next_to_it() {
        let md = render(&sample());
        assert!(md.contains("`cargo run --release -p nomnom-bench`"));
        assert!(md.contains("| closed loop | 64 | 20,000 | 1.00 | 4.00 | 6.00 | 0 | 0.5 |"));
        assert!(
            md.contains("| unpinned | 64 | 12,000 | 60.0% | 1.00 | 4.00 | 6.00 | 0 | 0.4 | 0.9 |")
        );
        assert!(md.contains("| legacy-baseline | 1 | 100 | 90 |"));
        assert!(
            md.contains("| 0.8 | 2 (1) | 5,000 | yes |"),
            "checkpoints and WAL per message of the 1,000-message drain: {md}"
        );
        assert!(
            !md.contains("## Write limit"),
            "no COPY figure, no COPY table"
        );
        let tables = md.matches("\n## ").count();
        assert_eq!(md.matches(DURABILITY_NOTE).count(), tables);
        assert!(md.contains("| API peak memory (MiB) |"));
        let cpu_row = md
            .lines()
            .find(|l| l.starts_with("| API c=64 | 12,000 |"))
            .expect("the API run in the CPU table");
        assert!(cpu_row.contains("| 0.4 | 0.9 | 0.3 | 0.1 |"), "{cpu_row}");
        assert!(md.contains("| 100.0× | at least 100× | met |"), "{md}");
        assert!(
            !md.contains("HTTP floor at c=64"),
            "no minimal handler run, no floor line"
        );
    }

    #[test]
    fn a_sustained_run_shows_its_backlog_minute_by_minute_and_what_postgresql_wrote() {
        let mut r = sample();
        let mut e2e = crate::results::tests::end_to_end(5_000.0, Some(false));
        let s = &mut e2e.sustain[0];
        s.backlog_each_minute = vec![900, 1_200, 250_000];
        s.status_mib_each_minute = vec![40.2, 80.6, 81.4];
        s.postgres_writes = Some(PgWrites {
            checkpoints: 7,
            requested_checkpoints: 6,
            wal_bytes: 3_000_000_000,
        });
        s.database_mib_at_end = Some(1_234.4);
        s.purged_backlog = Some(180_000);
        r.end_to_end = vec![e2e];
        r.fill_ratios();
        let md = render(&r);
        // 5,000/s for 600 s: 3,000,000 messages, 1,000 WAL bytes each.
        assert!(
            md.contains(
                "| 5,000 | 600 | **no** | 900 → 1,200 → 250,000 | 40 → 81 → 81 | 7 (6) | 1,000 | 1234 | 180,000 |"
            ),
            "{md}"
        );
    }

    #[test]
    fn a_search_step_shows_where_its_backlog_settled_and_what_each_message_cost() {
        let mut r = sample();
        let mut e2e = crate::results::tests::end_to_end(5_000.0, None);
        e2e.steps.push(crate::results::RateStep {
            offered_rate: 4_000.0,
            accepted_rate: 4_000.0,
            errors: 0,
            errors_by_answer: Default::default(),
            max_backlog: 2_600,
            backlog_at_end: 2_500,
            settled_backlog: 700,
            backlog_growth_per_sec: -3.0,
            kept_up: true,
            seconds: 20.0,
            cpu: crate::results::PipelineCpu {
                loadgen_cpu_seconds: Some(1.0),
                api_cpu_seconds: Some(3.0),
                worker_cpu_seconds: Some(2.0),
                services_cpu: ServicesCpu {
                    nats_cpu_seconds: Some(4.0),
                    postgres_cpu_seconds: Some(6.0),
                },
            },
        });
        r.end_to_end = vec![e2e];
        r.machine.cores = 2;
        let md = render(&r);
        // 16 CPU seconds for 80,000 messages: 200 µs each; over 20 s on 2 cores, 40% busy.
        assert!(
            md.contains("| 4,000 | 4,000 | 0 | 2600 | 2500 | 700 | -3 | 200 | yes |"),
            "{md}"
        );
        // The step is a row of the CPU table too, the API and the worker as its binary.
        assert!(
            md.contains("| end to end, single messages, step at 4000/s | 4,000 | 20.0 | 1.0 | 5.0 | 4.0 | 6.0 | 40.0% | 200 |"),
            "{md}"
        );
    }

    #[test]
    fn the_open_loop_table_has_the_in_process_publish_at_the_same_rate() {
        let mut r = sample();
        r.publish_open_loop
            .push(crate::publish::PublishOpenLoopRun {
                offered_rate: 6_000.0,
                share_of_max: Some(0.5),
                messages: 120_000,
                errors: 0,
                seconds: 20.0,
                msgs_per_sec: 6_000.0,
                latency: r.api[0].latency,
                worst_at_s: Some(12.5),
                witnessed: Some(Witnessed {
                    nats: Probe {
                        answered: 4_000,
                        errors: 0,
                        latency: r.api[0].latency,
                        stalled: 3,
                        worst_at_s: 12.49,
                    },
                    api_health: Probe {
                        answered: 4_000,
                        errors: 0,
                        latency: LatencySummary {
                            max_ms: 0.8,
                            ..r.api[0].latency
                        },
                        stalled: 0,
                        worst_at_s: 3.0,
                    },
                }),
                cpu_seconds: Some(3.0),
                services_cpu: ServicesCpu::default(),
            });
        let md = render(&r);
        assert!(
            md.contains(
                "| in-process publish | 6,000 | 50.0% | – | 6,000 | 1.00 | 4.00 | 6.00 | 0 | 3.0 | – |"
            ),
            "{md}"
        );
        assert!(
            md.contains("offered 6,000/s on the same schedule had a corrected p99 of 4.00 ms"),
            "{md}"
        );
        // Its witnesses: the run's worst and each probe's, with when each was due.
        assert!(
            md.contains("## Stall witnesses during the open loop"),
            "{md}"
        );
        assert!(
            md.contains(
                "| in-process publish | 6,000 | 4.00 | 6.00 | 12.50 | 4.00 / 6.00 | 12.49 | 3 | 4.00 / 0.80 | 3.00 | 0 |"
            ),
            "{md}"
        );
    }

    #[test]
    fn computed_fields_are_compared_load_by_load_with_the_goal_next_to_each() {
        use crate::pair_cost::tests::run;
        use crate::pair_cost::{Load, PairCost};
        use crate::variant::Pair;
        use crate::variant::Variant::{Computed, Plain};
        let mut r = sample();
        let md = render(&r);
        assert!(!md.contains("Computed fields"), "not run, no table");
        let (single, drain) = (
            Load::Single { concurrency: 64 },
            Load::Drain { processes: 1 },
        );
        let mut cost = PairCost::new(Pair::COMPUTED, 1);
        cost.baseline_bytes_per_message = Some(1_000.0);
        cost.candidate_bytes_per_message = Some(1_040.4);
        cost.runs = vec![
            run(Plain, single, 0, 0.020),
            run(Computed, single, 0, 0.021),
            run(Plain, drain, 0, 0.030),
            run(Computed, drain, 0, 0.036),
        ];
        cost.same_rows_by_round = vec![true];
        r.computed = Some(cost);
        r.fill_ratios();
        let md = render(&r);
        assert!(
            md.contains("## Computed fields: cost per message against the same model without them"),
            "{md}"
        );
        assert!(md.contains("1000 bytes on average in the plain form, 1040 in the computed one"));
        assert!(md.contains("the same rows (a digest of every model column): yes, in every round"));
        assert!(
            md.contains("| plain msgs/s | computed msgs/s | rate, of plain |"),
            "{md}"
        );
        // 20 → 21 µs in the API: 5% more, met; 30 → 36 µs in the worker: 20% more, missed.
        // The sample's publish limit at 64 in flight is 20,000/s: the API is at 5% of it.
        assert!(
            md.contains(
                "| API, single messages, c=64 | 1,000 | 1,000 | 100.0% | 5.0% | 20.0 | 21.0 | +5.0% \
                 | +5.0% | 120.0 → 121.0 (+0.8%) | 0 / 0 | CPU at most +10.0% | met |"
            ),
            "{md}"
        );
        assert!(md.contains("| worker x1, drain |"), "{md}");
        assert!(
            md.contains(
                "+20.0% | +20.0% | 130.0 → 136.0 (+4.6%) | 0 / 0 | CPU at most +10.0% | **missed** |"
            ),
            "{md}"
        );
        // Each run is a row of the CPU table.
        assert!(
            md.contains("| computed fields: worker x1, drain, computed, round 1 | 1,000 | 1.0 |"),
            "{md}"
        );
    }

    #[test]
    fn hl7_is_compared_with_json_on_its_rate_and_mllp_with_json_single_messages() {
        use crate::pair_cost::tests::run;
        use crate::pair_cost::{CostRun, Load, PairCost};
        use crate::variant::Pair;
        use crate::variant::Variant::{LabHl7, LabJson};
        let mut r = sample();
        let (single, mllp) = (
            Load::Single { concurrency: 64 },
            Load::Mllp { connections: 64 },
        );
        let at = |variant, load, rate: f64| CostRun {
            msgs_per_sec: rate,
            seconds: 1_000.0 / rate,
            ..run(variant, load, 0, 0.02)
        };
        let mut cost = PairCost::new(Pair::HL7, 1);
        cost.baseline_bytes_per_message = Some(1_500.0);
        cost.candidate_bytes_per_message = Some(900.0);
        cost.runs = vec![
            at(LabJson, single, 1_000.0),
            at(LabHl7, single, 900.0),
            at(LabHl7, mllp, 700.0),
        ];
        r.hl7 = Some(cost);
        r.fill_ratios();
        let md = render(&r);
        assert!(
            md.contains(
                "## HL7 v2: rate and cost per message against JSON carrying the same reports"
            ),
            "{md}"
        );
        assert!(
            md.contains("1500 bytes on average as JSON, 900 as HL7"),
            "{md}"
        );
        assert!(md.contains("| json msgs/s | hl7 msgs/s | rate, of json | hl7, of publish limit |"));
        assert!(
            md.contains("| API, single messages, c=64 | 1,000 | 900 | 90.0% | 4.5% |"),
            "{md}"
        );
        assert!(md.contains("| 90.0% |"), "the rate of each round: {md}");
        assert!(
            md.contains("| API, MLLP, 64 connections | 1,000 | 700 | 70.0% | 3.5% |"),
            "{md}"
        );
        assert!(md.contains("rate at least 80.0% | **missed** |"), "{md}");
        assert!(md.contains("rate at least 80.0% | met |"), "{md}");
        assert!(
            md.contains("| HL7 v2: API, MLLP, 64 connections, hl7, round 1 |"),
            "each run is a row of the CPU table: {md}"
        );
    }

    #[test]
    fn the_http_floor_is_a_row_of_the_api_table_with_both_ratios() {
        let mut r = sample();
        r.minimal_handler = Some(ApiRun {
            msgs_per_sec: 15_000.0,
            ..r.api[0].clone()
        });
        r.fill_ratios();
        assert_eq!(
            r.minimal_handler.as_ref().unwrap().ratio_to_publish,
            Some(0.75)
        );
        let md = render(&r);
        assert!(
            md.contains("| minimal handler | 64 | 15,000 | 75.0% |"),
            "{md}"
        );
        assert!(
            md.contains("reached 15,000 msgs/s, 75.0% of the publish limit; the API reached 80.0% of the floor"),
            "{md}"
        );
    }
}
