//! Splitting an HL7 batch into its messages, each with its byte range in the body.
//!
//! A batch is either plain consecutive messages (each starting with MSH), or messages framed
//! by the batch protocol: an optional file header FHS, batches each opened by BHS and closed by
//! BTS, and the file trailer FTS:
//!
//! ```text
//! [FHS] { [BHS] { MSH … } [BTS] } [FTS]
//! ```
//!
//! Trailers are optional (a body may end without BTS or FTS, and a BTS may close a batch that
//! had no BHS), as python-hl7 accepts them. Refused, each with one sentence and the offset:
//! an FHS that is not the first segment, a second BHS while a batch is open, a segment other
//! than MSH or a batch segment before the first MSH of a batch, anything after FTS, and a body
//! with no segments. Declared counts (BTS-1, FTS-1) are not checked. The messages themselves
//! are not parsed here: each is parsed (and may be refused) on its own with
//! [`Message::parse`](super::Message::parse), so one bad message does not hide the others.

use std::ops::Range;

use super::message::{Hl7Error, Lines};
use super::path::SegmentId;

/// One message of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchMessage<'a> {
    /// Its bytes in the body: from the start of its MSH to the end of its last segment's
    /// terminator.
    pub range: Range<usize>,
    /// `&body[range]`.
    pub text: &'a str,
}

/// The messages of `body`, in order (none for a batch that is only headers and trailers).
pub fn split_batch(body: &str) -> Result<Vec<BatchMessage<'_>>, Hl7Error> {
    let from = if body.starts_with('\u{feff}') { 3 } else { 0 };
    let mut state = State::Start;
    let mut messages: Vec<BatchMessage<'_>> = Vec::new();
    // The message being read: where it starts and where its last segment's terminator ends.
    let mut current: Option<Range<usize>> = None;
    let mut any = false;
    let mut close = |current: &mut Option<Range<usize>>| {
        if let Some(range) = current.take() {
            messages.push(BatchMessage {
                text: &body[range.clone()],
                range,
            });
        }
    };
    for line in Lines::new(body, from).filter(|l| l.start < l.end) {
        any = true;
        let id = SegmentId::at_start(&body.as_bytes()[line.start..line.end]);
        let fail = |message: String| Err(Hl7Error::new(line.start, message));
        if state == State::Ended {
            return fail(format!(
                "a segment follows the file trailer FTS: {}",
                describe(id)
            ));
        }
        match id {
            Some(SegmentId::FHS) => {
                if state != State::Start {
                    return fail(
                        "FHS opens a file and must be its first segment (a file has one FHS)"
                            .to_string(),
                    );
                }
                state = State::Between;
            }
            Some(SegmentId::BHS) => {
                if state == State::InBatch {
                    return fail(
                        "a second BHS before the open batch was closed by BTS".to_string(),
                    );
                }
                close(&mut current);
                state = State::InBatch;
            }
            Some(SegmentId::BTS) => {
                close(&mut current);
                state = State::Between;
            }
            Some(SegmentId::FTS) => {
                close(&mut current);
                state = State::Ended;
            }
            Some(SegmentId::MSH) => {
                close(&mut current);
                current = Some(line.start..line.next);
                if state == State::Start {
                    state = State::Between;
                }
            }
            _ => match current.as_mut() {
                Some(range) => range.end = line.next,
                None => {
                    return fail(format!(
                        "{} comes before the first MSH: every message of a batch starts with \
                         an MSH segment",
                        describe(id)
                    ))
                }
            },
        }
    }
    if !any {
        return Err(Hl7Error::new(
            0,
            "the body holds no segments: a batch holds messages that start with MSH",
        ));
    }
    close(&mut current);
    Ok(messages)
}

/// Splits a body given as bytes, which must be UTF-8 text.
pub fn split_batch_bytes(body: &[u8]) -> Result<Vec<BatchMessage<'_>>, Hl7Error> {
    split_batch(std::str::from_utf8(body).map_err(Hl7Error::not_utf8)?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing read yet.
    Start,
    /// Outside any BHS … BTS (after FHS, after a BTS, or among plain messages).
    Between,
    /// Inside BHS … BTS.
    InBatch,
    /// After FTS.
    Ended,
}

