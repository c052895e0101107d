//! Acknowledgments (original mode): the ACK a receiver sends back for a message.
//!
//! ```text
//! MSH|^~\&|<MSH-5>|<MSH-6>|<MSH-3>|<MSH-4>|<now>||ACK^<MSH-9.2>^ACK|<new id>|<MSH-11>|<MSH-12>
//! MSA|AA|<MSH-10>
//! ERR||PID^1^3^1|102^Data type error^HL70357|E||||<text>        (v2.5 and later)
//! ```
//!
//! The header swaps sender and receiver (MSH-3/4 and MSH-5/6), stamps the current time in UTC,
//! carries a new control ID and keeps the processing ID and version of the message; it uses
//! the message's own encoding characters, so the fields copied from the message are copied as
//! written. MSA-2 is the message's control ID. With an error, an ERR segment names the HL7
//! path and the error: for v2.5 and later in ERR-2 (location), ERR-3 (HL7 error code, table
//! 0357), ERR-4 (severity E) and ERR-8 (the text); before v2.5, where ERR has only the
//! location-and-code field ERR-1, the text goes into MSA-3 as well. Text put into the ACK is
//! escaped with the message's encoding characters.

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::escape::encode;
use super::message::Message;
use super::path::Path;

/// MSA-1: how the receiver took the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// `AA`: accepted (and, here, committed).
    Accept,
    /// `AE`: an error in the message; the sender should fix it.
    Error,
    /// `AR`: rejected for a reason other than its content (unsupported type or version, the
    /// receiver cannot take it now).
    Reject,
}

impl AckCode {
    /// `AA`, `AE` or `AR`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AckCode::Accept => "AA",
            AckCode::Error => "AE",
            AckCode::Reject => "AR",
        }
    }
}

/// An HL7 error code (table 0357) for ERR-3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 100: segment sequence error.
    SegmentSequence,
    /// 101: required field missing.
    RequiredFieldMissing,
    /// 102: data type error (a value that cannot be read as its type).
    DataType,
    /// 103: table value not found.
    TableValueNotFound,
    /// 200: unsupported message type.
    UnsupportedMessageType,
    /// 201: unsupported event code.
    UnsupportedEventCode,
    /// 202: unsupported processing ID.
    UnsupportedProcessingId,
    /// 203: unsupported version ID.
    UnsupportedVersionId,
    /// 207: application internal error.
    ApplicationInternal,
}

impl ErrorCode {
    /// The code and its text in table 0357.
    pub fn code_and_text(&self) -> (&'static str, &'static str) {
        match self {
            ErrorCode::SegmentSequence => ("100", "Segment sequence error"),
            ErrorCode::RequiredFieldMissing => ("101", "Required field missing"),
            ErrorCode::DataType => ("102", "Data type error"),
            ErrorCode::TableValueNotFound => ("103", "Table value not found"),
            ErrorCode::UnsupportedMessageType => ("200", "Unsupported message type"),
            ErrorCode::UnsupportedEventCode => ("201", "Unsupported event code"),
            ErrorCode::UnsupportedProcessingId => ("202", "Unsupported processing id"),
            ErrorCode::UnsupportedVersionId => ("203", "Unsupported version id"),
            ErrorCode::ApplicationInternal => ("207", "Application internal error"),
        }
    }
}

/// The error an ACK reports in its ERR segment.
#[derive(Debug, Clone, Copy)]
pub struct AckError<'e> {
    /// Where in the message, if the error is about one value.
    pub path: Option<&'e Path>,
    /// What is wrong, for a person reading the sender's logs.
    pub text: &'e str,
    /// The HL7 error code.
    pub code: ErrorCode,
}

/// The ACK of `message`, stamped now with a new random control ID. An error names its path in
/// an ERR segment with HL7 error code 102 (data type error); use [`ack_with`] for another code
/// or an error without a path.
pub fn ack(message: &Message<'_>, code: AckCode, error: Option<(&Path, &str)>) -> String {
    let error = error.map(|(path, text)| AckError {
        path: Some(path),
        text,
        code: ErrorCode::DataType,
    });
    ack_with(message, code, error.as_ref(), Utc::now(), &new_control_id())
}

