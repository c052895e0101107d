//! API and worker together, per way of posting: the search for the highest steady rate, the
//! sustained rate with the latency to persisted, and the sustained runs minute by minute.

use crate::report::cpu_budget;
use crate::report::format::{
    errors_cell, latency_cells, ms, opt, percent, pg_writes_cells, rate, table,
};
use crate::results::{EndToEnd, Results};

/// The three tables of every way of posting, in running order.
pub(super) fn write(out: &mut String, r: &Results) {
    for e in &r.end_to_end {
        search(out, e);
        sustained(out, e);
        minutes(out, e);
    }
}

/// The search's steps.
fn search(out: &mut String, e: &EndToEnd) {
    let posting = e.posting.label();
    let steps: Vec<String> = e
        .steps
        .iter()
        .map(|s| {
            let cpu = cpu_budget::pipeline(String::new(), s.accepted_rate, s.seconds, &s.cpu);
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
        out,
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
}

/// The sustained rate, its attempts, and the latency from 202 to persisted.
fn sustained(out: &mut String, e: &EndToEnd) {
    let posting = e.posting.label();
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
        out,
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
}

/// The sustained runs, minute by minute.
fn minutes(out: &mut String, e: &EndToEnd) {
    let posting = e.posting.label();
    let sustained: Vec<String> = e
        .sustain
        .iter()
        .map(|s| {
            let messages = (s.accepted_rate * s.seconds) as u64;
            format!(
                "{} | {:.0} | {} | {} | {} | {} | {} | {}",
                rate(s.offered_rate),
                s.seconds,
                if s.kept_up { "held" } else { "**no**" },
                s.backlog_each_minute
                    .iter()
                    .map(|b| rate(*b as f64))
                    .collect::<Vec<_>>()
                    .join(" → "),
                if s.status_mib_each_minute.is_empty() {
                    "–".to_string()
                } else {
                    s.status_mib_each_minute
                        .iter()
                        .map(|m| format!("{m:.0}"))
                        .collect::<Vec<_>>()
                        .join(" → ")
                },
                pg_writes_cells(s.postgres_writes.as_ref(), messages),
                opt(s.database_mib_at_end, |m| format!("{m:.0}")),
                opt(s.purged_backlog, |b| rate(b as f64))
            )
        })
        .collect();
    table(
        out,
        &format!("End to end, {posting}: the sustained runs, minute by minute"),
        "The consumer backlog at the end of each minute, and what PostgreSQL wrote meanwhile: \
         a backlog that starts growing after some minutes, with requested checkpoints and \
         the WAL per message rising, is the database outgrowing its shared buffers, not the \
         worker slowing. `message_status` MiB: the status table with every partition and \
         index, kept for a retention of 5 minutes in partitions of 30 seconds during this \
         stage: it grows for the retention, then stays level as old partitions are dropped. \
         Purged: what was still queued two minutes after the run, removed so that the retry \
         starts from an empty backlog.",
        &[
            "offered/s",
            "seconds",
            "held",
            "backlog each minute",
            "message_status MiB each minute",
            "checkpoints (requested)",
            "WAL bytes/msg",
            "database MiB at end",
            "purged",
        ],
        &sustained,
    );
}
