//! Cells and tables of the results page: numbers as the page prints them, and a section's
//! table with the durability note under it. Shared by every section and the CPU budget.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::pg_writes::PgWrites;
use crate::stats::LatencySummary;

/// The short durability note repeated under every table.
pub const DURABILITY_NOTE: &str = "_Durability: JetStream acknowledges once a message is in the \
    page cache (file storage, fsync every 2 min by default); PostgreSQL fsyncs each commit._";

/// `12345.6` → `12,346`.
pub fn rate(v: f64) -> String {
    let whole = v.round().max(0.0) as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Milliseconds with two decimals.
pub fn ms(v: f64) -> String {
    format!("{v:.2}")
}

/// `0.483` → `48.3%`; missing → `–`.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{:.1}%", v * 100.0))
}

/// `0.048` → `+4.8%`, `-0.02` → `-2.0%`; missing → `–`.
pub fn signed_percent(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{:+.1}%", v * 100.0))
}

/// `f(v)`, or `–` when missing.
pub fn opt<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map_or_else(|| "–".into(), f)
}

/// p50, p99 and max, three cells.
pub fn latency_cells(l: &LatencySummary) -> String {
    format!("{} | {} | {}", ms(l.p50_ms), ms(l.p99_ms), ms(l.max_ms))
}

/// A `## title` section: the intro, the table, and the durability note under it; nothing
/// when there are no rows.
pub fn table(out: &mut String, title: &str, intro: &str, head: &[&str], rows: &[String]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "## {title}\n");
    if !intro.is_empty() {
        let _ = writeln!(out, "{intro}\n");
    }
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        head.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for row in rows {
        let _ = writeln!(out, "| {row} |");
    }
    let _ = writeln!(out, "\n{DURABILITY_NOTE}\n");
}

/// Checkpoints (requested) and WAL bytes per message, two cells.
pub fn pg_writes_cells(w: Option<&PgWrites>, messages: u64) -> String {
    match w {
        Some(w) => format!(
            "{} ({}) | {}",
            w.checkpoints,
            w.requested_checkpoints,
            opt(w.wal_bytes_per_message(messages), rate)
        ),
        None => "– | –".into(),
    }
}

/// A count of refused messages with what refused them: `2000 (503 overloaded: 2000)`.
pub fn errors_cell(errors: u64, by_answer: &BTreeMap<String, u64>) -> String {
    if by_answer.is_empty() {
        return errors.to_string();
    }
    let kinds: Vec<String> = by_answer
        .iter()
        .map(|(answer, messages)| format!("{answer}: {messages}"))
        .collect();
    format!("{errors} ({})", kinds.join(", "))
}

/// `pinned` or `unpinned`.
pub fn pinned(p: bool) -> &'static str {
    if p {
        "pinned"
    } else {
        "unpinned"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_what_refused_them() {
        assert_eq!(errors_cell(0, &BTreeMap::new()), "0");
        let by_answer = BTreeMap::from([
            ("503 overloaded".to_owned(), 2000),
            ("no answer".to_owned(), 1),
        ]);
        assert_eq!(
            errors_cell(2001, &by_answer),
            "2001 (503 overloaded: 2000, no answer: 1)"
        );
    }

    #[test]
    fn number_formats() {
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(999.4), "999");
        assert_eq!(rate(12_345.6), "12,346");
        assert_eq!(rate(1_234_567.0), "1,234,567");
        assert_eq!(percent(Some(0.4834)), "48.3%");
        assert_eq!(percent(None), "–");
        assert_eq!(signed_percent(Some(0.048)), "+4.8%");
        assert_eq!(signed_percent(Some(-0.02)), "-2.0%");
        assert_eq!(signed_percent(None), "–");
        assert_eq!(ms(1.0 / 3.0), "0.33");
    }
}
