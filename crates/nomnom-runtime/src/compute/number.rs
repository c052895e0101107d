//! `to_integer(s)`, `to_decimal(s)`, `to_float(s)`: text read by PostgreSQL 15's input rules
//! for `bigint`, `numeric` and `double precision`. Spaces (and tabs, newlines, carriage
//! returns, vertical tabs, form feeds) may surround the number; anything else is an error.
//!
//! - `to_integer`: an optional sign and decimal digits, within 64 bits (`0x10` and `1_000`,
//!   which PostgreSQL 16 also reads, are errors, as in PostgreSQL 15).
//! - `to_decimal`: an optional sign, digits with at most one point (`5.`, `.5`), an optional
//!   exponent (`1.5e-3`); the scale is PostgreSQL's (`1.50e1` is `15.0`). `NaN` and the
//!   infinities, which `numeric` holds, are errors: a decimal is finite. So is a value a
//!   decimal cannot hold exactly (more than 28 places, or beyond 96 bits): never rounded.
//! - `to_float`: the syntax of C's `strtod` as PostgreSQL uses it, `Infinity`, `inf`, `NaN`
//!   (any case, with a sign), `nan(…)`; a value beyond the float range, or one that rounds
//!   to zero, is an error. Hexadecimal floats (`0x1p3`), which glibc's `strtod` reads, are
//!   an error.

use rust_decimal::Decimal;

use super::error::{quoted, ComputeError};
use super::to_text::IntoText;

/// `to_integer(s)`: the 64-bit integer `s` writes.
pub fn to_integer<'a>(s: impl IntoText<'a>) -> Result<Option<i64>, ComputeError> {
    const NAME: &str = "to_integer";
    let Some(s) = s.into_text() else {
        return Ok(None);
    };
    let text = trim_spaces(&s);
    let (negative, digits) = sign(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ComputeError::new(
            NAME,
            format!("{} is not an integer", quoted(&s)),
        ));
    }
    // Accumulated as a negative number, which reaches i64::MIN.
    let value = digits.bytes().try_fold(0i64, |acc, b| {
        acc.checked_mul(10)?.checked_sub(i64::from(b - b'0'))
    });
    match value.and_then(|v| if negative { Some(v) } else { v.checked_neg() }) {
        Some(v) => Ok(Some(v)),
        None => Err(ComputeError::new(
            NAME,
            format!("{} is out of range for a 64-bit integer", quoted(&s)),
        )),
    }
}

/// `to_decimal(s)`: the decimal `s` writes, with PostgreSQL's scale.
pub fn to_decimal<'a>(s: impl IntoText<'a>) -> Result<Option<Decimal>, ComputeError> {
    const NAME: &str = "to_decimal";
    let Some(s) = s.into_text() else {
        return Ok(None);
    };
    let text = trim_spaces(&s);
    // `numeric` reads `NaN` (without a sign), `inf` and `infinity` (with or without).
    let unsigned = sign(text).1;
    let is = |word: &str| unsigned.eq_ignore_ascii_case(word);
    if is("inf") || is("infinity") || text.eq_ignore_ascii_case("nan") {
        return Err(ComputeError::new(
            NAME,
            format!("{} is not a finite number", quoted(&s)),
        ));
    }
    let Some(number) = Number::read(text) else {
        return Err(ComputeError::new(
            NAME,
            format!("{} is not a number", quoted(&s)),
        ));
    };
    number.to_decimal().map(Some).ok_or_else(|| {
        ComputeError::new(
            NAME,
            format!(
                "{} does not fit a decimal (at most 28 significant digits and 28 places)",
                quoted(&s)
            ),
        )
    })
}

