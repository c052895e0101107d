//! Stall witnesses: two light probes that run beside an open-loop run and tell whose a stall
//! in its tail was.
//!
//! - a JetStream publisher on a connection and a stream of its own, one message every
//!   [`PERIOD`], each awaiting its acknowledgement: NATS's own tail, whatever the API does;
//! - `GET /health` on the API over a connection of its own, every [`PERIOD`]: whether the API
//!   process answers at all (the route touches neither NATS nor PostgreSQL).
//!
//! Both keep a fixed schedule and measure from the time each probe was due, as the open loop
//! does, and run on this program's main runtime (the load generator has a thread of its own).
//! Each records when its worst probe was due, so it can be lined up with the open loop's worst
//! request: a stall the publisher sees too is NATS's; one only `/health` sees is the API
//! process's; one neither sees is the load generator's or the machine's.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use nomnom_runtime::envelope::MessageEnvelope;
use nomnom_runtime::nats::NatsClient;
use nomnom_testkit::TestStream;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::http1::{Connection, RequestHead};
use crate::payloads::ENTITY;
use crate::stats::{Latencies, LatencySummary};
use crate::BenchError;

/// How often each witness probes: 200 times a second, a few percent of the open loop's load.
pub const PERIOD: Duration = Duration::from_millis(5);
/// A probe slower than this is counted as a stall.
pub const STALL: Duration = Duration::from_millis(50);

/// What one witness saw.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    /// Probes answered.
    pub answered: u64,
    /// Probes that failed.
    pub errors: u64,
    /// From each probe's due time to its answer.
    pub latency: LatencySummary,
    /// Probes slower than [`STALL`].
    pub stalled: u64,
    /// When the slowest probe was due, in seconds from the start of the run it watched.
    pub worst_at_s: f64,
}

/// Both witnesses of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Witnessed {
    /// The publisher on its own connection and stream.
    pub nats: Probe,
    /// `GET /health` on the API.
    pub api_health: Probe,
}

/// Witnesses running; [`Witnesses::finish`] stops them.
pub struct Witnesses {
    stop: watch::Sender<bool>,
    nats: JoinHandle<Sampled>,
    health: JoinHandle<Sampled>,
    // Deleted (with everything the publisher stored) when the witnesses are dropped.
    _stream: TestStream,
}

impl Witnesses {
    /// Starts both witnesses: the publisher on a new stream of its own at `nats_url`,
    /// publishing `payload`, and `/health` probes of the API at `api`.
    pub async fn start(
        nats_url: &str,
        api: SocketAddr,
        payload: Bytes,
    ) -> Result<Witnesses, BenchError> {
        let stream = TestStream::new(nats_url);
        let nats = crate::services::connect_nats(nats_url, stream.name(), "256MB").await?;
        let (stop, stopped) = watch::channel(false);
        let nats = tokio::spawn(sample(stopped.clone(), Publisher { nats, payload }));
        let health = tokio::spawn(async move {
            let mut connection = Connection::new(api);
            // Opened before the first probe is due, so connecting is not charged to it.
            let _ = connection.open().await;
            let request = RequestHead::get("/health", &api.to_string());
            sample(
                stopped,
                Health {
                    connection,
                    request,
                },
            )
            .await
        });
        Ok(Witnesses {
            stop,
            nats,
            health,
            _stream: stream,
        })
    }

    /// Stops both witnesses; worst times are given in seconds from `origin` (the start of the
    /// run they watched).
    pub async fn finish(self, origin: std::time::Instant) -> Result<Witnessed, BenchError> {
        let origin = Instant::from_std(origin);
        let _ = self.stop.send(true);
        let stopped = |e: tokio::task::JoinError| BenchError::Io(format!("a stall witness: {e}"));
        let nats = self.nats.await.map_err(stopped)?;
        let health = self.health.await.map_err(stopped)?;
        Ok(Witnessed {
            nats: nats.probe(origin),
            api_health: health.probe(origin),
        })
    }
}

/// What a witness does once per period.
trait Target {
    /// One probe: `true` when it was answered as expected.
    fn probe(&mut self) -> impl Future<Output = bool> + Send;
}

/// A publish of `payload`, awaiting its acknowledgement.
struct Publisher {
    nats: NatsClient,
    payload: Bytes,
}

