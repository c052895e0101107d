//! The goals of issue 6 as ratios from this run, then the latency and HTTP floors they are
//! read against.

use std::fmt::Write as _;

use crate::report::format::{ms, opt, percent, rate, table};
use crate::results::Results;

/// The goals' table.
pub(super) fn write(out: &mut String, r: &Results) {
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
        out,
        "Goals (issue 6), as ratios from this run",
        "",
        &["goal", "figure", "limit", "ratio", "target", "result"],
        &goals,
    );
}

/// The latency floor at the open loop's rate and the HTTP floor at c=64, a sentence each.
pub(super) fn floors(out: &mut String, r: &Results) {
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
}
