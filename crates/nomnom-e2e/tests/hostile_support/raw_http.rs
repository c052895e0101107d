//! HTTP/1.1 over a bare TCP socket, byte for byte as a hostile client writes it: bodies that
//! are not UTF-8, bodies sent in chunks or trickled a byte at a time, and sockets that send
//! nothing at all. The answer is read with a deadline that only guards against a hang.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// How the body follows the header.
#[derive(Debug, Clone)]
pub enum Body {
    /// With `Content-Length`, in one write.
    Whole(Vec<u8>),
    /// Only `Content-Length: n` is declared; nothing of it is sent.
    DeclaredOnly(u64),
    /// `Transfer-Encoding: chunked`, in chunks of `chunk` bytes.
    Chunked { bytes: Vec<u8>, chunk: usize },
    /// `Content-Length: declared`, then one byte of `fill` every `every`, for at most `for_`
    /// (far fewer than `declared` bytes), then silence with the socket kept open: the body
    /// never completes, so only the server can end the exchange.
    Trickle {
        declared: u64,
        fill: u8,
        every: Duration,
        for_: Duration,
    },
}

/// One request: method, path and headers (without framing headers, which [`Body`] adds).
#[derive(Debug, Clone)]
pub struct Request {
    pub method: &'static str,
    pub path: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

/// A parsed answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value (the first, name compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// The request's header block, with `Connection: close` so the server ends the connection
/// after its answer.
fn head(request: &Request) -> Vec<u8> {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
        request.method, request.path
    );
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match &request.body {
        Body::Whole(bytes) => head.push_str(&format!("Content-Length: {}\r\n", bytes.len())),
        Body::DeclaredOnly(n) => head.push_str(&format!("Content-Length: {n}\r\n")),
        Body::Chunked { .. } => head.push_str("Transfer-Encoding: chunked\r\n"),
        Body::Trickle { declared, .. } => head.push_str(&format!("Content-Length: {declared}\r\n")),
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Writes the header and body; write errors end the writing (the server may close early,
/// answering before it read everything). Keeps the socket's write side open until `done`,
/// so the server never sees the end of a body that was not sent whole.
async fn write_request(mut writer: OwnedWriteHalf, request: Request, done: oneshot::Receiver<()>) {
    let written: std::io::Result<()> = async {
        writer.write_all(&head(&request)).await?;
        match request.body {
            Body::Whole(bytes) => writer.write_all(&bytes).await?,
            Body::DeclaredOnly(_) => {}
            Body::Chunked { bytes, chunk } => {
                for part in bytes.chunks(chunk) {
                    writer
                        .write_all(format!("{:x}\r\n", part.len()).as_bytes())
                        .await?;
                    writer.write_all(part).await?;
                    writer.write_all(b"\r\n").await?;
                }
                writer.write_all(b"0\r\n\r\n").await?;
            }
            Body::Trickle {
                fill, every, for_, ..
            } => {
                let until = tokio::time::Instant::now() + for_;
                let mut tick = tokio::time::interval(every);
                while tick.tick().await < until {
                    writer.write_all(&[fill]).await?;
                }
            }
        }
        writer.flush().await
    }
    .await;
    if let Err(err) = written {
        eprintln!("(the server stopped reading the request early: {err})");
    }
    let _ = done.await;
    drop(writer);
}

/// Sends `request` on a new connection to `port` and reads the answer, or `Err` when the
/// connection fails or no complete answer arrives within `deadline` (a hang guard).
pub async fn exchange(port: u16, request: Request, deadline: Duration) -> Result<Response, String> {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut reader, writer) = stream.into_split();
    let (done_tx, done_rx) = oneshot::channel();
    let writing = tokio::spawn(write_request(writer, request, done_rx));
    let read = tokio::time::timeout(deadline, async {
        let mut received = Vec::new();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            if let Some(response) = parse(&received)? {
                return Ok(response);
            }
            let n = reader
                .read(&mut buffer)
                .await
                .map_err(|e| format!("reading the answer: {e}"))?;
            if n == 0 {
                return parse_at_eof(&received);
            }
            received.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    let _ = done_tx.send(());
    let _ = writing.await;
    read.map_err(|_| format!("no answer within {deadline:?}"))?
}

/// Writes `request` (header and body, as given) on a new connection to `port` and reads its
/// answer, leaving the connection open as the server left it: the connection and the answer.
pub async fn keep_alive_exchange(
    port: u16,
    request: &[u8],
    deadline: Duration,
) -> Result<(TcpStream, Response), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream
        .write_all(request)
        .await
        .map_err(|e| format!("write: {e}"))?;
    let response = tokio::time::timeout(deadline, async {
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            if let Some(response) = parse(&received)? {
                return Ok(response);
            }
            let n = stream
                .read(&mut buffer)
                .await
                .map_err(|e| format!("reading the answer: {e}"))?;
            if n == 0 {
                return parse_at_eof(&received);
            }
            received.extend_from_slice(&buffer[..n]);
        }
    })
    .await
    .map_err(|_| format!("no answer within {deadline:?}"))??;
    Ok((stream, response))
}

/// The answer once `received` holds all of it (by its `Content-Length`), `None` before.
fn parse(received: &[u8]) -> Result<Option<Response>, String> {
    let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&received[..end]).map_err(|e| format!("answer head: {e}"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP status line: {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let body = &received[end + 4..];
    match length {
        Some(n) if body.len() >= n => Ok(Some(Response {
            status,
            headers,
            body: body[..n].to_vec(),
        })),
        _ => Ok(None),
    }
}

/// The answer of a connection the server closed: complete, or an error.
fn parse_at_eof(received: &[u8]) -> Result<Response, String> {
    parse(received)?.ok_or_else(|| {
        format!(
            "the connection closed after {} bytes without a complete answer: {:?}",
            received.len(),
            String::from_utf8_lossy(&received[..received.len().min(300)])
        )
    })
}

/// Reads `stream` until the server closes it, within `deadline`: `Ok` with whatever it sent
/// before closing (nothing, for a connection closed in silence), `Err` on a reset or when the
/// deadline passes first.
pub async fn read_until_closed(
    stream: &mut TcpStream,
    deadline: Duration,
) -> Result<Vec<u8>, String> {
    tokio::time::timeout(deadline, async {
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) => return Ok(received),
                Ok(n) => received.extend_from_slice(&buffer[..n]),
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    })
    .await
    .map_err(|_| format!("still open after {deadline:?}"))?
}

/// `true` while the server has neither closed `stream` nor sent anything on it.
pub fn is_silent_and_open(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(stream.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}
