//! What the generated validation calls: read a field's slot (absent, `null`, or a value),
//! convert the value to its Rust type, check the model's constraints, and record every
//! failure as a [`FieldError`] with the JSON pointer of the offending value.
//!
//! Every function appends to `errors` instead of stopping, so one pass over a body reports
//! every failing field.

use std::fmt::Display;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::exact::Json;
use super::value::{Object, Value};
use crate::db::limits;
use crate::model::{FieldError, Rejection};

/// Where a value sits: the pointer of its enclosing object (`""` for the body, `/items/0`)
/// and its already-escaped relative pointer there (`price`, `customer/id`). The full path
/// is only built when an error is recorded.
#[derive(Debug, Clone, Copy)]
pub struct Loc<'a> {
    base: &'a str,
    rel: &'a str,
}

impl<'a> Loc<'a> {
    /// A location `rel` inside the object at `base`.
    pub const fn new(base: &'a str, rel: &'a str) -> Self {
        Loc { base, rel }
    }

    /// The JSON pointer (`/items/0/price`).
    pub fn path(&self) -> String {
        format!("{}/{}", self.base, self.rel)
    }

    /// Records a broken `rule` here.
    pub fn fail(&self, errors: &mut Vec<FieldError>, rule: &'static str, message: String) {
        errors.push(FieldError {
            path: self.path(),
            rule,
            message,
        });
    }
}

/// A value converter: appends its error and returns `None` when the value does not fit.
pub trait Read<T>: FnOnce(&Value<'_>, &Loc<'_>, &mut Vec<FieldError>) -> Option<T> {}
impl<T, F: FnOnce(&Value<'_>, &Loc<'_>, &mut Vec<FieldError>) -> Option<T>> Read<T> for F {}

/// A required, non-nullable field: absent is `required`, `null` is `null`.
pub fn required<T>(
    slot: Option<&Value<'_>>,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
    read: impl Read<T>,
) -> Option<T> {
    match slot {
        None => {
            loc.fail(errors, "required", "is required".to_string());
            None
        }
        Some(Value::Null) => {
            loc.fail(errors, "null", "must not be null".to_string());
            None
        }
        Some(value) => read(value, loc, errors),
    }
}

/// A nullable field: absent and `null` are both `Some(None)`; `None` means it failed.
pub fn nullable<T>(
    slot: Option<&Value<'_>>,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
    read: impl Read<T>,
) -> Option<Option<T>> {
    match slot {
        None | Some(Value::Null) => Some(None),
        Some(value) => read(value, loc, errors).map(Some),
    }
}

/// A `list<Entity>` field: every element must be an object and is read by `read_item` with
/// its own pointer (`/line_items/3`). A nullable list that is absent or `null` is empty.
/// Returns `None` when anything failed (the errors are recorded).
pub fn list<T>(
    slot: Option<&Value<'_>>,
    loc: &Loc<'_>,
    nullable: bool,
    errors: &mut Vec<FieldError>,
    mut read_item: impl FnMut(&Object<'_>, &str, &mut Vec<FieldError>) -> Option<T>,
) -> Option<Vec<T>> {
    let items = match slot {
        None | Some(Value::Null) if nullable => return Some(Vec::new()),
        None => {
            loc.fail(errors, "required", "is required".to_string());
            return None;
        }
        Some(Value::Null) => {
            loc.fail(errors, "null", "must not be null".to_string());
            return None;
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            loc.fail(
                errors,
                "type",
                format!("expected an array, found {}", other.kind()),
            );
            return None;
        }
    };
    // One buffer for every element's pointer: `<list>/0`, `<list>/1`, …
    let mut item_path = loc.path();
    let base_len = item_path.len();
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        item_path.truncate(base_len);
        item_path.push('/');
        item_path.push_str(itoa_usize(i).as_str());
        match item {
            Value::Object(obj) => match read_item(obj, &item_path, errors) {
                Some(v) => out.push(v),
                None => ok = false,
            },
            other => {
                ok = false;
                errors.push(FieldError {
                    path: item_path.clone(),
                    rule: "type",
                    message: format!("expected an object, found {}", other.kind()),
                });
            }
        }
    }
    ok.then_some(out)
}

