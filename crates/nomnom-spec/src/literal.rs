//! Constants written in the model (`default`, `enum`, `min`, `max`) checked against a
//! field's type, and compared exactly (numbers never pass through a float).

use std::cmp::Ordering;

use crate::model::{Literal, ScalarType};
use crate::yaml::{Kind, Node};

/// Why a constant does not fit a type: a message and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    /// One line: what is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

fn misfit(message: impl Into<String>, help: impl Into<String>) -> Misfit {
    Misfit {
        message: message.into(),
        help: help.into(),
    }
}

/// `true` when `text` is a number in JSON's grammar (`-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`).
pub fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(c) if c.is_ascii_digit() => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start || i - start > 6 {
            return false;
        }
    }
    i == b.len()
}

/// A JSON-grammar number as sign, significant digits and the power of ten of the last digit.
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Decimal {
    fn parse(text: &str) -> Option<Decimal> {
        if !is_json_number(text) {
            return None;
        }
        let (negative, rest) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text),
        };
        let (mantissa, exp) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|c| c - b'0').collect();
        let mut exponent = exp - i64::try_from(frac.len()).ok()?;
        let lead = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..lead);
        while digits.last() == Some(&0) {
            digits.pop();
            exponent += 1;
        }
        let negative = negative && !digits.is_empty();
        Some(Decimal {
            negative,
            digits,
            exponent,
        })
    }

    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        match (self.digits.is_empty(), other.digits.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let order = |d: &Decimal| d.exponent + d.digits.len() as i64;
        order(self)
            .cmp(&order(other))
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

/// 2^96, the bound of a rust_decimal coefficient, as digits.
const DECIMAL_COEFFICIENT_BOUND: &str = "79228162514264337593543950336";

/// `true` when the JSON-grammar number `text` is exactly a rust_decimal (what a `decimal`
/// field holds at run time): a coefficient below 2^96 and at most 28 digits after the point,
/// trailing zeros included (`1.50` keeps its two places).
pub fn fits_decimal(text: &str) -> bool {
    let Some(value) = Decimal::parse(text) else {
        return false;
    };
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exp) = match unsigned.find(['e', 'E']) {
        Some(i) => (
            &unsigned[..i],
            unsigned[i + 1..].parse::<i64>().unwrap_or(0),
        ),
        None => (unsigned, 0),
    };
    let places = mantissa.split_once('.').map_or(0, |(_, f)| f.len() as i64);
    let scale = places.saturating_sub(exp).max(0);
    if scale > 28 {
        return false;
    }
    if value.digits.is_empty() {
        return true;
    }
    // The coefficient at that scale: the significant digits followed by this many zeros.
    let zeros = value.exponent.saturating_add(scale);
    let len = value.digits.len() as i64 + zeros;
    let bound = DECIMAL_COEFFICIENT_BOUND.len() as i64;
    if len != bound {
        return len < bound;
    }
    let digits = value
        .digits
        .iter()
        .map(|d| char::from(b'0' + d))
        .chain(std::iter::repeat_n('0', zeros as usize));
    digits.lt(DECIMAL_COEFFICIENT_BOUND.chars())
}

/// Compares two JSON-grammar numbers exactly; `None` when either is not one.
pub fn compare_numbers(a: &str, b: &str) -> Option<Ordering> {
    let (x, y) = (Decimal::parse(a)?, Decimal::parse(b)?);
    Some(match (x.negative, y.negative) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, false) => x.cmp_magnitude(&y),
        (true, true) => y.cmp_magnitude(&x),
    })
}

/// `true` for a valid `YYYY-MM-DD` calendar date.
pub fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// `true` for an RFC 3339 timestamp with an offset (`2024-05-01T12:00:00Z`,
/// `2024-05-01T12:00:00.5+02:00`).
pub fn is_timestamp(text: &str) -> bool {
    let Some(date) = text.get(..10) else {
        return false;
    };
    if !is_date(date) || !matches!(text.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
        return false;
    }
    let rest = &text[11..];
    let two = |s: &str, max: u32| -> bool {
        s.len() == 2
            && s.bytes().all(|c| c.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|v| v <= max)
    };
    let (Some(h), Some(mi), Some(se)) = (rest.get(0..2), rest.get(3..5), rest.get(6..8)) else {
        return false;
    };
    if !two(h, 23) || !two(mi, 59) || !two(se, 60) || &rest[2..3] != ":" || &rest[5..6] != ":" {
        return false;
    }
    let mut tail = &rest[8..];
    if let Some(frac) = tail.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        tail = &frac[n..];
    }
    if tail == "Z" || tail == "z" {
        return true;
    }
    let Some(sign_rest) = tail.strip_prefix(['+', '-']) else {
        return false;
    };
    sign_rest.len() == 5
        && two(&sign_rest[0..2], 23)
        && &sign_rest[2..3] == ":"
        && two(&sign_rest[3..5], 59)
}

