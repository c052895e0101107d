//! Values of every scalar type as text, exactly as PostgreSQL's `::text` writes them with
//! `TimeZone = 'UTC'`, and the two ways a function receives text:
//!
//! - [`ToText`]: the text of a non-null value (`42`, `1.50`, `2024-05-01 12:00:00+00`,
//!   `1e+15`, `true`), written into a buffer.
//! - [`TextArg`]: an argument of [`super::concat`] and [`super::concat_ws`], any value that
//!   has a text or is null (`Option<T>`), taken as `&dyn TextArg` so arguments of different
//!   types share one slice and are written straight into the result.
//! - [`IntoText`]: an argument of the functions of one text (`upper`, `trim`, …), taken by
//!   value as `Option<Cow<str>>`: borrowed text stays borrowed, owned text is reused, other
//!   scalars are written out.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{date_text, float_text, jsonb};
use crate::json::Json;

/// The text of a non-null value as PostgreSQL's `::text` writes it (`TimeZone = 'UTC'`).
pub trait ToText {
    /// Appends the text to `out`.
    fn write_text(&self, out: &mut String);

    /// Appends the text the type's output function writes, which `concat` and `concat_ws`
    /// use: the same as [`ToText::write_text`] for every type but `boolean`, whose output
    /// is `t` or `f` (its `::text` cast is `true` or `false`).
    fn write_output(&self, out: &mut String) {
        self.write_text(out);
    }

    /// The text, in a new string.
    fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out);
        out
    }
}

impl ToText for str {
    fn write_text(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl ToText for String {
    fn write_text(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl ToText for Cow<'_, str> {
    fn write_text(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl<T: ToText + ?Sized> ToText for &T {
    fn write_text(&self, out: &mut String) {
        (**self).write_text(out);
    }

    fn write_output(&self, out: &mut String) {
        (**self).write_output(out);
    }
}

impl ToText for i64 {
    fn write_text(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(out, "{self}");
    }
}

impl ToText for bool {
    /// `true` or `false`.
    fn write_text(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }

    /// `t` or `f`.
    fn write_output(&self, out: &mut String) {
        out.push(if *self { 't' } else { 'f' });
    }
}

impl ToText for Decimal {
    /// Every digit of the scale (`1.50`); zero without a sign (`-0.00` is `0.00`).
    fn write_text(&self, out: &mut String) {
        use std::fmt::Write;
        if self.is_zero() && self.is_sign_negative() {
            let _ = write!(out, "{}", -*self);
        } else {
            let _ = write!(out, "{self}");
        }
    }
}

impl ToText for Uuid {
    /// Lower-case, hyphenated.
    fn write_text(&self, out: &mut String) {
        let mut buf = Uuid::encode_buffer();
        out.push_str(self.hyphenated().encode_lower(&mut buf));
    }
}

impl ToText for f64 {
    /// The shortest text that reads back as the same float (`0.1`, `1e+15`, `Infinity`).
    fn write_text(&self, out: &mut String) {
        float_text::write(*self, out);
    }
}

impl ToText for NaiveDate {
    /// `2024-05-01`; years before 1 AD as `0044-03-15 BC`.
    fn write_text(&self, out: &mut String) {
        date_text::write_date(*self, out);
    }
}

impl ToText for DateTime<Utc> {
    /// `2024-05-01 12:00:00+00`, `2024-05-01 12:00:00.25+00` (microseconds, without trailing
    /// zeros).
    fn write_text(&self, out: &mut String) {
        date_text::write_timestamp(self, out);
    }
}

impl ToText for Json {
    /// As `jsonb` writes it: `{"a": 1, "b": [true, null]}`, keys ordered shortest first,
    /// numbers as `numeric` writes them.
    fn write_text(&self, out: &mut String) {
        jsonb::write_text(self, out);
    }
}

/// An argument of [`super::concat`] and [`super::concat_ws`]: a value with a text, or null.
/// Every [`ToText`] type is one, and so is `Option` of one.
pub trait TextArg {
    /// Appends the text to `out` as PostgreSQL's `concat` writes it (the type's output:
    /// [`ToText::write_output`]) and answers `true`, or answers `false` (writing nothing)
    /// when the value is null.
    fn write_arg(&self, out: &mut String) -> bool;
}

impl<T: ToText + ?Sized> TextArg for T {
    fn write_arg(&self, out: &mut String) -> bool {
        self.write_output(out);
        true
    }
}

impl<T: ToText> TextArg for Option<T> {
    fn write_arg(&self, out: &mut String) -> bool {
        match self {
            Some(value) => value.write_arg(out),
            None => false,
        }
    }
}

/// An argument where a function expects one text: text borrowed (`&str`, `&String`,
/// `&Cow<str>`) or owned (`String`, `Cow<str>`), any other scalar (converted with
/// [`ToText`]), each also as `Option` or `&Option` (null). Borrowed text stays borrowed for
/// lifetime `'a`, so `trim(&field)` returns a slice of the field; owned text is handed over,
/// so `trim(upper(&field))` trims the string `upper` made in place.
pub trait IntoText<'a> {
    /// The text, `None` for null.
    fn into_text(self) -> Option<Cow<'a, str>>;
}

/// The text of `value` (`None` for null): the one type functions of text return, so results
/// compose, and the common type of text arguments of [`super::coalesce`], [`super::nullif`]
/// and [`super::lookup`].
#[inline]
pub fn text<'a>(value: impl IntoText<'a>) -> Option<Cow<'a, str>> {
    value.into_text()
}

impl<'a, 'b: 'a> IntoText<'a> for &'b str {
    #[inline]
    fn into_text(self) -> Option<Cow<'a, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl<'a, 'b: 'a> IntoText<'a> for &'b String {
    #[inline]
    fn into_text(self) -> Option<Cow<'a, str>> {
        Some(Cow::Borrowed(self.as_str()))
    }
}

impl<'a, 'b: 'a> IntoText<'a> for &'b Cow<'_, str> {
    #[inline]
    fn into_text(self) -> Option<Cow<'a, str>> {
        Some(Cow::Borrowed(self.as_ref()))
    }
}

