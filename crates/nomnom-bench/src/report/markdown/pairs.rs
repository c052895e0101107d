//! What one form of a model costs against another: for each pair that ran (API keys against
//! the open API; metrics against none; metrics and traces against both off; computed fields
//! against the plain model; HL7 v2 against JSON), a table of both forms under each load, with
//! the goal next to each figure.

use crate::pair_cost::{Comparison, PairCost, PairGoal, Totals};
use crate::report::format::{opt, percent, rate, signed_percent, table};
use crate::results::Results;
use crate::variant::Pair;

/// A table for each pair that ran, computed fields first.
pub(super) fn write(out: &mut String, r: &Results) {
    for cost in [&r.api_keys, &r.metrics, &r.telemetry, &r.computed, &r.hl7]
        .into_iter()
        .flatten()
    {
        let (baseline, candidate) = (cost.pair.baseline.label(), cost.pair.candidate.label());
        let rows: Vec<String> = cost.comparisons.iter().map(|c| row(r, cost, c)).collect();
        let headers = [
            "load".to_string(),
            format!("{baseline} msgs/s"),
            format!("{candidate} msgs/s"),
            format!("rate, of {baseline}"),
            format!("{candidate}, of publish limit"),
            format!("{baseline} binary µs/msg"),
            format!("{candidate} binary µs/msg"),
            "extra CPU".to_string(),
            "goal figure by round".to_string(),
            "all processes µs/msg".to_string(),
            "errors".to_string(),
            "goal".to_string(),
            "result".to_string(),
        ];
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        table(out, title(cost.pair), &intro(cost), &headers, &rows);
    }
}

fn title(pair: Pair) -> &'static str {
    match pair {
        Pair::HL7 => "HL7 v2: rate and cost per message against JSON carrying the same reports",
        Pair::KEYS => "API keys and a rate limit: rate against the open API",
        Pair::METRICS => "Metrics: rate against the same binaries with metrics off",
        Pair::TELEMETRY => "Metrics and traces: rate against the same binaries with both off",
        _ => "Computed fields: cost per message against the same model without them",
    }
}

