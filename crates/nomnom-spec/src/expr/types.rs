//! The type rules of expressions: which value may stand where another type is expected, and
//! the common type of arguments that must share one.
//!
//! - Where a string is expected, a value of any scalar type is accepted and converted to
//!   text (PostgreSQL's `::text` with `TimeZone = 'UTC'`).
//! - An integer widens to a decimal or a float where one of those is expected; a decimal
//!   *literal* (`0.5`) may also stand for a float. Nothing narrows: a decimal is never
//!   silently rounded to an integer, and a decimal field never becomes a float, nor the
//!   reverse (each loses something), nor text a number.
//! - Arguments that share one type (those of `coalesce` and `nullif`, the key and values to
//!   match of `lookup`, its results) take the first of their types every one of them widens
//!   to; conversion to text does not apply there (`coalesce(quantity, 'none')` is an error,
//!   not a silent change of type).
//!
//! The same rules decide whether a computed value fits its field's declared type: a field is
//! one more place where a type is expected.

use crate::model::ScalarType;

/// A value's type and whether it may be null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValueType {
    /// The scalar type.
    pub ty: ScalarType,
    /// `true` when the value may be null.
    pub nullable: bool,
}

impl ValueType {
    /// A value that is never null.
    pub fn required(ty: ScalarType) -> Self {
        ValueType {
            ty,
            nullable: false,
        }
    }

    /// A value that may be null.
    pub fn nullable(ty: ScalarType) -> Self {
        ValueType { ty, nullable: true }
    }
}

/// How a value becomes the type expected of it; generated code applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coercion {
    /// Already that type.
    None,
    /// Converted to text as PostgreSQL's `::text` does (with `TimeZone = 'UTC'`).
    ToText,
    /// An integer, exactly as a decimal.
    ToDecimal,
    /// An integer or a decimal literal, as the nearest float.
    ToFloat,
}

/// How a value of type `from` is used where `to` is expected; `None` when it cannot be.
/// `decimal_literal` is set when the value is a decimal literal written in the expression.
pub fn coercion(from: ScalarType, to: ScalarType, decimal_literal: bool) -> Option<Coercion> {
    widening(from, to, decimal_literal).or((to == ScalarType::String).then_some(Coercion::ToText))
}

/// [`coercion`] without conversion to text: what values sharing one type may do.
pub fn widening(from: ScalarType, to: ScalarType, decimal_literal: bool) -> Option<Coercion> {
    use ScalarType::{Decimal, Float, Integer};
    match (from, to) {
        _ if from == to => Some(Coercion::None),
        (Integer, Decimal) => Some(Coercion::ToDecimal),
        (Integer, Float) => Some(Coercion::ToFloat),
        (Decimal, Float) if decimal_literal => Some(Coercion::ToFloat),
        _ => None,
    }
}

/// One member of a group of values sharing one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Its type.
    pub ty: ScalarType,
    /// `true` for a decimal literal, which may stand for a float.
    pub decimal_literal: bool,
}

/// The common type of `members`: the first of their types every member widens to.
/// `Err(i)`: member `i` fits neither the type of those before it nor the reverse (the error
/// is reported there). An empty group has no type: `Err(0)`.
pub fn common_type(members: &[Member]) -> Result<ScalarType, usize> {
    let first = members.first().ok_or(0usize)?;
    let mut common = first.ty;
    for (i, m) in members.iter().enumerate().skip(1) {
        if widening(m.ty, common, m.decimal_literal).is_some() {
            continue;
        }
        let all_widen = members[..i]
            .iter()
            .all(|p| widening(p.ty, m.ty, p.decimal_literal).is_some());
        if all_widen {
            common = m.ty;
        } else {
            return Err(i);
        }
    }
    Ok(common)
}

