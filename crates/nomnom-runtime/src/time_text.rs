//! Dates and timestamps as text, on the hot paths: `YYYY-MM-DD` read from message bodies and
//! RFC 3339 timestamps written into envelope headers and 202 answers.
//!
//! chrono's format machinery interprets a format description for every value; these fixed
//! layouts are read and written directly (a profile of the API had chrono's `strftime` and
//! `parse` at several percent of every request). The results are exactly chrono's: the tests
//! compare both on every edge.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

/// A timestamp written as RFC 3339 in UTC with microseconds: `2026-12-01T13:28:02.123456Z`.
#[derive(Clone, Copy)]
pub struct Rfc3339Micros {
    bytes: [u8; 32],
    len: usize,
}

impl Rfc3339Micros {
    /// The text of `time`.
    pub fn new(time: &DateTime<Utc>) -> Rfc3339Micros {
        let mut bytes = [0u8; 32];
        let year = time.year();
        if !(0..=9999).contains(&year) {
            // Beyond four digits (a sign and more digits): never read off a clock, so left
            // to chrono, at most 32 bytes for any year chrono represents.
            let text = time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            let len = text.len().min(bytes.len());
            bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
            return Rfc3339Micros { bytes, len };
        }
        bytes[..27].copy_from_slice(b"0000-00-00T00:00:00.000000Z");
        put_digits(&mut bytes[0..4], year as u32);
        put_digits(&mut bytes[5..7], time.month());
        put_digits(&mut bytes[8..10], time.day());
        put_digits(&mut bytes[11..13], time.hour());
        put_digits(&mut bytes[14..16], time.minute());
        // A leap second shows as second 60, as chrono writes it.
        let nanos = time.nanosecond();
        let (second, nanos) = if nanos >= 1_000_000_000 {
            (time.second() + 1, nanos - 1_000_000_000)
        } else {
            (time.second(), nanos)
        };
        put_digits(&mut bytes[17..19], second);
        put_digits(&mut bytes[20..26], nanos / 1_000);
        Rfc3339Micros { bytes, len: 27 }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Display for Rfc3339Micros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Writes `value` as exactly `out.len()` decimal digits (leading zeros).
fn put_digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Reads a date written exactly `YYYY-MM-DD` (ASCII digits, a valid calendar day).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    NaiveDate::from_ymd_opt(year as i32, month, day)
}

/// The value of a run of ASCII digits.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{SecondsFormat, TimeZone};

    #[test]
    fn timestamps_are_written_as_chrono_writes_them() {
        let cases = [
            Utc.with_ymd_and_hms(2026, 12, 1, 13, 28, 2).unwrap(),
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap()
                + chrono::Duration::microseconds(999_999),
            Utc.with_ymd_and_hms(2024, 2, 29, 7, 5, 9).unwrap()
                + chrono::Duration::microseconds(42),
            Utc::now(),
        ];
        for t in cases {
            assert_eq!(
                Rfc3339Micros::new(&t).as_str(),
                t.to_rfc3339_opts(SecondsFormat::Micros, true),
                "{t:?}"
            );
        }
        // Nanoseconds below a microsecond are cut, as chrono does.
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
            + chrono::Duration::nanoseconds(1_999);
        assert_eq!(
            Rfc3339Micros::new(&t).as_str(),
            "2026-01-02T03:04:05.000001Z"
        );
        // Years beyond four digits fall back to chrono.
        let far = Utc.with_ymd_and_hms(12345, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            Rfc3339Micros::new(&far).to_string(),
            far.to_rfc3339_opts(SecondsFormat::Micros, true)
        );
    }

    #[test]
    fn dates_are_read_only_in_their_one_layout() {
        assert_eq!(
            parse_date("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        assert_eq!(parse_date("0001-01-01"), NaiveDate::from_ymd_opt(1, 1, 1));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-32",
            "2024-1-01",
            "2024-01-1 ",
            "24-01-2024",
            "2024/01/01",
            "+024-01-01",
            "2024-01-01T00:00:00Z",
            "",
            "２０２４-01-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates_agree_with_chrono_on_every_day_of_a_leap_cycle() {
        let mut day = NaiveDate::from_ymd_opt(1999, 12, 25).unwrap();
        while day < NaiveDate::from_ymd_opt(2004, 1, 5).unwrap() {
            let text = day.format("%Y-%m-%d").to_string();
            assert_eq!(parse_date(&text), Some(day));
            day = day.succ_opt().unwrap();
        }
    }
}
