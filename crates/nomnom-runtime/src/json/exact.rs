//! [`Json`]: the value of a `json` field, kept as the exact JSON text the client sent, so
//! a number is stored with every digit (`12345678901234567890.123456789`, `1e400`) instead
//! of passing through a float. It binds as PostgreSQL `jsonb` (and `json`), so `Vec<Json>`
//! and `Vec<Option<Json>>` bind as `jsonb[]`.
//!
//! A value PostgreSQL's `jsonb` would refuse is refused when it is built: a number beyond
//! `numeric`'s range, or a string or key holding U+0000 (see [`crate::db::limits`]).

use std::error::Error;
use std::fmt;

use bytes::{BufMut, BytesMut};
use serde::Serialize;
use tokio_postgres::types::{accepts, to_sql_checked, FromSql, IsNull, ToSql, Type};

use super::value::Value;
use crate::db::limits::{numeric_fits, text_fits, NumericOverflow, NUL_MESSAGE};

/// A JSON value as compact text: no whitespace between tokens, members in the order sent,
/// strings escaped minimally, numbers exactly as written. `Default` is `null`; equality is
/// equality of the text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Json {
    text: String,
}

/// Why a JSON value cannot be stored as `jsonb`, and where inside the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unstorable {
    /// The JSON pointer of the offending value inside the whole value (`""` for itself,
    /// `/a/0` for the first element of member `a`); already escaped.
    pub pointer: String,
    /// What is wrong (`must not contain the character U+0000 ...`).
    pub reason: String,
}

impl fmt::Display for Unstorable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "at {}: {}", self.pointer, self.reason)
        }
    }
}

impl Error for Unstorable {}

impl Json {
    /// JSON `null`.
    pub fn null() -> Json {
        Json {
            text: "null".to_owned(),
        }
    }

    /// The value's text, ready for PostgreSQL (every number as sent).
    pub fn from_value(value: &Value<'_>) -> Result<Json, Unstorable> {
        let mut text = String::with_capacity(estimate(value));
        write_value(value, &mut text).map_err(Unstorable::from)?;
        Ok(Json { text })
    }

    /// Parses `text` with the runtime's strict reader and keeps it exactly; `Err` with a
    /// sentence when it is not JSON or not storable.
    pub fn parse(text: &str) -> Result<Json, String> {
        let value = super::parse(text.as_bytes()).map_err(|e| e.to_string())?;
        Json::from_value(&value).map_err(|e| e.to_string())
    }

    /// The compact JSON text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The compact JSON text, owned.
    pub fn into_string(self) -> String {
        self.text
    }
}

impl Default for Json {
    fn default() -> Self {
        Json::null()
    }
}

impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Json({})", self.text)
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Json {
    /// Writes the value itself (with `serde_json`, verbatim: every digit kept).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw: &serde_json::value::RawValue =
            serde_json::from_str(&self.text).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl ToSql for Json {
    /// `jsonb`'s binary format is a version byte (1) and the text; `json`'s is the text.
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        if *ty == Type::JSONB {
            out.put_u8(1);
        }
        out.extend_from_slice(self.text.as_bytes());
        Ok(IsNull::No)
    }

    accepts!(JSON, JSONB);
    to_sql_checked!();
}

impl<'a> FromSql<'a> for Json {
    /// Reads `jsonb` or `json` as PostgreSQL writes it (`jsonb` normalises: numbers as
    /// `numeric` prints them, keys sorted).
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        let text = if *ty == Type::JSONB {
            match raw.split_first() {
                Some((1, rest)) => rest,
                _ => return Err("unsupported jsonb encoding version".into()),
            }
        } else {
            raw
        };
        Ok(Json {
            text: std::str::from_utf8(text)?.to_owned(),
        })
    }

    accepts!(JSON, JSONB);
}

/// Why writing stopped, and the pointer tokens from the offending value up (reversed).
struct WriteError {
    reversed_tokens: Vec<String>,
    reason: String,
}

impl From<WriteError> for Unstorable {
    fn from(e: WriteError) -> Self {
        let mut pointer = String::new();
        for token in e.reversed_tokens.iter().rev() {
            pointer.push('/');
            pointer.push_str(&super::escape_pointer_token(token));
        }
        Unstorable {
            pointer,
            reason: e.reason,
        }
    }
}

impl WriteError {
    fn new(reason: String) -> Self {
        WriteError {
            reversed_tokens: Vec::new(),
            reason,
        }
    }

    fn inside(mut self, token: impl Into<String>) -> Self {
        self.reversed_tokens.push(token.into());
        self
    }
}

/// A first guess at the text's length (exact for scalars without escapes).
fn estimate(value: &Value<'_>) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(text) => text.len(),
        Value::String(s) => s.len() + 2,
        Value::Array(items) => 2 + items.iter().map(|v| estimate(v) + 1).sum::<usize>(),
        Value::Object(obj) => {
            2 + obj
                .iter()
                .map(|(k, v)| k.len() + 4 + estimate(v))
                .sum::<usize>()
        }
    }
}

fn write_value(value: &Value<'_>, out: &mut String) -> Result<(), WriteError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(text) => {
            numeric_fits(text).map_err(|why: NumericOverflow| {
                WriteError::new(format!("the number {} {why}", shorten(text)))
            })?;
            out.push_str(text);
        }
        Value::String(s) => write_string(s, out).map_err(|()| string_error())?,
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out).map_err(|e| e.inside(i.to_string()))?;
            }
            out.push(']');
        }
        Value::Object(obj) => {
            out.push('{');
            for (i, (key, member)) in obj.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out)
                    .map_err(|()| WriteError::new(format!("keys {NUL_MESSAGE}")))?;
                out.push(':');
                write_value(member, out).map_err(|e| e.inside(key))?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn string_error() -> WriteError {
    WriteError::new(NUL_MESSAGE.to_owned())
}

