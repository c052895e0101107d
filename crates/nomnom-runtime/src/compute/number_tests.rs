//! Unit tests of `to_integer`, `to_decimal` and `to_float`. Expected values were checked
//! against PostgreSQL 15 (`s::int8`, `s::numeric::text`, `s::float8::text`);
//! `tests/compute_vs_postgres.rs` compares many more cases with the server itself.

use super::*;
use crate::compute::ToText;

#[test]
fn integers_as_bigint_reads_them() {
    for (s, expected) in [
        ("  42  ", 42),
        ("\t-7\n", -7),
        ("\u{0B}5\u{0C}", 5),
        ("+0", 0),
        ("-0", 0),
        ("007", 7),
        ("9223372036854775807", i64::MAX),
        ("-9223372036854775808", i64::MIN),
    ] {
        assert_eq!(to_integer(s), Ok(Some(expected)), "{s:?}");
    }
    assert_eq!(to_integer(None::<&str>), Ok(None));
}

#[test]
fn what_bigint_refuses_is_an_error() {
    for s in [
        "1.5", "1e3", " 1 2 ", "+", "", "- 5", "0x10", "1_000", "١٢", "12a",
    ] {
        assert_eq!(
            to_integer(s).unwrap_err().to_string(),
            format!("to_integer: {s:?} is not an integer")
        );
    }
    for s in [
        "9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999999",
    ] {
        assert_eq!(
            to_integer(s).unwrap_err().to_string(),
            format!("to_integer: {s:?} is out of range for a 64-bit integer")
        );
    }
}

#[test]
fn decimals_keep_postgresql_s_scale() {
    for (s, expected) in [
        ("1.50", "1.50"),
        (" -.5 ", "-0.5"),
        ("5.", "5"),
        ("1.50e1", "15.0"),
        ("1e-3", "0.001"),
        ("-0.00", "0.00"),
        ("0001.10", "1.10"),
        ("1E+2", "100"),
        ("+12.345e2", "1234.5"),
        (
            "79228162514264337593543950335",
            "79228162514264337593543950335",
        ),
        (
            "0.0000000000000000000000000001",
            "0.0000000000000000000000000001",
        ),
    ] {
        let value = to_decimal(s).unwrap().unwrap();
        assert_eq!(value.to_text(), expected, "{s:?}");
    }
    assert_eq!(to_decimal(None::<&str>), Ok(None));
}

#[test]
fn what_numeric_refuses_or_a_decimal_cannot_hold_is_an_error() {
    for s in [
        "1,5", "e5", "1e+", "+NaN", ".", "", "1e", "0x1", "1..2", "--1",
    ] {
        assert_eq!(
            to_decimal(s).unwrap_err().to_string(),
            format!("to_decimal: {s:?} is not a number"),
        );
    }
    for s in [" NaN ", "-Infinity", "inf", "+inf"] {
        assert_eq!(
            to_decimal(s).unwrap_err().to_string(),
            format!("to_decimal: {s:?} is not a finite number")
        );
    }
    let too_many_places = format!("1.{}", "0".repeat(29));
    for s in [
        "79228162514264337593543950336",
        "0.00000000000000000000000000001",
        "1e29",
        &too_many_places,
        "1e-99999999999999999999",
    ] {
        assert!(
            to_decimal(s)
                .unwrap_err()
                .to_string()
                .contains("does not fit a decimal"),
            "{s:?}"
        );
    }
}

#[test]
fn floats_as_float8_reads_them() {
    for (s, expected) in [
        ("3e-324", "5e-324"),
        ("1e-310", "1e-310"),
        (" infinity ", "Infinity"),
        ("+inFinity", "Infinity"),
        ("-inf", "-Infinity"),
        ("nan", "NaN"),
        ("+nan", "NaN"),
        ("-nan", "NaN"),
        ("nan(123)", "NaN"),
        ("  1.5  ", "1.5"),
        ("1.", "1"),
        (".5", "0.5"),
        ("-0", "-0"),
        ("0.1", "0.1"),
        ("1e15", "1e+15"),
    ] {
        let value = to_float(s).unwrap().unwrap();
        assert_eq!(value.to_text(), expected, "{s:?}");
    }
    assert_eq!(to_float(None::<&str>), Ok(None));
}

#[test]
fn what_float8_refuses_is_an_error() {
    for s in [".", "1e", "infinit", "", "1,5", "nan()x", "0x", "e1"] {
        assert_eq!(
            to_float(s).unwrap_err().to_string(),
            format!("to_float: {s:?} is not a number"),
        );
    }
    for s in ["1e-400", " 2e-324", "1e400", "-1e309"] {
        assert_eq!(
            to_float(s).unwrap_err().to_string(),
            format!("to_float: {s:?} is out of range for a float"),
        );
    }
}