/// The decimal digits of `n`, without allocating.
fn itoa_usize(mut n: usize) -> Digits {
    let mut digits = Digits {
        bytes: [0; 20],
        start: 20,
    };
    loop {
        digits.start -= 1;
        digits.bytes[digits.start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return digits;
        }
    }
}

/// Up to 20 decimal digits (any `usize`), written right-aligned.
struct Digits {
    bytes: [u8; 20],
    start: usize,
}

impl Digits {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[self.start..]).unwrap_or("0")
    }
}

/// Parses `body` and reads it as a root record with `read`; the body must be a JSON object.
pub fn read_root<T>(
    body: &[u8],
    read: impl FnOnce(&Object<'_>, &mut Vec<FieldError>) -> Option<T>,
) -> Result<T, Rejection> {
    let value = super::parse(body).map_err(Rejection::Malformed)?;
    let Value::Object(obj) = value else {
        return Err(Rejection::Invalid(vec![FieldError {
            path: String::new(),
            rule: "type",
            message: format!("expected an object, found {}", value.kind()),
        }]));
    };
    let mut errors = Vec::new();
    match read(&obj, &mut errors) {
        Some(record) if errors.is_empty() => Ok(record),
        _ => Err(Rejection::Invalid(errors)),
    }
}

fn type_error<T>(
    expected: &str,
    value: &Value<'_>,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    loc.fail(
        errors,
        "type",
        format!("expected {expected}, found {}", value.kind()),
    );
    None
}

/// `string`: any JSON string PostgreSQL text can hold (not one with U+0000).
pub fn string(value: &Value<'_>, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<String> {
    match value {
        Value::String(s) if limits::text_fits(s) => Some(s.to_string()),
        Value::String(_) => {
            loc.fail(errors, "format", limits::NUL_MESSAGE.to_string());
            None
        }
        other => type_error("a string", other, loc, errors),
    }
}

/// `integer`: a JSON number without fraction or exponent that fits 64 bits.
pub fn integer(value: &Value<'_>, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<i64> {
    match value {
        Value::Number(text) if text.contains(['.', 'e', 'E']) => {
            loc.fail(
                errors,
                "type",
                "expected an integer, found a number with a fraction or exponent".to_string(),
            );
            None
        }
        Value::Number(text) => match text.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                loc.fail(
                    errors,
                    "type",
                    "integer out of the 64-bit range".to_string(),
                );
                None
            }
        },
        other => type_error("an integer", other, loc, errors),
    }
}

/// `float`: any JSON number that fits a finite 64-bit float.
pub fn float(value: &Value<'_>, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<f64> {
    match value {
        Value::Number(text) => match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                loc.fail(
                    errors,
                    "type",
                    "number out of the 64-bit float range".to_string(),
                );
                None
            }
        },
        other => type_error("a number", other, loc, errors),
    }
}

/// Parses a decimal from its exact text (plain or scientific notation), never via a float and
/// never rounded: a value that does not fit rust_decimal (a 96-bit coefficient, so 28
/// significant digits always fit, and at most 28 digits after the point) is `None`.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    match text.split_once(['e', 'E']) {
        None => Decimal::from_str_exact(text).ok(),
        // `Decimal::from_scientific` rounds digits beyond 28 places; writing the value out in
        // plain notation first lets `from_str_exact` refuse it instead.
        Some((mantissa, exponent)) => {
            Decimal::from_str_exact(&plain_notation(mantissa, exponent.parse().ok()?)?).ok()
        }
    }
}

