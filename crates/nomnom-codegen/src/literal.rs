//! Model constants (`default`, `enum`, `min`, `max`) as Rust expressions, JSON and SQL.
//! Numbers keep their exact text until here; decimals become `Decimal::from_parts` constants
//! computed from that text, never through a float.

use nomnom_spec::model::{Literal, ScalarType};
use proc_macro2::TokenStream;
use quote::quote;

use crate::GenerateError;

/// A decimal literal split into `rust_decimal`'s parts: (lo, mid, hi, negative, scale).
pub fn decimal_parts(text: &str) -> Result<(u32, u32, u32, bool, u32), GenerateError> {
    let bad = || {
        GenerateError(format!(
            "`{text}` is not a decimal that fits 96 bits and 28 places"
        ))
    };
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (number, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i32>().map_err(|_| bad())?),
        None => (rest, 0),
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let mut mantissa: u128 = 0;
    for c in int.chars().chain(frac.chars()) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(u128::from(c as u8 - b'0')))
            .ok_or_else(bad)?;
    }
    let mut scale = i64::try_from(frac.len()).map_err(|_| bad())? - i64::from(exponent);
    while scale < 0 {
        mantissa = mantissa.checked_mul(10).ok_or_else(bad)?;
        scale += 1;
    }
    if scale > 28 || mantissa >> 96 != 0 {
        return Err(bad());
    }
    let scale = u32::try_from(scale).map_err(|_| bad())?;
    Ok((
        mantissa as u32,
        (mantissa >> 32) as u32,
        (mantissa >> 64) as u32,
        negative && mantissa != 0,
        scale,
    ))
}

/// A numeric constant of a field's type, for `min`, `max` and `enum` (`1i64`, `0.5f64`,
/// `Decimal::from_parts(..)`).
pub fn number_tokens(ty: ScalarType, text: &str) -> Result<TokenStream, GenerateError> {
    match ty {
        ScalarType::Integer => {
            let n: i64 = text
                .parse()
                .map_err(|_| GenerateError(format!("`{text}` is not a 64-bit integer")))?;
            let lit = proc_macro2::Literal::i64_suffixed(n);
            Ok(quote!(#lit))
        }
        ScalarType::Float => {
            let n: f64 = text
                .parse()
                .map_err(|_| GenerateError(format!("`{text}` is not a number")))?;
            let lit = proc_macro2::Literal::f64_suffixed(n);
            Ok(quote!(#lit))
        }
        ScalarType::Decimal => {
            let (lo, mid, hi, neg, scale) = decimal_parts(text)?;
            Ok(
                quote!(::nomnom_runtime::export::rust_decimal::Decimal::from_parts(#lo, #mid, #hi, #neg, #scale)),
            )
        }
        other => Err(GenerateError(format!(
            "a number constant on a `{}` field",
            other.name()
        ))),
    }
}

/// The constant's JSON text (for defaults, read at run time through the same converters as
/// message values, and for the OpenAPI document).
pub fn to_json(lit: &Literal) -> serde_json::Value {
    match lit {
        Literal::Null => serde_json::Value::Null,
        Literal::Bool(b) => serde_json::Value::Bool(*b),
        Literal::Number(text) => text
            .parse::<serde_json::Number>()
            .map(serde_json::Value::Number)
            .unwrap_or_else(|_| serde_json::Value::String(text.clone())),
        Literal::String(s) => serde_json::Value::String(s.clone()),
        Literal::Json(v) => v.clone(),
    }
}

/// The constant as SQL (for `CHECK` constraints).
pub fn to_sql(lit: &Literal) -> String {
    match lit {
        Literal::Null => "NULL".into(),
        Literal::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Literal::Number(text) => text.clone(),
        Literal::String(s) => format!("'{}'", s.replace('\'', "''")),
        Literal::Json(v) => format!("'{}'::jsonb", v.to_string().replace('\'', "''")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_parts_from_text() {
        assert_eq!(decimal_parts("0.15").ok(), Some((15, 0, 0, false, 2)));
        assert_eq!(decimal_parts("-3e2").ok(), Some((300, 0, 0, true, 0)));
        assert_eq!(decimal_parts("1.5E-3").ok(), Some((15, 0, 0, false, 4)));
        assert_eq!(decimal_parts("100.5").ok(), Some((1005, 0, 0, false, 1)));
        // 2^64 lands in `hi`.
        assert_eq!(
            decimal_parts("18446744073709551616").ok(),
            Some((0, 0, 1, false, 0))
        );
        assert!(decimal_parts("1e40").is_err());
        assert!(decimal_parts("abc").is_err());
        assert!(decimal_parts("").is_err());
    }

    #[test]
    fn sql_and_json_constants() {
        assert_eq!(to_sql(&Literal::String("O'K".into())), "'O''K'");
        assert_eq!(to_sql(&Literal::Number("0.15".into())), "0.15");
        assert_eq!(
            to_json(&Literal::Number("12".into())),
            serde_json::json!(12)
        );
        assert_eq!(
            number_tokens(ScalarType::Integer, "1")
                .map(|t| t.to_string())
                .ok()
                .as_deref(),
            Some("1i64")
        );
        assert!(number_tokens(ScalarType::Integer, "1.5").is_err());
    }
}