/// `true` for a hyphenated UUID (`8-4-4-4-12` hexadecimal digits).
pub fn is_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// What a node is, for messages: `the string "x"`, `the number 3`, `a list`.
pub fn describe(node: &Node, source: &str) -> String {
    match &node.kind {
        Kind::Null => "null".to_string(),
        Kind::Bool(b) => format!("the boolean {b}"),
        Kind::Number(_) => format!("the number {}", number_text(node, source)),
        Kind::Str(s) => format!("the string {s:?}"),
        Kind::Seq(_) => "a list".to_string(),
        Kind::Map(_) => "a mapping".to_string(),
    }
}

/// The exact text of a number node as written in the source.
pub fn number_text(node: &Node, source: &str) -> String {
    let written = source
        .get(node.span.offset..node.span.offset + node.span.len)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match (&node.kind, written) {
        (Kind::Number(_), Some(w)) => w.to_string(),
        (Kind::Number(n), None) => n.clone(),
        _ => String::new(),
    }
}

/// Checks a number's text for a numeric type and returns it unchanged.
fn number_for(text: &str, ty: ScalarType) -> Result<String, Misfit> {
    if !is_json_number(text) {
        return Err(misfit(
            format!("`{text}` is not a number in decimal notation"),
            "write numbers as JSON does: digits, an optional fraction and exponent (`42`, `-0.5`, `1e3`)",
        ));
    }
    match ty {
        ScalarType::Integer if text.contains(['.', 'e', 'E']) || text.parse::<i64>().is_err() => {
            Err(misfit(
                format!("`{text}` is not a 64-bit integer"),
                "integer fields take whole numbers between -9223372036854775808 and 9223372036854775807",
            ))
        }
        ScalarType::Float if !text.parse::<f64>().is_ok_and(f64::is_finite) => Err(misfit(
            format!("`{text}` does not fit a 64-bit float"),
            "use a finite number, or make the field `decimal`",
        )),
        ScalarType::Decimal if !fits_decimal(text) => Err(misfit(
            format!("`{text}` does not fit a decimal"),
            "decimals hold at most 28 significant digits (below 79228162514264337593543950336) and 28 decimal places",
        )),
        _ => Ok(text.to_string()),
    }
}

/// Converts `node` into a literal of type `ty`, or says why it does not fit.
pub fn literal_for(node: &Node, ty: ScalarType, source: &str) -> Result<Literal, Misfit> {
    let found = describe(node, source);
    let name = ty.name();
    match (ty, &node.kind) {
        (ScalarType::Json, _) => Ok(Literal::Json(to_json(node, source)?)),
        (_, Kind::Null) => Err(misfit(
            format!("expected a {name} value, found null"),
            "remove it, or write a value of the field's type",
        )),
        (ScalarType::String, Kind::Str(s)) => Ok(Literal::String(s.clone())),
        (ScalarType::String, Kind::Number(_) | Kind::Bool(_)) => Err(misfit(
            format!("expected a string, found {found}"),
            format!(
                "quote it to make it a string: \"{}\"",
                match &node.kind {
                    Kind::Bool(b) => b.to_string(),
                    _ => number_text(node, source),
                }
            ),
        )),
        (ScalarType::Integer | ScalarType::Float | ScalarType::Decimal, Kind::Number(_)) => {
            number_for(&number_text(node, source), ty).map(Literal::Number)
        }
        (ScalarType::Decimal, Kind::Str(s)) if is_json_number(s) => {
            number_for(s, ty).map(Literal::Number)
        }
        (ScalarType::Boolean, Kind::Bool(b)) => Ok(Literal::Bool(*b)),
        (ScalarType::Date, Kind::Str(s)) if is_date(s) => Ok(Literal::String(s.clone())),
        (ScalarType::Date, Kind::Str(_)) => Err(misfit(
            format!("{found} is not a date"),
            "dates are written YYYY-MM-DD, for example 2024-02-29",
        )),
        (ScalarType::Timestamp, Kind::Str(s)) if is_timestamp(s) => Ok(Literal::String(s.clone())),
        (ScalarType::Timestamp, Kind::Str(_)) => Err(misfit(
            format!("{found} is not an RFC 3339 timestamp"),
            "timestamps carry a date, a time and an offset, for example 2024-05-01T12:00:00Z",
        )),
        (ScalarType::Uuid, Kind::Str(s)) if is_uuid(s) => Ok(Literal::String(s.clone())),
        (ScalarType::Uuid, Kind::Str(_)) => Err(misfit(
            format!("{found} is not a UUID"),
            "write it as 8-4-4-4-12 hexadecimal digits, for example 67e55044-10b1-426f-9247-bb680e5fe0c8",
        )),
        (ScalarType::Boolean, _) => Err(misfit(
            format!("expected true or false, found {found}"),
            "boolean values are written true or false",
        )),
        (ScalarType::Integer | ScalarType::Float | ScalarType::Decimal, _) => {
            let example = match ty {
                ScalarType::Integer => "42",
                ScalarType::Float => "0.5",
                _ => "19.99",
            };
            let article = crate::expr::types::article(ty);
            Err(misfit(
                format!("expected {article}, found {found}"),
                match &node.kind {
                    Kind::Str(s) if is_json_number(s.trim()) => {
                        "write the number without quotes".to_string()
                    }
                    _ => format!("write {article} such as `{example}`"),
                },
            ))
        }
        _ => Err(misfit(
            format!("expected a {name} value, found {found}"),
            format!("{name} values are written as quoted strings"),
        )),
    }
}

