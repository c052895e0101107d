//! Target `mllp_frames`: a byte stream, split into reads at points the input chooses, through
//! the MLLP frame decoder, as a connection feeds it.
//!
//! The first bytes of the input choose the payload limit and the read sizes; the rest is the
//! stream. However the stream is split, the decoder must take off the same frames and stop
//! at the same error as when the stream arrives in one read; every payload it hands out, framed
//! again, is exactly the part of the stream it consumed; and it never buffers more than the
//! limit plus one read of an unfinished frame.

use bytes::BytesMut;
use nomnom_runtime::mllp::frame::encode;
use nomnom_runtime::mllp::{FrameDecoder, FrameError};

use crate::Outcome;

/// What decoding a stream gave: the payloads, then the error that stopped it, if any, or
/// the bytes left waiting for more (how many were read when the error came depends on the
/// reads, so they are not kept then).
#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    frames: Vec<Vec<u8>>,
    error: Option<FrameError>,
    rest: Vec<u8>,
}

/// Fragments MLLP gives meaning to, for mutators to insert.
pub const TOKENS: &[&str] = &[
    "\u{b}",
    "\u{1c}",
    "\r",
    "\u{1c}\r",
    "\u{b}\u{1c}\r",
    "\u{1c}\u{1c}",
    "\u{b}\u{b}",
    "\u{1c}\n",
    "MSH|^~\\&|A\r",
    "\n",
];

/// Decodes the stream `input` describes and checks the decoder's answer.
pub fn run(input: &[u8]) -> Outcome {
    let (limit, sizes, stream) = match input {
        [l, s0, s1, s2, rest @ ..] => (usize::from(*l), [*s0, *s1, *s2], rest),
        _ => (64, [1, 2, 3], input),
    };
    let whole = decode(limit, stream, &[usize::MAX]);
    let reads: Vec<usize> = sizes.iter().map(|&s| usize::from(s % 17) + 1).collect();
    let split = decode(limit, stream, &reads);
    let bytewise = decode(limit, stream, &[1]);
    assert_eq!(split, whole, "split into reads of {reads:?}");
    assert_eq!(bytewise, whole, "one byte per read");
    let framed: Vec<u8> = whole
        .frames
        .iter()
        .flat_map(|f| encode(f).to_vec())
        .collect();
    assert_eq!(
        &stream[..framed.len()],
        &framed[..],
        "the frames are not the stream's"
    );
    for frame in &whole.frames {
        assert!(frame.len() <= limit, "a payload over the limit");
        assert!(!frame.contains(&0x0B) && !frame.contains(&0x1C));
    }
    match whole.error {
        None => {
            assert_eq!(&stream[framed.len()..], &whole.rest[..]);
            assert!(
                whole.rest.len() <= limit + 3,
                "buffered {} bytes",
                whole.rest.len()
            );
            Outcome::Accepted
        }
        Some(_) => Outcome::Refused("framing"),
    }
}

/// Feeds `stream` in reads of `sizes` (cycled), decoding after each read as the server does.
fn decode(limit: usize, stream: &[u8], sizes: &[usize]) -> Decoded {
    let mut decoder = FrameDecoder::new(limit);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut at = 0;
    for &size in sizes.iter().cycle() {
        if at >= stream.len() {
            break;
        }
        let end = stream.len().min(at.saturating_add(size));
        buf.extend_from_slice(&stream[at..end]);
        at = end;
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => frames.push(frame.to_vec()),
                Ok(None) => break,
                Err(error) => {
                    return Decoded {
                        frames,
                        error: Some(error),
                        rest: Vec::new(),
                    }
                }
            }
        }
    }
    Decoded {
        frames,
        error: None,
        rest: buf.to_vec(),
    }
}