/// A long number's first and last digits, for a message.
fn shorten(text: &str) -> String {
    if text.len() <= 40 {
        text.to_owned()
    } else {
        format!(
            "{}...{} ({} characters)",
            &text[..20],
            &text[text.len() - 12..],
            text.len()
        )
    }
}

/// Writes `s` quoted, escaping `"`, `\` and control characters; `Err` for U+0000.
fn write_string(s: &str, out: &mut String) -> Result<(), ()> {
    if !text_fits(s) {
        return Err(());
    }
    out.push('"');
    let mut plain_from = 0;
    for (at, byte) in s.bytes().enumerate() {
        let escape: &str = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0C => "\\f",
            0x00..=0x1F => "",
            _ => continue,
        };
        out.push_str(&s[plain_from..at]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        } else {
            out.push_str(escape);
        }
        plain_from = at + 1;
    }
    out.push_str(&s[plain_from..]);
    out.push('"');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(text: &str) -> Result<String, String> {
        Json::parse(text).map(Json::into_string)
    }

    #[test]
    fn numbers_keep_every_digit() {
        assert_eq!(
            exact("12345678901234567890.123456789").as_deref(),
            Ok("12345678901234567890.123456789")
        );
        assert_eq!(exact("1e400").as_deref(), Ok("1e400"));
        assert_eq!(exact("-0.10").as_deref(), Ok("-0.10"));
        assert_eq!(
            exact(r#" { "a" : [ 1E+2 , 0.000000000000000000000000000000001 ] } "#).as_deref(),
            Ok(r#"{"a":[1E+2,0.000000000000000000000000000000001]}"#)
        );
        let long = format!("{}.{}", "7".repeat(5000), "3".repeat(5000));
        assert_eq!(exact(&long), Ok(long.clone()));
    }

    #[test]
    fn text_round_trips_through_the_runtime_reader() {
        let text =
            r#"{"s":"q\"b\\s/ é 😀 \n\t\u0001\u001f","k\"":null,"t":true,"f":false,"e":{},"l":[]}"#;
        let written = exact(text).expect("storable");
        assert_eq!(
            written,
            r#"{"s":"q\"b\\s/ é 😀 \n\t\u0001\u001f","k\"":null,"t":true,"f":false,"e":{},"l":[]}"#
        );
        // What is written reads back as the same value.
        assert_eq!(
            super::super::parse(written.as_bytes()),
            super::super::parse(text.as_bytes())
        );
        let via_serde: serde_json::Value = serde_json::from_str(&written).expect("valid JSON");
        assert_eq!(via_serde["s"], "q\"b\\s/ é 😀 \n\t\u{1}\u{1f}");
    }

    #[test]
    fn what_jsonb_refuses_is_refused_with_its_place() {
        let refused = |text: &str| Json::parse(text).expect_err("refused");
        let e = refused(r#"{"a": [1, "x\u0000y"]}"#);
        assert_eq!(
            e,
            "at /a/1: must not contain the character U+0000 (\\u0000): PostgreSQL text cannot hold it"
        );
        let e = refused(r#"{"a/b": {"\u0000": 1}}"#);
        assert!(e.starts_with("at /a~1b: keys must not contain"), "{e}");
        let e = refused("[1e999999]");
        assert_eq!(
            e,
            "at /0: the number 1e999999 has more than 131072 digits before the decimal point, more than PostgreSQL's numeric holds"
        );
        let e = refused("1e-16384");
        assert!(
            e.starts_with("the number 1e-16384 has more than 16383 digits after"),
            "{e}"
        );
        let big = format!("1{}", "0".repeat(200_000));
        let e = refused(&big);
        assert!(e.contains("(200001 characters)"), "{e}");
    }

    #[test]
    fn default_is_null_and_serializes_verbatim() {
        assert_eq!(Json::default().as_str(), "null");
        let value = Json::parse(r#"{"n":12345678901234567890.123456789}"#).expect("storable");
        assert_eq!(
            serde_json::to_string(&value).expect("serializes"),
            r#"{"n":12345678901234567890.123456789}"#
        );
        let huge = Json::parse("[1e400]").expect("storable");
        assert_eq!(
            serde_json::to_string(&vec![huge]).expect("serializes"),
            "[[1e400]]"
        );
        assert_eq!(
            format!("{value:?}"),
            r#"Json({"n":12345678901234567890.123456789})"#
        );
    }

    #[test]
    fn binds_as_jsonb_and_json() {
        let value = Json::parse("[1.50]").expect("storable");
        let mut out = BytesMut::new();
        assert!(matches!(
            value.to_sql(&Type::JSONB, &mut out),
            Ok(IsNull::No)
        ));
        assert_eq!(&out[..], b"\x01[1.50]");
        let mut out = BytesMut::new();
        assert!(value.to_sql_checked(&Type::JSON, &mut out).is_ok());
        assert_eq!(&out[..], b"[1.50]");
        assert!(value.to_sql_checked(&Type::TEXT, &mut out).is_err());
        assert!(<Vec<Json> as ToSql>::accepts(&Type::JSONB_ARRAY));
        assert!(<Vec<Option<Json>> as ToSql>::accepts(&Type::JSONB_ARRAY));
        let back = Json::from_sql(&Type::JSONB, b"\x01[1.50]").expect("reads");
        assert_eq!(back, value);
    }
}
