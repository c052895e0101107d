//! HL7 v2 over MLLP under load: `connections` senders, each on its own TCP connection to the
//! API's MLLP port, sending its next message (`0x0B`, message, `0x1C 0x0D`) as soon as the
//! ACK of the previous one came, as an interface engine does. A message counts as accepted
//! when its ACK says `MSA|AA`, which the API sends only after JetStream has it. Runs on the
//! load generator's own thread, like [`crate::api_load`].

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use nomnom_testkit::mllp::{ack_code, frame, MllpConnection};

use crate::api_load::on_load_thread;
use crate::cpu::{own_cpu, process_cpu, spent, ServicesSample};
use crate::results::ApiRun;
use crate::stats::{rate, sum_tallies, Latencies};
use crate::BenchError;

/// Longest wait for an ACK before the message counts as an error.
const ACK_TIMEOUT: Duration = Duration::from_secs(30);

/// An MLLP listener under load: where it listens and the API process serving it.
#[derive(Debug, Clone, Copy)]
pub struct MllpEndpoint {
    /// The MLLP port's address.
    pub addr: SocketAddr,
    /// The API's process id, for its CPU time.
    pub pid: Option<u32>,
}

/// One sender: its connection, opened on first use and again after a failure.
struct Sender {
    addr: SocketAddr,
    connection: Option<MllpConnection>,
}

impl Sender {
    /// Sends `framed` and returns the ACK; `None` on a transport failure or a timeout (the
    /// connection is then opened afresh next time).
    async fn exchange(&mut self, framed: &[u8]) -> Option<Vec<u8>> {
        let addr = self.addr;
        let connection = &mut self.connection;
        let answer = tokio::time::timeout(ACK_TIMEOUT, async move {
            if connection.is_none() {
                *connection = Some(MllpConnection::connect(addr).await?);
            }
            let open = connection.as_mut().expect("connected above");
            open.exchange_framed(framed).await
        })
        .await;
        match answer {
            Ok(Ok(ack)) => Some(ack),
            _ => {
                self.connection = None;
                None
            }
        }
    }
}

/// `connections` senders posting `messages` in turn (framed before the clock starts) for
/// `duration`.
pub async fn closed_loop(
    endpoint: MllpEndpoint,
    messages: &[Bytes],
    connections: usize,
    duration: Duration,
) -> Result<ApiRun, BenchError> {
    let framed: Arc<Vec<Vec<u8>>> = Arc::new(messages.iter().map(|m| frame(m)).collect());
    if framed.is_empty() {
        return Err(BenchError::Io("no HL7 messages to send over MLLP".into()));
    }
    let (cpu0, api0, services) = (
        own_cpu(),
        endpoint.pid.and_then(process_cpu),
        ServicesSample::now(),
    );
    let addr = endpoint.addr;
    let (accepted, errors, latencies, elapsed) = on_load_thread(move || async move {
        let next = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let deadline = start + duration;
        let mut tasks = Vec::with_capacity(connections);
        for _ in 0..connections.max(1) {
            let (framed, next) = (framed.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let mut sender = Sender {
                    addr,
                    connection: None,
                };
                let mut latencies = Latencies::new();
                let (mut ok, mut errors) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let sent = Instant::now();
                    match sender.exchange(&framed[i % framed.len()]).await {
                        Some(ack) if ack_code(&ack) == Some("AA") => {
                            ok += 1;
                            latencies.record(sent.elapsed());
                        }
                        _ => errors += 1,
                    }
                }
                (ok, errors, latencies)
            }));
        }
        let (accepted, errors, latencies) = sum_tallies(tasks).await;
        (accepted, errors, latencies, start.elapsed())
    })
    .await?;
    Ok(ApiRun {
        pinned: false,
        concurrency: connections,
        accepted,
        errors,
        refusals: Default::default(),
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(accepted, elapsed),
        latency: latencies.summary(),
        loadgen_cpu_seconds: spent(cpu0, own_cpu()),
        api_cpu_seconds: spent(api0, endpoint.pid.and_then(process_cpu)),
        services_cpu: services.spent(),
        ratio_to_publish: None,
    })
}
