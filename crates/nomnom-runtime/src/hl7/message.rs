//! One ER7 message: [`Message::parse`] finds its segments and encoding characters; values are
//! found and decoded only when asked for ([`Message::get`], [`Segment::get`]).
//!
//! Parsing keeps one small record per segment (its ID and byte range); fields, repetitions,
//! components and subcomponents are found by scanning the segment's line on each access, and
//! a value borrows from the message text unless it holds an escape sequence.

use std::borrow::Cow;
use std::fmt;

use super::encoding::{Encoding, HexCharset};
use super::escape;
use super::path::{Path, SegmentId};

/// Why a body is not an HL7 message (or batch): one sentence, and the byte offset in the body
/// where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Hl7Error {
    message: String,
    offset: usize,
}

impl Hl7Error {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Hl7Error {
        Hl7Error {
            message: message.into(),
            offset,
        }
    }

    /// What is wrong, one sentence without a final period.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The byte offset in the body where the problem is.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The error for a body that is not UTF-8.
    pub(crate) fn not_utf8(err: std::str::Utf8Error) -> Hl7Error {
        Hl7Error::new(
            err.valid_up_to(),
            format!(
                "the body is not UTF-8 text: the byte at offset {} is not valid UTF-8",
                err.valid_up_to()
            ),
        )
    }
}

/// A value read at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// Not in the message: the segment, field, repetition, component or subcomponent is
    /// missing or empty.
    Absent,
    /// HL7's explicit null, `""`: the sender says the value is to be erased.
    Null,
    /// The text, escape sequences decoded. Never empty.
    Text(Cow<'a, str>),
}

impl<'a> Value<'a> {
    /// The text, if there is one.
    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The text, if there is one.
    pub fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// `true` for [`Value::Absent`].
    pub fn is_absent(&self) -> bool {
        matches!(self, Value::Absent)
    }

    /// `true` for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The same value, owning its text.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Absent => Value::Absent,
            Value::Null => Value::Null,
            Value::Text(t) => Value::Text(Cow::Owned(t.into_owned())),
        }
    }

    /// The value of one raw subcomponent.
    pub(crate) fn from_raw(raw: &'a str, enc: &Encoding) -> Value<'a> {
        match raw {
            "" => Value::Absent,
            "\"\"" => Value::Null,
            _ => {
                let text = escape::decode(raw, enc);
                if text.is_empty() {
                    Value::Absent
                } else {
                    Value::Text(text)
                }
            }
        }
    }
}

/// A parsed message. It borrows the text it was parsed from.
#[derive(Clone)]
pub struct Message<'a> {
    text: &'a str,
    encoding: Encoding,
    segments: Vec<SegmentSpan>,
}

#[derive(Debug, Clone, Copy)]
struct SegmentSpan {
    id: SegmentId,
    start: usize,
    end: usize,
}

impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("encoding", &self.encoding)
            .field(
                "segments",
                &self.segments.iter().map(|s| s.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The segments that frame batches and files; they never belong inside a message.
pub(crate) const ENVELOPE: [SegmentId; 4] = [
    SegmentId::FHS,
    SegmentId::BHS,
    SegmentId::BTS,
    SegmentId::FTS,
];

impl<'a> Message<'a> {
    /// Parses one message. Segments end in `\r`; `\n` and `\r\n` are accepted too, and empty
    /// lines (a trailing terminator, blank lines) are skipped, as is a UTF-8 byte order mark
    /// at the start. The first segment must be MSH with valid encoding characters; every
    /// segment must start with a segment ID followed by the field separator (or end there);
    /// a second MSH, or a batch segment (FHS, BHS, BTS, FTS), is refused: a batch is split
    /// with [`super::split_batch`] first.
    pub fn parse(text: &'a str) -> Result<Message<'a>, Hl7Error> {
        let body_start = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut lines = Lines::new(text, body_start).filter(|l| l.start < l.end);
        let Some(first) = lines.next() else {
            return Err(Hl7Error::new(
                0,
                "the body holds no segments: an HL7 message starts with an MSH segment",
            ));
        };
        let first_line = &text[first.start..first.end];
        match SegmentId::at_start(first_line.as_bytes()) {
            Some(SegmentId::MSH) => {}
            Some(id) if ENVELOPE.contains(&id) => {
                return Err(Hl7Error::new(
                    first.start,
                    format!(
                        "the body starts with a {id} segment, which opens a batch: post it as a \
                         batch, a single message starts with MSH"
                    ),
                ));
            }
            _ => {
                return Err(Hl7Error::new(
                    first.start,
                    format!(
                        "an HL7 message starts with an MSH segment, this body starts with {}",
                        quote_start(first_line)
                    ),
                ));
            }
        }
        let (encoding, _) = Encoding::from_header(first_line)
            .map_err(|message| Hl7Error::new(first.start, message))?;
        let mut segments = vec![SegmentSpan {
            id: SegmentId::MSH,
            start: first.start,
            end: first.end,
        }];
        for line in lines {
            let bytes = &text.as_bytes()[line.start..line.end];
            let id = SegmentId::at_start(bytes)
                .filter(|_| bytes.len() == 3 || bytes[3] == encoding.field_byte());
            let Some(id) = id else {
                return Err(Hl7Error::new(
                    line.start,
                    format!(
                        "segment {} does not start with a segment ID (an upper-case letter then \
                         two upper-case letters or digits) followed by `{}`: it starts with {}",
                        segments.len() + 1,
                        encoding.field(),
                        quote_start(&text[line.start..line.end])
                    ),
                ));
            };
            if id == SegmentId::MSH {
                return Err(Hl7Error::new(
                    line.start,
                    format!(
                        "segment {} is a second MSH: a message has one header, several messages \
                         are posted as a batch",
                        segments.len() + 1
                    ),
                ));
            }
            if ENVELOPE.contains(&id) {
                return Err(Hl7Error::new(
                    line.start,
                    format!(
                        "segment {} is {id}, a batch segment that cannot be part of a message: \
                         post the body as a batch",
                        segments.len() + 1
                    ),
                ));
            }
            segments.push(SegmentSpan {
                id,
                start: line.start,
                end: line.end,
            });
        }
        let mut message = Message {
            text,
            encoding,
            segments,
        };
        if let Value::Text(charset) = message.msh().field(18, 1, 1, 1) {
            if charset.trim() == "8859/1" {
                message.encoding = message.encoding.with_hex_charset(HexCharset::Latin1);
            }
        }
        Ok(message)
    }

    /// Parses a message from bytes that must be UTF-8 text.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<Message<'a>, Hl7Error> {
        Message::parse(std::str::from_utf8(bytes).map_err(Hl7Error::not_utf8)?)
    }

    /// The text the message was parsed from.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The encoding characters (MSH-1, MSH-2).
    pub fn encoding(&self) -> &Encoding {
        &self.encoding
    }

    /// How many segments the message has (MSH included).
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// The segment at `index` (0 is the MSH).
    pub fn segment(&self, index: usize) -> Option<Segment<'a>> {
        let span = self.segments.get(index)?;
        Some(Segment {
            line: &self.text[span.start..span.end],
            id: span.id,
            index,
            offset: span.start,
            encoding: self.encoding,
        })
    }

    /// The header segment.
    pub fn msh(&self) -> Segment<'a> {
        // `parse` never builds a message without its MSH first.
        self.segment(0).unwrap_or(Segment {
            line: "MSH",
            id: SegmentId::MSH,
            index: 0,
            offset: 0,
            encoding: self.encoding,
        })
    }

    /// Every segment, in order.
    pub fn segments(&self) -> impl Iterator<Item = Segment<'a>> + '_ {
        (0..self.segments.len()).filter_map(|i| self.segment(i))
    }

    /// The IDs of the segments, in order.
    pub(crate) fn segment_id(&self, index: usize) -> Option<SegmentId> {
        self.segments.get(index).map(|s| s.id)
    }

    /// The value at `path`, reading the segment's `[occ]`-th occurrence in the message (the
    /// first without one).
    pub fn get(&self, path: &Path) -> Value<'a> {
        let occurrence = path.occurrence().unwrap_or(1) as usize;
        match self.segments_of(path.segment()).nth(occurrence - 1) {
            Some(segment) => segment.get(path),
            None => Value::Absent,
        }
    }

    /// The value at `path` as the model reads it from inside a segment row: a path naming the
    /// row's own segment type (without `[occ]`) reads `row`; any other path reads the message
    /// ([`Message::get`]). Without a row it is [`Message::get`].
    pub fn get_in(&self, row: Option<&Segment<'a>>, path: &Path) -> Value<'a> {
        match row {
            Some(row) if row.id() == path.segment() && path.occurrence().is_none() => row.get(path),
            _ => self.get(path),
        }
    }
}