/// The ACK of `message` with every choice explicit: the error (if any), the time for MSH-7
/// and the control ID for MSH-10 (escaped if it holds delimiters).
pub fn ack_with(
    message: &Message<'_>,
    code: AckCode,
    error: Option<&AckError<'_>>,
    now: DateTime<Utc>,
    control_id: &str,
) -> String {
    let enc = message.encoding();
    let msh = message.msh();
    let raw = |n: usize| msh.raw_field(n).unwrap_or("");
    let trigger = raw(9)
        .split(enc.repetition())
        .next()
        .and_then(|rep| rep.split(enc.component()).nth(1))
        .unwrap_or("");
    let f = enc.field();
    let c = enc.component();
    let mut out = String::with_capacity(256);
    // MSH
    out.push_str("MSH");
    out.push(f);
    out.push_str(&enc.msh2());
    for value in [raw(5), raw(6), raw(3), raw(4), &hl7_time(now), ""] {
        out.push(f);
        out.push_str(value);
    }
    out.push(f);
    out.push_str("ACK");
    out.push(c);
    out.push_str(trigger);
    out.push(c);
    out.push_str("ACK");
    for value in [&encode(control_id, enc), raw(11), raw(12)] {
        out.push(f);
        out.push_str(value);
    }
    out.push('\r');
    // MSA
    let old_err = error.is_some() && before_v25(message);
    out.push_str("MSA");
    out.push(f);
    out.push_str(code.as_str());
    out.push(f);
    out.push_str(raw(10));
    if let (true, Some(error)) = (old_err, error) {
        out.push(f);
        out.push_str(&encode(error.text, enc));
    }
    out.push('\r');
    // ERR
    if let Some(error) = error {
        let (code, code_text) = error.code.code_and_text();
        let s = enc.subcomponent();
        out.push_str("ERR");
        out.push(f);
        if old_err {
            // ERR-1 (ELD): segment ^ sequence ^ field ^ code & text & table.
            if let Some(path) = error.path {
                out.push_str(path.segment().as_str());
                out.push(c);
                out.push_str(&path.occurrence().unwrap_or(1).to_string());
                out.push(c);
                out.push_str(&path.field().to_string());
            } else {
                out.push(c);
                out.push(c);
            }
            out.push(c);
            for (i, part) in [code, code_text, "HL70357"].into_iter().enumerate() {
                if i > 0 {
                    out.push(s);
                }
                out.push_str(part);
            }
        } else {
            // ERR-2 (ERL), ERR-3 (CWE), ERR-4, ERR-8.
            out.push(f);
            if let Some(path) = error.path {
                let mut parts = vec![
                    path.segment().as_str().to_string(),
                    path.occurrence().unwrap_or(1).to_string(),
                    path.field().to_string(),
                    path.repetition().unwrap_or(1).to_string(),
                ];
                parts.extend(path.component().map(|n| n.to_string()));
                parts.extend(path.subcomponent().map(|n| n.to_string()));
                out.push_str(&parts.join(&c.to_string()));
            }
            out.push(f);
            for (i, part) in [code, code_text, "HL70357"].into_iter().enumerate() {
                if i > 0 {
                    out.push(c);
                }
                out.push_str(part);
            }
            out.push(f);
            out.push('E');
            for _ in 0..4 {
                out.push(f);
            }
            out.push_str(&encode(error.text, enc));
        }
        out.push('\r');
    }
    out
}

/// A new control ID: 20 random decimal digits (MSH-10 holds at most 20 characters before
/// v2.7).
pub fn new_control_id() -> String {
    format!("{:020}", uuid::Uuid::new_v4().as_u64_pair().0)
}

/// `true` when MSH-12 names a version before 2.5 (2.1 to 2.4), whose ERR segment has only
/// ERR-1; an absent or unreadable version counts as current.
fn before_v25(message: &Message<'_>) -> bool {
    let version = message
        .msh()
        .field(12, 1, 1, 1)
        .into_text()
        .unwrap_or_default();
    let mut parts = version.trim().split('.');
    let major = parts.next().and_then(|p| p.parse::<u32>().ok());
    let minor = parts.next().and_then(|p| p.parse::<u32>().ok());
    matches!((major, minor), (Some(2), Some(m)) if m < 5)
}

