//! Where the CPU went: every process's CPU seconds per run, the cores they kept busy, and the
//! CPU per message.

use crate::report::cpu_budget;
use crate::report::format::table;
use crate::results::Results;

/// The CPU budget's table.
pub(super) fn write(out: &mut String, r: &Results) {
    let budget = cpu_budget::rows(r);
    if !budget.is_empty() {
        table(
            out,
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
}
