//! The API's closed loop (with the minimal handler, its HTTP floor) and its NDJSON batches.

use crate::report::format::{latency_cells, opt, percent, pinned, rate, table};
use crate::results::Results;

/// `POST /ingest/message` in a closed loop, and the minimal handler.
pub(super) fn closed_loop(out: &mut String, r: &Results) {
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
        out,
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
}

/// `POST /ingest/batch`.
pub(super) fn batches(out: &mut String, r: &Results) {
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
        out,
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
}
