//! The converters: a JSON value read as each model type, refused with a `type` or `format`
//! error when it does not fit (or when PostgreSQL would refuse it).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::Loc;
use crate::db::limits;
use crate::json::exact::Json;
use crate::json::value::Value;
use crate::model::FieldError;

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

#[cfg(test)]
mod tests {
    use super::super::test_support::{rules, run};
    use super::*;

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
}
