//! An MLLP client, as an interface engine sends HL7 v2: each message framed as `0x0B`,
//! message, `0x1C 0x0D`, and the ACK read back in the same framing before the next is sent.
//! Used by the end-to-end tests, the benchmark's MLLP load and the demo.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Start of an MLLP frame.
pub const START: u8 = 0x0B;
/// End of an MLLP frame: file separator, carriage return.
pub const END: [u8; 2] = [0x1C, 0x0D];
/// Largest ACK read before the answer is refused.
const MAX_ACK_BYTES: usize = 64 * 1024;

/// `message` framed for MLLP.
pub fn frame(message: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(message.len() + 3);
    framed.push(START);
    framed.extend_from_slice(message);
    framed.extend_from_slice(&END);
    framed
}

/// The code of an ACK's MSA segment (`AA`, `AE`, `AR`, or the commit codes `CA`, `CE`,
/// `CR`), if it has one.
pub fn ack_code(ack: &[u8]) -> Option<&str> {
    let msa = ack
        .split(|&c| c == b'\r' || c == b'\n')
        .find(|segment| segment.starts_with(b"MSA|"))?;
    let code = msa[4..].split(|&c| c == b'|').next()?;
    std::str::from_utf8(code).ok()
}

/// One MLLP connection.
pub struct MllpConnection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl MllpConnection {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> io::Result<MllpConnection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(MllpConnection {
            stream,
            buffer: Vec::new(),
        })
    }

    /// Sends an already framed message ([`frame`]) and returns the content of the framed
    /// answer. An answer that does not start with `0x0B`, one larger than 64 KiB, or a
    /// connection closed before the answer's end is an error.
    pub async fn exchange_framed(&mut self, framed: &[u8]) -> io::Result<Vec<u8>> {
        self.stream.write_all(framed).await?;
        loop {
            if self.buffer.first().is_some_and(|&b| b != START) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "an answer not framed with 0x0B: {:?}",
                        String::from_utf8_lossy(&self.buffer)
                    ),
                ));
            }
            if let Some(end) = self.buffer.windows(2).position(|w| w == END) {
                let ack = self.buffer[1..end].to_vec();
                self.buffer.drain(..end + 2);
                return Ok(ack);
            }
            if self.buffer.len() > MAX_ACK_BYTES {
                return Err(io::Error::other("an MLLP answer larger than 64 KiB"));
            }
            let mut chunk = [0u8; 4096];
            let read = self.stream.read(&mut chunk).await?;
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the connection closed before the answer's end: {:?}",
                        String::from_utf8_lossy(&self.buffer)
                    ),
                ));
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }

    /// Sends `message` framed and returns the answer's content.
    pub async fn exchange(&mut self, message: &[u8]) -> io::Result<Vec<u8>> {
        self.exchange_framed(&frame(message)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_wrap_the_message_and_ack_codes_are_read_from_the_msa_segment() {
        assert_eq!(frame(b"MSH|x"), b"\x0bMSH|x\x1c\x0d");
        assert_eq!(ack_code(b"MSH|^~\\&|EHR\rMSA|AA|LAB-1\r"), Some("AA"));
        assert_eq!(
            ack_code(b"MSH|^~\\&|EHR\rMSA|AE|LAB-1\rERR|||\r"),
            Some("AE")
        );
        assert_eq!(ack_code(b"MSH|^~\\&|EHR\rMSA|AR\r"), Some("AR"));
        assert_eq!(ack_code(b"MSH|^~\\&|EHR\r"), None);
    }

    #[tokio::test]
    async fn an_exchange_reads_one_framed_answer_even_when_it_arrives_in_pieces() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            for answer in [&b"MSA|AA|1"[..], b"MSA|AE|2"] {
                let mut seen = Vec::new();
                while !seen.ends_with(&END) {
                    let mut chunk = [0u8; 64];
                    let n = socket.read(&mut chunk).await.unwrap();
                    seen.extend_from_slice(&chunk[..n]);
                }
                let framed = frame(answer);
                let (head, tail) = framed.split_at(3);
                socket.write_all(head).await.unwrap();
                socket.flush().await.unwrap();
                socket.write_all(tail).await.unwrap();
            }
        });
        let mut connection = MllpConnection::connect(addr).await.unwrap();
        assert_eq!(connection.exchange(b"MSH|1").await.unwrap(), b"MSA|AA|1");
        assert_eq!(connection.exchange(b"MSH|2").await.unwrap(), b"MSA|AE|2");
        server.await.unwrap();
        let error = connection.exchange(b"MSH|3").await.unwrap_err();
        assert!(
            matches!(
                error.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::BrokenPipe
            ),
            "{error}"
        );
    }
}