/// One segment of a message: a view of its line.
#[derive(Clone, Copy)]
pub struct Segment<'a> {
    line: &'a str,
    id: SegmentId,
    index: usize,
    offset: usize,
    encoding: Encoding,
}

impl fmt::Debug for Segment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Segment")
            .field("id", &self.id)
            .field("index", &self.index)
            .field("offset", &self.offset)
            .finish()
    }
}

impl<'a> Segment<'a> {
    /// The segment's ID.
    pub fn id(&self) -> SegmentId {
        self.id
    }

    /// Its position in the message (0 is the MSH).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The byte offset of its line in the message text.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The line as written, without its terminator.
    pub fn text(&self) -> &'a str {
        self.line
    }

    /// How many fields the line holds, in HL7 numbering (for MSH, MSH-1 counts).
    pub fn field_count(&self) -> usize {
        let separators = self
            .line
            .bytes()
            .filter(|&b| b == self.encoding.field_byte())
            .count();
        if self.id == SegmentId::MSH {
            separators + 1
        } else {
            separators
        }
    }

    /// Field `n` as written (repetitions and all), `None` past the end of the line. MSH-1 is
    /// the field separator and MSH-2 the encoding characters.
    pub fn raw_field(&self, n: usize) -> Option<&'a str> {
        if n == 0 {
            return None;
        }
        let sep = self.encoding.field();
        if self.id == SegmentId::MSH {
            return match n {
                1 => self.line.get(3..4),
                _ => self.line.split(sep).nth(n - 1),
            };
        }
        self.line.split(sep).nth(n)
    }

    /// The value at `path` in this segment. The path's segment ID and `[occ]` are not
    /// consulted: choosing the segment is the caller's business ([`Message::get`],
    /// [`Message::get_in`]).
    pub fn get(&self, path: &Path) -> Value<'a> {
        self.field(
            path.field() as usize,
            path.repetition().unwrap_or(1) as usize,
            path.component().unwrap_or(1) as usize,
            path.subcomponent().unwrap_or(1) as usize,
        )
    }

    /// The value of field `field`, repetition `rep`, component `component`, subcomponent
    /// `sub` (all 1-based). MSH-1 and MSH-2 are read whole, as written.
    pub fn field(&self, field: usize, rep: usize, component: usize, sub: usize) -> Value<'a> {
        let Some(raw) = self.raw_field(field) else {
            return Value::Absent;
        };
        if self.id == SegmentId::MSH && field <= 2 {
            return if rep == 1 && component == 1 && sub == 1 && !raw.is_empty() {
                Value::Text(Cow::Borrowed(raw))
            } else {
                Value::Absent
            };
        }
        let enc = &self.encoding;
        let leaf = nth(raw, enc.repetition(), rep)
            .and_then(|r| nth(r, enc.component(), component))
            .and_then(|c| nth(c, enc.subcomponent(), sub));
        match leaf {
            Some(raw) => Value::from_raw(raw, enc),
            None => Value::Absent,
        }
    }

    /// How many repetitions field `field` has (0 when the field is absent or empty).
    pub fn repetition_count(&self, field: usize) -> usize {
        match self.raw_field(field) {
            None | Some("") => 0,
            Some(_) if self.id == SegmentId::MSH && field <= 2 => 1,
            Some(raw) => raw.split(self.encoding.repetition()).count(),
        }
    }
}

