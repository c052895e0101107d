//! The results as Markdown: one table per stage, each figure next to its limit and ratio, and
//! the durability settings stated with every table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::pg_writes::PgWrites;
use crate::results::Results;
use crate::stats::LatencySummary;
use crate::witness::{Probe, Witnessed};

/// The short durability note repeated under every table.
const DURABILITY_NOTE: &str = "_Durability: JetStream acknowledges once a message is in the \
    page cache (file storage, fsync every 2 min by default); PostgreSQL fsyncs each commit._";

/// `12345.6` → `12,346`.
pub fn rate(v: f64) -> String {
    let whole = v.round().max(0.0) as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Milliseconds with two decimals.
pub fn ms(v: f64) -> String {
    format!("{v:.2}")
}

/// `0.483` → `48.3%`; missing → `–`.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{:.1}%", v * 100.0))
}

fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map_or_else(|| "–".into(), f)
}

fn latency_cells(l: &LatencySummary) -> String {
    format!("{} | {} | {}", ms(l.p50_ms), ms(l.p99_ms), ms(l.max_ms))
}

fn table(out: &mut String, title: &str, intro: &str, head: &[&str], rows: &[String]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "## {title}\n");
    if !intro.is_empty() {
        let _ = writeln!(out, "{intro}\n");
    }
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        head.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for row in rows {
        let _ = writeln!(out, "| {row} |");
    }
    let _ = writeln!(out, "\n{DURABILITY_NOTE}\n");
}

/// One row of the stall witnesses' table: the run's own tail, then each witness's.
fn witness_row(
    run: &str,
    offered: f64,
    latency: &LatencySummary,
    worst_at_s: Option<f64>,
    w: &Witnessed,
) -> String {
    let probe = |p: &Probe| {
        format!(
            "{} / {} | {:.2} | {}",
            ms(p.latency.p99_ms),
            ms(p.latency.max_ms),
            p.worst_at_s,
            p.stalled
        )
    };
    format!(
        "{run} | {} | {} | {} | {} | {} | {}",
        rate(offered),
        ms(latency.p99_ms),
        ms(latency.max_ms),
        opt(worst_at_s, |s| format!("{s:.2}")),
        probe(&w.nats),
        probe(&w.api_health)
    )
}

/// Checkpoints (requested) and WAL bytes per message, two cells.
fn pg_writes_cells(w: Option<&PgWrites>, messages: u64) -> String {
    match w {
        Some(w) => format!(
            "{} ({}) | {}",
            w.checkpoints,
            w.requested_checkpoints,
            opt(w.wal_bytes_per_message(messages), rate)
        ),
        None => "– | –".into(),
    }
}

/// A count of refused messages with what refused them: `2000 (503 overloaded: 2000)`.
fn errors_cell(errors: u64, by_answer: &BTreeMap<String, u64>) -> String {
    if by_answer.is_empty() {
        return errors.to_string();
    }
    let kinds: Vec<String> = by_answer
        .iter()
        .map(|(answer, messages)| format!("{answer}: {messages}"))
        .collect();
    format!("{errors} ({})", kinds.join(", "))
}

fn pinned(p: bool) -> &'static str {
    if p {
        "pinned"
    } else {
        "unpinned"
    }
}

