//! The load generator's HTTP/1.1 client: one keep-alive connection per simulated client, each
//! request written from prepared bytes in one `write`, each answer read with a small parser
//! (status line and headers by `httparse`, then exactly `Content-Length` bytes of body).
//!
//! It is deliberately minimal. On a 2-core machine every cycle the load generator spends is a
//! cycle the API under test cannot use, and a general client (connection pool, URI parsing,
//! header maps, a task per connection) cost more CPU per request than the API's own handler.
//! Answers without a `Content-Length` (chunked, or ended by closing) are refused with an
//! error rather than guessed at: the ingestion API always sends one.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Most header lines an answer may have.
const MAX_HEADERS: usize = 32;
/// Largest answer head (status line and headers) accepted.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// One answer, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Bytes,
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Connecting, writing or reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The server closed the connection before the answer was complete.
    #[error("the server closed the connection before the answer was complete")]
    Closed,
    /// The answer is not HTTP/1.1 this client can read.
    #[error("unreadable answer: {0}")]
    Malformed(String),
}

/// The fixed part of a kind of request (request line, `Host`, `Content-Type` and any extra
/// headers), made once per run; [`RequestHead::with_body`] completes it for each body.
#[derive(Debug, Clone)]
pub struct RequestHead {
    prefix: String,
}

impl RequestHead {
    /// `method path` to `host`, with `content_type` and `extra_headers`.
    pub fn new(
        method: &str,
        path: &str,
        host: &str,
        content_type: &str,
        extra_headers: &[(&str, &str)],
    ) -> RequestHead {
        let mut prefix =
            format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: {content_type}\r\n");
        for (name, value) in extra_headers {
            prefix.push_str(&format!("{name}: {value}\r\n"));
        }
        prefix.push_str("content-length: ");
        RequestHead { prefix }
    }

    /// A `GET path` to `host`, without a body.
    pub fn get(path: &str, host: &str) -> Bytes {
        Bytes::from(format!("GET {path} HTTP/1.1\r\nhost: {host}\r\n\r\n"))
    }

    /// The whole request carrying `body`.
    pub fn with_body(&self, body: &[u8]) -> Bytes {
        let length = body.len().to_string();
        let mut bytes = Vec::with_capacity(self.prefix.len() + length.len() + 4 + body.len());
        bytes.extend_from_slice(self.prefix.as_bytes());
        bytes.extend_from_slice(length.as_bytes());
        bytes.extend_from_slice(b"\r\n\r\n");
        bytes.extend_from_slice(body);
        Bytes::from(bytes)
    }
}

/// A keep-alive connection to one server, opened on first use and again after a failure or
/// an answer with `Connection: close`.
#[derive(Debug)]
pub struct Connection {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buffer: BytesMut,
}

impl Connection {
    /// A connection to `addr` (not opened yet).
    pub fn new(addr: SocketAddr) -> Connection {
        Connection {
            addr,
            stream: None,
            buffer: BytesMut::with_capacity(8 * 1024),
        }
    }

    /// Whether a connection is open right now.
    pub fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    /// Closes the connection (a late answer must not be read as the next one's).
    pub fn close(&mut self) {
        self.stream = None;
        self.buffer.clear();
    }

    /// Sends `request` (from [`RequestHead::with_body`]) and reads its answer. After an error the connection
    /// is closed; the next call opens a new one.
    pub async fn send(&mut self, request: &[u8]) -> Result<Answer, HttpError> {
        let result = self.exchange(request).await;
        if result.is_err() {
            self.close();
        }
        result
    }

    /// Opens the connection now unless it is open (a run opens every connection before its
    /// clock starts, so connection set-up is not charged to the first requests).
    pub async fn open(&mut self) -> Result<(), HttpError> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
            self.buffer.clear();
        }
        Ok(())
    }

    async fn exchange(&mut self, request: &[u8]) -> Result<Answer, HttpError> {
        self.open().await?;
        let Some(stream) = self.stream.as_mut() else {
            return Err(HttpError::Closed);
        };
        stream.write_all(request).await?;
        let head = loop {
            if let Some(head) = parse_head(&self.buffer)? {
                break head;
            }
            if self.buffer.len() > MAX_HEAD_BYTES {
                return Err(HttpError::Malformed(format!(
                    "answer head longer than {MAX_HEAD_BYTES} bytes"
                )));
            }
            if stream.read_buf(&mut self.buffer).await? == 0 {
                return Err(HttpError::Closed);
            }
        };
        let total = head.head_len + head.content_length;
        if self.buffer.capacity() < total {
            self.buffer.reserve(total - self.buffer.len());
        }
        while self.buffer.len() < total {
            if stream.read_buf(&mut self.buffer).await? == 0 {
                return Err(HttpError::Closed);
            }
        }
        let mut answer = self.buffer.split_to(total);
        let body = answer.split_off(head.head_len).freeze();
        if head.close {
            self.close();
        }
        Ok(Answer {
            status: head.status,
            body,
        })
    }
}

/// What the head of an answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    status: u16,
    head_len: usize,
    content_length: usize,
    close: bool,
}