impl<'a> IntoText<'a> for String {
    #[inline]
    fn into_text(self) -> Option<Cow<'a, str>> {
        Some(Cow::Owned(self))
    }
}

impl<'a, 'b: 'a> IntoText<'a> for Cow<'b, str> {
    #[inline]
    fn into_text(self) -> Option<Cow<'a, str>> {
        Some(self)
    }
}

impl<'a, T: IntoText<'a>> IntoText<'a> for Option<T> {
    #[inline]
    fn into_text(self) -> Option<Cow<'a, str>> {
        self.and_then(IntoText::into_text)
    }
}

impl<'a, 'b, T> IntoText<'a> for &'b Option<T>
where
    &'b T: IntoText<'a>,
{
    #[inline]
    fn into_text(self) -> Option<Cow<'a, str>> {
        self.as_ref().and_then(IntoText::into_text)
    }
}

/// Scalars other than text become their [`ToText`] text, by value and by reference.
macro_rules! scalar_into_text {
    ($($ty:ty),*) => {$(
        impl<'a> IntoText<'a> for $ty {
            fn into_text(self) -> Option<Cow<'a, str>> {
                Some(Cow::Owned(self.to_text()))
            }
        }
        impl<'a> IntoText<'a> for &$ty {
            fn into_text(self) -> Option<Cow<'a, str>> {
                Some(Cow::Owned(self.to_text()))
            }
        }
    )*};
}

scalar_into_text!(
    i64,
    f64,
    bool,
    Decimal,
    Uuid,
    NaiveDate,
    DateTime<Utc>,
    Json
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_written_as_postgresql_writes_them() {
        assert_eq!(42i64.to_text(), "42");
        assert_eq!(i64::MIN.to_text(), "-9223372036854775808");
        assert_eq!(true.to_text(), "true");
        assert_eq!(false.to_text(), "false");
        assert_eq!(Decimal::new(150, 2).to_text(), "1.50");
        assert_eq!(Decimal::new(-5, 0).to_text(), "-5");
        assert_eq!((-Decimal::new(0, 2)).to_text(), "0.00");
        let uuid = Uuid::parse_str("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11").unwrap();
        assert_eq!(uuid.to_text(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        assert_eq!("é".to_text(), "é");
        assert_eq!(Cow::Borrowed("x").to_text(), "x");
    }

    #[test]
    fn text_args_write_nothing_for_null() {
        let mut out = String::new();
        assert!(!None::<i64>.write_arg(&mut out));
        assert!(Some(7i64).write_arg(&mut out));
        assert!("-".write_arg(&mut out));
        assert!(Some(String::from("a")).write_arg(&mut out));
        assert!(Some(true).write_arg(&mut out));
        assert!(false.write_arg(&mut out));
        assert_eq!(out, "7-atf");
    }

    #[test]
    fn borrowed_text_stays_borrowed_and_owned_text_is_handed_over() {
        let field = String::from("abc");
        assert!(matches!(text(&field), Some(Cow::Borrowed("abc"))));
        assert!(matches!(text(field.as_str()), Some(Cow::Borrowed("abc"))));
        let nullable = Some(String::from("n"));
        assert!(matches!(text(&nullable), Some(Cow::Borrowed("n"))));
        assert_eq!(text(&None::<String>), None);
        assert_eq!(text(None::<&str>), None);
        let owned = String::from("owned");
        let ptr = owned.as_ptr();
        match text(owned) {
            Some(Cow::Owned(s)) => assert_eq!(s.as_ptr(), ptr),
            other => panic!("{other:?}"),
        }
        assert_eq!(text(12i64).as_deref(), Some("12"));
        assert_eq!(text(Some(2.5f64)).as_deref(), Some("2.5"));
        let doc = Some(Json::parse("{\"b\":1,\"a\":[]}").unwrap());
        assert_eq!(text(&doc).as_deref(), Some("{\"a\": [], \"b\": 1}"));
        assert!(doc.is_some());
        assert_eq!(text(Some(false)).as_deref(), Some("false"));
    }
}