/// Renders the whole run.
pub fn render(r: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# nomnom benchmark results\n");
    if r.smoke {
        let _ = writeln!(
            out,
            "**Smoke run: tiny sizes, checks that the program works; these are not figures.**\n"
        );
    }
    let _ = writeln!(out, "- Command: `{}`", r.command);
    let _ = writeln!(out, "- Started: {}", r.started_at);
    let _ = writeln!(
        out,
        "- Machine: {} cores ({}), {} MiB memory, Linux {}",
        r.machine.cores, r.machine.cpu_model, r.machine.memory_mib, r.machine.kernel
    );
    let _ = writeln!(out, "- Durability: {}", r.durability.describe());
    let _ = writeln!(
        out,
        "- Payloads: generated TPC-H orders (`nomnom_testkit::orders`), 1–7 line items, about 4 on average\n"
    );

    let goals: Vec<String> = r
        .goals
        .iter()
        .map(|g| {
            format!(
                "{} | {} | {} | {} | {} | {}",
                g.name,
                opt(g.value, |v| format!("{v:.2}")),
                opt(g.limit, |v| format!("{v:.2}")),
                if g.ratio_is_times {
                    opt(g.ratio, |r| format!("{r:.1}×"))
                } else {
                    percent(g.ratio)
                },
                g.target,
                match g.met {
                    Some(true) => "met",
                    Some(false) => "**missed**",
                    None => "not measured",
                }
            )
        })
        .collect();
    table(
        &mut out,
        "Goals (issue 6), as ratios from this run",
        "",
        &["goal", "figure", "limit", "ratio", "target", "result"],
        &goals,
    );
    let goal_share = Some(crate::results::GOAL_OPEN_LOOP_SHARE);
    if let Some(p) = r
        .publish_open_loop
        .iter()
        .find(|p| p.share_of_max == goal_share)
    {
        let _ = writeln!(
            out,
            "Latency floor at the open loop's rate: the in-process publish (no HTTP) offered {}/s \
             on the same schedule had a corrected p99 of {} ms (max {} ms).\n",
            rate(p.offered_rate),
            ms(p.latency.p99_ms),
            ms(p.latency.max_ms)
        );
    }
    if let (Some(floor), Some(api64)) = (&r.minimal_handler, r.api_run(64)) {
        let _ = writeln!(
            out,
            "HTTP floor at c=64: a minimal handler (parse, publish, await the ack; no \
             validation, no status) reached {} msgs/s, {} of the publish limit; the API \
             reached {} of the floor.\n",
            rate(floor.msgs_per_sec),
            percent(floor.ratio_to_publish),
            percent(crate::stats::ratio(
                api64.msgs_per_sec,
                Some(floor.msgs_per_sec)
            ))
        );
    }

    let publish: Vec<String> = r
        .publish
        .iter()
        .map(|p| {
            format!(
                "{} | {} | {} | {} | {} | {}",
                match (p.pipelined, p.keyed) {
                    (true, true) => "pipelined, `Nats-Msg-Id` on each",
                    (true, false) => "pipelined",
                    (false, _) => "closed loop",
                },
                p.in_flight,
                rate(p.msgs_per_sec),
                p.latency
                    .as_ref()
                    .map_or_else(|| "– | – | –".into(), latency_cells),
                p.errors,
                opt(p.cpu_seconds, |c| format!("{c:.1}"))
            )
        })
        .collect();
    table(
        &mut out,
        "Publish limit: in-process JetStream publish, same payloads and headers",
        "Each publish carries the `Nomnom-*` headers (no `Nats-Msg-Id`, as a message posted \
         without an idempotency key) and waits for the JetStream acknowledgement; *in flight* is the number of publishers (closed loop) or \
         the window of unacknowledged publishes (pipelined).",
        &[
            "mode",
            "in flight",
            "msgs/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "errors",
            "CPU s",
        ],
        &publish,
    );

    let labelled = r
        .api
        .iter()
        .map(|a| (pinned(a.pinned), a))
        .chain(r.minimal_handler.iter().map(|m| ("minimal handler", m)));
    let api: Vec<String> = labelled
        .map(|(label, a)| {
            format!(
                "{} | {} | {} | {} | {} | {} | {} | {}",
                label,
                a.concurrency,
                rate(a.msgs_per_sec),
                percent(a.ratio_to_publish),
                latency_cells(&a.latency),
                a.errors,
                opt(a.loadgen_cpu_seconds, |c| format!("{c:.1}")),
                opt(a.api_cpu_seconds, |c| format!("{c:.1}"))
            )
        })
        .collect();
    table(
        &mut out,
        "API: POST /ingest/message, closed loop",
        "Ratio: to the closed-loop publish limit at the same number in flight. Pinned: the API \
         on CPU 0, the load generator on CPU 1 (NATS unpinned). Minimal handler: the HTTP \
         floor, an axum endpoint in a process of its own that only parses the JSON body, \
         publishes it with the same runtime call and answers 202 after the acknowledgement \
         (no validation, no status tracking), loaded the same way.",
        &[
            "run",
            "concurrency",
            "msgs/s",
            "of publish",
            "p50 ms",
            "p99 ms",
            "max ms",
            "errors",
            "load-gen CPU s",
            "API CPU s",
        ],
        &api,
    );

    let open: Vec<String> = r
        .api_open_loop
        .iter()
        .map(|o| {
            format!(
                "{} | {} | {} | {} | {} | {} | {} | {} | {}",
                pinned(o.pinned),
                rate(o.offered_rate),
                percent(o.share_of_max),
                o.connections,
                rate(o.msgs_per_sec),
                latency_cells(&o.latency),
                errors_cell(o.errors, &o.errors_by_answer),
                opt(o.loadgen_cpu_seconds, |c| format!("{c:.1}")),
                opt(o.api_cpu_seconds, |c| format!("{c:.1}"))
            )
        })
        .chain(r.publish_open_loop.iter().map(|p| {
            format!(
                "in-process publish | {} | {} | – | {} | {} | {} | {} | –",
                rate(p.offered_rate),
                percent(p.share_of_max),
                rate(p.msgs_per_sec),
                latency_cells(&p.latency),
                p.errors,
                opt(p.cpu_seconds, |c| format!("{c:.1}"))
            )
        }))
        .collect();
    table(
        &mut out,
        "API: open loop at half and a quarter of the maximum rate (latency corrected)",
        "Requests are sent at fixed times whatever the server does, spread over a fixed set of \
         kept-alive connections; each latency runs from the time its request was due, so a \
         stall is charged to every request it delayed. *In-process publish*: the same schedule \
         published from this program with no HTTP (every due publish sent at once, the \
         acknowledgements awaited concurrently): the tail NATS alone adds at that rate.",
        &[
            "run",
            "offered/s",
            "of max",
            "connections",
            "accepted/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "errors",
            "load-gen CPU s",
            "API CPU s",
        ],
        &open,
    );

    let witnessed: Vec<String> = r
        .api_open_loop
        .iter()
        .filter_map(|o| {
            let w = o.witnessed.as_ref()?;
            Some(witness_row(
                pinned(o.pinned),
                o.offered_rate,
                &o.latency,
                o.worst_at_s,
                w,
            ))
        })
        .chain(r.publish_open_loop.iter().filter_map(|p| {
            let w = p.witnessed.as_ref()?;
            Some(witness_row(
                "in-process publish",
                p.offered_rate,
                &p.latency,
                p.worst_at_s,
                w,
            ))
        }))
        .collect();
    table(
        &mut out,
        "Stall witnesses during the open loop",
        "Beside each open-loop run, two light probes every 5 ms, each measured from its due \
         time: a JetStream publisher on a connection and stream of its own, and `GET /health` \
         on the API over a connection of its own (a route that touches neither NATS nor \
         PostgreSQL). *at s*: when the slowest request or probe was due, in seconds from the \
         run's start; *stalls*: probes slower than 50 ms. A stall the publisher shares is \
         NATS's; one only `/health` shares is the API process's; one neither shares is the \
         load generator's or the machine's.",
        &[
            "run",
            "offered/s",
            "p99 ms",
            "max ms",
            "at s",
            "NATS probe p99 / max ms",
            "at s",
            "stalls",
            "/health p99 / max ms",
            "at s",
            "stalls",
        ],
        &witnessed,
    );

    let batch: Vec<String> = r
        .api_batch
        .iter()
        .map(|b| {
            format!(
                "{} | {} | {} | {} | {} | {} | {}",
                pinned(b.pinned),
                b.lines_per_body,
                b.concurrency,
                rate(b.msgs_per_sec),
                percent(b.ratio_to_pipelined),
                latency_cells(&b.latency),
                b.errors
            )
        })
        .collect();
    table(
        &mut out,
        "API: POST /ingest/batch (NDJSON)",
        "Ratio: to the pipelined publish limit (the best window).",
        &[
            "run",
            "lines/body",
            "bodies in flight",
            "msgs/s",
            "of pipelined",
            "p50 ms",
            "p99 ms",
            "max ms",
            "errors",
        ],
        &batch,
    );

    if let Some(c) = &r.copy {
        table(
            &mut out,
            "Write limit: binary COPY of the worker's rows",
            "Orders and line items with the hidden columns, into the tables `worker migrate` \
             created, one transaction per batch; preparing rows is not timed.",
            &[
                "messages",
                "rows",
                "orders/transaction",
                "rows/s",
                "msgs/s",
                "checkpoints (requested)",
                "WAL bytes/msg",
            ],
            &[format!(
                "{} | {} | {} | {} | {} | {}",
                c.messages,
                c.rows,
                c.batch_messages,
                rate(c.rows_per_sec),
                rate(c.msgs_per_sec),
                pg_writes_cells(c.postgres_writes.as_ref(), c.messages)
            )],
        );
    }

    let workers: Vec<String> = r
        .workers
        .iter()
        .map(|w| {
            format!(
                "{} | {} | {} | {} | {} | {} | {} | {} | {} | {}",
                w.mode,
                w.processes,
                w.messages,
                rate(w.msgs_per_sec),
                rate(w.rows_per_sec),
                percent(w.ratio_to_copy),
                opt(w.peak_rss_kib, |k| format!("{:.1}", k as f64 / 1024.0)),
                opt(w.worker_cpu_seconds, |c| format!("{c:.1}")),
                pg_writes_cells(w.postgres_writes.as_ref(), w.messages),
                if w.verified { "yes" } else { "**no**" }
            )
        })
        .collect();
    table(
        &mut out,
        "Worker: draining a pre-filled stream (upserts, status tracking on)",
        "Ratio: to the COPY limit in messages per second. Verified: the tables and \
         `message_status` hold exactly what was sent. Checkpoints: those PostgreSQL ran during \
         the drain (requested ones mostly because the WAL reached `max_wal_size`); after each, \
         the first change of every page writes a full page image, so the WAL per message \
         grows.",
        &[
            "mode",
            "processes",
            "messages",
            "msgs/s",
            "rows/s",
            "of COPY",
            "peak RSS MiB",
            "worker CPU s",
            "checkpoints (requested)",
            "WAL bytes/msg",
            "verified",
        ],
        &workers,
    );

    for e in &r.end_to_end {
        let posting = e.posting.label();
        let steps: Vec<String> = e
            .steps
            .iter()
            .map(|s| {
                let cpu =
                    super::cpu_budget::pipeline(String::new(), s.accepted_rate, s.seconds, &s.cpu);
                format!(
                    "{} | {} | {} | {} | {} | {} | {:+.0} | {} | {}",
                    rate(s.offered_rate),
                    rate(s.accepted_rate),
                    errors_cell(s.errors, &s.errors_by_answer),
                    s.max_backlog,
                    s.backlog_at_end,
                    s.settled_backlog,
                    s.backlog_growth_per_sec,
                    cpu.micros_per_message()
                        .map_or_else(|| "–".to_string(), |m| format!("{m:.0}")),
                    if s.kept_up { "yes" } else { "no" }
                )
            })
            .collect();
        table(
            &mut out,
            &format!("End to end, {posting}: the search for the highest steady rate"),
            "API and one worker together; a step keeps up when every message was accepted, \
             where the consumer backlog settled at its end (the median of its last quarter) is \
             within half a second of traffic (plus two batches \
             in flight, and one posted body when batches are posted), and the backlog's trend \
             over the step's second half (least squares of one sample a second) is at most 2% \
             of the traffic (plus the slope of one body across that half). Passing steps follow each other \
             without a pause; after the first failure the search bisects to 10%. CPU: what \
             every process (load generator, API, worker, NATS, PostgreSQL) spent per accepted \
             message during the step.",
            &[
                "offered/s",
                "accepted/s",
                "errors",
                "max backlog",
                "backlog at end",
                "settled",
                "trend msgs/s",
                "CPU µs/msg",
                "kept up",
            ],
            &steps,
        );
        let attempts: Vec<String> = e
            .sustain
            .iter()
            .map(|s| {
                format!(
                    "{:.0} s at {}/s: max backlog {}, final {} (settled {}), trend {:+.1}/s, errors {}, {}",
                    s.seconds,
                    rate(s.offered_rate),
                    s.max_backlog,
                    s.final_backlog,
                    s.settled_backlog,
                    s.backlog_growth_per_sec,
                    errors_cell(s.errors, &s.errors_by_answer),
                    if s.kept_up {
                        "held"
                    } else {
                        "**did not hold**"
                    }
                )
            })
            .collect();
        let rows = vec![format!(
            "{} | {} | {} | {} | {} | {} | {}/{} | {}",
            rate(e.search_rate),
            rate(e.sustained_rate),
            percent(e.ratio_to_slower),
            rate(e.latency_rate),
            latency_cells(&e.latency_to_persisted),
            ms(e.latency_after_idle.p99_ms),
            e.persisted,
            e.accepted,
            if attempts.is_empty() {
                "–".to_string()
            } else {
                attempts.join("; ")
            }
        )];
        table(
            &mut out,
            &format!("End to end, {posting}: sustained rate and latency from 202 to persisted"),
            "Sustained: the rate whose long run kept up, judged as a search step (the settled \
             backlog is the median of the run's last minute; at the search's rate, then once \
             more at 90% of it). Latency: \
             `message_status.processed_at - received_at` of every message of a run at half the \
             search's rate, in steady state (it follows a run at the same rate); *p99 after \
             idle* is that first run, which starts with the worker idle.",
            &[
                "search found/s",
                "sustained/s",
                "of slower alone",
                "latency run at/s",
                "p50 ms",
                "p99 ms",
                "max ms",
                "p99 after idle ms",
                "persisted",
                "sustain",
            ],
            &rows,
        );
        let sustained: Vec<String> = e
            .sustain
            .iter()
            .map(|s| {
                let messages = (s.accepted_rate * s.seconds) as u64;
                format!(
                    "{} | {:.0} | {} | {} | {} | {} | {}",
                    rate(s.offered_rate),
                    s.seconds,
                    if s.kept_up { "held" } else { "**no**" },
                    s.backlog_each_minute
                        .iter()
                        .map(|b| rate(*b as f64))
                        .collect::<Vec<_>>()
                        .join(" → "),
                    pg_writes_cells(s.postgres_writes.as_ref(), messages),
                    opt(s.database_mib_at_end, |m| format!("{m:.0}")),
                    opt(s.purged_backlog, |b| rate(b as f64))
                )
            })
            .collect();
        table(
            &mut out,
            &format!("End to end, {posting}: the sustained runs, minute by minute"),
            "The consumer backlog at the end of each minute, and what PostgreSQL wrote meanwhile: \
             a backlog that starts growing after some minutes, with requested checkpoints and \
             the WAL per message rising, is the database outgrowing its shared buffers, not the \
             worker slowing. Purged: what was still queued two minutes after the run, removed so \
             that the retry starts from an empty backlog.",
            &[
                "offered/s",
                "seconds",
                "held",
                "backlog each minute",
                "checkpoints (requested)",
                "WAL bytes/msg",
                "database MiB at end",
                "purged",
            ],
            &sustained,
        );
    }

    let budget = super::cpu_budget::rows(r);
    if !budget.is_empty() {
        table(
            &mut out,
            "Where the CPU went",
            "CPU seconds of each process during each run (load generator: this program; binary: \
             the API or the workers; NATS and PostgreSQL: all their processes), how busy they \
             kept the machine's cores, and the CPU all of them spent per message. A run with \
             its cores nearly all busy is bounded by CPU: it goes faster only by spending less.",
            &[
                "run",
                "msgs/s",
                "wall s",
                "load gen CPU s",
                "binary CPU s",
                "NATS CPU s",
                "PostgreSQL CPU s",
                "cores busy",
                "CPU µs per message",
            ],
            &budget,
        );
    }

    table(
        &mut out,
        "Memory: peak resident set (VmHWM)",
        "",
        &["process", "peak MiB", "bound"],
        &[
            format!(
                "API (after concurrency 256) | {} | 32 MiB",
                opt(r.memory.api_peak_kib, |k| format!(
                    "{:.1}",
                    k as f64 / 1024.0
                ))
            ),
            format!(
                "API (after every API run: open loop, 1,000-line batches) | {} | –",
                opt(r.memory.api_peak_all_runs_kib, |k| format!(
                    "{:.1}",
                    k as f64 / 1024.0
                ))
            ),
            format!(
                "worker (default batch size) | {} | 64 MiB",
                opt(r.memory.worker_peak_kib, |k| format!(
                    "{:.1}",
                    k as f64 / 1024.0
                ))
            ),
        ],
    );

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
    use crate::publish::PublishRun;
    use crate::results::{ApiRun, WorkerRun};

    #[test]
    fn errors_name_what_refused_them() {
        assert_eq!(errors_cell(0, &BTreeMap::new()), "0");
        let by_answer = BTreeMap::from([
            ("503 overloaded".to_owned(), 2000),
            ("no answer".to_owned(), 1),
        ]);
        assert_eq!(
            errors_cell(2001, &by_answer),
            "2001 (503 overloaded: 2000, no answer: 1)"
        );
    }

    #[test]
    fn number_formats() {
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(999.4), "999");
        assert_eq!(rate(12_345.6), "12,346");
        assert_eq!(rate(1_234_567.0), "1,234,567");
        assert_eq!(percent(Some(0.4834)), "48.3%");
        assert_eq!(percent(None), "–");
        assert_eq!(ms(1.0 / 3.0), "0.33");
    }

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
                "| 5,000 | 600 | **no** | 900 → 1,200 → 250,000 | 7 (6) | 1,000 | 1234 | 180,000 |"
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