impl Target for Publisher {
    async fn probe(&mut self) -> bool {
        let envelope = MessageEnvelope::new(ENTITY, self.payload.clone(), None);
        self.nats.publish(&envelope, None).await.is_ok()
    }
}

/// `GET /health`, answered 200.
struct Health {
    connection: Connection,
    request: Bytes,
}

impl Target for Health {
    async fn probe(&mut self) -> bool {
        matches!(self.connection.send(&self.request).await, Ok(a) if a.status == 200)
    }
}

/// The raw record of one witness.
struct Sampled {
    latencies: Latencies,
    answered: u64,
    errors: u64,
    stalled: u64,
    worst: Option<(Duration, Instant)>,
}

impl Sampled {
    fn probe(&self, origin: Instant) -> Probe {
        let worst_at_s = self
            .worst
            .map_or(0.0, |(_, due)| seconds_between(origin, due));
        Probe {
            answered: self.answered,
            errors: self.errors,
            latency: self.latencies.summary(),
            stalled: self.stalled,
            worst_at_s,
        }
    }
}

/// Signed seconds from `origin` to `at` (negative when `at` came first).
pub fn seconds_between(origin: Instant, at: Instant) -> f64 {
    match at.checked_duration_since(origin) {
        Some(after) => after.as_secs_f64(),
        None => -origin.duration_since(at).as_secs_f64(),
    }
}

/// Probes `target` on a fixed schedule of one every [`PERIOD`] until `stop` says so. A probe that
/// is late (the one before it stalled) goes out at once and is measured from its due time. A
/// probe still unanswered when `stop` comes is dropped unmeasured: witnesses are stopped after
/// the run's last answer, by when any stall that run saw has ended.
async fn sample(mut stop: watch::Receiver<bool>, mut target: impl Target) -> Sampled {
    let start = Instant::now();
    let mut sampled = Sampled {
        latencies: Latencies::new(),
        answered: 0,
        errors: 0,
        stalled: 0,
        worst: None,
    };
    for i in 0u32.. {
        let due = start + PERIOD * i;
        let answered = tokio::select! {
            biased;
            _ = stop.changed() => break,
            answered = async {
                tokio::time::sleep_until(due).await;
                target.probe().await
            } => answered,
        };
        if !answered {
            sampled.errors += 1;
            continue;
        }
        let latency = due.elapsed();
        sampled.answered += 1;
        sampled.latencies.record(latency);
        if latency > STALL {
            sampled.stalled += 1;
        }
        if sampled.worst.is_none_or(|(worst, _)| latency > worst) {
            sampled.worst = Some((latency, due));
        }
    }
    sampled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_witness_charges_a_stall_to_every_probe_it_delayed_and_dates_the_worst() {
        let (stop, stopped) = watch::channel(false);
        // The 10th probe takes 100 ms; every other answers at once.
        struct SlowTenth(u64);
        impl Target for SlowTenth {
            async fn probe(&mut self) -> bool {
                self.0 += 1;
                if self.0 == 10 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                true
            }
        }
        let task = tokio::spawn(sample(stopped, SlowTenth(0)));
        let origin = Instant::now();
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.send(true).expect("the witness is running");
        let sampled = task.await.expect("the witness stops");
        let probe = sampled.probe(origin);
        // One probe due every 5 ms for 500 ms, none lost, whatever the stall.
        assert!((99..=101).contains(&probe.answered), "{}", probe.answered);
        assert_eq!(probe.errors, 0);
        // The slow one (due at 45 ms) took 100 ms; the probes due meanwhile went out late and
        // are charged from their due times: 95 ms for the one due at 50 ms, 55 ms for the one
        // due at 90 ms, so ten probes in all waited more than 50 ms.
        assert!(
            (probe.latency.max_ms - 100.0).abs() < 0.5,
            "{:?}",
            probe.latency
        );
        assert!(
            (probe.worst_at_s - 0.045).abs() < 1e-6,
            "{}",
            probe.worst_at_s
        );
        assert_eq!(probe.stalled, 10);
    }

    #[tokio::test]
    async fn seconds_between_is_signed() {
        let origin = Instant::now();
        let later = origin + Duration::from_millis(1500);
        assert!((seconds_between(origin, later) - 1.5).abs() < 1e-9);
        assert!((seconds_between(later, origin) + 1.5).abs() < 1e-9);
    }
}
