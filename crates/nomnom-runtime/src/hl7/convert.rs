//! HL7 text read as the model's types: DTM/TS values as `date` and `timestamp`, NM values as
//! `integer`, `decimal` and `float`. Every failure is a [`ConvertError`], one sentence the
//! caller turns into a 422 naming the HL7 path and the field ([`ConvertError::at`]).
//!
//! **Dates and times (DTM, and TS's first component).** Every precision HL7 allows:
//! `YYYY`, `YYYYMM`, `YYYYMMDD`, `YYYYMMDDHH`, `YYYYMMDDHHMM`, `YYYYMMDDHHMMSS`, and
//! `YYYYMMDDHHMMSS.S` to `.SSSS`, each with an optional `+ZZZZ`/`-ZZZZ` offset. The missing
//! parts read as the start of the period: `2024` is 2024-01-01 and `202403` is 2024-03-01,
//! at 00:00:00. A time without an offset is the sender's local time, read in the zone the
//! caller passes (the service's `HL7_TIMEZONE`, UTC by default), with PostgreSQL's rules at
//! daylight-saving changes: a local time that happens twice reads as the later one (the offset
//! in force after the change), and one that never happens (in the gap when clocks go forward)
//! reads with the offset in force before the change (02:30 becomes 03:30 summer time).
//! [`to_date`] keeps the date as written and ignores any time and offset.
//!
//! **Numbers (NM).** An optional sign, digits, and at most one decimal point (`-1.5`, `+007`,
//! `.5`, `5.`); no exponent, no thousands separators. Spaces around the number are ignored.
//!
//! Why `chrono_tz::Tz` for the zone and not a fixed offset: a sender's local time follows its
//! zone's daylight-saving rules, so the same zone has two offsets over a year; an IANA zone
//! (`Europe/Berlin`) reads January and July times correctly where any fixed offset is wrong
//! for half the year. chrono-tz 0.10 embeds the zone database (no build script; about 10 s of
//! compilation in a debug build and 1.2 MB of binary).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::path::Path;

/// Why a value could not be read as a type: the text (shortened when long) and one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConvertError {
    message: String,
}

impl ConvertError {
    fn new(text: &str, problem: &str) -> ConvertError {
        ConvertError {
            message: format!("{} {problem}", quote(text)),
        }
    }

    /// What is wrong, one sentence without a final period (`"2024-01-01" is not an HL7 date:
    /// expected YYYYMMDD, …`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error located at `path`, for an answer naming the HL7 path.
    pub fn at(&self, path: &Path) -> ValueError {
        ValueError {
            path: path.to_string(),
            message: self.message.clone(),
        }
    }
}

/// A value that could not be read, with the HL7 path it was read at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ValueError {
    path: String,
    message: String,
}

impl ValueError {
    /// The HL7 path (`PID-7`).
    pub fn path(&self) -> &str {
        &self.path
    }
    /// What is wrong, one sentence without a final period.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// `text` quoted for a message, cut after 40 characters.
fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() {
        format!("{:?}", format!("{head}…"))
    } else {
        format!("{head:?}")
    }
}

const DTM_FORMS: &str =
    "expected YYYY[MM[DD[HH[MM[SS[.S to .SSSS]]]]]] with an optional +/-ZZZZ offset";

/// A DTM value's parts, the missing ones filled with the start of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Dtm {
    date: NaiveDate,
    time: NaiveTime,
    /// Seconds east of UTC.
    offset: Option<i32>,
}

