//! The page's title and the facts of the run: command, start, machine, durability, payloads.

use std::fmt::Write as _;

use crate::results::Results;

/// The title (and the smoke run's warning), then the run's facts.
pub(super) fn write(out: &mut String, r: &Results) {
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
}
