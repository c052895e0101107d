//! HL7 v2 messages in their pipe-and-hat encoding (ER7): parsing, paths, values, conversions
//! to the model's types, batches and acknowledgments.
//!
//! ```
//! use nomnom_runtime::hl7::{Message, Path, Value};
//!
//! let body = "MSH|^~\\&|LAB|ACME|EHR|CLINIC|20240815081500||ORU^R01|MSG00042|P|2.5\r\
//!             PID|1||444333222^^^ACME^MR||EVERYWOMAN^EVE^E||19620320|F\r";
//! let message = Message::parse(body)?;
//! let control_id = message.get(&Path::parse("MSH-10")?);
//! assert_eq!(control_id.text(), Some("MSG00042"));
//! assert_eq!(message.get(&Path::parse("PID-5.2")?).text(), Some("EVE"));
//! assert_eq!(message.get(&Path::parse("PID-6")?), Value::Absent);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`Message::parse`] reads one message: the segments and the encoding characters of MSH-1
//!   and MSH-2 ([`Encoding`]); `\r` ends a segment, `\n` and `\r\n` are accepted. Text that is
//!   not UTF-8 ([`Message::parse_bytes`]) or not a message is an [`Hl7Error`] with one
//!   sentence and a byte offset. Parsing never panics, whatever the bytes (a fuzz test holds
//!   it to that).
//! - [`Path`] is `SEG[occ]-field[rep].component.subcomponent`, 1-based, as the model writes
//!   it; [`Message::get`] reads a [`Value`] at a path in the message, [`Segment::get`] within
//!   one segment row, and [`Message::get_in`] chooses between them as the model does.
//! - A [`Value`] is [`Absent`](Value::Absent) (missing or empty), [`Null`](Value::Null) (the
//!   explicit null `""`) or [`Text`](Value::Text) with escape sequences decoded ([`escape`]).
//! - [`to_date`], [`to_timestamp`], [`to_integer`], [`to_decimal`], [`to_float`] read DTM and
//!   NM text; a failure is a [`ConvertError`] that [`ConvertError::at`] locates at a path.
//! - [`Message::segments_of`] and [`Message::segments_after`] give the segment groups that
//!   become child rows (every OBR; the OBX after one OBR up to the next).
//! - [`split_batch`] splits a batch (FHS/BHS … BTS/FTS, or consecutive messages) into
//!   messages with their byte ranges.
//! - [`ack`] writes the acknowledgment of a message.
//!
//! Written here rather than taken from a crate (each checked by running it, or by reading its
//! source and licence):
//! - `hl7-parser` 0.3.0 panics on `ééé\F\` ("end byte index 5 is not a char boundary": a
//!   character index used as a byte index when decoding escapes), decodes `é\F\x` to `é\x`,
//!   decodes `\X..\` only for `0A` and `0D`, and joins components with `~` when displaying
//!   a repetition.
//! - `rust-hl7` 0.5.0 panics on `é\Q\y` (it slices one byte before an unknown escape) and on
//!   `\Q\y` (subtract with overflow), turns `x\Q\y` into `xx\Qy`, and prints to stdout
//!   while decoding hex.
//! - `hl7v2` is AGPL, which the Apache-2.0 runtime copied into every generated project cannot
//!   carry; `er7` and `hl7-2` require Rust 1.95 (the runtime supports 1.89).
//! - `hl7kit` 0.2 (closest) copies the message and allocates a node per subcomponent, reads a
//!   path without a component as the whole field (the model reads the first component, as
//!   HAPI's terser does), and its `get` hands back `""` as text.
//!
//! The model's path syntax, null semantics, segment groups and ACKs would have been written
//! here in any case; the parsing underneath is a few hundred lines.

#![warn(missing_docs)]

mod ack;
mod batch;
mod convert;
mod encoding;
pub mod escape;
pub mod field;
mod group;
mod message;
mod path;

pub use ack::{ack, ack_with, new_control_id, AckCode, AckError, ErrorCode};
pub use batch::{split_batch, split_batch_bytes, BatchMessage};
pub use chrono_tz::Tz;
pub use convert::{
    to_date, to_decimal, to_float, to_integer, to_timestamp, ConvertError, ValueError,
};
pub use encoding::{Encoding, HexCharset};
pub use message::{Hl7Error, Message, Segment, Value};
pub use path::{Path, PathError, SegmentId, MAX_INDEX};