/// Part `n` (1-based) of `text` split at `sep`.
fn nth(text: &str, sep: char, n: usize) -> Option<&str> {
    text.split(sep).nth(n.checked_sub(1)?)
}

/// The first characters of `line`, quoted, for an error message.
fn quote_start(line: &str) -> String {
    let start: String = line.chars().take(8).collect();
    let more = if line.chars().nth(8).is_some() {
        "…"
    } else {
        ""
    };
    format!("{:?}", format!("{start}{more}"))
}

/// One line of a body: `text[start..end]`, its terminator ending at `next`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    pub start: usize,
    pub end: usize,
    pub next: usize,
}

/// The lines of `text` from `from`, each ended by `\r`, `\n` or `\r\n` (or the end).
pub(crate) struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str, from: usize) -> Lines<'a> {
        Lines {
            bytes: text.as_bytes(),
            at: from,
        }
    }
}

impl Iterator for Lines<'_> {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        let start = self.at;
        if start >= self.bytes.len() {
            return None;
        }
        let line = match self.bytes[start..]
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
        {
            Some(i) => {
                let end = start + i;
                let crlf = self.bytes[end] == b'\r' && self.bytes.get(end + 1) == Some(&b'\n');
                Line {
                    start,
                    end,
                    next: end + if crlf { 2 } else { 1 },
                }
            }
            None => Line {
                start,
                end: self.bytes.len(),
                next: self.bytes.len(),
            },
        };
        self.at = line.next;
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORU: &str =
        "MSH|^~\\&|LAB|ACME|EHR|CLINIC|20240815081500||ORU^R01^ORU_R01|MSG00042|P|2.5\r\
        PID|1||444333222^^^ACME&1.2.840&ISO^MR~555^^^X||EVERYWOMAN^EVE^E||19620320|F\r\
        OBR|1|||2093-3^Cholesterol^LN\r\
        OBX|1|NM|2093-3^Cholesterol^LN||187|mg/dL|<200|N|||F\r\
        OBX|2|ST|NOTE||Müller \\T\\ Söhne\\F\\ok|\"\"|\r";

    fn path(text: &str) -> Path {
        Path::parse(text).unwrap()
    }

    fn text<'a>(m: &Message<'a>, p: &str) -> Option<String> {
        m.get(&path(p)).text().map(str::to_string)
    }

    #[test]
    fn msh_fields_are_numbered_as_hl7_numbers_them() {
        let m = Message::parse(ORU).unwrap();
        assert_eq!(text(&m, "MSH-1").as_deref(), Some("|"));
        assert_eq!(text(&m, "MSH-2").as_deref(), Some("^~\\&"));
        assert_eq!(text(&m, "MSH-3").as_deref(), Some("LAB"));
        assert_eq!(text(&m, "MSH-4").as_deref(), Some("ACME"));
        assert_eq!(text(&m, "MSH-7").as_deref(), Some("20240815081500"));
        assert_eq!(m.get(&path("MSH-8")), Value::Absent);
        assert_eq!(text(&m, "MSH-9").as_deref(), Some("ORU"));
        assert_eq!(text(&m, "MSH-9.2").as_deref(), Some("R01"));
        assert_eq!(text(&m, "MSH-9.3").as_deref(), Some("ORU_R01"));
        assert_eq!(text(&m, "MSH-10").as_deref(), Some("MSG00042"));
        assert_eq!(text(&m, "MSH-12").as_deref(), Some("2.5"));
        assert_eq!(m.get(&path("MSH-13")), Value::Absent);
        assert_eq!(m.msh().field_count(), 12);
        assert_eq!(m.msh().raw_field(2), Some("^~\\&"));
        assert_eq!(m.msh().repetition_count(2), 1);
    }

    #[test]
    fn paths_read_repetitions_components_and_subcomponents() {
        let m = Message::parse(ORU).unwrap();
        assert_eq!(text(&m, "PID-3").as_deref(), Some("444333222"));
        assert_eq!(text(&m, "PID-3.1").as_deref(), Some("444333222"));
        assert_eq!(text(&m, "PID-3.4").as_deref(), Some("ACME"));
        assert_eq!(text(&m, "PID-3.4.2").as_deref(), Some("1.2.840"));
        assert_eq!(text(&m, "PID-3.5").as_deref(), Some("MR"));
        assert_eq!(text(&m, "PID-3[2]").as_deref(), Some("555"));
        assert_eq!(text(&m, "PID-3[2].4").as_deref(), Some("X"));
        assert_eq!(m.get(&path("PID-3[3]")), Value::Absent);
        assert_eq!(m.get(&path("PID-3.4.4")), Value::Absent);
        assert_eq!(m.get(&path("PID-2")), Value::Absent);
        assert_eq!(m.get(&path("PID-99")), Value::Absent);
        assert_eq!(text(&m, "PID-5.2").as_deref(), Some("EVE"));
        assert_eq!(m.segment(1).unwrap().repetition_count(3), 2);
        assert_eq!(m.segment(1).unwrap().repetition_count(2), 0);
    }

    #[test]
    fn occurrences_pick_the_nth_segment_of_a_type() {
        let m = Message::parse(ORU).unwrap();
        assert_eq!(text(&m, "OBX-5").as_deref(), Some("187"));
        assert_eq!(text(&m, "OBX[1]-5").as_deref(), Some("187"));
        assert_eq!(text(&m, "OBX[2]-3").as_deref(), Some("NOTE"));
        assert_eq!(m.get(&path("OBX[3]-1")), Value::Absent);
        assert_eq!(m.get(&path("NTE-1")), Value::Absent);
    }

    #[test]
    fn values_are_decoded_and_nulls_told_from_absence() {
        let m = Message::parse(ORU).unwrap();
        assert_eq!(text(&m, "OBX[2]-5").as_deref(), Some("Müller & Söhne|ok"));
        assert_eq!(m.get(&path("OBX[2]-6")), Value::Null);
        assert!(m.get(&path("OBX[2]-6")).is_null());
        assert_eq!(m.get(&path("OBX[2]-7")), Value::Absent);
        assert_eq!(m.get(&path("OBX[2]-8")), Value::Absent);
        // Borrowed unless an escape was decoded.
        assert!(matches!(
            m.get(&path("OBX-5")),
            Value::Text(Cow::Borrowed("187"))
        ));
        assert!(matches!(
            m.get(&path("OBX[2]-5")),
            Value::Text(Cow::Owned(_))
        ));
    }

    #[test]
    fn a_path_inside_a_row_reads_the_row_and_others_read_the_message() {
        let m = Message::parse(ORU).unwrap();
        let second_obx = m.segment(4).unwrap();
        assert_eq!(second_obx.id().as_str(), "OBX");
        assert_eq!(
            m.get_in(Some(&second_obx), &path("OBX-3")).text(),
            Some("NOTE")
        );
        assert_eq!(
            m.get_in(Some(&second_obx), &path("OBX[1]-3")).text(),
            Some("2093-3")
        );
        assert_eq!(
            m.get_in(Some(&second_obx), &path("PID-5")).text(),
            Some("EVERYWOMAN")
        );
        assert_eq!(m.get_in(None, &path("OBX-3")).text(), Some("2093-3"));
    }

    #[test]
    fn newlines_and_crlf_end_segments_too() {
        for body in [
            ORU.replace('\r', "\n"),
            ORU.replace('\r', "\r\n"),
            format!("\u{feff}{ORU}"),
            format!("{ORU}\r\r\n\n"),
        ] {
            let m = Message::parse(&body).unwrap();
            assert_eq!(m.segment_count(), 5);
            assert_eq!(text(&m, "OBX[2]-3").as_deref(), Some("NOTE"));
            for s in m.segments() {
                assert!(!s.text().contains(['\r', '\n']));
                assert_eq!(&body[s.offset()..s.offset() + s.text().len()], s.text());
            }
        }
    }

    #[test]
    fn a_segment_without_fields_is_accepted() {
        let m = Message::parse("MSH|^~\\&|A\rZZZ\rPID|1").unwrap();
        assert_eq!(m.segment_count(), 3);
        assert_eq!(m.segment(1).unwrap().field_count(), 0);
        assert_eq!(m.get(&path("ZZZ-1")), Value::Absent);
        assert_eq!(text(&m, "PID-1").as_deref(), Some("1"));
    }

    #[test]
    fn hex_escapes_follow_msh18() {
        let latin = "MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||8859/1\rPID|1||||M\\Xfc\\ller";
        let m = Message::parse(latin).unwrap();
        assert_eq!(text(&m, "PID-5").as_deref(), Some("Müller"));
        let utf8 = "MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||UNICODE UTF-8\rPID|1||||M\\XC3BC\\ller";
        let m = Message::parse(utf8).unwrap();
        assert_eq!(text(&m, "PID-5").as_deref(), Some("Müller"));
    }

    #[test]
    fn what_is_not_a_message_is_refused_with_a_sentence_and_an_offset() {
        for (body, offset, needle) in [
            ("", 0, "no segments"),
            ("\r\n\r", 0, "no segments"),
            ("PID|1", 0, "starts with \"PID|1\""),
            ("{\"json\": true}", 0, "starts with an MSH segment"),
            ("MSH", 0, "ends before its field separator"),
            (
                "MSH|^~\\&|A\rpid|1",
                11,
                "segment 2 does not start with a segment ID",
            ),
            ("MSH|^~\\&|A\rPID1", 11, "followed by `|`"),
            ("MSH|^~\\&|A\rPI", 11, "segment ID"),
            ("MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B", 17, "second MSH"),
            ("MSH|^~\\&|A\rBTS|1", 11, "batch segment"),
            ("BHS|^~\\&|A\rMSH|^~\\&|A", 0, "opens a batch"),
            ("MSH|^~\\&|A\rÜID|1", 11, "\"ÜID|1\""),
        ] {
            let err = Message::parse(body).unwrap_err();
            assert!(err.message().contains(needle), "{body:?}: {err}");
            assert_eq!(err.offset(), offset, "{body:?}: {err}");
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_clearly() {
        let err = Message::parse_bytes(b"MSH|^~\\&|GHH LAB|ELAB\x963").unwrap_err();
        assert_eq!(err.offset(), 21);
        assert!(err.message().contains("not UTF-8"), "{err}");
        assert!(Message::parse_bytes(ORU.as_bytes()).is_ok());
    }

    #[test]
    fn custom_delimiters_split_values() {
        let m =
            Message::parse("MSH$%~\\&$GHH LAB\rPID$$$555-44-4444$$EVERYWOMAN%EVE%E%%%L\r").unwrap();
        assert_eq!(text(&m, "MSH-1").as_deref(), Some("$"));
        assert_eq!(text(&m, "MSH-2").as_deref(), Some("%~\\&"));
        assert_eq!(text(&m, "MSH-3").as_deref(), Some("GHH LAB"));
        assert_eq!(text(&m, "PID-3").as_deref(), Some("555-44-4444"));
        assert_eq!(text(&m, "PID-5.2").as_deref(), Some("EVE"));
        assert_eq!(text(&m, "PID-5.6").as_deref(), Some("L"));
        assert_eq!(m.get(&path("PID-5.4")), Value::Absent);
    }
}
