//! Peak resident memory of the API and the worker against their bounds.

use crate::report::format::{opt, table};
use crate::results::Results;

/// The memory table.
pub(super) fn write(out: &mut String, r: &Results) {
    table(
        out,
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
}