/// `now` as an HL7 DTM in UTC with milliseconds: `20240315134259.123+0000`.
fn hl7_time(now: DateTime<Utc>) -> String {
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}.{:03}+0000",
        now.year().clamp(0, 9999),
        now.month(),
        now.day(),
        now.hour(),
        now.minute(),
        now.second().min(59),
        (now.nanosecond() % 1_000_000_000) / 1_000_000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hl7::Value;
    use chrono::TimeZone;

    const ORU: &str = "MSH|^~\\&|LAB^1.2.3^ISO|ACME|EHR|CLINIC|20240815081500||ORU^R01^ORU_R01|MSG00042|P|2.5.1\r\
        PID|1||444333222^^^ACME^MR\r";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 15, 13, 42, 59).unwrap() + chrono::Duration::milliseconds(7)
    }

    fn text(m: &Message<'_>, path: &str) -> Option<String> {
        m.get(&Path::parse(path).unwrap())
            .text()
            .map(str::to_string)
    }

    #[test]
    fn an_accept_swaps_sender_and_receiver_and_echoes_the_control_id() {
        let message = Message::parse(ORU).unwrap();
        let ack = ack_with(&message, AckCode::Accept, None, now(), "ACK0001");
        assert_eq!(
            ack,
            "MSH|^~\\&|EHR|CLINIC|LAB^1.2.3^ISO|ACME|20240315134259.007+0000||ACK^R01^ACK|ACK0001|P|2.5.1\r\
             MSA|AA|MSG00042\r"
        );
        let parsed = Message::parse(&ack).unwrap();
        assert_eq!(text(&parsed, "MSH-5.2").as_deref(), Some("1.2.3"));
        assert_eq!(text(&parsed, "MSA-2").as_deref(), Some("MSG00042"));
    }

    #[test]
    fn an_error_names_the_path_in_err_and_escapes_its_text() {
        let message = Message::parse(ORU).unwrap();
        let path = Path::parse("PID-7[1].1").unwrap();
        let ack = ack_with(
            &message,
            AckCode::Error,
            Some(&AckError {
                path: Some(&path),
                text: "\"1962|13\" is not a date & more\r",
                code: ErrorCode::DataType,
            }),
            now(),
            "ACK0002",
        );
        let parsed = Message::parse(&ack).unwrap();
        assert_eq!(text(&parsed, "MSA-1").as_deref(), Some("AE"));
        assert_eq!(parsed.get(&Path::parse("MSA-3").unwrap()), Value::Absent);
        assert_eq!(text(&parsed, "ERR-2").as_deref(), Some("PID"));
        assert_eq!(text(&parsed, "ERR-2.2").as_deref(), Some("1"));
        assert_eq!(text(&parsed, "ERR-2.3").as_deref(), Some("7"));
        assert_eq!(text(&parsed, "ERR-2.4").as_deref(), Some("1"));
        assert_eq!(text(&parsed, "ERR-2.5").as_deref(), Some("1"));
        assert_eq!(parsed.get(&Path::parse("ERR-2.6").unwrap()), Value::Absent);
        assert_eq!(text(&parsed, "ERR-3").as_deref(), Some("102"));
        assert_eq!(text(&parsed, "ERR-3.2").as_deref(), Some("Data type error"));
        assert_eq!(text(&parsed, "ERR-3.3").as_deref(), Some("HL70357"));
        assert_eq!(text(&parsed, "ERR-4").as_deref(), Some("E"));
        assert_eq!(
            text(&parsed, "ERR-8").as_deref(),
            Some("\"1962|13\" is not a date & more\r")
        );
        assert!(ack.ends_with("|E||||\"1962\\F\\13\" is not a date \\T\\ more\\X0D\\\r"));
    }

    #[test]
    fn old_versions_get_err1_and_the_text_in_msa3() {
        let message =
            Message::parse("MSH|^~\\&|ULTRA|TML|OLIS|OLIS|200911231509||ORU|5951|T|2.3\rPID|1\r")
                .unwrap();
        let path = Path::parse("OBX[2]-5").unwrap();
        let ack = ack_with(
            &message,
            AckCode::Reject,
            Some(&AckError {
                path: Some(&path),
                text: "no room",
                code: ErrorCode::ApplicationInternal,
            }),
            now(),
            "1",
        );
        assert!(ack.contains("|ACK^^ACK|1|T|2.3\r"), "{ack}");
        assert!(
            ack.contains(
                "\rMSA|AR|5951|no room\rERR|OBX^2^5^207&Application internal error&HL70357\r"
            ),
            "{ack}"
        );
        let parsed = Message::parse(&ack).unwrap();
        assert_eq!(
            text(&parsed, "ERR-1.4.2").as_deref(),
            Some("Application internal error")
        );
    }

    #[test]
    fn an_error_without_a_path_has_an_empty_location() {
        let message = Message::parse(ORU).unwrap();
        let ack = ack_with(
            &message,
            AckCode::Error,
            Some(&AckError {
                path: None,
                text: "the stream cannot take the message now",
                code: ErrorCode::ApplicationInternal,
            }),
            now(),
            "1",
        );
        assert!(ack.ends_with("\rERR|||207^Application internal error^HL70357|E||||the stream cannot take the message now\r"), "{ack}");
    }

    #[test]
    fn custom_delimiters_carry_over_to_the_ack() {
        let message = Message::parse("MSH$%~\\&$A$B$C$D$$$ORU%R01$X1$P$2.5\r").unwrap();
        let path = Path::parse("PID-3.1").unwrap();
        let ack = ack(&message, AckCode::Error, Some((&path, "a$b%c")));
        let parsed = Message::parse(&ack).unwrap();
        assert_eq!(text(&parsed, "MSH-3").as_deref(), Some("C"));
        assert_eq!(text(&parsed, "MSH-9.2").as_deref(), Some("R01"));
        assert_eq!(text(&parsed, "ERR-8").as_deref(), Some("a$b%c"));
        assert_eq!(text(&parsed, "MSA-2").as_deref(), Some("X1"));
        let id = text(&parsed, "MSH-10").unwrap();
        assert_eq!(id.len(), 20);
        assert!(id.bytes().all(|b| b.is_ascii_digit()));
        let time = text(&parsed, "MSH-7").unwrap();
        assert!(
            crate::hl7::to_timestamp(&time, chrono_tz::Tz::UTC).is_ok(),
            "{time}"
        );
    }
}
