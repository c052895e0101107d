//! The functions that choose among values: `coalesce`, `nullif`, `lookup`. None of them is
//! strict, and each compares with [`SqlEq`], PostgreSQL's `=` of the type.
//!
//! PostgreSQL evaluates `coalesce` and `CASE` lazily: arguments after the one chosen are never
//! computed, so their errors never surface. These functions take values already computed;
//! generated code keeps the laziness by passing a lazy iterator (`coalesce`) or by computing a
//! fallible argument only when the earlier ones are null (a `match`).

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::jsonb;
use crate::json::Json;

/// Equality as PostgreSQL's `=` has it for the type: text compares bytes, decimals compare
/// values (`1.50 = 1.5`), floats as IEEE except that `NaN` equals `NaN`, `json` as `jsonb`
/// (keys in any order, `1.0 = 1`).
pub trait SqlEq {
    /// Whether `self = other` is true in PostgreSQL.
    fn sql_eq(&self, other: &Self) -> bool;
}

/// Types whose `PartialEq` is PostgreSQL's `=`.
macro_rules! sql_eq_is_eq {
    ($($ty:ty),*) => {$(
        impl SqlEq for $ty {
            #[inline]
            fn sql_eq(&self, other: &Self) -> bool {
                self == other
            }
        }
    )*};
}

sql_eq_is_eq!(
    str,
    String,
    Cow<'_, str>,
    i64,
    bool,
    Decimal,
    NaiveDate,
    DateTime<Utc>,
    Uuid
);

impl SqlEq for f64 {
    fn sql_eq(&self, other: &Self) -> bool {
        self == other || (self.is_nan() && other.is_nan())
    }
}

impl SqlEq for Json {
    fn sql_eq(&self, other: &Self) -> bool {
        jsonb::equal(self, other)
    }
}

impl<T: SqlEq + ?Sized> SqlEq for &T {
    #[inline]
    fn sql_eq(&self, other: &Self) -> bool {
        (**self).sql_eq(*other)
    }
}

/// `coalesce(a, …)`: the first value that is not null, null when all are. The iterator is
/// read only up to that value.
#[inline]
pub fn coalesce<T>(values: impl IntoIterator<Item = Option<T>>) -> Option<T> {
    values.into_iter().flatten().next()
}

/// `nullif(a, b)`: null when `a = b`, otherwise `a` (a null `b` equals nothing).
#[inline]
pub fn nullif<T: SqlEq>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (&a, &b) {
        (Some(x), Some(y)) if x.sql_eq(y) => None,
        _ => a,
    }
}

/// `lookup(key, k1, v1, k2, v2, …[, default])`: the value paired with the first key equal to
/// `key`, as `CASE key WHEN k1 THEN v1 … ELSE default END`, except that a null `key` gives
/// null (the function is strict in its key, where `CASE` would give the default). A null `k`
/// matches nothing; when no key matches, the default (`None` when there is none).
pub fn lookup<K: SqlEq, V>(
    key: Option<K>,
    pairs: impl IntoIterator<Item = (Option<K>, Option<V>)>,
    default: Option<V>,
) -> Option<V> {
    let key = key?;
    for (k, v) in pairs {
        if k.is_some_and(|k| k.sql_eq(&key)) {
            return v;
        }
    }
    default
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::text;

    #[test]
    fn coalesce_takes_the_first_value_and_reads_no_further() {
        assert_eq!(coalesce([None, Some(2i64), Some(3)]), Some(2));
        assert_eq!(coalesce([None::<i64>, None]), None);
        let mut reads = 0;
        let lazy = [Some("a"), None].into_iter().inspect(|_| reads += 1);
        assert_eq!(coalesce(lazy), Some("a"));
        assert_eq!(reads, 1);
        assert_eq!(
            coalesce([text(None::<&str>), text("x")]).as_deref(),
            Some("x")
        );
    }

    /// `nullif` results checked against PostgreSQL 15.
    #[test]
    fn nullif_compares_with_postgresql_s_equality() {
        assert_eq!(nullif(Some(1i64), Some(1)), None);
        assert_eq!(nullif(Some(1i64), Some(2)), Some(1));
        assert_eq!(nullif(Some(1i64), None), Some(1));
        assert_eq!(nullif(None, Some(1i64)), None);
        assert_eq!(
            nullif(Some(Decimal::new(150, 2)), Some(Decimal::new(15, 1))),
            None
        );
        assert_eq!(nullif(Some(f64::NAN), Some(f64::NAN)), None);
        assert_eq!(nullif(Some(-0.0f64), Some(0.0)), None);
        assert_eq!(nullif(Some("a"), Some("A")), Some("a"));
        let j = |s: &str| Some(Json::parse(s).unwrap());
        assert_eq!(nullif(j(r#"{"a":1.0,"b":2}"#), j(r#"{"b":2,"a":1}"#)), None);
        assert_eq!(nullif(j("[1,2]"), j("[2,1]")), j("[1,2]"));
    }

    #[test]
    fn lookup_is_a_simple_case() {
        let pairs = || {
            [
                (Some("A"), Some("active")),
                (None, Some("never")),
                (Some("I"), None),
                (Some("A"), Some("shadowed")),
            ]
        };
        assert_eq!(lookup(Some("A"), pairs(), Some("other")), Some("active"));
        assert_eq!(lookup(Some("I"), pairs(), Some("other")), None);
        assert_eq!(lookup(Some("X"), pairs(), Some("other")), Some("other"));
        assert_eq!(lookup(Some("X"), pairs(), None), None);
        assert_eq!(lookup(None, pairs(), Some("other")), None);
        assert_eq!(
            lookup(
                Some(2i64),
                [(Some(1), Some(10i64)), (Some(2), Some(20))],
                None
            ),
            Some(20)
        );
        assert_eq!(
            lookup(Some(f64::NAN), [(Some(f64::NAN), Some("nan"))], None),
            Some("nan")
        );
    }
}
