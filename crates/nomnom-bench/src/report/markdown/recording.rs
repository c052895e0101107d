//! What recording metrics and carrying trace context cost per message, timed in-process
//! ([`crate::recording`]), as shares of the binaries' CPU per message from this run's
//! `api-metrics` and `worker-metrics` stages (their forms without metrics) when they ran.

use crate::pair_cost::Load;
use crate::pair_stage::CONCURRENCY;
use crate::posting::BATCH_LINES;
use crate::report::format::{opt, percent, table};
use crate::results::Results;

/// The recording table.
pub(super) fn write(out: &mut String, r: &Results) {
    let Some(cost) = &r.recording else {
        return;
    };
    // The binaries' CPU per message without metrics, in nanoseconds.
    let without = |load: Load| {
        r.metrics.as_ref().and_then(|m| {
            m.comparisons
                .iter()
                .find(|c| c.load == load)
                .and_then(|c| c.baseline.binary_micros)
                .map(|micros| micros * 1_000.0)
        })
    };
    let single = without(Load::Single {
        concurrency: CONCURRENCY,
    });
    let batch = without(Load::Batch { lines: BATCH_LINES });
    let drain = without(Load::Drain { processes: 1 });
    let share = |ns: f64, of: Option<f64>| percent(of.map(|of| ns / of));
    let per_line = cost.api_metrics_ns_per_request / BATCH_LINES as f64;
    let rows = vec![
        format!(
            "API: the publish timed, its histogram sample, the message counted | per message | {:.0} | {} | {}",
            cost.api_metrics_ns_per_message,
            share(cost.api_metrics_ns_per_message, single),
            share(cost.api_metrics_ns_per_message, batch),
        ),
        format!(
            "API: the timing layer (clock reads, histogram, counter) | per request | {:.0} | {} | {}",
            cost.api_metrics_ns_per_request,
            share(cost.api_metrics_ns_per_request, single),
            share(per_line, batch),
        ),
        format!(
            "API: the `traceparent` header on the message | per message | {:.0} | {} | {}",
            cost.api_trace_ns_per_message,
            share(cost.api_trace_ns_per_message, single),
            share(cost.api_trace_ns_per_message, batch),
        ),
        format!(
            "worker: the batch recorded ({} messages) | per message | {:.1} | {} | –",
            crate::worker_bench::DEFAULT_BATCH_SIZE,
            cost.worker_metrics_ns_per_message,
            share(cost.worker_metrics_ns_per_message, drain),
        ),
        format!(
            "worker: the `traceparent` read | per message | {:.0} | {} | –",
            cost.worker_trace_ns_per_message,
            share(cost.worker_trace_ns_per_message, drain),
        ),
    ];
    let intro = format!(
        "Each piece timed {} times in this process with the runtime's own code, the fastest \
         of 3 (the pair stages' rounds on a shared machine spread wider than these costs). \
         Shares are of the binary's CPU per message without metrics in this run's \
         `api-metrics` and `worker-metrics` stages: API single messages at c=64 {} µs, \
         1,000-line batches {} µs (the timing layer's cost spread over a request's lines), \
         worker {} µs (worker rows: the share of its CPU per message).",
        cost.iterations,
        opt(single, |ns| format!("{:.1}", ns / 1_000.0)),
        opt(batch, |ns| format!("{:.1}", ns / 1_000.0)),
        opt(drain, |ns| format!("{:.1}", ns / 1_000.0)),
    );
    table(
        out,
        "Recording metrics and carrying trace context, per message",
        &intro,
        &[
            "what",
            "counted",
            "ns",
            "of API single (or worker) CPU per message",
            "of API batch CPU per message",
        ],
        &rows,
    );
}
