//! What PostgreSQL is sure to refuse, known before a message is accepted.
//!
//! The API answers 202 only for a message the worker can store: a value the database would
//! refuse must be a 422 at the door, not a dead letter later. The field converters in
//! [`crate::json::field`] ask here:
//!
//! - **text** (`string` columns, and strings and keys inside `json` values): PostgreSQL text
//!   cannot hold the character U+0000 ([`text_fits`]). Every other character of valid UTF-8
//!   is stored (the server encoding is UTF-8; the body is checked to be valid UTF-8).
//! - **numeric** (numbers inside `json` values, which JSONB keeps as `numeric`): at most
//!   131,072 digits before the decimal point and 16,383 after ([`numeric_fits`]).
//!   `decimal` fields need no check: `rust_decimal` holds at most 28 significant digits and
//!   28 places, well inside `numeric`.
//! - **date** and **timestamptz**: from 4714-11-24 BC (ISO year -4713), up to 5874897-12-31
//!   for a date and 294276-12-31 23:59:59.999999 UTC for a timestamp; chrono holds years
//!   -262143 to 262142, so only the lower bound can be crossed ([`date_fits`],
//!   [`timestamp_fits`]). The body's formats (`YYYY-MM-DD`, RFC 3339) only write years
//!   0000 to 9999, all inside; the check guards the converters should they ever read more.
//!
//! Not checked, and why:
//! - A B-tree index entry larger than about 2,700 bytes (a third of a page) is refused
//!   ("index row size exceeds btree maximum"). Whether a value reaches it depends on which
//!   columns the model indexes (keys, unique fields, parent references) and on how well
//!   PostgreSQL compresses the value inside the index, which the API cannot know; a model
//!   bounds such a field with `max_length` instead.
//! - Sizes PostgreSQL bounds far above the API's body limits (1 GB for a text or JSONB
//!   value, 2^28 members in a JSONB container) cannot be reached by an accepted body.
//! - Integers (`BIGINT`), floats (finite ones only are read), booleans and UUIDs: every
//!   value the converters produce is storable.

use chrono::{DateTime, NaiveDate, Utc};

/// Most digits `numeric` keeps before the decimal point (the largest weight is 131,071).
pub const NUMERIC_MAX_INTEGER_DIGITS: u64 = 131_072;
/// Most digits `numeric` keeps after the decimal point (its display scale).
pub const NUMERIC_MAX_SCALE: u64 = 16_383;
/// An exponent this large (in magnitude) is refused by `numeric`'s reader whatever the
/// digits (`INT_MAX / 2`, even for `0e1073741823`).
const NUMERIC_MAX_EXPONENT: u64 = 1_073_741_823;

/// `false` when PostgreSQL text cannot hold `text` (it contains U+0000).
#[inline]
pub fn text_fits(text: &str) -> bool {
    !text.as_bytes().contains(&0)
}

/// The message of a refused NUL character.
pub const NUL_MESSAGE: &str =
    "must not contain the character U+0000 (\\u0000): PostgreSQL text cannot hold it";

/// Why a JSON number does not fit `numeric`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericOverflow {
    /// More than [`NUMERIC_MAX_INTEGER_DIGITS`] digits before the decimal point.
    TooLarge,
    /// More than [`NUMERIC_MAX_SCALE`] digits after the decimal point.
    TooPrecise,
}

impl std::fmt::Display for NumericOverflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NumericOverflow::TooLarge => write!(
                f,
                "has more than {NUMERIC_MAX_INTEGER_DIGITS} digits before the decimal point, more than PostgreSQL's numeric holds"
            ),
            NumericOverflow::TooPrecise => write!(
                f,
                "has more than {NUMERIC_MAX_SCALE} digits after the decimal point, more than PostgreSQL's numeric holds"
            ),
        }
    }
}

/// Whether `numeric` can hold the JSON number `text` (RFC 8259 syntax, as the parser checked
/// it): its most significant non-zero digit at most 131,071 places left of the point, and its
/// scale (digits after the point once the exponent is applied, never below 0) at most
/// 16,383, as PostgreSQL's `numeric` reader computes them. No allocation; one pass.
pub fn numeric_fits(text: &str) -> Result<(), NumericOverflow> {
    let bytes = text.as_bytes();
    let digits_end = bytes
        .iter()
        .position(|b| matches!(b, b'e' | b'E'))
        .unwrap_or(bytes.len());
    let mantissa = &bytes[..digits_end];
    let mantissa = mantissa.strip_prefix(b"-").unwrap_or(mantissa);
    let (int_part, frac_part) = match mantissa.iter().position(|&b| b == b'.') {
        Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
        None => (mantissa, &mantissa[..0]),
    };
    // The exponent, saturated far beyond any limit (leading zeros allowed: `1e0001`).
    let (exponent_negative, exponent) = match bytes.get(digits_end + 1..) {
        None => (false, 0u64),
        Some(rest) => {
            let (negative, digits) = match rest.split_first() {
                Some((b'-', digits)) => (true, digits),
                Some((b'+', digits)) => (false, digits),
                _ => (false, rest),
            };
            let value = digits.iter().fold(0u64, |acc, &d| {
                acc.saturating_mul(10)
                    .saturating_add(u64::from(d.wrapping_sub(b'0')))
                    .min(u64::MAX / 100)
            });
            (negative, value)
        }
    };
    if exponent >= NUMERIC_MAX_EXPONENT {
        // Refused by the reader whatever the digits; also the scale or weight overflows for
        // any non-zero value this far out.
        return Err(if exponent_negative {
            NumericOverflow::TooPrecise
        } else {
            NumericOverflow::TooLarge
        });
    }
    // Every quantity below is at most the body's length plus ~1e9: no overflow in i64.
    let exponent = if exponent_negative {
        -(exponent as i64)
    } else {
        exponent as i64
    };
    let scale = frac_part.len() as i64 - exponent;
    if scale > NUMERIC_MAX_SCALE as i64 {
        return Err(NumericOverflow::TooPrecise);
    }
    // The place of the most significant non-zero digit (0 for units); zero has none.
    let first_non_zero = int_part.iter().chain(frac_part).position(|&d| d != b'0');
    if let Some(index) = first_non_zero {
        let place = int_part.len() as i64 - 1 - index as i64 + exponent;
        if place >= NUMERIC_MAX_INTEGER_DIGITS as i64 {
            return Err(NumericOverflow::TooLarge);
        }
    }
    Ok(())
}

