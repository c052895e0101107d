//! `parse_date(s, format)` and `parse_timestamp(s, format)`: text read with a chrono
//! strftime format (`%d/%m/%Y`, `%Y-%m-%dT%H:%M:%S%.f%:z`), the whole text, every field the
//! format names.
//!
//! - A timestamp's format without an offset (`%z`, `%:z`) reads the time as UTC; one without
//!   any time field reads midnight. The result keeps microseconds, as PostgreSQL does: more
//!   digits are rounded to the nearest microsecond (ties to even), and a leap second
//!   (`23:59:60`) is the next second, as PostgreSQL reads them.
//! - The value must be within PostgreSQL's range (from 4714-11-24 BC).
//! - The format is a literal checked by `nomnom check`; a bad one is still an error here.

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, NaiveDate, Utc};

use super::error::{quoted, ComputeError};
use super::to_text::IntoText;
use crate::db::limits;

/// `parse_date(s, format)`: the date `s` writes in `format`; an error when it is not one.
pub fn parse_date<'a>(
    s: impl IntoText<'a>,
    format: &str,
) -> Result<Option<NaiveDate>, ComputeError> {
    const NAME: &str = "parse_date";
    let Some(s) = s.into_text() else {
        return Ok(None);
    };
    let mut parsed = Parsed::new();
    let day = chrono::format::parse(&mut parsed, &s, StrftimeItems::new(format))
        .and_then(|()| parsed.to_naive_date())
        .map_err(|e| failure(NAME, &s, format, "a date", e.kind()))?;
    if !limits::date_fits(day) {
        return Err(ComputeError::new(NAME, before_earliest(&s)));
    }
    Ok(Some(day))
}

/// `parse_timestamp(s, format)`: the instant `s` writes in `format` (UTC when the format has
/// no offset, midnight when it has no time), to the microsecond; an error when it is not one.
pub fn parse_timestamp<'a>(
    s: impl IntoText<'a>,
    format: &str,
) -> Result<Option<DateTime<Utc>>, ComputeError> {
    const NAME: &str = "parse_timestamp";
    let Some(s) = s.into_text() else {
        return Ok(None);
    };
    let fail = |kind| failure(NAME, &s, format, "a timestamp", kind);
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, &s, StrftimeItems::new(format))
        .map_err(|e| fail(e.kind()))?;
    let no_time = parsed.hour_div_12().is_none()
        && parsed.hour_mod_12().is_none()
        && parsed.minute().is_none()
        && parsed.second().is_none()
        && parsed.nanosecond().is_none()
        && parsed.timestamp().is_none();
    if no_time {
        parsed.set_hour(0).map_err(|e| fail(e.kind()))?;
        parsed.set_minute(0).map_err(|e| fail(e.kind()))?;
    }
    let time = match parsed.offset() {
        Some(_) => parsed.to_datetime().map(|t| t.to_utc()),
        None => parsed.to_naive_datetime_with_offset(0).map(|t| t.and_utc()),
    }
    .map_err(|e| fail(e.kind()))?;
    let time = to_microseconds(&time)
        .filter(limits::timestamp_fits)
        .ok_or_else(|| ComputeError::new(NAME, before_earliest(&s)))?;
    Ok(Some(time))
}

/// `time` rounded to the microsecond, half to even, a leap second carried into the next.
fn to_microseconds(time: &DateTime<Utc>) -> Option<DateTime<Utc>> {
    let nanos = time.timestamp_subsec_nanos();
    let (mut micros, rest) = (i64::from(nanos / 1_000), nanos % 1_000);
    if rest > 500 || (rest == 500 && micros % 2 == 1) {
        micros += 1;
    }
    DateTime::from_timestamp_micros(
        time.timestamp()
            .checked_mul(1_000_000)?
            .checked_add(micros)?,
    )
}

/// The error for `s` not read by `format`, by chrono's reason.
fn failure(
    function: &'static str,
    s: &str,
    format: &str,
    what: &str,
    kind: chrono::format::ParseErrorKind,
) -> ComputeError {
    use chrono::format::ParseErrorKind;
    let bad_format = kind == ParseErrorKind::BadFormat
        || StrftimeItems::new(format).any(|item| matches!(item, Item::Error));
    let message = if bad_format {
        format!("{} is not a valid chrono format", quoted(format))
    } else if kind == ParseErrorKind::NotEnough {
        format!(
            "the format {} does not name enough fields for {what}",
            quoted(format)
        )
    } else {
        format!("{} is not {what} in the format {format}", quoted(s))
    };
    ComputeError::new(function, message)
}

fn before_earliest(s: &str) -> String {
    format!(
        "{} is before 4714-11-24 BC, the earliest day PostgreSQL holds",
        quoted(s)
    )
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