fn intro(cost: &PairCost) -> String {
    let bytes = |b: Option<f64>| opt(b, |b| format!("{b:.0}"));
    let same_rows = if cost.same_rows_by_round.is_empty() {
        "not compared (no drains)".to_string()
    } else if cost.same_rows_by_round.iter().all(|&s| s) {
        "yes, in every round".to_string()
    } else {
        "**no**".to_string()
    };
    let rounds = match cost.rounds {
        1 => "1 round".to_string(),
        n => format!("{n} rounds"),
    };
    let (baseline_bytes, candidate_bytes) = (
        bytes(cost.baseline_bytes_per_message),
        bytes(cost.candidate_bytes_per_message),
    );
    let goal = match cost.goal {
        PairGoal::RateAtLeast(share) => percent(Some(share)),
        PairGoal::ExtraCpuAtMost(bound) => percent(Some(bound)),
    };
    let forms = if cost.pair == Pair::KEYS {
        format!(
            "The API of `examples/tpch` posting single messages at c=64, open (plain) and with \
             keys (keyed: `API_KEYS_FILE` holding one key with scopes `ingest+status`, sent as \
             `Authorization: Bearer` on every request, and `RATE_LIMIT_PER_SECOND` and \
             `RATE_LIMIT_BURST` of {limit} so the token bucket runs and never refuses), each on \
             a stream and a database of its own, back to back on the same orders in {rounds}, \
             alternating which goes first. Only 202s count; a 401 or 429 fails the stage. The \
             goal: the keyed rate at least {goal} of the open one.",
            limit = crate::api_keys::RATE_LIMIT,
        )
    } else if cost.pair == Pair::METRICS {
        format!(
            "The binaries of `examples/tpch` as they run by default (plain: Prometheus metrics \
             recorded) and with `OTEL_METRICS_EXPORTER=none` (unmetered: no recorder, no \
             request-timing layer, every recording skipped), the W3C trace context carried in \
             both, each API on a stream and a database of its own, one worker draining the \
             same orders, back to back in {rounds}, alternating which goes first. The goal: \
             with metrics, at least {goal} of the rate without."
        )
    } else if cost.pair == Pair::TELEMETRY {
        format!(
            "The binaries of `examples/tpch` as they run by default (plain: Prometheus metrics \
             recorded, W3C trace context carried on NATS and kept with each status; no span \
             exported, as without `OTEL_EXPORTER_OTLP_ENDPOINT`) and with both off \
             (unobserved: `OTEL_METRICS_EXPORTER=none`, `OTEL_PROPAGATORS=none`, which skip \
             every recording, the request timing layer, the trace ids and the `traceparent` \
             header), each API on a stream and a database of its own, one worker draining the \
             same orders, back to back in {rounds}, alternating which goes first. The goal: \
             with both on, at least {goal} of the rate without."
        )
    } else if cost.pair == Pair::HL7 {
        format!(
            "`crates/nomnom-bench/models/lab-json` (json) and `examples/hl7-lab` (hl7) declare \
             the same tables, columns and computed fields, and are sent the same generated \
             ORU^R01 lab reports (1–3 OBR groups of 1–6 OBX results, optional fields absent or \
             null, escapes now and then) as JSON documents and as HL7 v2 messages, back to back \
             in {rounds}, alternating which goes first. A message is {baseline_bytes} bytes on \
             average as JSON, {candidate_bytes} as HL7. HTTP loads are compared load for load; \
             MLLP (one message in flight on each connection, accepted on its `MSA|AA`) against \
             JSON single messages at the same concurrency. Of publish limit: the HL7 rate over \
             this run's publish limit (TPC-H orders, at as many acks in flight, or pipelined for \
             batches). The goal: HL7 at least {goal} of JSON's rate."
        )
    } else {
        format!(
            "`examples/tpch` (plain) and `crates/nomnom-bench/models/tpch-computed` (the same \
             tables, columns and rows; 12 of the 22 columns computed from the sender's formats \
             with `upper(trim())`, `concat`, `concat_ws`, `lookup`, `to_decimal(replace())`, \
             `parse_date`, `nullif(trim())` and `coalesce`) run back to back on the same orders, \
             in {rounds}, alternating which model goes first. A message is {baseline_bytes} bytes \
             on average in the plain form, {candidate_bytes} in the computed one. The goal: the \
             computed model's binary (the API computes fields to validate, the worker to write) \
             spends at most {goal} more CPU per message."
        )
    };
    format!(
        "{forms} Binary: the API's or the worker's own CPU per message. All processes: load \
         generator, binary, NATS and PostgreSQL. Each round's drains stored the same rows (a \
         digest of every model column): {same_rows}."
    )
}

fn row(r: &Results, cost: &PairCost, c: &Comparison) -> String {
    let micros = |t: &Totals, f: fn(&Totals) -> Option<f64>| opt(f(t), |m| format!("{m:.1}"));
    let (by_round, goal): (Vec<String>, String) = match cost.goal {
        PairGoal::ExtraCpuAtMost(bound) => (
            c.extra_binary_cpu_by_round
                .iter()
                .map(|&e| signed_percent(Some(e)))
                .collect(),
            format!("CPU at most {}", signed_percent(Some(bound))),
        ),
        PairGoal::RateAtLeast(share) => (
            c.rate_ratio_by_round
                .iter()
                .map(|&x| percent(Some(x)))
                .collect(),
            format!("rate at least {}", percent(Some(share))),
        ),
    };
    let of_publish = r
        .publish_limit_for(c.load)
        .and_then(|limit| crate::stats::ratio(c.candidate.msgs_per_sec, Some(limit)));
    format!(
        "{} | {} | {} | {} | {} | {} | {} | {} | {} | {} → {} ({}) | {} / {} | {} | {}",
        c.load.label(),
        rate(c.baseline.msgs_per_sec),
        rate(c.candidate.msgs_per_sec),
        percent(c.rate_ratio),
        percent(of_publish),
        micros(&c.baseline, |t| t.binary_micros),
        micros(&c.candidate, |t| t.binary_micros),
        signed_percent(c.extra_binary_cpu),
        if by_round.is_empty() {
            "–".to_string()
        } else {
            by_round.join(", ")
        },
        micros(&c.baseline, |t| t.all_micros),
        micros(&c.candidate, |t| t.all_micros),
        signed_percent(c.extra_all_cpu),
        c.baseline.errors,
        c.candidate.errors,
        goal,
        match c.met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "not measured",
        }
    )
}
