//! Serving MLLP: accepting connections within the limit, and one task per connection that
//! reads frames, hands each to the handler and writes its answer back before reading on.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::config::MllpConfig;
use super::frame::{encode, FrameDecoder};

/// What answers a frame: called with a frame's payload (the HL7 message, framing removed),
/// it returns the payload of the answer (the ACK), which is framed and written back.
///
/// Frames of one connection are handed over one at a time, in the order they arrived: the
/// next is not read before the answer to the previous one is written, as HL7 senders wait
/// for the ACK. Frames of different connections are handled concurrently. The handler runs
/// inside the connection's `mllp_connection` span (with the `peer` address), so its logs
/// say which sender they are about. A panic in the handler closes only its connection.
pub type Handler = Arc<dyn Fn(Bytes) -> BoxFuture<'static, Bytes> + Send + Sync>;

/// How long to wait before accepting again after `accept` failed (file descriptors run out,
/// for example), so a persistent failure does not spin.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);
/// Bytes a read may add to a connection's buffer.
const READ_CHUNK: usize = 16 * 1024;

/// Serves MLLP on `listener` until `shutdown` completes.
///
/// Each accepted connection gets its own task while fewer than `config.max_connections`
/// are open; one more is closed at once (and logged). A connection is closed when its sender
/// breaks the framing or sends a frame longer than `config.max_frame_bytes` (without an
/// answer: see [`super::frame`]), when it stays silent, or leaves an answer unread, for
/// `config.idle_timeout`, when a frame it began has not arrived whole within
/// `config.frame_timeout` (however steadily it trickles), and when its sender closes it. None of this affects the other
/// connections.
///
/// When `shutdown` completes, the listener is closed at once; each connection finishes the
/// frame it is handling (handler and answer), then closes. Frames read but not yet handed to
/// the handler are dropped unanswered, which senders take as "send again". This returns once
/// every connection is closed.
///
/// The handler has no deadline here: one that never completes holds its connection (and
/// shutdown) forever, so it bounds its own work (the publish timeout, for instance).
/// `config.port` is not read: the caller binds `listener`.
pub async fn serve(
    listener: TcpListener,
    config: MllpConfig,
    handler: Handler,
    shutdown: impl Future<Output = ()> + Send,
) {
    let address = listener.local_addr().ok();
    tracing::info!(
        address = ?address,
        max_frame_bytes = config.max_frame_bytes,
        max_connections = config.max_connections,
        idle_timeout = ?config.idle_timeout,
        "MLLP listener accepting"
    );
    let limits = Arc::new(config);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(done) = connections.join_next(), if !connections.is_empty() => {
                report_panic(done);
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        tracing::warn!(
                            %peer,
                            limit = limits.max_connections,
                            "MLLP connection refused: MLLP_MAX_CONNECTIONS reached"
                        );
                        drop(stream);
                        continue;
                    };
                    let connection = Connection {
                        stream,
                        limits: limits.clone(),
                        handler: handler.clone(),
                        stopping: stopping.clone(),
                        _permit: permit,
                    };
                    let span = tracing::info_span!("mllp_connection", %peer);
                    connections.spawn(connection.run().instrument(span));
                }
                Err(err) => {
                    tracing::warn!(error = %err, "accepting an MLLP connection failed");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(ACCEPT_RETRY) => {}
                    }
                }
            },
        }
    }
    drop(listener);
    let open = connections.len();
    tracing::info!(
        open,
        "MLLP listener closed; letting connections finish their frames"
    );
    // Every receiver sees the change, including those that clone it later; no receiver
    // left (every connection closed) is not an error.
    let _no_receivers = stop.send(true);
    while let Some(done) = connections.join_next().await {
        report_panic(done);
    }
    tracing::info!("MLLP listener stopped");
}

fn report_panic(done: Result<(), tokio::task::JoinError>) {
    if let Err(err) = done {
        tracing::error!(error = %err, "an MLLP connection's task failed");
    }
}

/// Why a connection is closed (the log line says it).
enum Closed {
    /// The sender closed it between frames.
    BySender,
    /// The sender closed it inside a frame; the partial frame is dropped.
    MidFrame { buffered: usize },
    /// Nothing arrived for the idle timeout.
    Idle,
    /// A frame begun did not arrive whole within the frame timeout; it is dropped.
    SlowFrame { buffered: usize },
    /// An answer could not be written within the idle timeout.
    AnswerUnread,
    /// The listener is shutting down.
    Shutdown,
    /// Reading or writing failed.
    Io(std::io::Error),
    /// The bytes are not MLLP.
    Protocol(super::FrameError),
}

