//! Dates and timestamps as PostgreSQL writes them with `DateStyle = ISO` and
//! `TimeZone = 'UTC'`: `2024-05-01`, `2024-05-01 12:00:00+00`, fractional seconds only when
//! not zero and without trailing zeros (`12:00:00.25+00`), years of at least four digits
//! (`0099-01-01`, `12345-01-01`), and years before 1 AD counted as PostgreSQL counts them
//! (chrono's year 0 is `0001 BC`), with ` BC` at the end.
//!
//! PostgreSQL keeps microseconds: nanoseconds below the microsecond are dropped (a chrono
//! leap second, second 60, is the next second, as PostgreSQL reads `23:59:60`).

use std::fmt::Write;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

/// Appends `2024-05-01` (or `0044-03-15 BC`).
pub(crate) fn write_date(day: NaiveDate, out: &mut String) {
    let bc = write_day(day, out);
    if bc {
        out.push_str(" BC");
    }
}

/// Appends `2024-05-01 12:00:00[.ffffff]+00[ BC]`.
pub(crate) fn write_timestamp(time: &DateTime<Utc>, out: &mut String) {
    // Whole microseconds since the epoch: a leap second's extra nanoseconds carry into the
    // next second.
    let micros = time.timestamp() as i128 * 1_000_000 + i128::from(time.timestamp_subsec_micros());
    let seconds = micros.div_euclid(1_000_000) as i64;
    let fraction = micros.rem_euclid(1_000_000) as u32;
    let Some(time) = DateTime::from_timestamp(seconds, fraction * 1_000) else {
        // Only the last leap second of chrono's range carries beyond it.
        out.push_str("infinity");
        return;
    };
    let bc = write_day(time.date_naive(), out);
    let _ = write!(
        out,
        " {:02}:{:02}:{:02}",
        time.hour(),
        time.minute(),
        time.second()
    );
    if fraction != 0 {
        let mut digits = [0u8; 6];
        let mut rest = fraction;
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let len = digits.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
        out.push('.');
        out.push_str(std::str::from_utf8(&digits[..len]).unwrap_or(""));
    }
    out.push_str("+00");
    if bc {
        out.push_str(" BC");
    }
}

/// Appends `YYYY-MM-DD` with the year as PostgreSQL counts it; answers whether it is BC.
fn write_day(day: NaiveDate, out: &mut String) -> bool {
    let year = day.year();
    let (shown, bc) = if year <= 0 {
        (1 - i64::from(year), true)
    } else {
        (i64::from(year), false)
    };
    let _ = write!(out, "{shown:04}-{:02}-{:02}", day.month(), day.day());
    bc
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(y: i32, m: u32, d: u32) -> String {
        let mut out = String::new();
        write_date(NaiveDate::from_ymd_opt(y, m, d).unwrap(), &mut out);
        out
    }

    fn stamp(time: DateTime<Utc>) -> String {
        let mut out = String::new();
        write_timestamp(&time, &mut out);
        out
    }

    /// Expected texts from PostgreSQL 15 (`SET TimeZone = 'UTC'`, `SELECT x::text`).
    #[test]
    fn dates_are_written_as_postgresql_writes_them() {
        assert_eq!(date(2024, 5, 1), "2024-05-01");
        assert_eq!(date(99, 1, 1), "0099-01-01");
        assert_eq!(date(10000, 1, 1), "10000-01-01");
        assert_eq!(date(0, 12, 31), "0001-12-31 BC");
        assert_eq!(date(-43, 3, 15), "0044-03-15 BC");
    }

    #[test]
    fn timestamps_show_microseconds_only_when_not_zero() {
        let noon = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        assert_eq!(stamp(noon), "2024-05-01 12:00:00+00");
        let half = noon + chrono::Duration::milliseconds(500);
        assert_eq!(stamp(half), "2024-05-01 12:00:00.5+00");
        let micro = noon + chrono::Duration::microseconds(2);
        assert_eq!(stamp(micro), "2024-05-01 12:00:00.000002+00");
        let nanos = noon + chrono::Duration::nanoseconds(1_999);
        assert_eq!(stamp(nanos), "2024-05-01 12:00:00.000001+00");
        let bc = Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(stamp(bc), "0001-01-01 00:00:00+00 BC");
        let far = Utc.with_ymd_and_hms(12345, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(stamp(far), "12345-01-01 00:00:00+00");
        let before_epoch = Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap()
            + chrono::Duration::microseconds(250_000);
        assert_eq!(stamp(before_epoch), "1969-12-31 23:59:59.25+00");
    }

    #[test]
    fn a_leap_second_is_the_next_second() {
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_000_000_000)
            .unwrap()
            .and_utc();
        assert_eq!(stamp(leap), "2017-01-01 00:00:00+00");
    }
}
