//! The results written out: a Markdown table (printed and `results.md`), `results.json`, and
//! SVG charts.

pub mod cpu_budget;
pub mod format;
pub mod markdown;
pub mod svg;

use std::path::{Path, PathBuf};

use crate::results::Results;
use crate::BenchError;

/// Concurrency levels shown on the charts' x axis.
pub const CONCURRENCY: [usize; 4] = [1, 16, 64, 256];

/// The charts of a run: `(file name, SVG)`.
pub fn charts(results: &Results) -> Vec<(&'static str, String)> {
    let labels: Vec<String> = CONCURRENCY.iter().map(|c| c.to_string()).collect();
    let (throughput, p99) = by_concurrency(results);
    vec![
        (
            "throughput.svg",
            svg::line_chart(
                "Messages per second by requests in flight",
                "requests (or acknowledgements) in flight",
                "messages per second",
                &labels,
                &throughput,
            ),
        ),
        (
            "p99.svg",
            svg::line_chart(
                "p99 latency by requests in flight (closed loop)",
                "requests (or acknowledgements) in flight",
                "p99 latency, ms",
                &labels,
                &p99,
            ),
        ),
        (
            "worker.svg",
            svg::bar_chart(
                "Worker rate against the COPY limit",
                "msgs/s",
                &worker_bars(results),
            ),
        ),
    ]
}

/// The throughput and p99 lines, over [`CONCURRENCY`]: the publish limit, the API, and the
/// API pinned when it ran.
fn by_concurrency(results: &Results) -> (Vec<svg::Series>, Vec<svg::Series>) {
    let api = |pinned: bool, f: fn(&crate::results::ApiRun) -> f64| -> Vec<Option<f64>> {
        CONCURRENCY
            .iter()
            .map(|&c| {
                results
                    .api
                    .iter()
                    .find(|a| a.pinned == pinned && a.concurrency == c)
                    .map(f)
            })
            .collect()
    };
    let publish_p99: Vec<Option<f64>> = CONCURRENCY
        .iter()
        .map(|&c| {
            results
                .publish
                .iter()
                .find(|p| !p.pipelined && p.in_flight == c)
                .and_then(|p| p.latency.map(|l| l.p99_ms))
        })
        .collect();
    let series = |name: &str, values| svg::Series {
        name: name.into(),
        values,
    };
    let publish = CONCURRENCY.iter().map(|&c| results.publish_rate(c));
    let mut throughput = vec![
        series("publish (limit)", publish.collect()),
        series("API", api(false, |a| a.msgs_per_sec)),
    ];
    let mut p99 = vec![
        series("publish (limit)", publish_p99),
        series("API", api(false, |a| a.latency.p99_ms)),
    ];
    if results.api.iter().any(|a| a.pinned) {
        throughput.push(series("API (pinned)", api(true, |a| a.msgs_per_sec)));
        p99.push(series("API (pinned)", api(true, |a| a.latency.p99_ms)));
    }
    (throughput, p99)
}

/// The worker chart's bars: the COPY limit, every drain, and every sustained end-to-end rate.
fn worker_bars(results: &Results) -> Vec<(String, f64)> {
    let mut bars = Vec::new();
    if let Some(copy) = &results.copy {
        bars.push(("binary COPY (limit)".to_string(), copy.msgs_per_sec));
    }
    for w in &results.workers {
        let label = if w.mode == "batched" {
            format!("worker x{}", w.processes)
        } else {
            format!("{} x{}", w.mode, w.processes)
        };
        bars.push((label, w.msgs_per_sec));
    }
    for e2e in &results.end_to_end {
        bars.push((
            format!("end to end, {} (sustained)", e2e.posting.label()),
            e2e.sustained_rate,
        ));
    }
    bars
}

/// Writes `results.md`, `results.json` and the charts into `dir`; returns the files written.
pub fn write_all(results: &Results, dir: &Path) -> Result<Vec<PathBuf>, BenchError> {
    let io = |p: &Path, e: std::io::Error| BenchError::Io(format!("{}: {e}", p.display()));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let mut files = Vec::new();
    let mut write = |name: &str, contents: &str| -> Result<(), BenchError> {
        let path = dir.join(name);
        std::fs::write(&path, contents).map_err(|e| io(&path, e))?;
        files.push(path);
        Ok(())
    };
    write("results.md", &markdown::render(results))?;
    let json = serde_json::to_string_pretty(results)
        .map_err(|e| BenchError::Io(format!("results.json: {e}")))?;
    write("results.json", &json)?;
    for (name, svg) in charts(results) {
        write(name, &svg)?;
    }
    Ok(files)
}
