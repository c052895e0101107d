//! Open-loop scheduling: requests are due at fixed times whatever the server does, and each
//! latency is measured from the time its request was *due*, not from when it was sent. A slow
//! response then delays nothing, and the time a request waited to be sent counts against the
//! server (the correction for coordinated omission that closed-loop tools lack).

use std::time::Duration;

/// Sends at a fixed offered rate, starting at offset zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    rate: f64,
}

impl Schedule {
    /// A schedule of `rate` requests per second (at least one per hour).
    pub fn new(rate: f64) -> Schedule {
        Schedule {
            rate: rate.max(1.0 / 3600.0),
        }
    }

    /// The offered rate, per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// When request `i` (0-based) is due, from the start.
    pub fn due_at(&self, i: u64) -> Duration {
        Duration::from_secs_f64(i as f64 / self.rate)
    }

    /// How many requests are due by `elapsed` (request 0 is due at once).
    pub fn due_by(&self, elapsed: Duration) -> u64 {
        (elapsed.as_secs_f64() * self.rate).floor() as u64 + 1
    }

    /// Requests in a run of `duration`.
    pub fn total(&self, duration: Duration) -> u64 {
        (duration.as_secs_f64() * self.rate).round().max(1.0) as u64
    }
}

/// The corrected latency of a request due at `due` and answered at `done` (both offsets from
/// the start): what a client that wanted to send at `due` experienced.
pub fn corrected_latency(due: Duration, done: Duration) -> Duration {
    done.saturating_sub(due)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_times_are_evenly_spaced_at_the_offered_rate() {
        let s = Schedule::new(1000.0);
        assert_eq!(s.due_at(0), Duration::ZERO);
        assert_eq!(s.due_at(1), Duration::from_millis(1));
        assert_eq!(s.due_at(2500), Duration::from_millis(2500));
        assert_eq!(s.total(Duration::from_secs(10)), 10_000);
    }

    #[test]
    fn due_by_counts_requests_whose_time_has_come() {
        let s = Schedule::new(200.0); // one every 5 ms
        assert_eq!(s.due_by(Duration::ZERO), 1);
        assert_eq!(s.due_by(Duration::from_micros(4_999)), 1);
        assert_eq!(s.due_by(Duration::from_millis(5)), 2);
        assert_eq!(s.due_by(Duration::from_secs(1)), 201);
        // due_by and due_at agree: request i is due by due_at(i).
        for i in [0u64, 1, 7, 199, 12_345] {
            assert!(s.due_by(s.due_at(i)) > i);
        }
    }

    #[test]
    fn a_stalled_server_is_charged_for_the_time_requests_waited() {
        // A server that stalls 100 ms: the request due at 10 ms is answered at 110 ms, and the
        // one due at 20 ms (sent late, because the client was stuck) at 111 ms.
        assert_eq!(
            corrected_latency(Duration::from_millis(10), Duration::from_millis(110)),
            Duration::from_millis(100)
        );
        assert_eq!(
            corrected_latency(Duration::from_millis(20), Duration::from_millis(111)),
            Duration::from_millis(91)
        );
        // An answer can never precede its due time; clamp instead of underflowing.
        assert_eq!(
            corrected_latency(Duration::from_millis(20), Duration::from_millis(19)),
            Duration::ZERO
        );
    }

    #[test]
    fn tiny_rates_are_clamped() {
        let s = Schedule::new(0.0);
        assert!(s.rate() > 0.0);
        assert_eq!(s.total(Duration::from_secs(1)), 1);
    }
}