/// `to_float(s)`: the 64-bit float `s` writes (rounded to the nearest).
pub fn to_float<'a>(s: impl IntoText<'a>) -> Result<Option<f64>, ComputeError> {
    const NAME: &str = "to_float";
    let Some(s) = s.into_text() else {
        return Ok(None);
    };
    let text = trim_spaces(&s);
    let (negative, unsigned) = sign(text);
    if let Some(value) = special(unsigned) {
        return Ok(Some(if negative { -value } else { value }));
    }
    // Rust reads the syntax `Number` checks exactly as strtod does, correctly rounded.
    let (Some(number), Ok(value)) = (Number::read(text), text.parse::<f64>()) else {
        return Err(ComputeError::new(
            NAME,
            format!("{} is not a number", quoted(&s)),
        ));
    };
    if value.is_infinite() || (value == 0.0 && !number.digits.is_empty()) {
        return Err(ComputeError::new(
            NAME,
            format!("{} is out of range for a float", quoted(&s)),
        ));
    }
    Ok(Some(value))
}

/// The value of `Infinity`, `inf` and `NaN` in any case, and of `nan(…)`, `None` for other
/// text (the sign already read).
fn special(unsigned: &str) -> Option<f64> {
    if !unsigned.starts_with(['i', 'I', 'n', 'N']) {
        return None;
    }
    let is = |word: &str| unsigned.eq_ignore_ascii_case(word);
    if is("inf") || is("infinity") {
        return Some(f64::INFINITY);
    }
    let nan_payload = unsigned
        .get(..4)
        .filter(|head| head.eq_ignore_ascii_case("nan("))
        .and_then(|_| unsigned[4..].strip_suffix(')'))
        .is_some_and(|chars| {
            chars
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    (is("nan") || nan_payload).then_some(f64::NAN)
}

/// `text` without the spaces C's `isspace` sees around it.
fn trim_spaces(text: &str) -> &str {
    text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0B}' | '\u{0C}'))
}

/// The sign of `text` and the rest.
fn sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// A number in decimal notation: `[sign] digits [. digits] [e [sign] digits]`, at least one
/// digit before the exponent.
struct Number<'t> {
    negative: bool,
    /// The digits without leading zeros (`""` for zero).
    digits: &'t str,
    /// Digits after the point, from the mantissa, minus the exponent: `numeric`'s scale when
    /// not negative.
    scale: i64,
}

impl<'t> Number<'t> {
    fn read(text: &'t str) -> Option<Number<'t>> {
        let (negative, unsigned) = sign(text);
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
            None => (unsigned, None),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
            return None;
        }
        let exponent: i64 = match exponent {
            None => 0,
            Some(e) => {
                let (negative, digits) = sign(e);
                if digits.is_empty() || !all_digits(digits) {
                    return None;
                }
                // Saturated: any exponent this large puts the value out of every range.
                let magnitude = digits
                    .parse::<i64>()
                    .unwrap_or(i64::MAX / 4)
                    .min(i64::MAX / 4);
                if negative {
                    -magnitude
                } else {
                    magnitude
                }
            }
        };
        let digits = mantissa.trim_start_matches(['0', '.']);
        Some(Number {
            negative,
            digits: if digits.bytes().any(|b| b != b'0' && b != b'.') {
                digits
            } else {
                ""
            },
            scale: frac.len() as i64 - exponent,
        })
    }

    /// The value as a decimal with `numeric`'s scale, `None` when it does not fit.
    fn to_decimal(&self) -> Option<Decimal> {
        let mut coefficient: i128 = 0;
        for b in self.digits.bytes().filter(u8::is_ascii_digit) {
            coefficient = coefficient
                .checked_mul(10)?
                .checked_add(i128::from(b - b'0'))?;
        }
        let mut scale = self.scale;
        if scale < 0 {
            if coefficient != 0 {
                coefficient =
                    coefficient.checked_mul(10i128.checked_pow(u32::try_from(-scale).ok()?)?)?;
            }
            scale = 0;
        }
        if self.negative {
            coefficient = -coefficient;
        }
        Decimal::try_from_i128_with_scale(coefficient, u32::try_from(scale).ok()?).ok()
    }
}

#[cfg(test)]
#[path = "number_tests.rs"]
mod tests;
