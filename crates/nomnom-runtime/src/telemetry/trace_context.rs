//! W3C Trace Context (`traceparent: 00-<trace id>-<parent span id>-<flags>`): read from an
//! ingest request, carried in the NATS message's headers, read again by the worker.
//!
//! A request without a valid `traceparent` starts a new trace. The ids are kept as bytes and
//! turned into text only where text is needed (a header, a status row), off the hot path
//! where possible.

use std::fmt;

/// The header name, on HTTP requests and on NATS messages alike.
pub const TRACEPARENT: &str = "traceparent";

/// A trace id: 16 bytes, never all zero.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId(pub [u8; 16]);

impl TraceId {
    /// The 32 lowercase hex digits of the id, as tracing systems show it.
    pub fn to_hex(&self) -> String {
        let mut text = String::with_capacity(32);
        push_hex(&mut text, &self.0);
        text
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The trace context of one message: its trace, the span it is a child of, and whether the
/// trace is sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    /// The trace.
    pub trace_id: TraceId,
    /// The span this context's holder is a child of (8 bytes, never all zero).
    pub span_id: [u8; 8],
    /// The trace flags (bit 0: sampled).
    pub flags: u8,
}

impl TraceContext {
    /// Reads a `traceparent` value. Version `00` must have exactly four fields; a later
    /// version is read by its first four, as the W3C specification asks. `None` for anything
    /// malformed, for the invalid version `ff` and for all-zero ids.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let bytes = value.as_bytes();
        if bytes.len() < 55 {
            return None;
        }
        let version = hex_byte(&bytes[0..2])?;
        if version == 0xff || (version == 0 && bytes.len() != 55) {
            return None;
        }
        if bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return None;
        }
        if version != 0 && bytes.len() > 55 && bytes[55] != b'-' {
            return None;
        }
        let mut trace_id = [0u8; 16];
        for (i, byte) in trace_id.iter_mut().enumerate() {
            *byte = hex_byte(&bytes[3 + 2 * i..5 + 2 * i])?;
        }
        let mut span_id = [0u8; 8];
        for (i, byte) in span_id.iter_mut().enumerate() {
            *byte = hex_byte(&bytes[36 + 2 * i..38 + 2 * i])?;
        }
        let flags = hex_byte(&bytes[53..55])?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(Self {
            trace_id: TraceId(trace_id),
            span_id,
            flags,
        })
    }

    /// The context of a message on HTTP or NATS headers: the `traceparent` value if it is one.
    pub fn from_header(value: Option<&str>) -> Option<Self> {
        value.and_then(Self::parse)
    }

    /// A new trace (sampled), its root span id given.
    pub fn new_root() -> Self {
        Self {
            trace_id: TraceId(random_bytes::<16>()),
            span_id: random_bytes::<8>(),
            flags: 1,
        }
    }

    /// A new span of the same trace, child of this one.
    pub fn child(&self) -> Self {
        Self {
            span_id: random_bytes::<8>(),
            ..*self
        }
    }

    /// Whether the trace is sampled.
    pub fn sampled(&self) -> bool {
        self.flags & 1 == 1
    }

    /// The `traceparent` value (version `00`).
    pub fn traceparent(&self) -> String {
        let mut text = String::with_capacity(55);
        text.push_str("00-");
        push_hex(&mut text, &self.trace_id.0);
        text.push('-');
        push_hex(&mut text, &self.span_id);
        text.push('-');
        push_hex(&mut text, &[self.flags]);
        text
    }
}

/// Random bytes, never all zero: from a version 4 UUID, whose 122 random bits come from the
/// thread's fast generator (no system call per id).
fn random_bytes<const N: usize>() -> [u8; N] {
    loop {
        let random = uuid::Uuid::new_v4().into_bytes();
        let mut out = [0u8; N];
        // The last bytes of a v4 UUID are all random (the version and variant bits sit in
        // bytes 6 and 8); a 16-byte id keeps those two bytes too.
        out.copy_from_slice(&random[16 - N..]);
        if out.iter().any(|b| *b != 0) {
            return out;
        }
    }
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    Some(digit(pair[0])? << 4 | digit(pair[1])?)
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn the_specifications_example_reads_and_writes_back() {
        let context = TraceContext::parse(EXAMPLE).expect("valid");
        assert_eq!(
            context.trace_id.to_hex(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(
            context.span_id,
            [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
        );
        assert!(context.sampled());
        assert_eq!(context.traceparent(), EXAMPLE);
    }

    #[test]
    fn malformed_values_start_a_new_trace() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad:?}");
        }
        // A later version may carry more fields.
        let future = format!("01{}-more", &EXAMPLE[2..]);
        assert!(TraceContext::parse(&future).is_some());
    }

    #[test]
    fn new_traces_and_children() {
        let root = TraceContext::new_root();
        assert!(root.sampled());
        let child = root.child();
        assert_eq!(child.trace_id, root.trace_id);
        assert_ne!(child.span_id, root.span_id);
        assert_ne!(TraceContext::new_root().trace_id, root.trace_id);
        assert_eq!(
            TraceContext::parse(&child.traceparent()),
            Some(child),
            "what is written reads back"
        );
    }
}
