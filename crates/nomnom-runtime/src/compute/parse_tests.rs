//! Unit tests of `parse_date` and `parse_timestamp` (PostgreSQL has no strftime reader; the
//! reference is chrono's documented format).

use super::*;
use chrono::TimeZone;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn dates_in_local_formats() {
    assert_eq!(
        parse_date("31/01/2024", "%d/%m/%Y"),
        Ok(Some(day(2024, 1, 31)))
    );
    assert_eq!(
        parse_date("29/02/2024", "%d/%m/%Y"),
        Ok(Some(day(2024, 2, 29)))
    );
    assert_eq!(
        parse_date("2024-05-01", "%Y-%m-%d"),
        Ok(Some(day(2024, 5, 1)))
    );
    assert_eq!(parse_date("20240501", "%Y%m%d"), Ok(Some(day(2024, 5, 1))));
    assert_eq!(
        parse_date("1 May 2024", "%e %b %Y"),
        Ok(Some(day(2024, 5, 1)))
    );
    assert_eq!(parse_date("2024-123", "%Y-%j"), Ok(Some(day(2024, 5, 2))));
    assert_eq!(
        parse_date(String::from("05/01/24"), "%m/%d/%y"),
        Ok(Some(day(2024, 5, 1)))
    );
    assert_eq!(parse_date(None::<&str>, "%Q"), Ok(None));
}

#[test]
fn what_is_not_a_date_in_the_format_is_an_error_naming_it() {
    let error = |s: &str, f: &str| parse_date(s, f).unwrap_err().to_string();
    assert_eq!(
        error("31/02/2024", "%d/%m/%Y"),
        "parse_date: \"31/02/2024\" is not a date in the format %d/%m/%Y"
    );
    assert_eq!(
        error("2024-05-01 ", "%Y-%m-%d"),
        "parse_date: \"2024-05-01 \" is not a date in the format %Y-%m-%d"
    );
    assert_eq!(
        error("", "%Y-%m-%d"),
        "parse_date: \"\" is not a date in the format %Y-%m-%d"
    );
    assert_eq!(
        error("2024-05", "%Y-%m"),
        "parse_date: the format \"%Y-%m\" does not name enough fields for a date"
    );
    assert_eq!(
        error("2024", "%Y-%Q"),
        "parse_date: \"%Y-%Q\" is not a valid chrono format"
    );
    assert_eq!(
        error("x", "%"),
        "parse_date: \"%\" is not a valid chrono format"
    );
    assert_eq!(
        error("-4713-11-23", "%Y-%m-%d"),
        "parse_date: \"-4713-11-23\" is before 4714-11-24 BC, the earliest day PostgreSQL holds"
    );
    assert_eq!(
        parse_date("-4713-11-24", "%Y-%m-%d"),
        Ok(Some(day(-4713, 11, 24)))
    );
}

#[test]
fn timestamps_without_an_offset_read_utc() {
    let utc = |y, mo, d, h, mi, s| Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap();
    assert_eq!(
        parse_timestamp("01/05/2024 14:30", "%d/%m/%Y %H:%M"),
        Ok(Some(utc(2024, 5, 1, 14, 30, 0)))
    );
    assert_eq!(
        parse_timestamp("2024-05-01T14:30:00+02:00", "%Y-%m-%dT%H:%M:%S%:z"),
        Ok(Some(utc(2024, 5, 1, 12, 30, 0)))
    );
    assert_eq!(
        parse_timestamp("2024-05-01 14:30:00 -0130", "%Y-%m-%d %H:%M:%S %z"),
        Ok(Some(utc(2024, 5, 1, 16, 0, 0)))
    );
    assert_eq!(
        parse_timestamp("2024-05-01", "%Y-%m-%d"),
        Ok(Some(utc(2024, 5, 1, 0, 0, 0)))
    );
    assert_eq!(
        parse_timestamp("1714573800", "%s"),
        Ok(Some(utc(2024, 5, 1, 14, 30, 0)))
    );
    assert_eq!(
        parse_timestamp("03:04:05 PM 2024-05-01", "%I:%M:%S %p %Y-%m-%d"),
        Ok(Some(utc(2024, 5, 1, 15, 4, 5)))
    );
    assert_eq!(parse_timestamp(None::<&str>, "%s"), Ok(None));
}

#[test]
fn timestamps_keep_microseconds_rounded_to_the_nearest() {
    let at = |s: &str| {
        parse_timestamp(s, "%Y-%m-%d %H:%M:%S%.f")
            .unwrap()
            .unwrap()
            .timestamp_subsec_nanos()
    };
    assert_eq!(at("2024-05-01 12:00:00.123456"), 123_456_000);
    assert_eq!(at("2024-05-01 12:00:00.1234564"), 123_456_000);
    assert_eq!(at("2024-05-01 12:00:00.1234566"), 123_457_000);
    assert_eq!(at("2024-05-01 12:00:00.0000005"), 0);
    assert_eq!(at("2024-05-01 12:00:00.0000015"), 2_000);
    let carried = parse_timestamp("2024-05-01 12:00:59.9999999", "%Y-%m-%d %H:%M:%S%.f");
    assert_eq!(
        carried,
        Ok(Some(Utc.with_ymd_and_hms(2024, 5, 1, 12, 1, 0).unwrap()))
    );
    let leap = parse_timestamp("2016-12-31 23:59:60", "%Y-%m-%d %H:%M:%S");
    assert_eq!(
        leap,
        Ok(Some(Utc.with_ymd_and_hms(2017, 1, 1, 0, 0, 0).unwrap()))
    );
}

#[test]
fn what_is_not_a_timestamp_is_an_error_naming_it() {
    let error = |s: &str, f: &str| parse_timestamp(s, f).unwrap_err().to_string();
    assert_eq!(
        error("2024-05-01 25:00", "%Y-%m-%d %H:%M"),
        "parse_timestamp: \"2024-05-01 25:00\" is not a timestamp in the format %Y-%m-%d %H:%M"
    );
    assert_eq!(
        error("14:30", "%H:%M"),
        "parse_timestamp: the format \"%H:%M\" does not name enough fields for a timestamp"
    );
    assert_eq!(
        error("2024", "%Y %!"),
        "parse_timestamp: \"%Y %!\" is not a valid chrono format"
    );
    assert_eq!(
        error("-5000-01-01 00:00", "%Y-%m-%d %H:%M"),
        "parse_timestamp: \"-5000-01-01 00:00\" is before 4714-11-24 BC, the earliest day PostgreSQL holds"
    );
}
