//! The consumer backlog during end-to-end runs: sampled once a second, and judged. A worker
//! keeps up with a rate when the backlog stays within a bound and does not trend upwards;
//! the trend is the least-squares slope of the samples of a run's second half, which the
//! sawtooth of batches being fetched and acknowledged does not fool the way two readings
//! can. The level judged against the bound is where the backlog settled at the run's end
//! (the median of its last samples), not the last sample alone, which one batch in flight
//! or one slow commit at that moment can double.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream;
use tokio::task::JoinHandle;

use crate::services::backlog;
use crate::worker_bench::DEFAULT_BATCH_SIZE;

/// How often the backlog is read.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(1);

/// The longest stretch at a run's end whose median is the level the backlog settled at.
pub const SETTLED_OVER: Duration = Duration::from_secs(60);

/// Largest backlog that still counts as "keeping up" at `rate`: half a second of traffic
/// plus what the worker may hold in flight (two batches of the default size).
pub fn bound(rate: f64) -> u64 {
    (rate * 0.5) as u64 + 2 * DEFAULT_BATCH_SIZE as u64
}

/// Largest upward trend, in messages per second, that still counts as keeping up at
/// `rate`: 2% of the traffic (plus a little, so tiny rates are not judged on noise). A
/// backlog growing faster than that is a worker falling behind, even while it is small.
pub fn growth_allowed(rate: f64) -> f64 {
    rate * 0.02 + 20.0
}

/// What a run's backlog did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// The largest sample.
    pub max: u64,
    /// The last sample.
    pub last: u64,
    /// Where the backlog settled at the end: the median of the samples of the run's last
    /// quarter, at most its last [`SETTLED_OVER`] (the last sample when there are few).
    pub settled: u64,
    /// Least-squares slope of the second half's samples, messages per second.
    pub growth_per_sec: f64,
    /// Seconds from the second half's first sample to its last.
    pub second_half_secs: f64,
}

impl Trend {
    /// Whether a run at `rate`, posting `lines_per_request` messages at a time, with
    /// `errors` messages not accepted, kept up: no errors, the settled backlog within
    /// [`bound`], and no upward trend beyond [`growth_allowed`]. A request's messages all
    /// land between two samples, so a batch may sit whole in the backlog when one is read:
    /// the bound allows one more request's worth, and the trend the slope that one such
    /// sample makes across the second half.
    pub fn kept_up(&self, rate: f64, errors: u64, lines_per_request: usize) -> bool {
        let burst = lines_per_request.saturating_sub(1);
        let burst_slope = burst as f64 / self.second_half_secs.max(SAMPLE_EVERY.as_secs_f64());
        errors == 0
            && self.settled <= bound(rate) + burst as u64
            && self.growth_per_sec <= growth_allowed(rate) + burst_slope
    }
}

/// The trend of `samples` (seconds since the start, backlog); `None` without samples.
pub fn trend(samples: &[(f64, u64)]) -> Option<Trend> {
    let max = samples.iter().map(|(_, b)| *b).max()?;
    let last = samples.last()?.1;
    let second_half = &samples[samples.len() / 2..];
    Some(Trend {
        max,
        last,
        settled: settled(samples)?,
        growth_per_sec: slope(second_half),
        second_half_secs: second_half.last()?.0 - second_half.first()?.0,
    })
}

/// The median of the samples of the last quarter of `samples`' span, at most the last
/// [`SETTLED_OVER`]; always at least the last sample.
fn settled(samples: &[(f64, u64)]) -> Option<u64> {
    let (first, end) = (samples.first()?.0, samples.last()?.0);
    let window = ((end - first) / 4.0).min(SETTLED_OVER.as_secs_f64());
    let mut tail: Vec<u64> = samples
        .iter()
        .filter(|(t, _)| *t >= end - window)
        .map(|(_, b)| *b)
        .collect();
    tail.sort_unstable();
    // The upper median of an even count: a tie between two levels counts as the higher.
    tail.get(tail.len() / 2).copied()
}