/// Reads a DTM value, or says in a phrase (after the quoted text) what is wrong.
fn parse_dtm(text: &str, what: &str) -> Result<Dtm, ConvertError> {
    let bad = |problem: String| ConvertError::new(text, &problem);
    let not_dtm = || bad(format!("is not an HL7 {what}: {DTM_FORMS}"));
    let trimmed = text.trim_matches(' ');
    let bytes = trimmed.as_bytes();
    // The offset's sign can only follow at least a year (four digits).
    let (main, offset) = match bytes.iter().position(|&b| b == b'+' || b == b'-') {
        Some(at) if at >= 4 => (&bytes[..at], Some(&bytes[at..])),
        Some(_) => return Err(not_dtm()),
        None => (bytes, None),
    };
    let (digits, fraction) = match main.iter().position(|&b| b == b'.') {
        Some(at) => (&main[..at], Some(&main[at + 1..])),
        None => (main, None),
    };
    if !digits.iter().all(u8::is_ascii_digit) || ![4, 6, 8, 10, 12, 14].contains(&digits.len()) {
        return Err(not_dtm());
    }
    let number = |from: usize, len: usize| -> Option<u32> {
        digits
            .get(from..from + len)
            .map(|d| d.iter().fold(0, |n, &b| n * 10 + u32::from(b - b'0')))
    };
    let year = number(0, 4).unwrap_or(0) as i32;
    let month = number(4, 2).unwrap_or(1);
    let day = number(6, 2).unwrap_or(1);
    let hour = number(8, 2).unwrap_or(0);
    let minute = number(10, 2).unwrap_or(0);
    let second = number(12, 2).unwrap_or(0);
    let nanos = match fraction {
        None => 0,
        Some(f) if digits.len() == 14 && (1..=4).contains(&f.len()) => {
            if !f.iter().all(u8::is_ascii_digit) {
                return Err(not_dtm());
            }
            let value = f.iter().fold(0u32, |n, &b| n * 10 + u32::from(b - b'0'));
            value * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return Err(not_dtm()),
    };
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        bad(format!(
            "is not a day of the calendar (year {year}, month {month}, day {day})"
        ))
    })?;
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
        .filter(|_| second < 60)
        .ok_or_else(|| {
            bad(format!(
                "is not a time of day (hour {hour}, minute {minute}, second {second})"
            ))
        })?;
    let offset = match offset {
        None => None,
        Some(o) => {
            let valid = o.len() == 5 && o[1..].iter().all(u8::is_ascii_digit);
            if !valid {
                return Err(not_dtm());
            }
            let hours = i32::from(o[1] - b'0') * 10 + i32::from(o[2] - b'0');
            let minutes = i32::from(o[3] - b'0') * 10 + i32::from(o[4] - b'0');
            if hours > 23 || minutes > 59 {
                return Err(bad(format!(
                    "has an offset out of range: {hours} hours {minutes} minutes"
                )));
            }
            let seconds = hours * 3600 + minutes * 60;
            Some(if o[0] == b'-' { -seconds } else { seconds })
        }
    };
    Ok(Dtm { date, time, offset })
}

/// A DTM (or DT) value as a date: the date as written, the first day of the month or year when
/// less precise; any time and offset are ignored.
pub fn to_date(text: &str) -> Result<NaiveDate, ConvertError> {
    parse_dtm(text, "date").map(|dtm| dtm.date)
}

/// A DTM value as an instant: with its offset when it has one, else as local time in `zone`
/// (see the module documentation for precision and daylight-saving rules).
pub fn to_timestamp(text: &str, zone: Tz) -> Result<DateTime<Utc>, ConvertError> {
    let dtm = parse_dtm(text, "timestamp")?;
    let local = NaiveDateTime::new(dtm.date, dtm.time);
    let utc = match dtm.offset {
        Some(seconds) => local - Duration::seconds(i64::from(seconds)),
        None => local_in_zone(local, zone),
    };
    Ok(Utc.from_utc_datetime(&utc))
}

/// The UTC time of local time `local` in `zone`, by PostgreSQL's rules at daylight-saving
/// changes.
fn local_in_zone(local: NaiveDateTime, zone: Tz) -> NaiveDateTime {
    use chrono::offset::LocalResult;
    use chrono::Offset;
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.naive_utc(),
        // Twice: the later instant, read with the offset after the change.
        LocalResult::Ambiguous(a, b) => a.naive_utc().max(b.naive_utc()),
        // Never: the offset in force before the change (a day earlier, as no zone changes
        // twice in a day).
        LocalResult::None => {
            let before = zone
                .offset_from_utc_datetime(&(local - Duration::days(1)))
                .fix()
                .local_minus_utc();
            local - Duration::seconds(i64::from(before))
        }
    }
}

