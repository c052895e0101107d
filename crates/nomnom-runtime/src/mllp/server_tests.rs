//! The listener over real TCP on 127.0.0.1. Every wait is bounded by [`DEADLINE`]; closes are
//! observed on the socket (end of stream or reset), never guessed from a sleep.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Barrier, Notify};
use tokio::task::JoinHandle;
use tokio::time::timeout;

use super::*;
use crate::mllp::frame::START_BLOCK;

/// The longest any step of a test may take before it fails.
const DEADLINE: Duration = Duration::from_secs(20);
/// An idle timeout no test reaches unless it means to.
const LONG: Duration = Duration::from_secs(120);

fn limits(max_frame_bytes: usize, idle_timeout: Duration, max_connections: usize) -> MllpConfig {
    MllpConfig {
        port: 2575,
        max_frame_bytes,
        idle_timeout,
        frame_timeout: LONG,
        max_connections,
    }
}

/// Answers `ACK|` and the payload.
fn echo() -> Handler {
    handler(|payload: Bytes| async move { ack(&payload) })
}

fn ack(payload: &[u8]) -> Bytes {
    let mut answer = BytesMut::from(&b"ACK|"[..]);
    answer.extend_from_slice(payload);
    answer.freeze()
}

struct Server {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

async fn start(config: MllpConfig, handler: Handler) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, config, handler, async move {
        let _ = stopped.await;
    }));
    Server {
        address,
        stop,
        task,
    }
}

impl Server {
    /// Signals shutdown and waits for `serve` to return.
    async fn shut_down(self) {
        let _ = self.stop.send(());
        timeout(DEADLINE, self.task)
            .await
            .expect("serve returns after shutdown")
            .expect("serve does not panic");
    }
}

/// A sender: frames out, answers in.
struct Client {
    stream: TcpStream,
    buffer: BytesMut,
    decoder: FrameDecoder,
}

impl Client {
    async fn connect(address: SocketAddr) -> Self {
        let stream = timeout(DEADLINE, TcpStream::connect(address))
            .await
            .expect("connect in time")
            .expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Self {
            stream,
            buffer: BytesMut::new(),
            decoder: FrameDecoder::new(1 << 20),
        }
    }

    async fn send(&mut self, payload: &[u8]) {
        self.write(&encode(payload)).await;
    }

    async fn write(&mut self, bytes: &[u8]) {
        timeout(DEADLINE, self.stream.write_all(bytes))
            .await
            .expect("write in time")
            .expect("write");
    }

    /// The next answer, or `None` when the server closed the connection first.
    async fn try_answer(&mut self) -> Option<Bytes> {
        let read = async {
            loop {
                if let Some(frame) = self.decoder.decode(&mut self.buffer).expect("framed") {
                    return Some(frame);
                }
                match self.stream.read_buf(&mut self.buffer).await {
                    Ok(0) => return None,
                    Ok(_) => {}
                    Err(err) if closed_by_peer(&err) => return None,
                    Err(err) => panic!("reading an answer: {err}"),
                }
            }
        };
        timeout(DEADLINE, read)
            .await
            .expect("an answer or a close in time")
    }

    async fn answer(&mut self) -> Bytes {
        self.try_answer().await.expect("an answer, not a close")
    }

    async fn exchange(&mut self, payload: &[u8]) -> Bytes {
        self.send(payload).await;
        self.answer().await
    }

    /// Waits for the server to close the connection and returns what it sent first.
    async fn closed(&mut self) -> Vec<u8> {
        let mut received = std::mem::take(&mut self.buffer).to_vec();
        let mut chunk = [0u8; 4096];
        let read = async {
            loop {
                match self.stream.read(&mut chunk).await {
                    Ok(0) => return,
                    Ok(n) => received.extend_from_slice(&chunk[..n]),
                    Err(err) if closed_by_peer(&err) => return,
                    Err(err) => panic!("waiting for the close: {err}"),
                }
            }
        };
        timeout(DEADLINE, read)
            .await
            .expect("the server closes the connection in time");
        received
    }
}