struct Connection {
    stream: TcpStream,
    limits: Arc<MllpConfig>,
    handler: Handler,
    stopping: watch::Receiver<bool>,
    /// Held while the connection is open: a place under `MLLP_MAX_CONNECTIONS`.
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(mut self) {
        // Answers are small and written in one go: send them at once instead of letting
        // Nagle's algorithm hold them back for the sender's delayed acknowledgement.
        if let Err(err) = self.stream.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY on an MLLP connection");
        }
        tracing::debug!("MLLP connection opened");
        let (frames, closed) = self.serve_frames().await;
        match closed {
            Closed::BySender => tracing::debug!(frames, "MLLP connection closed by the sender"),
            Closed::MidFrame { buffered } => tracing::warn!(
                frames,
                buffered,
                "MLLP connection closed by the sender inside a frame; the partial frame is dropped"
            ),
            Closed::Idle => tracing::info!(
                frames,
                timeout = ?self.limits.idle_timeout,
                "MLLP connection closed: idle"
            ),
            Closed::SlowFrame { buffered } => tracing::warn!(
                frames,
                buffered,
                timeout = ?self.limits.frame_timeout,
                "MLLP connection closed: a frame did not arrive whole in time; it is dropped"
            ),
            Closed::AnswerUnread => tracing::warn!(
                frames,
                timeout = ?self.limits.idle_timeout,
                "MLLP connection closed: the sender did not read its answer"
            ),
            Closed::Shutdown => tracing::debug!(frames, "MLLP connection closed: shutting down"),
            Closed::Io(err) => tracing::info!(frames, error = %err, "MLLP connection failed"),
            Closed::Protocol(err) => tracing::warn!(
                frames,
                error = %err,
                "MLLP connection closed: not a valid MLLP stream"
            ),
        }
    }

    /// Serves frames until the connection must close: how many were answered, and why.
    async fn serve_frames(&mut self) -> (u64, Closed) {
        let mut decoder = FrameDecoder::new(self.limits.max_frame_bytes);
        let mut buffer = BytesMut::with_capacity(READ_CHUNK);
        let mut answered = 0u64;
        // When the first byte of the frame being read arrived (none buffered: `None`).
        let mut frame_began: Option<Instant> = None;
        loop {
            match decoder.decode(&mut buffer) {
                Ok(Some(payload)) => {
                    frame_began = None;
                    let answer = (self.handler)(payload).await;
                    if let Err(closed) = self.write_answer(&answer).await {
                        return (answered, closed);
                    }
                    answered += 1;
                    if *self.stopping.borrow() {
                        return (answered, Closed::Shutdown);
                    }
                    continue;
                }
                Ok(None) => {}
                Err(err) => return (answered, Closed::Protocol(err)),
            }
            // A frame under way must arrive whole by its deadline, however steadily it
            // trickles; between frames only the idle timeout applies.
            let began = match (&frame_began, buffer.is_empty()) {
                (_, true) => None,
                (Some(began), false) => Some(*began),
                (None, false) => Some(Instant::now()),
            };
            frame_began = began;
            let wait = match began {
                Some(began) => {
                    let left = self.limits.frame_timeout.saturating_sub(began.elapsed());
                    if left.is_zero() {
                        let buffered = buffer.len();
                        return (answered, Closed::SlowFrame { buffered });
                    }
                    left.min(self.limits.idle_timeout)
                }
                None => self.limits.idle_timeout,
            };
            buffer.reserve(READ_CHUNK);
            let read = tokio::select! {
                biased;
                _ = self.stopping.wait_for(|stop| *stop) => return (answered, Closed::Shutdown),
                read = tokio::time::timeout(wait, self.stream.read_buf(&mut buffer)) => read,
            };
            match read {
                Err(_elapsed)
                    if began.is_some_and(|b| b.elapsed() >= self.limits.frame_timeout) =>
                {
                    let buffered = buffer.len();
                    return (answered, Closed::SlowFrame { buffered });
                }
                Err(_elapsed) => return (answered, Closed::Idle),
                Ok(Err(err)) => return (answered, Closed::Io(err)),
                Ok(Ok(0)) if buffer.is_empty() => return (answered, Closed::BySender),
                Ok(Ok(0)) => {
                    let buffered = buffer.len();
                    return (answered, Closed::MidFrame { buffered });
                }
                Ok(Ok(_)) => {}
            }
        }
    }

    async fn write_answer(&mut self, answer: &[u8]) -> Result<(), Closed> {
        let framed = encode(answer);
        match tokio::time::timeout(self.limits.idle_timeout, self.stream.write_all(&framed)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(Closed::Io(err)),
            Err(_elapsed) => Err(Closed::AnswerUnread),
        }
    }
}

/// A handler from an async function of the payload: `handler(|frame| async move { .. })`.
pub fn handler<F, Fut>(answer: F) -> Handler
where
    F: Fn(Bytes) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Bytes> + Send + 'static,
{
    Arc::new(move |payload| Box::pin(answer(payload)))
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
