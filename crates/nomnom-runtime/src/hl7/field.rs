//! What generated code calls to read an HL7 v2 message into an entity: a field's value at its
//! path (absent, the explicit null `""`, or text) converted to the field's type and checked
//! like a JSON value, every failure a [`FieldError`] naming the HL7 path; the segment groups
//! that become child rows; and a whole root message.
//!
//! Times without an offset are read in the zone of `HL7_TIMEZONE` (an IANA name such as
//! `Europe/Berlin`; UTC when unset), read once: [`check_timezone`] refuses a bad value at
//! start-up.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{
    to_date, to_decimal, to_float, to_integer, to_timestamp, Message, Segment, SegmentId, Tz, Value,
};
use crate::json::field::Loc;
use crate::model::{FieldError, Rejection};

/// The variable naming the zone of HL7 times written without an offset.
pub const TIMEZONE_VARIABLE: &str = "HL7_TIMEZONE";

/// The zone of `HL7_TIMEZONE` (UTC when unset or invalid; [`check_timezone`] refuses an
/// invalid one at start-up).
pub fn timezone() -> Tz {
    static ZONE: LazyLock<Tz> = LazyLock::new(|| read_timezone().ok().flatten().unwrap_or(Tz::UTC));
    *ZONE
}

/// `HL7_TIMEZONE` read: `None` when unset, an error naming the variable when it is not an
/// IANA zone.
pub fn read_timezone() -> Result<Option<Tz>, String> {
    match std::env::var(TIMEZONE_VARIABLE) {
        Err(_) => Ok(None),
        Ok(text) if text.trim().is_empty() => Ok(None),
        Ok(text) => text.trim().parse::<Tz>().map(Some).map_err(|_| {
            format!("{TIMEZONE_VARIABLE}={text:?} is not an IANA time zone (such as UTC or Europe/Berlin)")
        }),
    }
}

/// Refuses an `HL7_TIMEZONE` that is not a zone; called when a service starts.
pub fn check_timezone() -> Result<(), String> {
    read_timezone().map(|_| ())
}

