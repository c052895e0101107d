//! Latency distributions (HdrHistogram, microsecond resolution) and their summaries.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest latency recorded exactly: 10 minutes. Longer ones saturate at this value.
const HIGHEST_MICROS: u64 = 600_000_000;

/// A latency distribution, recorded in microseconds with 3 significant digits.
#[derive(Clone)]
pub struct Latencies {
    hist: Histogram<u64>,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies::new()
    }
}

impl Latencies {
    /// An empty distribution.
    pub fn new() -> Latencies {
        Latencies {
            // Bounds and precision are constants within the histogram's limits.
            hist: Histogram::new_with_bounds(1, HIGHEST_MICROS, 3)
                .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!())),
        }
    }

    /// Records one latency (below 1 µs counts as 1 µs; above 10 minutes as 10 minutes).
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.hist.saturating_record(micros.clamp(1, HIGHEST_MICROS));
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Latencies) {
        // Both histograms have the same bounds, so addition cannot fail; fall back to
        // re-recording just in case.
        if self.hist.add(&other.hist).is_err() {
            for v in other.hist.iter_recorded() {
                self.hist
                    .saturating_record_n(v.value_iterated_to(), v.count_at_value());
            }
        }
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The value at `quantile` (0..=1).
    pub fn quantile(&self, quantile: f64) -> Duration {
        Duration::from_micros(self.hist.value_at_quantile(quantile))
    }

    /// Count, p50, p99, p99.9 and max, in milliseconds.
    pub fn summary(&self) -> LatencySummary {
        if self.hist.is_empty() {
            return LatencySummary::default();
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        LatencySummary {
            count: self.hist.len(),
            p50_ms: ms(self.hist.value_at_quantile(0.50)),
            p99_ms: ms(self.hist.value_at_quantile(0.99)),
            p999_ms: ms(self.hist.value_at_quantile(0.999)),
            max_ms: ms(self.hist.max()),
            mean_ms: self.hist.mean() / 1000.0,
        }
    }
}

/// The summary of a latency distribution, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Values recorded.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest value.
    pub max_ms: f64,
    /// Arithmetic mean.
    pub mean_ms: f64,
}

/// What a run's tasks counted, summed: successes, errors and latencies (a task that panicked
/// counts nothing).
pub async fn sum_tallies(
    tasks: Vec<tokio::task::JoinHandle<(u64, u64, Latencies)>>,
) -> (u64, u64, Latencies) {
    let mut latencies = Latencies::new();
    let (mut ok, mut errors) = (0, 0);
    for task in tasks {
        if let Ok((o, e, l)) = task.await {
            ok += o;
            errors += e;
            latencies.merge(&l);
        }
    }
    (ok, errors, latencies)
}

/// `count` events over `elapsed`, per second (0 when no time passed).
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        0.0
    } else {
        count as f64 / secs
    }
}

/// `value / limit`, or `None` when the limit is missing or zero.
pub fn ratio(value: f64, limit: Option<f64>) -> Option<f64> {
    match limit {
        Some(l) if l > 0.0 => Some(value / l),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= expected * tolerance
    }

    #[test]
    fn percentiles_of_a_uniform_distribution() {
        let mut l = Latencies::new();
        for ms in 1..=1000u64 {
            l.record(Duration::from_millis(ms));
        }
        let s = l.summary();
        assert_eq!(s.count, 1000);
        assert!(close(s.p50_ms, 500.0, 0.002), "p50 {}", s.p50_ms);
        assert!(close(s.p99_ms, 990.0, 0.002), "p99 {}", s.p99_ms);
        assert!(close(s.max_ms, 1000.0, 0.002), "max {}", s.max_ms);
        assert!(close(s.mean_ms, 500.5, 0.002), "mean {}", s.mean_ms);
    }

    #[test]
    fn one_slow_request_in_a_hundred_sets_p99_but_not_p50() {
        let mut l = Latencies::new();
        for _ in 0..98 {
            l.record(Duration::from_micros(200));
        }
        l.record(Duration::from_millis(50));
        l.record(Duration::from_millis(50));
        let s = l.summary();
        assert!(close(s.p50_ms, 0.2, 0.002), "p50 {}", s.p50_ms);
        assert!(close(s.p99_ms, 50.0, 0.002), "p99 {}", s.p99_ms);
    }

    #[test]
    fn merging_adds_counts_and_keeps_extremes() {
        let mut a = Latencies::new();
        let mut b = Latencies::new();
        a.record(Duration::from_millis(1));
        b.record(Duration::from_millis(9));
        b.record(Duration::from_secs(3600)); // saturates at ten minutes
        a.merge(&b);
        assert_eq!(a.count(), 3);
        assert!(close(a.summary().max_ms, 600_000.0, 0.002));
        assert!(close(a.quantile(0.0).as_secs_f64() * 1000.0, 1.0, 0.002));
    }

    #[test]
    fn empty_summary_is_zero_and_rates_handle_zero_time() {
        assert_eq!(Latencies::new().summary(), LatencySummary::default());
        assert_eq!(rate(10, Duration::ZERO), 0.0);
        assert_eq!(rate(10, Duration::from_millis(500)), 20.0);
        assert_eq!(ratio(5.0, Some(10.0)), Some(0.5));
        assert_eq!(ratio(5.0, Some(0.0)), None);
        assert_eq!(ratio(5.0, None), None);
    }
}