/// Converts any node into JSON, numbers from their exact text.
fn to_json(node: &Node, source: &str) -> Result<serde_json::Value, Misfit> {
    use serde_json::Value;
    Ok(match &node.kind {
        Kind::Null => Value::Null,
        Kind::Bool(b) => Value::Bool(*b),
        Kind::Number(_) => {
            let text = number_text(node, source);
            if !is_json_number(&text) {
                return Err(number_for(&text, ScalarType::Json)
                    .err()
                    .unwrap_or_else(|| {
                        misfit(
                            format!("`{text}` is not a JSON number"),
                            "write it as JSON would",
                        )
                    }));
            }
            serde_json::from_str::<Value>(&text).map_err(|_| {
                misfit(
                    format!("`{text}` is not a JSON number"),
                    "write it as JSON would",
                )
            })?
        }
        Kind::Str(s) => Value::String(s.clone()),
        Kind::Seq(items) => Value::Array(
            items
                .iter()
                .map(|n| to_json(n, source))
                .collect::<Result<_, _>>()?,
        ),
        Kind::Map(entries) => {
            let mut map = serde_json::Map::new();
            for (k, v) in entries {
                let key = match &k.kind {
                    Kind::Str(s) => s.clone(),
                    Kind::Number(_) => number_text(k, source),
                    Kind::Bool(b) => b.to_string(),
                    _ => return Err(misfit("JSON object keys must be strings", "quote the key")),
                };
                map.insert(key, to_json(v, source)?);
            }
            Value::Object(map)
        }
    })
}

/// Compares two literals of the same type for `enum` duplicates (numbers by value).
pub fn same_value(a: &Literal, b: &Literal) -> bool {
    match (a, b) {
        (Literal::Number(x), Literal::Number(y)) => compare_numbers(x, y) == Some(Ordering::Equal),
        _ => a == b,
    }
}

/// How a literal is shown in messages.
pub fn show(l: &Literal) -> String {
    match l {
        Literal::Null => "null".to_string(),
        Literal::Bool(b) => b.to_string(),
        Literal::Number(n) => n.clone(),
        Literal::String(s) => format!("{s:?}"),
        Literal::Json(v) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_fit_as_rust_decimal_does() {
        for fits in [
            "0",
            "-0.5",
            "1234567890123456789012345678",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "0.1234567890123456789012345678",
            "1.0000000000000000000000000000",
            "1e28",
            "1e-28",
            "1.5e2",
            "0.0001e4",
        ] {
            assert!(fits_decimal(fits), "{fits}");
        }
        for too_big in [
            "79228162514264337593543950336",
            "99999999999999999999999999999",
            "123456789012345678901234567890",
            "0.12345678901234567890123456789",
            "1.00000000000000000000000000000",
            "1e29",
            "1e-29",
            "1.99999999999999999999999999999999e0",
            "7.9228162514264337593543950336e28",
        ] {
            assert!(!fits_decimal(too_big), "{too_big}");
        }
    }

    #[test]
    fn json_number_grammar() {
        for ok in ["0", "-0", "1", "-12", "0.5", "1e3", "1E-3", "12.50e+2"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in [
            "",
            "01",
            ".5",
            "1.",
            "+1",
            "0x1F",
            "1_000",
            "1e",
            "inf",
            "1e1234567",
        ] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }

    #[test]
    fn numbers_compare_exactly() {
        use Ordering::*;
        assert_eq!(compare_numbers("1", "1.0"), Some(Equal));
        assert_eq!(compare_numbers("0.1", "0.10000000000000000001"), Some(Less));
        assert_eq!(compare_numbers("-2", "-10"), Some(Greater));
        assert_eq!(compare_numbers("1e3", "999.999"), Some(Greater));
        assert_eq!(compare_numbers("-0", "0"), Some(Equal));
        assert_eq!(compare_numbers("0.001", "1e-3"), Some(Equal));
        assert_eq!(compare_numbers("x", "1"), None);
    }

    #[test]
    fn dates_timestamps_uuids() {
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2024-13-01"));
        assert!(!is_date("2024-1-01"));
        assert!(is_timestamp("2024-05-01T12:00:00Z"));
        assert!(is_timestamp("2024-05-01T12:00:00.123+02:00"));
        assert!(!is_timestamp("2024-05-01T12:00:00"));
        assert!(!is_timestamp("2024-05-01"));
        assert!(!is_timestamp("2024-05-01T25:00:00Z"));
        assert!(is_uuid("67e55044-10b1-426f-9247-bb680e5fe0c8"));
        assert!(!is_uuid("67e5504410b1426f9247bb680e5fe0c8"));
    }
}