/// A converter of a value's text: appends its error and returns `None` when the text does not
/// fit.
pub trait Read<T>: FnOnce(&str, &Loc<'_>, &mut Vec<FieldError>) -> Option<T> {}
impl<T, F: FnOnce(&str, &Loc<'_>, &mut Vec<FieldError>) -> Option<T>> Read<T> for F {}

/// A required field: absent is `required`, `""` is `null`.
pub fn required<T>(
    value: Value<'_>,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
    read: impl Read<T>,
) -> Option<T> {
    match value {
        Value::Absent => {
            loc.fail(errors, "required", "is required".to_string());
            None
        }
        Value::Null => {
            loc.fail(errors, "null", "must not be null (\"\")".to_string());
            None
        }
        Value::Text(text) => read(&text, loc, errors),
    }
}

/// A nullable field: absent and `""` are `Some(None)`; `None` means it failed.
pub fn nullable<T>(
    value: Value<'_>,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
    read: impl Read<T>,
) -> Option<Option<T>> {
    match value {
        Value::Absent | Value::Null => Some(None),
        Value::Text(text) => read(&text, loc, errors).map(Some),
    }
}

/// `value`, or `default` (text, as a message would write it) when absent.
pub fn or_default<'a>(value: Value<'a>, default: &'static str) -> Value<'a> {
    match value {
        Value::Absent => Value::Text(default.into()),
        other => other,
    }
}

fn fail<T>(
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
    message: impl std::fmt::Display,
) -> Option<T> {
    loc.fail(errors, "format", message.to_string());
    None
}

/// Text, as it is (escape sequences decoded; U+0000, which PostgreSQL text cannot hold,
/// refused).
pub fn string(text: &str, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<String> {
    if text.contains('\0') {
        return fail(
            loc,
            errors,
            "must not contain U+0000 (PostgreSQL text cannot hold it)",
        );
    }
    Some(text.to_string())
}

/// An NM value as a 64-bit integer.
pub fn integer(text: &str, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<i64> {
    match to_integer(text) {
        Ok(value) => Some(value),
        Err(e) => fail(loc, errors, e),
    }
}

/// An NM value as a float.
pub fn float(text: &str, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<f64> {
    match to_float(text) {
        Ok(value) => Some(value),
        Err(e) => fail(loc, errors, e),
    }
}

/// An NM value as an exact decimal.
pub fn decimal(text: &str, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<Decimal> {
    match to_decimal(text) {
        Ok(value) => Some(value),
        Err(e) => fail(loc, errors, e),
    }
}

/// `Y` or `N` (HL7 table 0136).
pub fn boolean(text: &str, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<bool> {
    match text {
        "Y" => Some(true),
        "N" => Some(false),
        other => fail(
            loc,
            errors,
            format!("{other:?} is not Y or N (HL7 table 0136)"),
        ),
    }
}

/// A DT/DTM value as a date (a year or a month reads its first day).
pub fn date(text: &str, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    match to_date(text) {
        Ok(value) => Some(value),
        Err(e) => fail(loc, errors, e),
    }
}

/// A DTM/TS value as an instant, in `HL7_TIMEZONE` when it has no offset.
pub fn timestamp(text: &str, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    match to_timestamp(text, timezone()) {
        Ok(value) => Some(value),
        Err(e) => fail(loc, errors, e),
    }
}

/// The text of a UUID.
pub fn uuid(text: &str, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<Uuid> {
    match Uuid::try_parse(text) {
        Ok(u) => Some(u),
        Err(_) => fail(loc, errors, format!("{text:?} is not a UUID")),
    }
}

/// The rows of a child entity: the segments `member` of the message (`row` is `None`, a
/// root's list) or those after `row` up to a segment of a type in `ends` (the OBX after one
/// OBR up to the next OBR), each read by `read`. The errors of a row name its segment's
/// occurrence in the message (`OBX[3]-5`). `None` when a row failed.
pub fn list<'a, T>(
    message: &Message<'a>,
    row: Option<&Segment<'a>>,
    member: &str,
    ends: &[&str],
    errors: &mut Vec<FieldError>,
    mut read: impl FnMut(&Segment<'a>, &mut Vec<FieldError>) -> Option<T>,
) -> Option<Vec<T>> {
    let Some(member_id) = SegmentId::parse(member) else {
        return Some(Vec::new());
    };
    let ends: Vec<SegmentId> = ends.iter().filter_map(|e| SegmentId::parse(e)).collect();
    let segments: Vec<Segment<'a>> = match row {
        None => message.segments_of(member_id).collect(),
        Some(row) => message.segments_after(row, member_id, &ends).collect(),
    };
    let mut out = Vec::with_capacity(segments.len());
    let mut ok = true;
    for segment in &segments {
        let before = errors.len();
        match read(segment, errors) {
            Some(item) => out.push(item),
            None => ok = false,
        }
        if errors.len() > before {
            let occurrence = message
                .segments_of(member_id)
                .position(|s| s.index() == segment.index())
                .map_or(1, |p| p + 1);
            let own = format!("{member}-");
            for e in &mut errors[before..] {
                if let Some(rest) = e.path.strip_prefix(&own) {
                    e.path = format!("{member}[{occurrence}]-{rest}");
                }
            }
        }
    }
    ok.then_some(out)
}

/// A root entity's message: the body parsed as HL7 v2 and read by `read`; a body that is not
/// an HL7 message is [`Rejection::NotHl7`].
pub fn read_root<T>(
    body: &[u8],
    read: impl FnOnce(&Message<'_>, &mut Vec<FieldError>) -> Option<T>,
) -> Result<T, Rejection> {
    let message = Message::parse_bytes(body).map_err(|e| Rejection::NotHl7(e.to_string()))?;
    let mut errors = Vec::new();
    match read(&message, &mut errors) {
        Some(record) if errors.is_empty() => Ok(record),
        _ => Err(Rejection::Invalid(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hl7::Path;

    const BODY: &str = "MSH|^~\\&|LAB|CITY|EHR|CITY|20240501143000+0200||ORU^R01|MSG1|P|2.5.1\r\
        PID|1||123^^^CITY^MR||Doe^Jane||19800212|F\r\
        OBR|1|||GLU\r\
        OBX|1|NM|a||5.4\r\
        OBX|2|NM|b||x\r\
        OBR|2|||K\r\
        OBX|1|NM|c||\"\"\r";

    fn at(message: &Message<'_>, row: Option<&Segment<'_>>, path: &str) -> String {
        let p = Path::parse(path).unwrap();
        message.get_in(row, &p).text().unwrap_or("").to_string()
    }

    #[test]
    fn fields_are_read_converted_and_located_by_their_path() {
        let message = Message::parse(BODY).unwrap();
        let mut errors = Vec::new();
        let p = Path::parse("PID-7").unwrap();
        let day = required(message.get(&p), &Loc::hl7("PID-7"), &mut errors, date);
        assert_eq!(day, NaiveDate::from_ymd_opt(1980, 2, 12));
        let p = Path::parse("MSH-7").unwrap();
        let at_time =
            required(message.get(&p), &Loc::hl7("MSH-7"), &mut errors, timestamp).unwrap();
        assert_eq!(at_time.to_rfc3339(), "2024-05-01T12:30:00+00:00");
        let p = Path::parse("PID-6").unwrap();
        assert_eq!(
            nullable(message.get(&p), &Loc::hl7("PID-6"), &mut errors, string),
            Some(None)
        );
        assert_eq!(
            required(message.get(&p), &Loc::hl7("PID-6"), &mut errors, string),
            None
        );
        let p = Path::parse("PID-8").unwrap();
        assert_eq!(
            required(message.get(&p), &Loc::hl7("PID-8"), &mut errors, integer),
            None
        );
        let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.path.as_str(), e.rule)).collect();
        assert_eq!(found, [("PID-6", "required"), ("PID-8", "format")]);
        assert_eq!(or_default(Value::Absent, "MR").text(), Some("MR"));
    }

    #[test]
    fn groups_become_rows_and_their_errors_name_the_segment_s_occurrence() {
        let message = Message::parse(BODY).unwrap();
        let mut errors = Vec::new();
        let orders = list(&message, None, "OBR", &[], &mut errors, |obr, errors| {
            let results = list(
                &message,
                Some(obr),
                "OBX",
                &["OBR"],
                errors,
                |obx, errors| {
                    let p = Path::parse("OBX-5").unwrap();
                    required(
                        message.get_in(Some(obx), &p),
                        &Loc::hl7("OBX-5"),
                        errors,
                        decimal,
                    )
                },
            );
            Some((at(&message, Some(obr), "OBR-4"), results))
        })
        .unwrap();
        assert_eq!(orders.len(), 2);
        assert_eq!(orders[0].0, "GLU");
        assert_eq!(
            orders[0].1, None,
            "the second OBX of the first OBR is not a number"
        );
        assert_eq!(orders[1].1, None, "the explicit null of a required value");
        let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.path.as_str(), e.rule)).collect();
        assert_eq!(found, [("OBX[2]-5", "format"), ("OBX[3]-5", "null")]);
    }

    #[test]
    fn a_body_that_is_not_hl7_is_refused_as_such() {
        let refused = read_root(b"{\"json\": true}", |_, _| Some(())).unwrap_err();
        assert!(matches!(refused, Rejection::NotHl7(_)), "{refused:?}");
        let read = read_root(BODY.as_bytes(), |m, _| Some(at(m, None, "MSH-10"))).unwrap();
        assert_eq!(read, "MSG1");
    }
}