/// An NM value's sign, whole digits and fraction digits.
struct Nm<'a> {
    negative: bool,
    whole: &'a str,
    fraction: &'a str,
}

fn parse_nm(text: &str) -> Result<Nm<'_>, ConvertError> {
    let trimmed = text.trim_matches(' ');
    let (negative, unsigned) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !digits(whole) || !digits(fraction) {
        return Err(ConvertError::new(
            text,
            "is not an HL7 number (NM): expected an optional sign, digits and at most one \
             decimal point",
        ));
    }
    Ok(Nm {
        negative,
        whole,
        fraction,
    })
}

/// An NM value as a 64-bit integer; a fraction of zeros (`12.00`) is accepted.
pub fn to_integer(text: &str) -> Result<i64, ConvertError> {
    let nm = parse_nm(text)?;
    if nm.fraction.bytes().any(|b| b != b'0') {
        return Err(ConvertError::new(text, "is not a whole number"));
    }
    let whole = nm.whole.trim_start_matches('0');
    let out_of_range = || ConvertError::new(text, "is out of the 64-bit integer range");
    if whole.len() > 19 {
        return Err(out_of_range());
    }
    let magnitude = if whole.is_empty() {
        0
    } else {
        whole.parse::<u64>().map_err(|_| out_of_range())?
    };
    if nm.negative {
        0i64.checked_sub_unsigned(magnitude)
            .ok_or_else(out_of_range)
    } else {
        i64::try_from(magnitude).map_err(|_| out_of_range())
    }
}

/// An NM value as an exact decimal: never rounded, so more than 28 significant digits (or 28
/// places) is an error.
pub fn to_decimal(text: &str) -> Result<Decimal, ConvertError> {
    let nm = parse_nm(text)?;
    let normal = normal_text(&nm);
    Decimal::from_str_exact(&normal).map_err(|_| {
        ConvertError::new(
            text,
            "has more digits than a decimal holds (28 significant digits, 28 after the point)",
        )
    })
}

/// An NM value as a 64-bit float (the nearest one).
pub fn to_float(text: &str) -> Result<f64, ConvertError> {
    let nm = parse_nm(text)?;
    match normal_text(&nm).parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(f),
        _ => Err(ConvertError::new(
            text,
            "is out of the range of a 64-bit float",
        )),
    }
}