/// A hint for a value of type `from` that cannot stand where `to` is expected.
pub fn conversion_hint(from: ScalarType, to: ScalarType) -> String {
    use ScalarType::*;
    let name = to.name();
    match (from, to) {
        (String, Integer) => "convert text with `to_integer(…)`".to_string(),
        (String, Decimal) => "convert text with `to_decimal(…)`".to_string(),
        (String, Float) => "convert text with `to_float(…)`".to_string(),
        (String, Date) => "read text as a date with `parse_date(…, '%Y-%m-%d')`".to_string(),
        (String, Timestamp) => {
            "read text as a timestamp with `parse_timestamp(…, '%Y-%m-%dT%H:%M:%S%z')`".to_string()
        }
        (Decimal, Float) => {
            "convert with `to_float(…)`, which reads the decimal's text".to_string()
        }
        (Float, Decimal) => {
            "convert with `to_decimal(…)`, which reads the float's text".to_string()
        }
        (Decimal | Float, Integer) => {
            "values are never rounded implicitly: use an integer, or read the text of a whole \
             number with `to_integer(…)`"
                .to_string()
        }
        (_, String) => "any value becomes text where text is expected".to_string(),
        (Date, Timestamp) => "a date is not a timestamp: read text that holds a time of day \
                              with `parse_timestamp(…, '%Y-%m-%d %H:%M:%S')`"
            .to_string(),
        (Timestamp, Date) => "a timestamp is not a date: read the text of the day with \
                              `parse_date(…, '%Y-%m-%d')`"
            .to_string(),
        (_, Integer | Decimal | Float) => format!(
            "{} never becomes a number: use {} (a field, a literal, or `to_{name}(…)` of text)",
            article(from),
            article(to)
        ),
        _ => format!(
            "{} never becomes {}: use {} value",
            article(from),
            article(to),
            article(to)
        ),
    }
}

/// `a string`, `an integer`.
pub fn article(ty: ScalarType) -> String {
    let name = ty.name();
    if name.starts_with(['a', 'e', 'i', 'o']) {
        format!("an {name}")
    } else {
        format!("a {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ScalarType::*;

    fn m(ty: ScalarType) -> Member {
        Member {
            ty,
            decimal_literal: false,
        }
    }

    const LIT: Member = Member {
        ty: Decimal,
        decimal_literal: true,
    };

    #[test]
    fn any_scalar_becomes_text() {
        for (t, _) in ScalarType::ALL {
            let expected = if t == String {
                Coercion::None
            } else {
                Coercion::ToText
            };
            assert_eq!(coercion(t, String, false), Some(expected), "{t:?}");
        }
    }

    #[test]
    fn integers_widen_and_nothing_narrows() {
        assert_eq!(coercion(Integer, Decimal, false), Some(Coercion::ToDecimal));
        assert_eq!(coercion(Integer, Float, false), Some(Coercion::ToFloat));
        assert_eq!(coercion(Decimal, Float, true), Some(Coercion::ToFloat));
        assert_eq!(coercion(Decimal, Float, false), None);
        assert_eq!(coercion(Float, Decimal, false), None);
        assert_eq!(coercion(Decimal, Integer, true), None);
        assert_eq!(coercion(String, Integer, false), None);
        assert_eq!(coercion(Date, Timestamp, false), None);
        assert_eq!(coercion(Boolean, Boolean, false), Some(Coercion::None));
        assert_eq!(widening(Integer, String, false), None);
    }

    #[test]
    fn common_types() {
        assert_eq!(common_type(&[m(String), m(String)]), Ok(String));
        assert_eq!(common_type(&[m(Integer), m(Decimal)]), Ok(Decimal));
        assert_eq!(common_type(&[m(Decimal), m(Integer)]), Ok(Decimal));
        assert_eq!(common_type(&[m(Integer), LIT, m(Float)]), Ok(Float));
        assert_eq!(common_type(&[m(Float), LIT, m(Integer)]), Ok(Float));
        assert_eq!(common_type(&[LIT, m(Integer)]), Ok(Decimal));
        assert_eq!(common_type(&[m(Decimal), m(Float)]), Err(1));
        assert_eq!(common_type(&[m(Integer), m(String)]), Err(1));
        assert_eq!(common_type(&[m(Date), m(Date), m(Timestamp)]), Err(2));
        assert_eq!(common_type(&[]), Err(0));
    }

    #[test]
    fn hints_name_a_conversion() {
        assert!(conversion_hint(String, Integer).contains("to_integer"));
        assert!(conversion_hint(String, Date).contains("parse_date"));
        assert!(conversion_hint(Decimal, Float).contains("to_float"));
        assert!(conversion_hint(Float, Integer).contains("never rounded"));
        assert_eq!(
            conversion_hint(Boolean, Uuid),
            "a boolean never becomes a uuid: use a uuid value"
        );
        assert!(conversion_hint(Date, Decimal).starts_with("a date never becomes a number"));
        assert!(conversion_hint(Date, Timestamp).contains("parse_timestamp"));
        assert_eq!(article(Integer), "an integer");
    }
}