/// Least-squares slope of `points` (0 with fewer than two distinct times).
fn slope(points: &[(f64, u64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let mean_t = points.iter().map(|(t, _)| t).sum::<f64>() / n;
    let mean_b = points.iter().map(|(_, b)| *b as f64).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (t, b) in points {
        num += (t - mean_t) * (*b as f64 - mean_b);
        den += (t - mean_t) * (t - mean_t);
    }
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// Reads the backlog of `stream`'s consumer every [`SAMPLE_EVERY`] until stopped.
pub struct Sampler {
    samples: Arc<Mutex<Vec<(f64, u64)>>>,
    task: JoinHandle<()>,
}

impl Sampler {
    /// Starts sampling now.
    pub fn start(js: &jetstream::Context, stream: &str) -> Sampler {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (js, stream, into) = (js.clone(), stream.to_string(), samples.clone());
        let task = tokio::spawn(async move {
            let start = Instant::now();
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            loop {
                tick.tick().await;
                if let Some(b) = backlog(&js, &stream).await {
                    let at = start.elapsed().as_secs_f64();
                    into.lock().unwrap_or_else(|p| p.into_inner()).push((at, b));
                }
            }
        });
        Sampler { samples, task }
    }

    /// Stops, takes one last sample (`last`, read by the caller at the run's end) and
    /// returns the trend.
    pub fn finish(self, last: Option<u64>) -> Option<Trend> {
        self.finish_with_samples(last).0
    }

    /// As [`Sampler::finish`], with every sample (seconds since the start, backlog).
    pub fn finish_with_samples(self, last: Option<u64>) -> (Option<Trend>, Vec<(f64, u64)>) {
        self.task.abort();
        let mut samples = self
            .samples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let (Some(b), Some(&(t, _))) = (last, samples.last()) {
            samples.push((t + SAMPLE_EVERY.as_secs_f64(), b));
        } else if let Some(b) = last {
            samples.push((0.0, b));
        }
        (trend(&samples), samples)
    }
}

/// The backlog at the end of each whole minute of `samples`: the last sample taken at or
/// before it.
pub fn each_minute(samples: &[(f64, u64)]) -> Vec<u64> {
    let Some(&(end, _)) = samples.last() else {
        return Vec::new();
    };
    (1..=(end / 60.0) as u64)
        .filter_map(|m| {
            samples
                .iter()
                .take_while(|(t, _)| *t <= (m * 60) as f64)
                .last()
                .map(|(_, b)| *b)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[u64]) -> Vec<(f64, u64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, *v))
            .collect()
    }

    #[test]
    fn bounds_allow_half_a_second_and_the_batches_in_flight() {
        assert_eq!(bound(0.0), 1_000);
        assert_eq!(bound(10_000.0), 6_000);
        assert_eq!(growth_allowed(5_000.0), 120.0);
    }

    #[test]
    fn a_sawtooth_is_flat_and_a_creeping_backlog_is_not() {
        // Batches of 500 fetched and acknowledged: up and down, no trend.
        let saw = trend(&series(&[600, 100, 550, 120, 580, 90, 610, 110, 570, 100])).unwrap();
        assert!(saw.growth_per_sec.abs() < 50.0, "{saw:?}");
        assert!(saw.kept_up(4_000.0, 0, 1));
        // 200 more every second: a worker falling behind by 5% at 4,000/s.
        let creeping: Vec<u64> = (0..20).map(|i| 300 + 200 * i).collect();
        let t = trend(&series(&creeping)).unwrap();
        assert!((t.growth_per_sec - 200.0).abs() < 1e-9);
        assert_eq!(t.max, 4_100);
        assert!(
            !t.kept_up(4_000.0, 0, 1),
            "growing, though still under the bound at first"
        );
        // Errors fail a step whatever the backlog did.
        assert!(!saw.kept_up(4_000.0, 1, 1));
        // So does a backlog left above the bound.
        let high = trend(&series(&[5_000, 5_000, 5_000])).unwrap();
        assert!(!high.kept_up(4_000.0, 0, 1));
    }

    #[test]
    fn a_batch_that_just_landed_is_not_a_worker_falling_behind() {
        // 1,000-line batches at 2,000/s over 2 s: the last sample caught one whole batch.
        let t = trend(&series(&[0, 40, 1_000])).unwrap();
        assert_eq!(t.second_half_secs, 1.0);
        assert!(
            !t.kept_up(2_000.0, 0, 1),
            "for single messages it is growth"
        );
        assert!(t.kept_up(2_000.0, 0, 1_000));
        // Over a long run, batches caught now and then are no trend…
        let spikes: Vec<u64> = (0..300)
            .map(|i| if i % 3 == 0 { 1_000 } else { 20 })
            .collect();
        assert!(trend(&series(&spikes)).unwrap().kept_up(2_000.0, 0, 1_000));
        // … while one batch's worth barely moves the allowance, so a real climb still fails.
        let creeping: Vec<u64> = (0..300).map(|i| 40 * i).collect();
        let t = trend(&series(&creeping)).unwrap();
        assert!((t.growth_per_sec - 40.0).abs() < 1e-9);
        assert!(!t.kept_up(500.0, 0, 1_000));
    }

    #[test]
    fn the_level_judged_is_where_the_backlog_settled_not_its_last_sample() {
        // Ten minutes near 1,000, then one sample caught a slow commit at the very end.
        let mut samples: Vec<u64> = (0..600).map(|i| 900 + (i % 7) * 30).collect();
        samples.push(6_344);
        let t = trend(&series(&samples)).unwrap();
        assert_eq!(t.last, 6_344);
        assert!(t.settled < 1_100, "{t:?}");
        assert!(t.kept_up(9_507.0, 0, 1), "{t:?}");
        // A backlog that climbed over the last minute and stayed up is not a spike.
        let mut climbed: Vec<u64> = (0..560).map(|_| 1_000).collect();
        climbed.extend((0..41).map(|_| 20_000));
        let t = trend(&series(&climbed)).unwrap();
        assert_eq!(t.settled, 20_000);
        assert!(!t.kept_up(9_507.0, 0, 1));
        // Over a 20 s step the window is its last quarter: the samples from 15 s on.
        let step = trend(&series(&[
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 1, 1,
        ]))
        .unwrap();
        assert_eq!(step.settled, 9);
        // A single sample is its own level.
        assert_eq!(trend(&[(0.0, 7)]).map(|t| t.settled), Some(7));
    }

    #[test]
    fn the_backlog_of_each_minute_is_its_last_sample() {
        let samples: Vec<(f64, u64)> = (0..=150).map(|t| (t as f64, 10 * t as u64)).collect();
        assert_eq!(each_minute(&samples), vec![600, 1_200]);
        assert_eq!(each_minute(&samples[..59]), Vec::<u64>::new());
        assert_eq!(each_minute(&[]), Vec::<u64>::new());
    }

    #[test]
    fn only_the_second_half_counts_for_the_trend() {
        // A start-up backlog draining away, then flat.
        let t = trend(&series(&[3_000, 2_000, 1_000, 400, 300, 320, 310, 300])).unwrap();
        assert!(t.growth_per_sec.abs() < 10.0, "{t:?}");
        assert!(t.kept_up(4_000.0, 0, 1));
        assert_eq!(trend(&[]), None);
        assert_eq!(trend(&[(0.0, 7)]).map(|t| t.growth_per_sec), Some(0.0));
    }
}