fn describe(id: Option<SegmentId>) -> String {
    match id {
        Some(id) => format!("the {id} segment"),
        None => "a line that is not a segment".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(body: &str) -> Vec<&str> {
        let messages = split_batch(body).unwrap_or_else(|e| panic!("{e}"));
        for m in &messages {
            assert_eq!(&body[m.range.clone()], m.text);
            assert!(m.text.starts_with("MSH"));
        }
        messages.iter().map(|m| m.text).collect()
    }

    #[test]
    fn plain_consecutive_messages_split_at_each_msh() {
        let body = "MSH|^~\\&|A|1\rPID|1\rMSH|^~\\&|A|2\rPID|2\r";
        assert_eq!(
            split(body),
            ["MSH|^~\\&|A|1\rPID|1\r", "MSH|^~\\&|A|2\rPID|2\r"]
        );
        // One message is a batch of one; the last may lack its terminator.
        assert_eq!(split("MSH|^~\\&|A|1\rPID|1"), ["MSH|^~\\&|A|1\rPID|1"]);
    }

    #[test]
    fn headers_and_trailers_frame_batches() {
        let body = "FHS|^~\\&|F\rBHS|^~\\&|B1\rMSH|^~\\&|1\rEVN|A04\rBTS|1\r\
                    BHS|^~\\&|B2\rMSH|^~\\&|2\rMSH|^~\\&|3\rPID|3\rBTS|2\rFTS|2\r";
        assert_eq!(
            split(body),
            [
                "MSH|^~\\&|1\rEVN|A04\r",
                "MSH|^~\\&|2\r",
                "MSH|^~\\&|3\rPID|3\r"
            ]
        );
        let ranges: Vec<_> = split_batch(body)
            .unwrap()
            .into_iter()
            .map(|m| m.range)
            .collect();
        assert_eq!(ranges[0], 23..42);
    }

    #[test]
    fn line_endings_are_kept_with_each_message() {
        let body = "BHS|^~\\&\r\nMSH|^~\\&|1\r\nPID|1\r\nMSH|^~\\&|2\nBTS|2\n";
        assert_eq!(split(body), ["MSH|^~\\&|1\r\nPID|1\r\n", "MSH|^~\\&|2\n"]);
    }

    #[test]
    fn missing_trailers_and_headers_are_tolerated() {
        for body in [
            "FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|1\rFTS|1",
            "FHS|^~\\&\rMSH|^~\\&|1\rBTS|1\rFTS|1",
            "BHS|^~\\&\rMSH|^~\\&|1\rBTS|1\rFTS|1",
            "MSH|^~\\&|1\rBTS|1",
        ] {
            assert_eq!(split(body), ["MSH|^~\\&|1\r"], "{body:?}");
        }
        assert_eq!(split("FHS|^~\\&\rBHS|^~\\&\rMSH|^~\\&|1"), ["MSH|^~\\&|1"]);
        assert_eq!(
            split("FHS|^~\\&\rBHS|^~\\&\rBTS|0\rFTS|0"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn broken_batches_are_refused_with_the_place() {
        for (body, offset, needle) in [
            ("", 0, "no segments"),
            ("\r\n", 0, "no segments"),
            (
                "BHS|^~\\&\rEVN|A04\rBTS|1",
                9,
                "the EVN segment comes before the first MSH",
            ),
            ("EVN|A04\rMSH|^~\\&", 0, "before the first MSH"),
            ("hello", 0, "a line that is not a segment comes before"),
            ("BHS|^~\\&\rMSH|^~\\&|1\rBHS|^~\\&\rBTS|1", 20, "second BHS"),
            (
                "FHS|^~\\&\rMSH|^~\\&|1\rFHS|^~\\&",
                20,
                "a file has one FHS",
            ),
            ("MSH|^~\\&|1\rFHS|^~\\&", 11, "must be its first segment"),
            (
                "MSH|^~\\&|1\rFTS|1\rMSH|^~\\&|2",
                17,
                "follows the file trailer",
            ),
        ] {
            let err = split_batch(body).unwrap_err();
            assert!(err.message().contains(needle), "{body:?}: {err}");
            assert_eq!(err.offset(), offset, "{body:?}: {err}");
        }
        let err = split_batch_bytes(b"MSH|^~\\&|1\r\xff").unwrap_err();
        assert!(err.message().contains("not UTF-8"));
    }
}
