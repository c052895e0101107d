//! The publish limit: in-process JetStream publish, closed loop and pipelined.

use crate::report::format::{latency_cells, opt, rate, table};
use crate::results::Results;

/// The publish limit's table.
pub(super) fn write(out: &mut String, r: &Results) {
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
        out,
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
}
