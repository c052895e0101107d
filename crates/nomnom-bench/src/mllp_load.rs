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
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::api_load::on_load_thread;
use crate::cpu::{own_cpu, process_cpu, spent, ServicesSample};
use crate::results::ApiRun;
use crate::stats::{rate, sum_tallies, Latencies};
use crate::BenchError;

/// Start of an MLLP frame.
const START: u8 = 0x0B;
/// End of an MLLP frame: file separator, carriage return.
const END: [u8; 2] = [0x1C, 0x0D];
/// Longest wait for an ACK before the message counts as an error.
const ACK_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest ACK read before the connection is given up.
const MAX_ACK_BYTES: usize = 64 * 1024;

/// An MLLP listener under load: where it listens and the API process serving it.
#[derive(Debug, Clone, Copy)]
pub struct MllpEndpoint {
    /// The MLLP port's address.
    pub addr: SocketAddr,
    /// The API's process id, for its CPU time.
    pub pid: Option<u32>,
}

/// `message` framed for MLLP.
pub fn frame(message: &[u8]) -> Bytes {
    let mut framed = Vec::with_capacity(message.len() + 3);
    framed.push(START);
    framed.extend_from_slice(message);
    framed.extend_from_slice(&END);
    Bytes::from(framed)
}

/// Whether an ACK accepts its message: its MSA segment says `AA`.
pub fn is_accept(ack: &[u8]) -> bool {
    ack.split(|&c| c == b'\r' || c == b'\n')
        .any(|segment| segment.starts_with(b"MSA|AA|") || segment == b"MSA|AA")
}

/// One sender's connection: a framed message out, the framed ACK back.
struct Sender {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buffer: Vec<u8>,
}

impl Sender {
    /// Sends `framed` and returns the ACK's content; `None` on a transport failure, a
    /// timeout or an oversized answer (the connection is then opened afresh next time).
    async fn exchange(&mut self, framed: &[u8]) -> Option<Vec<u8>> {
        let answer = tokio::time::timeout(ACK_TIMEOUT, self.try_exchange(framed)).await;
        match answer {
            Ok(Ok(ack)) => Some(ack),
            _ => {
                self.stream = None;
                None
            }
        }
    }

    async fn try_exchange(&mut self, framed: &[u8]) -> std::io::Result<Vec<u8>> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
            self.buffer.clear();
        }
        let stream = self.stream.as_mut().expect("connected above");
        stream.write_all(framed).await?;
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == END) {
                let start = usize::from(self.buffer.first() == Some(&START));
                let ack = self.buffer[start..end].to_vec();
                self.buffer.drain(..end + 2);
                return Ok(ack);
            }
            if self.buffer.len() > MAX_ACK_BYTES {
                return Err(std::io::Error::other("an ACK larger than 64 KiB"));
            }
            let mut chunk = [0u8; 4096];
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buffer.extend_from_slice(&chunk[..read]);
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
    let framed: Arc<Vec<Bytes>> = Arc::new(messages.iter().map(|m| frame(m)).collect());
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
                    stream: None,
                    buffer: Vec::new(),
                };
                let mut latencies = Latencies::new();
                let (mut ok, mut errors) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let sent = Instant::now();
                    match sender.exchange(&framed[i % framed.len()]).await {
                        Some(ack) if is_accept(&ack) => {
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
        seconds: elapsed.as_secs_f64(),
        msgs_per_sec: rate(accepted, elapsed),
        latency: latencies.summary(),
        loadgen_cpu_seconds: spent(cpu0, own_cpu()),
        api_cpu_seconds: spent(api0, endpoint.pid.and_then(process_cpu)),
        services_cpu: services.spent(),
        ratio_to_publish: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_wrap_the_message_and_acks_are_read_from_their_msa_segment() {
        assert_eq!(&frame(b"MSH|x")[..], b"\x0bMSH|x\x1c\x0d");
        assert!(is_accept(b"MSH|^~\\&|EHR|||\rMSA|AA|LAB-1\r"));
        assert!(!is_accept(b"MSH|^~\\&|EHR|||\rMSA|AE|LAB-1\rERR|||\r"));
        assert!(!is_accept(b"MSH|^~\\&|EHR|||\rMSA|AAX|LAB-1\r"));
        assert!(!is_accept(b""));
    }
}
