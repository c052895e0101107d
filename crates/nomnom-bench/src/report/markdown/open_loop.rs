//! The API's open loop at fixed offered rates, the in-process publish on the same schedule,
//! and what the stall witnesses saw meanwhile.

use crate::report::format::{errors_cell, latency_cells, ms, opt, percent, pinned, rate, table};
use crate::results::Results;
use crate::stats::LatencySummary;
use crate::witness::{Probe, Witnessed};

/// The open loop's table.
pub(super) fn write(out: &mut String, r: &Results) {
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
        out,
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
}

/// The stall witnesses' table.
pub(super) fn witnesses(out: &mut String, r: &Results) {
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
        out,
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
