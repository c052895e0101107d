//! MLLP framing: a message travels as `0x0B`, the payload, `0x1C 0x0D`.
//!
//! [`FrameDecoder`] takes frames off the front of a connection's read buffer, however the
//! bytes were split across reads; [`encode`] frames an answer. The decoder is strict, because
//! a sender that breaks the framing has lost track of where its messages start and every
//! answer after that could acknowledge the wrong one:
//! - between frames, only a start block may come: any other byte (an end block included) is
//!   an error;
//! - inside a frame, a second start block is an error, and so is an end block followed by
//!   anything but a carriage return;
//! - a payload longer than the limit is an error as soon as its length is known to exceed it,
//!   without waiting for the end block, so a connection never buffers more than the limit
//!   plus one read.
//!
//! Any other byte belongs to the payload, `\r`, `\n` and `\r\n` included: HL7 segment
//! separators are the parser's business, not the framing's.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Start block: vertical tab.
pub const START_BLOCK: u8 = 0x0B;
/// End block: file separator.
pub const END_BLOCK: u8 = 0x1C;
/// Carriage return, which must follow the end block.
pub const CARRIAGE_RETURN: u8 = 0x0D;

/// Why a byte stream is not MLLP. The connection it came from is closed without an answer:
/// once the framing is broken, the next frame's start cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A byte other than the start block where a frame should start.
    #[error("byte 0x{byte:02X} where a frame should start (0x0B)")]
    BytesBeforeStart {
        /// The first unexpected byte.
        byte: u8,
    },
    /// An end block where a frame should start.
    #[error("end block (0x1C) without a start block")]
    EndWithoutStart,
    /// A start block inside a frame: the previous frame was never ended.
    #[error("start block (0x0B) inside a frame of {payload_bytes} bytes")]
    StartInsideFrame {
        /// Payload bytes before the second start block.
        payload_bytes: usize,
    },
    /// An end block followed by something other than a carriage return.
    #[error("end block (0x1C) followed by 0x{byte:02X} instead of a carriage return (0x0D)")]
    BadTrailer {
        /// The byte after the end block.
        byte: u8,
    },
    /// A payload longer than the limit.
    #[error("frame longer than the limit of {limit} bytes")]
    TooLarge {
        /// The largest payload accepted, in bytes.
        limit: usize,
    },
}

/// Takes MLLP frames off the front of a buffer that a connection keeps filling.
///
/// Call [`FrameDecoder::decode`] after every read until it answers `Ok(None)` (more bytes
/// needed): bytes already scanned are not scanned again, so a frame arriving one byte per
/// read costs linear time. After an error the stream is unusable; drop the connection.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    max_payload: usize,
    /// Payload bytes of the frame at the front of the buffer known to hold neither block.
    scanned: usize,
}

impl FrameDecoder {
    /// A decoder refusing payloads longer than `max_payload` bytes (the framing bytes do not
    /// count).
    pub fn new(max_payload: usize) -> Self {
        Self {
            max_payload,
            scanned: 0,
        }
    }

    /// The largest payload accepted.
    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// The payload of the first complete frame of `buf`, removed from it with its framing;
    /// `Ok(None)` when `buf` is empty or ends inside a frame that may still be valid.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        if first != START_BLOCK {
            return Err(if first == END_BLOCK {
                FrameError::EndWithoutStart
            } else {
                FrameError::BytesBeforeStart { byte: first }
            });
        }
        let from = 1 + self.scanned;
        let found = buf[from..]
            .iter()
            .position(|&b| b == START_BLOCK || b == END_BLOCK);
        let Some(offset) = found else {
            let payload_bytes = buf.len() - 1;
            if payload_bytes > self.max_payload {
                return Err(self.too_large());
            }
            self.scanned = payload_bytes;
            return Ok(None);
        };
        let block = from + offset;
        let payload_bytes = block - 1;
        if payload_bytes > self.max_payload {
            return Err(self.too_large());
        }
        if buf[block] == START_BLOCK {
            return Err(FrameError::StartInsideFrame { payload_bytes });
        }
        match buf.get(block + 1) {
            None => {
                // The end block is the last byte read: its carriage return is still coming.
                self.scanned = payload_bytes;
                Ok(None)
            }
            Some(&CARRIAGE_RETURN) => {
                let mut frame = buf.split_to(block + 2);
                frame.truncate(block);
                frame.advance(1);
                self.scanned = 0;
                Ok(Some(frame.freeze()))
            }
            Some(&byte) => Err(FrameError::BadTrailer { byte }),
        }
    }

    fn too_large(&self) -> FrameError {
        FrameError::TooLarge {
            limit: self.max_payload,
        }
    }
}

/// `payload` framed for the wire: start block, payload, end block, carriage return.
pub fn encode(payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(payload.len() + 3);
    out.put_u8(START_BLOCK);
    out.put_slice(payload);
    out.put_u8(END_BLOCK);
    out.put_u8(CARRIAGE_RETURN);
    out.freeze()
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