/// `mantissa × 10^exponent` written without an exponent (`1.5`, `3` → `1500`), keeping every
/// digit; `None` when the mantissa is not digits with at most one point, or when the value
/// is certain not to fit a decimal (more than 29 integer digits or 28 decimal places).
fn plain_notation(mantissa: &str, exponent: i64) -> Option<String> {
    let (sign, unsigned) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    // The digits, with the point after `point` of them (negative: zeros before them).
    let digits = format!("{int}{frac}");
    let leading_zeros = digits.len() - digits.trim_start_matches('0').len();
    let digits = &digits[leading_zeros..];
    if digits.is_empty() {
        return Some("0".to_string());
    }
    let point = (int.len() as i64)
        .checked_add(exponent)?
        .checked_sub(leading_zeros as i64)?;
    if !(-28..=29).contains(&point) {
        return None;
    }
    let len = digits.len() as i64;
    Some(if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
    } else if point >= len {
        format!("{sign}{digits}{}", "0".repeat((point - len) as usize))
    } else {
        let (whole, part) = digits.split_at(point as usize);
        format!("{sign}{whole}.{part}")
    })
}

/// `decimal`: a JSON number, or a string holding one, converted from its exact text.
pub fn decimal(value: &Value<'_>, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<Decimal> {
    let text = match value {
        Value::Number(text) => text,
        Value::String(text) => text,
        other => {
            return type_error(
                "a decimal number (or a string holding one)",
                other,
                loc,
                errors,
            )
        }
    };
    match parse_decimal(text) {
        Some(d) => Some(d),
        None => {
            loc.fail(
                errors,
                "format",
                "expected a decimal number with at most 28 significant digits".to_string(),
            );
            None
        }
    }
}

/// `boolean`.
pub fn boolean(value: &Value<'_>, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        other => type_error("a boolean", other, loc, errors),
    }
}

/// `date`: a string `YYYY-MM-DD`, within PostgreSQL's `date` range.
pub fn date(value: &Value<'_>, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    match value {
        Value::String(s) => match crate::time_text::parse_date(s) {
            Some(d) if limits::date_fits(d) => Some(d),
            Some(_) => {
                loc.fail(errors, "format", limits::DATE_RANGE_MESSAGE.to_string());
                None
            }
            None => {
                loc.fail(
                    errors,
                    "format",
                    "expected a date as YYYY-MM-DD".to_string(),
                );
                None
            }
        },
        other => type_error("a date string", other, loc, errors),
    }
}

/// `timestamp`: an RFC 3339 string with an offset, stored in UTC, within PostgreSQL's
/// `timestamptz` range.
pub fn timestamp(
    value: &Value<'_>,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    match value {
        Value::String(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) if limits::timestamp_fits(&t.to_utc()) => Some(t.to_utc()),
            Ok(_) => {
                loc.fail(
                    errors,
                    "format",
                    limits::TIMESTAMP_RANGE_MESSAGE.to_string(),
                );
                None
            }
            Err(_) => {
                loc.fail(
                    errors,
                    "format",
                    "expected an RFC 3339 timestamp with an offset".to_string(),
                );
                None
            }
        },
        other => type_error("a timestamp string", other, loc, errors),
    }
}

/// `uuid`: a string in the hyphenated form.
pub fn uuid(value: &Value<'_>, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<Uuid> {
    match value {
        Value::String(s) if s.len() == 36 => match Uuid::parse_str(s) {
            Ok(u) => Some(u),
            Err(_) => {
                loc.fail(
                    errors,
                    "format",
                    "expected a UUID (8-4-4-4-12 hex digits)".to_string(),
                );
                None
            }
        },
        Value::String(_) => {
            loc.fail(
                errors,
                "format",
                "expected a UUID (8-4-4-4-12 hex digits)".to_string(),
            );
            None
        }
        other => type_error("a UUID string", other, loc, errors),
    }
}

/// `json`: any value `jsonb` can hold, kept exactly as sent (every digit of every number).
/// A number beyond `numeric`'s range, or a string or key with U+0000, is a `format` error at
/// the offending value's pointer inside the field (`/attributes/tags/2`).
pub fn json(value: &Value<'_>, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> Option<Json> {
    match Json::from_value(value) {
        Ok(json) => Some(json),
        Err(unstorable) => {
            let mut path = loc.path();
            path.push_str(&unstorable.pointer);
            errors.push(FieldError {
                path,
                rule: "format",
                message: unstorable.reason,
            });
            None
        }
    }
}