/// The earliest day PostgreSQL's `date` and `timestamptz` hold: 4714-11-24 BC.
pub const EARLIEST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(-4713, 11, 24) {
    Some(day) => day,
    None => NaiveDate::MIN,
};

/// The message of a date PostgreSQL refuses.
pub const DATE_RANGE_MESSAGE: &str =
    "must be a date from 4714-11-24 BC to 5874897-12-31, the range PostgreSQL's date holds";

/// The message of a timestamp PostgreSQL refuses.
pub const TIMESTAMP_RANGE_MESSAGE: &str = "must be an instant from 4714-11-24 BC to 294276-12-31 23:59:59.999999 UTC, the range PostgreSQL's timestamptz holds";

/// Whether PostgreSQL's `date` holds `day` (its latest day, 5874897-12-31, is beyond any
/// `NaiveDate`).
#[inline]
pub fn date_fits(day: NaiveDate) -> bool {
    day >= EARLIEST_DAY
}

/// Whether PostgreSQL's `timestamptz` holds `time` (its latest instant, in 294276 AD, is
/// beyond any chrono `DateTime`, whose years end at 262142).
#[inline]
pub fn timestamp_fits(time: &DateTime<Utc>) -> bool {
    time.date_naive() >= EARLIEST_DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_within_numeric_fit() {
        for text in [
            "0",
            "-0",
            "12345678901234567890.123456789",
            "1e131071",
            "9.9e131071",
            "-9.999e131071",
            "1e-16383",
            "0e-16383",
            "0e999999",
            "0e1073741822",
            "0.5e-16382",
            "1e0000000000000000000000000000000000000001",
            "123.456E+2",
        ] {
            assert_eq!(numeric_fits(text), Ok(()), "{text}");
        }
        let digits = "9".repeat(131_072);
        assert_eq!(numeric_fits(&digits), Ok(()));
        let places = format!("0.{}", "1".repeat(16_383));
        assert_eq!(numeric_fits(&places), Ok(()));
    }

    #[test]
    fn numbers_beyond_numeric_are_refused_with_their_reason() {
        for (text, why) in [
            ("1e131072", NumericOverflow::TooLarge),
            ("1e999999", NumericOverflow::TooLarge),
            ("-1e999999", NumericOverflow::TooLarge),
            ("0e1073741823", NumericOverflow::TooLarge),
            ("1e99999999999999999999999999", NumericOverflow::TooLarge),
            ("1e-16384", NumericOverflow::TooPrecise),
            ("1.5e-16383", NumericOverflow::TooPrecise),
            ("0.0e-16383", NumericOverflow::TooPrecise),
            ("0e-100000", NumericOverflow::TooPrecise),
            ("1e-99999999999999999999", NumericOverflow::TooPrecise),
        ] {
            assert_eq!(numeric_fits(text), Err(why), "{text}");
        }
        let digits = format!("1{}", "0".repeat(131_072));
        assert_eq!(numeric_fits(&digits), Err(NumericOverflow::TooLarge));
        let places = format!("0.{}", "0".repeat(16_384));
        assert_eq!(numeric_fits(&places), Err(NumericOverflow::TooPrecise));
    }

    #[test]
    fn text_with_nul_does_not_fit() {
        assert!(text_fits("plain é 😀"));
        assert!(!text_fits("a\0b"));
    }

    #[test]
    fn dates_and_timestamps_within_postgresql() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("day");
        assert!(date_fits(day(-4713, 11, 24)));
        assert!(!date_fits(day(-4713, 11, 23)));
        assert!(date_fits(NaiveDate::MAX));
        assert!(date_fits(day(0, 1, 1)));
        let at = |y, m, d, h, mi, s, us| {
            day(y, m, d)
                .and_hms_micro_opt(h, mi, s, us)
                .expect("time")
                .and_utc()
        };
        assert!(timestamp_fits(&at(-4713, 11, 24, 0, 0, 0, 0)));
        assert!(!timestamp_fits(&at(-4713, 11, 23, 23, 59, 59, 999_999)));
        assert!(timestamp_fits(&DateTime::<Utc>::MAX_UTC));
        assert!(!timestamp_fits(&DateTime::<Utc>::MIN_UTC));
        assert!(timestamp_fits(&at(9999, 12, 31, 23, 59, 59, 0)));
    }
}
