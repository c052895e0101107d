//! The MLLP listener: HL7 v2 messages over TCP, each framed as `0x0B`, the message,
//! `0x1C 0x0D` (HL7's Minimal Lower Layer Protocol), each answered before the next is read.
//!
//! - [`frame`]: the framing, strict about what is not MLLP, with a size limit.
//! - [`MllpConfig`]: `MLLP_PORT` (unset: no listener), `MLLP_MAX_FRAME_BYTES`,
//!   `MLLP_IDLE_TIMEOUT`, `MLLP_MAX_CONNECTIONS`.
//! - [`serve`]: many connections at once, one task each, every frame handed to a
//!   [`Handler`] whose answer is written back framed; graceful shutdown.
//!
//! What a frame means (parsing the HL7 message, validating, publishing, building the ACK) is
//! the handler's business: this module only moves bytes.
//!
//! The framing is written here rather than taken from a crate: it is a few dozen lines, and
//! of the crates on offer `hl7-mllp-codec` 0.4 (a tokio-util codec) has no frame-size limit
//! and skips bytes before a start block, `mllp-rs` decodes a buffer read to the end of the
//! stream, and the strict, limited ones (`hl7-2-mllp`, `hl7v2`'s codec) are new or bring a
//! whole HL7 stack; every generated project vendors this runtime, so a dependency costs them
//! all.

mod config;
pub mod frame;
mod server;

pub use config::MllpConfig;
pub use frame::{FrameDecoder, FrameError};
pub use server::{handler, serve, Handler};