/// A close with unread data in the server's buffer arrives as a reset, not an end of stream.
fn closed_by_peer(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_connections_at_once_each_answered_in_order() {
    const CONNECTIONS: usize = 48;
    const FRAMES: usize = 6;
    // Every connection's first frame waits until all of them are being handled: the test
    // only finishes if connections are served concurrently.
    let all_arrived = Arc::new(Barrier::new(CONNECTIONS));
    let in_flight = Arc::new(Mutex::new(HashSet::new()));
    let overlapped = Arc::new(AtomicBool::new(false));
    let handled = Arc::new(AtomicUsize::new(0));
    let handle = {
        let (all_arrived, in_flight, overlapped, handled) = (
            all_arrived.clone(),
            in_flight.clone(),
            overlapped.clone(),
            handled.clone(),
        );
        handler(move |payload: Bytes| {
            let (all_arrived, in_flight, overlapped, handled) = (
                all_arrived.clone(),
                in_flight.clone(),
                overlapped.clone(),
                handled.clone(),
            );
            async move {
                let text = String::from_utf8(payload.to_vec()).expect("text");
                let (connection, frame) = text.split_once('/').expect("c/f");
                let connection = connection.to_owned();
                if !in_flight.lock().expect("lock").insert(connection.clone()) {
                    overlapped.store(true, Ordering::SeqCst);
                }
                if frame.starts_with("0\r") {
                    all_arrived.wait().await;
                }
                // Give a second frame of the same connection the chance to overlap.
                tokio::task::yield_now().await;
                in_flight.lock().expect("lock").remove(&connection);
                handled.fetch_add(1, Ordering::SeqCst);
                ack(&payload)
            }
        })
    };
    let server = start(limits(1 << 20, LONG, CONNECTIONS), handle).await;

    let mut senders = JoinSet::new();
    for c in 0..CONNECTIONS {
        let address = server.address;
        senders.spawn(async move {
            let mut client = Client::connect(address).await;
            let payloads: Vec<String> = (0..FRAMES)
                .map(|f| format!("{c}/{f}\rMSH|^~\\&|A|B\r\nPID|{c}\n"))
                .collect();
            let mut answers = Vec::new();
            if c % 2 == 0 {
                // Pipelined: every frame in one write, then the answers.
                let mut all = Vec::new();
                for p in &payloads {
                    all.extend_from_slice(&encode(p.as_bytes()));
                }
                client.write(&all).await;
                for _ in 0..FRAMES {
                    answers.push(client.answer().await);
                }
            } else {
                for p in &payloads {
                    answers.push(client.exchange(p.as_bytes()).await);
                }
            }
            let expected: Vec<Bytes> = payloads.iter().map(|p| ack(p.as_bytes())).collect();
            assert_eq!(answers, expected, "connection {c}");
        });
    }
    while let Some(done) = timeout(DEADLINE, senders.join_next())
        .await
        .expect("every connection finishes in time")
    {
        done.expect("a connection's checks failed");
    }
    assert!(
        !overlapped.load(Ordering::SeqCst),
        "two frames of one connection were handled at once"
    );
    assert_eq!(handled.load(Ordering::SeqCst), CONNECTIONS * FRAMES);
    server.shut_down().await;
}

#[tokio::test]
async fn a_frame_split_over_many_writes() {
    let server = start(limits(1 << 20, LONG, 8), echo()).await;
    let mut client = Client::connect(server.address).await;
    let payload: Vec<u8> = (0..600)
        .map(|i| match i % 50 {
            48 => b'\r',
            49 => b'\n',
            _ => b'A' + (i % 26) as u8,
        })
        .collect();
    for byte in encode(&payload).iter() {
        client.write(&[*byte]).await;
        tokio::task::yield_now().await;
    }
    assert_eq!(client.answer().await, ack(&payload));
    // The connection goes on with whole frames.
    assert_eq!(client.exchange(b"next").await, ack(b"next"));
    server.shut_down().await;
}

#[tokio::test]
async fn a_bad_stream_closes_only_its_connection_without_an_answer() {
    let server = start(limits(1024, LONG, 8), echo()).await;
    let mut bystander = Client::connect(server.address).await;
    assert_eq!(bystander.exchange(b"before").await, ack(b"before"));

    let oversized = encode(&vec![b'x'; 4096]).to_vec();
    let mut unended = vec![START_BLOCK];
    unended.extend_from_slice(&[b'y'; 2000]);
    let cases: [(&str, Vec<u8>); 6] = [
        (
            "bytes before the start block",
            b"MSH|\x0bx\x1c\x0d".to_vec(),
        ),
        ("an end block without a start", b"\x1c\x0d".to_vec()),
        (
            "a start block inside a frame",
            b"\x0bone\x0btwo\x1c\x0d".to_vec(),
        ),
        (
            "an end block without its carriage return",
            b"\x0bone\x1cx".to_vec(),
        ),
        ("a frame over the limit", oversized),
        ("a frame over the limit that never ends", unended),
    ];
    for (case, bytes) in cases {
        let mut client = Client::connect(server.address).await;
        // A good frame first: the connection is served, then broken.
        assert_eq!(client.exchange(b"good").await, ack(b"good"), "{case}");
        // The server may close while the bytes are still being written.
        let _ = client.stream.write_all(&bytes).await;
        assert_eq!(
            client.closed().await,
            b"",
            "{case}: closed without an answer"
        );
        assert_eq!(
            bystander.exchange(case.as_bytes()).await,
            ack(case.as_bytes())
        );
    }
    // The limit itself is accepted.
    let mut client = Client::connect(server.address).await;
    let at_limit = vec![b'z'; 1024];
    assert_eq!(client.exchange(&at_limit).await, ack(&at_limit));
    server.shut_down().await;
}

#[tokio::test]
async fn a_panicking_handler_closes_only_its_connection() {
    let handle = handler(|payload: Bytes| async move {
        assert!(&payload[..] != b"panic", "the handler panics on purpose");
        ack(&payload)
    });
    let server = start(limits(1024, LONG, 8), handle).await;
    let mut bystander = Client::connect(server.address).await;
    let mut client = Client::connect(server.address).await;
    client.send(b"panic").await;
    assert_eq!(client.closed().await, b"");
    assert_eq!(bystander.exchange(b"still").await, ack(b"still"));
    server.shut_down().await;
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let idle = Duration::from_secs(1);
    let server = start(limits(1024, idle, 8), echo()).await;

    // Frames closer together than the timeout keep a connection open past it.
    let mut busy = Client::connect(server.address).await;
    let opened = Instant::now();
    for i in 0..6 {
        let payload = format!("tick {i}");
        assert_eq!(
            busy.exchange(payload.as_bytes()).await,
            ack(payload.as_bytes())
        );
        tokio::time::sleep(idle / 5).await;
    }
    assert!(
        opened.elapsed() > idle,
        "the exchanges outlasted the timeout"
    );

    // Then silence closes it, once the timeout has passed.
    let silent_since = Instant::now();
    assert_eq!(busy.closed().await, b"");
    assert!(
        silent_since.elapsed() >= idle / 2,
        "closed after {:?}, before the idle timeout of {idle:?}",
        silent_since.elapsed()
    );

    // A connection that never sends anything is closed too, and a half-sent frame does not
    // keep one open.
    let mut mute = Client::connect(server.address).await;
    let mut partial = Client::connect(server.address).await;
    partial.write(b"\x0bMSH|half").await;
    assert_eq!(mute.closed().await, b"");
    assert_eq!(partial.closed().await, b"");
    server.shut_down().await;
}

#[tokio::test]
async fn a_frame_trickled_past_the_frame_timeout_closes_its_connection() {
    let frame_timeout = Duration::from_secs(1);
    let config = MllpConfig {
        frame_timeout,
        ..limits(1 << 20, LONG, 8)
    };
    let server = start(config, echo()).await;

    // A byte every 100 ms beats the idle timeout every time, but the frame never completes:
    // the connection is closed without an answer once the frame has taken its timeout. The
    // trickle stops at the first failed write, or after ten times the timeout.
    let mut slow = Client::connect(server.address).await;
    let began = Instant::now();
    slow.write(&[START_BLOCK]).await;
    let mut sent = 1usize;
    while began.elapsed() < frame_timeout * 10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if slow.stream.write_all(b"M").await.is_err() {
            break;
        }
        sent += 1;
        let mut probe = [0u8; 1];
        // The close shows as an end of stream (or a reset) on the reading side.
        match timeout(Duration::from_millis(1), slow.stream.peek(&mut probe)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            _ => {}
        }
    }
    assert_eq!(slow.closed().await, b"", "no answer to a partial frame");
    assert!(
        began.elapsed() >= frame_timeout,
        "closed after {:?} ({sent} bytes), before the frame timeout of {frame_timeout:?}",
        began.elapsed()
    );
    assert!(
        began.elapsed() < frame_timeout * 10,
        "the trickle was never cut off ({sent} bytes sent)"
    );

    // A frame sent whole, even after a pause longer than the frame timeout since the
    // connection opened, is answered: the clock starts at a frame's first byte.
    let mut patient = Client::connect(server.address).await;
    tokio::time::sleep(frame_timeout + Duration::from_millis(200)).await;
    assert_eq!(patient.exchange(b"MSH|whole").await, ack(b"MSH|whole"));
    server.shut_down().await;
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_at_once() {
    let server = start(limits(1024, LONG, 2), echo()).await;
    let mut first = Client::connect(server.address).await;
    let mut second = Client::connect(server.address).await;
    assert_eq!(first.exchange(b"1").await, ack(b"1"));
    assert_eq!(second.exchange(b"2").await, ack(b"2"));

    let mut third = Client::connect(server.address).await;
    let _ = third.stream.write_all(&encode(b"3")).await;
    assert_eq!(
        third.closed().await,
        b"",
        "over the limit: closed unanswered"
    );
    assert_eq!(first.exchange(b"1 again").await, ack(b"1 again"));

    // Once a connection closes, its place is free: the server sees the close asynchronously,
    // so a new sender retries until it is served (bounded by the deadline).
    drop(first);
    let began = Instant::now();
    loop {
        let mut next = Client::connect(server.address).await;
        // Refused connections may already be reset while this is written.
        let _ = next.stream.write_all(&encode(b"4")).await;
        if let Some(answer) = next.try_answer().await {
            assert_eq!(answer, ack(b"4"));
            break;
        }
        assert!(
            began.elapsed() < DEADLINE,
            "the freed place was never reused"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(second.exchange(b"2 again").await, ack(b"2 again"));
    server.shut_down().await;
}

#[tokio::test]
async fn shutdown_stops_accepting_and_lets_the_frame_in_flight_finish() {
    let (started_tx, mut started) = mpsc::unbounded_channel::<()>();
    let release = Arc::new(Notify::new());
    let handle = {
        let release = release.clone();
        handler(move |payload: Bytes| {
            let (started_tx, release) = (started_tx.clone(), release.clone());
            async move {
                if &payload[..] == b"slow" {
                    let _ = started_tx.send(());
                    release.notified().await;
                }
                ack(&payload)
            }
        })
    };
    let Server {
        address,
        stop,
        task,
    } = start(limits(1024, LONG, 8), handle).await;

    let mut idle = Client::connect(address).await;
    assert_eq!(idle.exchange(b"hello").await, ack(b"hello"));
    let mut busy = Client::connect(address).await;
    busy.send(b"slow").await;
    timeout(DEADLINE, started.recv())
        .await
        .expect("the slow frame reaches the handler")
        .expect("handler alive");

    stop.send(()).expect("serve is running");
    // The idle connection is closed at once (long before its idle timeout).
    assert_eq!(idle.closed().await, b"");
    // New connections are refused once the listener is closed.
    let began = Instant::now();
    loop {
        match TcpStream::connect(address).await {
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => break,
            Err(err) => panic!("connecting after shutdown: {err}"),
            Ok(_) => {
                assert!(began.elapsed() < DEADLINE, "still accepting after shutdown");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    // `serve` waits for the frame in flight.
    assert!(!task.is_finished(), "serve returned with a frame in flight");
    release.notify_one();
    assert_eq!(
        busy.answer().await,
        ack(b"slow"),
        "the frame in flight is answered"
    );
    assert_eq!(busy.closed().await, b"", "then its connection closes");
    timeout(DEADLINE, task)
        .await
        .expect("serve returns once the connections are closed")
        .expect("serve does not panic");
}
