//! What computed fields cost per message: the plain model against the computed one, under
//! each load both ran, with the goal next to each figure.

use crate::computed_cost::{Comparison, ComputedCost, Totals, GOAL_EXTRA};
use crate::report::format::{opt, percent, rate, signed_percent, table};
use crate::results::Results;

/// The comparison's table, when the computed-fields stages ran.
pub(super) fn write(out: &mut String, r: &Results) {
    let Some(cost) = &r.computed else {
        return;
    };
    let rows: Vec<String> = cost.comparisons.iter().map(row).collect();
    table(
        out,
        "Computed fields: cost per message against the same model without them",
        &intro(cost),
        &[
            "load",
            "plain msgs/s",
            "computed msgs/s",
            "rate, of plain",
            "plain binary µs/msg",
            "computed binary µs/msg",
            "extra",
            "extra by round",
            "all processes µs/msg",
            "errors",
            "goal",
            "result",
        ],
        &rows,
    );
}

fn intro(cost: &ComputedCost) -> String {
    let bytes = |b: Option<f64>| opt(b, |b| format!("{b:.0}"));
    let same_rows = if cost.same_rows_by_round.is_empty() {
        "not compared (no drains)".to_string()
    } else if cost.same_rows_by_round.iter().all(|&s| s) {
        "yes, in every round".to_string()
    } else {
        "**no**".to_string()
    };
    format!(
        "`examples/tpch` (plain) and `crates/nomnom-bench/models/tpch-computed` (the same \
         tables, columns and rows; 12 of the 22 columns computed from the sender's formats with \
         `upper(trim())`, `concat`, `concat_ws`, `lookup`, `to_decimal(replace())`, \
         `parse_date`, `nullif(trim())` and `coalesce`) run back to back on the same orders, \
         in {}, alternating which model goes first. A message is {} bytes on average in \
         the plain form, {} in the computed one. Binary: the API's or the worker's own CPU per \
         message, where computed fields run (the API computes them to validate, the worker to \
         write); the goal is at most {} more. All processes: load generator, binary, NATS and \
         PostgreSQL. Each round's drains stored the same rows (a digest of every model \
         column): {same_rows}.",
        match cost.rounds {
            1 => "1 round".to_string(),
            n => format!("{n} rounds"),
        },
        bytes(cost.plain_bytes_per_message),
        bytes(cost.computed_bytes_per_message),
        percent(Some(GOAL_EXTRA)),
    )
}

fn row(c: &Comparison) -> String {
    let micros = |t: &Totals, f: fn(&Totals) -> Option<f64>| opt(f(t), |m| format!("{m:.1}"));
    let by_round: Vec<String> = c
        .extra_binary_cpu_by_round
        .iter()
        .map(|&e| signed_percent(Some(e)))
        .collect();
    format!(
        "{} | {} | {} | {} | {} | {} | {} | {} | {} → {} ({}) | {} / {} | at most {} | {}",
        c.load.label(),
        rate(c.plain.msgs_per_sec),
        rate(c.computed.msgs_per_sec),
        percent(c.rate_ratio),
        micros(&c.plain, |t| t.binary_micros),
        micros(&c.computed, |t| t.binary_micros),
        signed_percent(c.extra_binary_cpu),
        if by_round.is_empty() {
            "–".to_string()
        } else {
            by_round.join(", ")
        },
        micros(&c.plain, |t| t.all_micros),
        micros(&c.computed, |t| t.all_micros),
        signed_percent(c.extra_all_cpu),
        c.plain.errors,
        c.computed.errors,
        signed_percent(Some(GOAL_EXTRA)),
        match c.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "not measured",
        }
    )
}
