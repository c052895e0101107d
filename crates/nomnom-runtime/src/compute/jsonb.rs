//! A `json` value as PostgreSQL's `jsonb` sees it: its text (`jsonb::text`) and its equality
//! (`jsonb = jsonb`). A `json` field is stored as `jsonb`, so that is the text PostgreSQL would
//! give the stored value.
//!
//! - Text: `, ` between elements and members, `: ` after keys, object keys ordered shortest
//!   first and then by their bytes, strings escaped with `\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
//!   `\t` and `\u00XX` for the other control characters (everything else as is), numbers as
//!   `numeric` writes them (`1e2` → `100`, `1.50e-3` → `0.00150`, `-0` → `0`).
//! - Equality: objects equal when they have the same keys with equal values in any order,
//!   arrays element by element, numbers by value (`1.0` equals `1`), strings by their bytes.

use std::fmt::Write;

use crate::json::{self, Json, Value};

/// Appends the `jsonb` text of `value`.
pub(crate) fn write_text(value: &Json, out: &mut String) {
    match json::parse(value.as_str().as_bytes()) {
        Ok(tree) => write_value(&tree, out),
        // A `Json` is built only from valid JSON; its own text is the best answer otherwise.
        Err(_) => out.push_str(value.as_str()),
    }
}

/// Whether `a` and `b` are equal `jsonb` values.
pub(crate) fn equal(a: &Json, b: &Json) -> bool {
    if a.as_str() == b.as_str() {
        return true;
    }
    match (
        json::parse(a.as_str().as_bytes()),
        json::parse(b.as_str().as_bytes()),
    ) {
        (Ok(a), Ok(b)) => values_equal(&a, &b),
        _ => false,
    }
}

fn values_equal(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => Number::read(a) == Number::read(b),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| values_equal(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, value)| b.get(key).is_some_and(|other| values_equal(value, other)))
        }
        _ => false,
    }
}

fn write_value(value: &Value<'_>, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(text) => Number::read(text).write(out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(object) => {
            let mut members: Vec<(&str, &Value<'_>)> = object.iter().collect();
            members.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then(a.cmp(b)));
            out.push('{');
            for (i, (key, value)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(key, out);
                out.push_str(": ");
                write_value(value, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON number as `numeric` holds it: sign, significant digits (no leading or trailing
/// zeros), the decimal exponent of the last of them, and the display scale.
#[derive(Debug)]
struct Number {
    negative: bool,
    /// Significant digits, `""` for zero.
    digits: String,
    /// The value is `digits × 10^exponent`.
    exponent: i64,
    /// Digits after the point in the text (`numeric`'s dscale).
    scale: u64,
}

impl PartialEq for Number {
    /// Equal values, whatever the scale.
    fn eq(&self, other: &Self) -> bool {
        (self.digits.is_empty() && other.digits.is_empty())
            || (self.negative == other.negative
                && self.digits == other.digits
                && self.exponent == other.exponent)
    }
}

impl Number {
    /// Reads a number in JSON syntax (`-12.50e+3`).
    fn read(text: &str) -> Number {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exp) = match unsigned.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.strip_prefix('+').unwrap_or(e).parse().unwrap_or(0)),
            None => (unsigned, 0i64),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all = format!("{int}{frac}");
        let significant = all.trim_start_matches('0');
        let kept = significant.trim_end_matches('0');
        let trailing = (significant.len() - kept.len()) as i64;
        Number {
            negative,
            digits: kept.to_string(),
            exponent: exp - frac.len() as i64 + trailing,
            scale: (frac.len() as i64 - exp).max(0) as u64,
        }
    }

    /// Writes the value with exactly `scale` digits after the point, as `numeric` does.
    fn write(&self, out: &mut String) {
        if self.digits.is_empty() {
            out.push('0');
            if self.scale > 0 {
                out.push('.');
                out.extend(std::iter::repeat_n('0', self.scale as usize));
            }
            return;
        }
        if self.negative {
            out.push('-');
        }
        let len = self.digits.len() as i64;
        // The position of the point counted from the first significant digit.
        let point = len + self.exponent;
        if point <= 0 {
            out.push('0');
        } else if point >= len {
            out.push_str(&self.digits);
            out.extend(std::iter::repeat_n('0', (point - len) as usize));
        } else {
            out.push_str(&self.digits[..point as usize]);
        }
        if self.scale > 0 {
            out.push('.');
            let mut written = 0u64;
            if point < 0 {
                let zeros = (-point) as u64;
                out.extend(std::iter::repeat_n('0', zeros.min(self.scale) as usize));
                written = zeros.min(self.scale);
            }
            if point < len {
                let fraction = &self.digits[point.max(0) as usize..];
                let take = (fraction.len() as u64).min(self.scale - written);
                out.push_str(&fraction[..take as usize]);
                written += take;
            }
            out.extend(std::iter::repeat_n('0', (self.scale - written) as usize));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jsonb(text: &str) -> String {
        let mut out = String::new();
        write_text(&Json::parse(text).expect("valid JSON"), &mut out);
        out
    }

    /// Expected texts from PostgreSQL 15 (`SELECT 'x'::jsonb::text`).
    #[test]
    fn text_is_jsonb_s() {
        assert_eq!(
            jsonb(r#"{"b":1,"a":[1.0,2e2,-0,"x\u0041\n\u001f",true,null],"aa":{"c":-1.5E-3}}"#),
            r#"{"a": [1.0, 200, 0, "xA\n\u001f", true, null], "b": 1, "aa": {"c": -0.0015}}"#
        );
        assert_eq!(
            jsonb("[1e2, 1.0E+2, 0.000, -0.0, 1.50e-3, 123456789e-20, 1E0, 5e-1]"),
            "[100, 100, 0.000, 0.0, 0.00150, 0.00000000000123456789, 1, 0.5]"
        );
        assert_eq!(
            jsonb(r#"{"":1,"b":2,"ab":3,"é":4,"z":5}"#),
            r#"{"": 1, "b": 2, "z": 5, "ab": 3, "é": 4}"#
        );
        assert_eq!(
            jsonb(r#""a\"b\\c\/d\b\f\r\t\u0001""#),
            r#""a\"b\\c/d\b\f\r\t\u0001""#
        );
        assert_eq!(jsonb("[]"), "[]");
        assert_eq!(jsonb("{}"), "{}");
        assert_eq!(jsonb("1e3"), "1000");
        assert_eq!(jsonb("12.5e-1"), "1.25");
        assert_eq!(jsonb("-120e-1"), "-12.0");
    }

    #[test]
    fn equality_is_jsonb_s() {
        let eq = |a: &str, b: &str| equal(&Json::parse(a).unwrap(), &Json::parse(b).unwrap());
        assert!(eq(r#"{"a":1.0,"b":[1,2]}"#, r#"{"b":[1,2.00],"a":1}"#));
        assert!(eq("0", "-0.0"));
        assert!(eq("1e2", "100"));
        assert!(!eq("[1,2]", "[2,1]"));
        assert!(!eq(r#"{"a":1}"#, r#"{"a":1,"b":2}"#));
        assert!(!eq(r#"{"a":1}"#, r#"{"b":1}"#));
        assert!(!eq("1", "-1"));
        assert!(!eq("\"1\"", "1"));
        assert!(!eq("10", "1"));
        assert!(eq("null", "null"));
    }
}