/// `[-]whole[.fraction]` with a `0` for an empty whole part and no point without a fraction.
fn normal_text(nm: &Nm<'_>) -> String {
    let mut out = String::with_capacity(nm.whole.len() + nm.fraction.len() + 3);
    if nm.negative {
        out.push('-');
    }
    out.push_str(if nm.whole.is_empty() { "0" } else { nm.whole });
    if !nm.fraction.is_empty() {
        out.push('.');
        out.push_str(nm.fraction);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn ts(text: &str, zone: Tz) -> DateTime<Utc> {
        to_timestamp(text, zone).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_precision_reads_as_a_timestamp() {
        let z = Tz::UTC;
        assert_eq!(ts("2024", z), utc("2024-01-01T00:00:00Z"));
        assert_eq!(ts("202403", z), utc("2024-03-01T00:00:00Z"));
        assert_eq!(ts("20240315", z), utc("2024-03-15T00:00:00Z"));
        assert_eq!(ts("2024031513", z), utc("2024-03-15T13:00:00Z"));
        assert_eq!(ts("202403151342", z), utc("2024-03-15T13:42:00Z"));
        assert_eq!(ts("20240315134259", z), utc("2024-03-15T13:42:59Z"));
        assert_eq!(ts("20240315134259.1", z), utc("2024-03-15T13:42:59.1Z"));
        assert_eq!(ts("20240315134259.12", z), utc("2024-03-15T13:42:59.12Z"));
        assert_eq!(ts("20240315134259.123", z), utc("2024-03-15T13:42:59.123Z"));
        assert_eq!(
            ts("20240315134259.1234", z),
            utc("2024-03-15T13:42:59.1234Z")
        );
        assert_eq!(ts(" 20240315 ", z), utc("2024-03-15T00:00:00Z"));
    }

    #[test]
    fn an_offset_wins_over_the_zone() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            ts("20130926150434-0400", berlin),
            utc("2013-09-26T19:04:34Z")
        );
        assert_eq!(
            ts("20021011161756.297-0500", berlin),
            utc("2002-10-11T21:17:56.297Z")
        );
        assert_eq!(ts("20240101+0530", berlin), utc("2023-12-31T18:30:00Z"));
        assert_eq!(ts("2024010112-0000", berlin), utc("2024-01-01T12:00:00Z"));
        assert_eq!(
            ts("202401011200+1400", Tz::UTC),
            utc("2023-12-31T22:00:00Z")
        );
    }

    #[test]
    fn a_time_without_offset_is_local_time_in_the_zone_with_its_summer_time() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(ts("20240115120000", berlin), utc("2024-01-15T11:00:00Z"));
        assert_eq!(ts("20240715120000", berlin), utc("2024-07-15T10:00:00Z"));
        let new_york: Tz = "America/New_York".parse().unwrap();
        assert_eq!(ts("20240715120000", new_york), utc("2024-07-15T16:00:00Z"));
        // A date alone is local midnight.
        assert_eq!(ts("20240715", new_york), utc("2024-07-15T04:00:00Z"));
    }

    #[test]
    fn daylight_saving_changes_follow_postgresql() {
        // Both as PostgreSQL reads `timestamptz` with `SET timezone`:
        // '2018-11-04 01:30' America/New_York happens twice: the later, 01:30 EST.
        let new_york: Tz = "America/New_York".parse().unwrap();
        assert_eq!(ts("201811040130", new_york), utc("2018-11-04T06:30:00Z"));
        // '2018-03-11 02:30' never happens: read with EST (before), so 03:30 EDT.
        assert_eq!(ts("201803110230", new_york), utc("2018-03-11T07:30:00Z"));
        // The same in Berlin: 2024-10-27 02:30 twice (later: +01), 2024-03-31 02:30 never
        // (before: +01).
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(ts("202410270230", berlin), utc("2024-10-27T01:30:00Z"));
        assert_eq!(ts("202403310230", berlin), utc("2024-03-31T01:30:00Z"));
    }

    #[test]
    fn dates_keep_the_written_day() {
        let d = |s: &str| to_date(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d("2024"), NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        assert_eq!(d("202402"), NaiveDate::from_ymd_opt(2024, 2, 1).unwrap());
        assert_eq!(d("20240229"), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert_eq!(
            d("20240229235959-1200"),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        assert_eq!(d("19620320"), NaiveDate::from_ymd_opt(1962, 3, 20).unwrap());
    }

    #[test]
    fn bad_dates_and_times_say_why() {
        for (text, needle) in [
            ("", "expected YYYY"),
            ("24", "expected YYYY"),
            ("2024-01-01", "expected YYYY"),
            ("2024010", "expected YYYY"),
            ("20240101T1200", "expected YYYY"),
            ("202401011", "expected YYYY"),
            ("20240101120000.12345", "expected YYYY"),
            ("202401011200.5", "expected YYYY"),
            ("20240101120000.", "expected YYYY"),
            ("20240101120000.x", "expected YYYY"),
            ("-2024", "expected YYYY"),
            ("２０２４", "expected YYYY"),
            ("20230229", "not a day of the calendar"),
            ("20241301", "not a day of the calendar"),
            ("20240100", "not a day of the calendar"),
            ("2024010124", "not a time of day"),
            ("202401011260", "not a time of day"),
            ("20240101125960", "not a time of day"),
            ("20240101+05", "expected YYYY"),
            ("20240101+0a00", "expected YYYY"),
            ("20240101+05:00", "expected YYYY"),
            ("20240101+0500+0100", "expected YYYY"),
            ("20240101+2400", "offset out of range"),
            ("20240101-0060", "offset out of range"),
            ("20240101Z", "expected YYYY"),
        ] {
            let err = to_timestamp(text, Tz::UTC).unwrap_err();
            assert!(err.message().contains(needle), "{text:?}: {err}");
            assert!(err.message().starts_with(&format!("{text:?}")), "{err}");
            let err = to_date(text).unwrap_err();
            assert!(err.message().contains(needle), "{text:?}: {err}");
        }
        let long = "9".repeat(100);
        let err = to_date(&long).unwrap_err();
        assert!(err.message().len() < 200, "{err}");
        assert!(err.message().contains('…'));
    }

    #[test]
    fn nm_reads_as_integer_decimal_and_float() {
        assert_eq!(to_integer("182").unwrap(), 182);
        assert_eq!(to_integer("+007").unwrap(), 7);
        assert_eq!(to_integer("-0").unwrap(), 0);
        assert_eq!(to_integer("12.00").unwrap(), 12);
        assert_eq!(to_integer("12.").unwrap(), 12);
        assert_eq!(to_integer(" 0001 ").unwrap(), 1);
        assert_eq!(to_integer("9223372036854775807").unwrap(), i64::MAX);
        assert_eq!(to_integer("-9223372036854775808").unwrap(), i64::MIN);
        assert_eq!(to_integer("0009223372036854775807").unwrap(), i64::MAX);
        assert_eq!(to_decimal("2.30").unwrap().to_string(), "2.30");
        assert_eq!(to_decimal(".5").unwrap().to_string(), "0.5");
        assert_eq!(to_decimal("-5.").unwrap().to_string(), "-5");
        assert_eq!(to_decimal("+01.20").unwrap().to_string(), "1.20");
        assert_eq!(to_float("4.00").unwrap(), 4.0);
        assert_eq!(to_float("-.25").unwrap(), -0.25);
        let long = to_float("1".repeat(300).as_str()).unwrap();
        assert!(
            (long / 1.111_111_111_111_111e299 - 1.0).abs() < 1e-12,
            "{long}"
        );
    }

    #[test]
    fn bad_numbers_say_why() {
        for text in [
            "", " ", ".", "+", "-", "1e5", "1,000", "1.2.3", "--1", "0x10", "1 2", "½", "NaN",
            "inf",
        ] {
            for err in [
                to_integer(text).unwrap_err(),
                to_decimal(text).unwrap_err(),
                to_float(text).unwrap_err(),
            ] {
                assert!(
                    err.message().contains("is not an HL7 number (NM)"),
                    "{text:?}: {err}"
                );
            }
        }
        assert!(to_integer("1.5")
            .unwrap_err()
            .message()
            .contains("not a whole number"));
        for big in [
            "9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999999",
        ] {
            assert!(to_integer(big)
                .unwrap_err()
                .message()
                .contains("64-bit integer range"));
        }
        assert!(to_decimal("1.12345678901234567890123456789")
            .unwrap_err()
            .message()
            .contains("more digits than a decimal holds"));
        assert!(to_decimal(&"9".repeat(30)).is_err());
        assert!(to_float(&"9".repeat(400))
            .unwrap_err()
            .message()
            .contains("64-bit float"));
    }

    #[test]
    fn errors_locate_at_a_path() {
        let path = Path::parse("PID-7").unwrap();
        let err = to_date("19621340").unwrap_err().at(&path);
        assert_eq!(err.path(), "PID-7");
        assert_eq!(
            err.to_string(),
            "PID-7: \"19621340\" is not a day of the calendar (year 1962, month 13, day 40)"
        );
        let t = ts("20240315134259.1234", Tz::UTC);
        assert_eq!(t.nanosecond(), 123_400_000);
    }
}