/// `max_length`: at most `max` characters (Unicode scalar values).
pub fn max_length(value: &str, max: usize, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> bool {
    let ok = value.len() <= max || value.chars().count() <= max;
    if !ok {
        loc.fail(
            errors,
            "max_length",
            format!("must be at most {max} characters long"),
        );
    }
    ok
}

/// `pattern`: `regex` is the model's pattern anchored to match the whole value; `source` is
/// the pattern as written, for the message.
pub fn pattern(
    value: &str,
    regex: &regex::Regex,
    source: &str,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
) -> bool {
    let ok = regex.is_match(value);
    if !ok {
        loc.fail(
            errors,
            "pattern",
            format!("must match the pattern {source}"),
        );
    }
    ok
}

/// `min`: at least `bound` (inclusive).
pub fn min<T: PartialOrd + Display>(
    value: &T,
    bound: &T,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
) -> bool {
    let ok = value >= bound;
    if !ok {
        loc.fail(errors, "min", format!("must be at least {bound}"));
    }
    ok
}

/// `max`: at most `bound` (inclusive).
pub fn max<T: PartialOrd + Display>(
    value: &T,
    bound: &T,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
) -> bool {
    let ok = value <= bound;
    if !ok {
        loc.fail(errors, "max", format!("must be at most {bound}"));
    }
    ok
}

/// `enum`: one of `allowed`.
pub fn one_of<T: PartialEq + Display + ?Sized, A: std::borrow::Borrow<T> + Display>(
    value: &T,
    allowed: &[A],
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
) -> bool {
    let ok = allowed.iter().any(|a| a.borrow() == value);
    if !ok {
        let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        loc.fail(
            errors,
            "enum",
            format!("must be one of {}", list.join(", ")),
        );
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn run<T>(body: &str, read: impl Read<T>) -> (Option<T>, Vec<FieldError>) {
        let value = parse(body.as_bytes()).expect("valid JSON");
        let mut errors = Vec::new();
        let out = read(&value, &Loc::new("/a", "b"), &mut errors);
        (out, errors)
    }

    fn rules(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors.iter().map(|e| (e.path.as_str(), e.rule)).collect()
    }

    #[test]
    fn converters_accept_their_type() {
        assert_eq!(run("\"x\"", string).0.as_deref(), Some("x"));
        assert_eq!(run("-42", integer).0, Some(-42));
        assert_eq!(run("2.5", float).0, Some(2.5));
        assert_eq!(run("true", boolean).0, Some(true));
        assert_eq!(
            run("\"2024-02-29\"", date).0,
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        let t = run("\"2024-01-01T10:00:00+02:00\"", timestamp)
            .0
            .expect("timestamp");
        assert_eq!(t.to_rfc3339(), "2024-01-01T08:00:00+00:00");
        let u = run("\"67e55044-10b1-426f-9247-bb680e5fe0c8\"", uuid)
            .0
            .expect("uuid");
        assert_eq!(u.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
        assert_eq!(
            run("{\"k\": [1, 1e400]}", json)
                .0
                .as_ref()
                .map(Json::as_str),
            Some("{\"k\":[1,1e400]}")
        );
    }

    #[test]
    fn decimals_keep_every_digit() {
        let d = run("0.1000000000000000000000000001", decimal)
            .0
            .expect("decimal");
        assert_eq!(d.to_string(), "0.1000000000000000000000000001");
        assert_eq!(
            run("\"12.50\"", decimal)
                .0
                .map(|d| d.to_string())
                .as_deref(),
            Some("12.50")
        );
        assert_eq!(
            run("1.5e2", decimal)
                .0
                .map(|d| d.normalize().to_string())
                .as_deref(),
            Some("150")
        );
        let (out, errors) = run("\"abc\"", decimal);
        assert!(out.is_none());
        assert_eq!(rules(&errors), [("/a/b", "format")]);
        let (_, errors) = run("true", decimal);
        assert_eq!(rules(&errors), [("/a/b", "type")]);
    }

    #[test]
    fn decimals_that_do_not_fit_are_refused_never_rounded() {
        let text = |body: &str| run(body, decimal).0.map(|d| d.to_string());
        // 28 significant digits always fit; 29 while under 2^96; 28 places at most.
        assert_eq!(
            text("1234567890.123456789012345678").as_deref(),
            Some("1234567890.123456789012345678")
        );
        assert_eq!(
            text("79228162514264337593543950335").as_deref(),
            Some("79228162514264337593543950335")
        );
        assert_eq!(text("79228162514264337593543950336"), None);
        assert_eq!(text("0.12345678901234567890123456789"), None);
        // The same in exponent notation: exact when it fits, refused when not.
        assert_eq!(text("1.5e2").as_deref(), Some("150"));
        assert_eq!(text("-25e-3").as_deref(), Some("-0.025"));
        assert_eq!(text("0.00012E4").as_deref(), Some("1.2"));
        assert_eq!(
            text("\"1e28\"").as_deref(),
            Some("10000000000000000000000000000")
        );
        assert_eq!(
            text("1e-28").as_deref(),
            Some("0.0000000000000000000000000001")
        );
        assert_eq!(text("0e999999").as_deref(), Some("0"));
        assert_eq!(text("1.99999999999999999999999999999999e0"), None);
        assert_eq!(text("0.12345678901234567890123456789e0"), None);
        assert_eq!(text("1e29"), None);
        assert_eq!(text("1e-29"), None);
        assert_eq!(text("1e400"), None);
        assert_eq!(text("1e-9223372036854775808"), None);
        assert_eq!(text("\"1.2.3e4\""), None);
        let (_, errors) = run("1.99999999999999999999999999999999e0", decimal);
        assert_eq!(rules(&errors), [("/a/b", "format")]);
    }

    #[test]
    fn converters_reject_other_types_with_a_reason() {
        let (_, e) = run("1", string);
        assert_eq!(e[0].message, "expected a string, found a number");
        let (_, e) = run("1.5", integer);
        assert_eq!(e[0].rule, "type");
        let (_, e) = run("99999999999999999999", integer);
        assert_eq!(e[0].message, "integer out of the 64-bit range");
        let (_, e) = run("1e400", float);
        assert_eq!(e[0].rule, "type");
        let (_, e) = run("\"2024-02-30\"", date);
        assert_eq!(e[0].rule, "format");
        let (_, e) = run("\"2024-1-1\"", date);
        assert_eq!(e[0].rule, "format");
        let (_, e) = run("\"2024-01-01T10:00:00\"", timestamp);
        assert_eq!(e[0].rule, "format");
        let (_, e) = run("\"67e5504410b1426f9247bb680e5fe0c8\"", uuid);
        assert_eq!(e[0].rule, "format");
        let (_, e) = run("\"yes\"", boolean);
        assert_eq!(e[0].message, "expected a boolean, found a string");
    }

    #[test]
    fn what_postgresql_refuses_is_a_format_error_naming_the_field() {
        let (out, e) = run(r#""a\u0000b""#, string);
        assert!(out.is_none());
        assert_eq!(rules(&e), [("/a/b", "format")]);
        assert_eq!(
            e[0].message,
            "must not contain the character U+0000 (\\u0000): PostgreSQL text cannot hold it"
        );
        // Other escapes and control characters are text like any other.
        assert_eq!(run(r#""a\u0001\n""#, string).0.as_deref(), Some("a\u{1}\n"));

        let (out, e) = run(r#"{"tags": ["x", "\u0000"]}"#, json);
        assert!(out.is_none());
        assert_eq!(rules(&e), [("/a/b/tags/1", "format")]);
        let (_, e) = run(r#"{"n": {"deep": 1e999999}}"#, json);
        assert_eq!(rules(&e), [("/a/b/n/deep", "format")]);
        assert!(e[0]
            .message
            .starts_with("the number 1e999999 has more than 131072 digits"));
        let (_, e) = run("1e-20000", json);
        assert_eq!(rules(&e), [("/a/b", "format")]);
        assert!(e[0]
            .message
            .contains("16383 digits after the decimal point"));
    }

    #[test]
    fn slots_distinguish_absent_null_and_present() {
        let mut errors = Vec::new();
        let loc = Loc::new("", "x");
        assert_eq!(required(None, &loc, &mut errors, integer), None);
        assert_eq!(
            required(Some(&Value::Null), &loc, &mut errors, integer),
            None
        );
        assert_eq!(nullable(None, &loc, &mut errors, integer), Some(None));
        assert_eq!(
            nullable(Some(&Value::Null), &loc, &mut errors, integer),
            Some(None)
        );
        assert_eq!(
            nullable(Some(&Value::Number("3".into())), &loc, &mut errors, integer),
            Some(Some(3))
        );
        assert_eq!(rules(&errors), [("/x", "required"), ("/x", "null")]);
    }

    #[test]
    fn constraints_report_their_rule() {
        let mut errors = Vec::new();
        let loc = Loc::new("", "s");
        assert!(max_length("ééé", 3, &loc, &mut errors));
        assert!(!max_length("éééé", 3, &loc, &mut errors));
        let re = regex::Regex::new("^(?:[A-Z]+)$").expect("regex");
        assert!(pattern("ABC", &re, "[A-Z]+", &loc, &mut errors));
        assert!(!pattern("ABc", &re, "[A-Z]+", &loc, &mut errors));
        assert!(min(&1i64, &1, &loc, &mut errors));
        assert!(!min(&0i64, &1, &loc, &mut errors));
        assert!(!max(&1.5f64, &1.0, &loc, &mut errors));
        assert!(one_of("O", &["O", "F"], &loc, &mut errors));
        assert!(!one_of("X", &["O", "F"], &loc, &mut errors));
        assert!(!one_of(&3i64, &[1i64, 2], &loc, &mut errors));
        let got: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.rule, e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("max_length", "must be at most 3 characters long"),
                ("pattern", "must match the pattern [A-Z]+"),
                ("min", "must be at least 1"),
                ("max", "must be at most 1"),
                ("enum", "must be one of O, F"),
                ("enum", "must be one of 1, 2"),
            ]
        );
    }

    #[test]
    fn lists_read_every_item_and_report_bad_ones() {
        let value = parse(br#"[{"n": 1}, 5, {"n": "x"}, {"n": 2}]"#).expect("valid");
        let mut errors = Vec::new();
        let loc = Loc::new("/order", "items");
        let out = list(
            Some(&value),
            &loc,
            false,
            &mut errors,
            |obj, path, errors| required(obj.get("n"), &Loc::new(path, "n"), errors, integer),
        );
        assert!(out.is_none());
        assert_eq!(
            rules(&errors),
            [("/order/items/1", "type"), ("/order/items/2/n", "type")]
        );

        let mut errors = Vec::new();
        let ok = list(
            Some(&parse(b"[{\"n\":1},{\"n\":2}]").expect("valid")),
            &loc,
            false,
            &mut errors,
            |obj, path, errors| required(obj.get("n"), &Loc::new(path, "n"), errors, integer),
        );
        assert_eq!(ok, Some(vec![1, 2]));
        let none: Option<Vec<i64>> = list(None, &loc, true, &mut errors, |_, _, _| None);
        assert_eq!(none, Some(vec![]));
        let none: Option<Vec<i64>> = list(None, &loc, false, &mut errors, |_, _, _| None);
        assert_eq!(none, None);
        assert_eq!(rules(&errors), [("/order/items", "required")]);
    }

    #[test]
    fn roots_must_be_objects() {
        let read = |obj: &Object<'_>, errors: &mut Vec<FieldError>| {
            required(obj.get("n"), &Loc::new("", "n"), errors, integer)
        };
        assert_eq!(read_root(b"{\"n\": 3}", read), Ok(3));
        assert!(matches!(
            read_root(b"{\"n\": ", read),
            Err(Rejection::Malformed(_))
        ));
        let Err(Rejection::Invalid(errors)) = read_root(b"[1]", read) else {
            panic!("invalid")
        };
        assert_eq!(rules(&errors), [("", "type")]);
        let Err(Rejection::Invalid(errors)) = read_root(b"{}", read) else {
            panic!("invalid")
        };
        assert_eq!(rules(&errors), [("/n", "required")]);
    }
}