/// Parses an answer head from the start of `bytes`: `None` while it is incomplete.
fn parse_head(bytes: &[u8]) -> Result<Option<Head>, HttpError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(HttpError::Malformed(e.to_string())),
    };
    let status = response
        .code
        .ok_or_else(|| HttpError::Malformed("no status code".into()))?;
    let mut content_length = None;
    let mut close = false;
    for header in response.headers.iter() {
        if header.name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(header.value).unwrap_or("");
            content_length = Some(text.trim().parse::<usize>().map_err(|_| {
                HttpError::Malformed(format!("content-length {text:?} is not a number"))
            })?);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(HttpError::Malformed(
                "chunked answers are not supported by the load generator".into(),
            ));
        } else if header.name.eq_ignore_ascii_case("connection") {
            close = header
                .value
                .split(|b| *b == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"));
        }
    }
    let content_length = match (content_length, status) {
        (Some(n), _) => n,
        // No body by definition.
        (None, 100..=199 | 204 | 304) => 0,
        (None, _) => {
            return Err(HttpError::Malformed(
                "an answer without content-length".into(),
            ))
        }
    };
    Ok(Some(Head {
        status,
        head_len,
        content_length,
        close,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn requests_carry_their_length_and_headers() {
        let head = RequestHead::new(
            "POST",
            "/ingest/message?entity=Order",
            "127.0.0.1:9",
            "application/json",
            &[("idempotency-key", "k-1")],
        );
        assert_eq!(
            &head.with_body(b"{\"a\":1}")[..],
            b"POST /ingest/message?entity=Order HTTP/1.1\r\nhost: 127.0.0.1:9\r\n\
              content-type: application/json\r\nidempotency-key: k-1\r\ncontent-length: 7\r\n\r\n{\"a\":1}"
                .as_slice()
        );
        assert!(head.with_body(b"").ends_with(b"content-length: 0\r\n\r\n"));
        assert_eq!(
            &RequestHead::get("/health", "h:1")[..],
            b"GET /health HTTP/1.1\r\nhost: h:1\r\n\r\n".as_slice()
        );
    }

    #[test]
    fn heads_are_read_only_when_complete_and_refused_when_unreadable() {
        assert_eq!(
            parse_head(b"HTTP/1.1 202 Accepted\r\ncontent-le").unwrap(),
            None
        );
        let answer = b"HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nhello";
        let head = parse_head(answer).unwrap().unwrap();
        assert_eq!(
            head,
            Head {
                status: 202,
                head_len: answer.len() - b"hello".len(),
                content_length: 5,
                close: false
            }
        );
        let head = parse_head(
            b"HTTP/1.1 503 x\r\ncontent-length: 0\r\nconnection: keep-alive, close\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        assert!(head.close);
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: many\r\n\r\n").is_err());
        assert!(parse_head(b"SMTP 220 hello\r\n\r\n").is_err());
        assert_eq!(
            parse_head(b"HTTP/1.1 204 No Content\r\n\r\n")
                .unwrap()
                .map(|h| h.content_length),
            Some(0)
        );
    }

    /// A server answering each request with `answers` in turn, written in pieces of
    /// `piece` bytes to exercise partial reads; it reads one request per answer.
    async fn server(answers: Vec<&'static [u8]>, piece: usize) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            for answer in answers {
                let mut buf = [0u8; 4096];
                let n = socket.read(&mut buf).await.unwrap();
                assert!(n > 0, "a request arrives before each answer");
                for chunk in answer.chunks(piece) {
                    socket.write_all(chunk).await.unwrap();
                    socket.flush().await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
        });
        addr
    }

    #[tokio::test]
    async fn answers_in_pieces_on_one_kept_alive_connection() {
        let addr = server(
            vec![
                b"HTTP/1.1 202 Accepted\r\ncontent-length: 13\r\n\r\n{\"status\":1}\n",
                b"HTTP/1.1 422 Unprocessable\r\ncontent-length: 2\r\n\r\n{}",
            ],
            7,
        )
        .await;
        let mut c = Connection::new(addr);
        let req = RequestHead::new("POST", "/x", "h", "application/json", &[]).with_body(b"{}");
        let a = c.send(&req).await.unwrap();
        assert_eq!(a.status, 202);
        assert_eq!(&a.body[..], b"{\"status\":1}\n");
        assert!(c.is_open());
        let b = c.send(&req).await.unwrap();
        assert_eq!((b.status, &b.body[..]), (422, b"{}".as_slice()));
    }

    #[tokio::test]
    async fn a_connection_closed_mid_answer_is_an_error_and_the_next_send_reconnects() {
        let addr = server(
            vec![b"HTTP/1.1 202 Accepted\r\ncontent-length: 100\r\n\r\nshort"],
            64,
        )
        .await;
        let mut c = Connection::new(addr);
        let req = RequestHead::new("POST", "/x", "h", "application/json", &[]).with_body(b"{}");
        assert!(matches!(c.send(&req).await, Err(HttpError::Closed)));
        assert!(!c.is_open());
        // The server accepted only one connection and is gone: reconnecting fails cleanly.
        assert!(c.send(&req).await.is_err());
    }
}
