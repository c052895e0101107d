//! `ToText` against `x::text` for every scalar type, values bound as parameters of their
//! PostgreSQL type and sent back as text.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nomnom_runtime::compute::ToText;
use nomnom_runtime::json::Json;
use rust_decimal::Decimal;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::pg::{Check, Pg};

/// A deterministic stream of 64-bit values (a linear congruential generator).
fn pseudo_random(count: usize) -> impl Iterator<Item = u64> {
    let mut state = 0x853c_49e6_748f_ea9bu64;
    (0..count).map(move |_| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state ^ (state >> 29)
    })
}

/// Compares the text of each value with PostgreSQL's, all values in one array parameter.
async fn compare<T: ToText + ToSql + Sync + std::fmt::Debug>(
    pg: &Pg,
    check: &mut Check,
    sql_type: &str,
    values: &[T],
) {
    let sql = format!(
        "SELECT (x)::text FROM unnest($1::{sql_type}[]) WITH ORDINALITY AS t(x, i) ORDER BY i"
    );
    let theirs = pg.texts(&sql, &[&values]).await;
    assert_eq!(theirs.len(), values.len(), "{sql_type}: one row per value");
    for (value, theirs) in values.iter().zip(theirs) {
        check.same(
            format!("{value:?}::{sql_type}::text"),
            Ok::<_, String>(Some(value.to_text())),
            Ok(theirs),
        );
    }
}

#[tokio::test]
async fn integers_booleans_and_uuids_as_text() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let mut ints = vec![0i64, 1, -1, 42, i64::MAX, i64::MIN, 1_000_000];
    ints.extend(pseudo_random(500).map(|r| r as i64 >> (r % 64)));
    compare(&pg, &mut check, "int8", &ints).await;
    compare(&pg, &mut check, "bool", &[true, false]).await;
    let mut uuids = vec![Uuid::nil(), Uuid::max()];
    uuids.extend(pseudo_random(50).map(|r| Uuid::from_u64_pair(r, r.rotate_left(17))));
    compare(&pg, &mut check, "uuid", &uuids).await;
    check.finish("integers, booleans and uuids", 550, false);
}

#[tokio::test]
async fn floats_as_text() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let mut floats = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        0.30000000000000004,
        1e15,
        1e14,
        123456789012345.0,
        999999999999999.9,
        1e16,
        1e-4,
        1e-5,
        0.00012345,
        1.2345e-7,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324,
        f64::EPSILON,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        std::f64::consts::PI,
        2f64.powi(53),
        2f64.powi(53) + 2.0,
    ];
    // Every bit pattern is a float: the whole range, subnormals and NaNs included.
    floats.extend(pseudo_random(5_000).map(f64::from_bits));
    // Floats of few digits, in and around the fixed-notation range.
    floats.extend(pseudo_random(2_000).map(|r| {
        let exponent = (r % 40) as i32 - 20;
        ((r >> 8) % 100_000) as f64 * 10f64.powi(exponent)
    }));
    // Powers of two (where the float below is half as far) and their neighbours.
    for exponent in -1074..=1023 {
        let power = 2f64.powi(exponent);
        let bits = power.to_bits();
        floats.extend([
            power,
            f64::from_bits(bits + 1),
            f64::from_bits(bits.saturating_sub(1)),
        ]);
    }
    // Decimals of few digits read as floats: where a shortest decimal may be a midpoint.
    floats.extend(pseudo_random(20_000).map(|r| {
        let text = format!("{}e{}", (r >> 20) % 1_000_000, (r % 600) as i32 - 300);
        text.parse::<f64>().unwrap()
    }));
    compare(&pg, &mut check, "float8", &floats).await;
    check.finish("floats", 30_000, false);
}

#[tokio::test]
async fn decimals_as_text() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let mut decimals = vec![
        Decimal::ZERO,
        Decimal::new(0, 2),
        -Decimal::new(0, 2),
        Decimal::new(150, 2),
        Decimal::new(-150, 2),
        Decimal::new(1, 28),
        Decimal::MAX,
        Decimal::MIN,
        Decimal::new(123_456_789, 0),
        Decimal::new(10, 0),
        Decimal::from_i128_with_scale(10i128.pow(27), 27),
    ];
    decimals.extend(pseudo_random(500).map(|r| {
        let scale = (r % 29) as u32;
        Decimal::from_i128_with_scale(i128::from(r as i64 >> (r % 50)), scale)
    }));
    // rust_decimal binds a zero without its scale (`0.00` arrives as `0`): zeros go as text.
    let (zeros, others): (Vec<Decimal>, Vec<Decimal>) =
        decimals.into_iter().partition(|d| d.is_zero());
    compare(&pg, &mut check, "numeric", &others).await;
    let zero_texts: Vec<String> = zeros.iter().map(|d| d.to_string()).collect();
    let theirs = pg
        .texts(
            "SELECT (x::numeric)::text FROM unnest($1::text[]) WITH ORDINALITY AS t(x, i) ORDER BY i",
            &[&zero_texts],
        )
        .await;
    for (zero, theirs) in zeros.iter().zip(theirs) {
        check.same(
            format!("{zero:?} as text"),
            Ok::<_, String>(Some(zero.to_text())),
            Ok(theirs),
        );
    }
    check.finish("decimals", 500, false);
}

#[tokio::test]
async fn dates_and_timestamps_as_text() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let mut dates = vec![
        day(2024, 5, 1),
        day(2024, 2, 29),
        day(1, 1, 1),
        day(0, 12, 31),
        day(-43, 3, 15),
        day(-4713, 11, 24),
        day(99, 1, 1),
        day(999, 12, 31),
        day(10000, 1, 1),
        day(262142, 12, 31),
        day(1970, 1, 1),
        day(1999, 12, 31),
        day(2000, 1, 1),
    ];
    dates.extend(
        pseudo_random(500)
            .map(|r| day(2000, 1, 1) + Duration::days((r % 4_000_000) as i64 - 2_000_000)),
    );
    compare(&pg, &mut check, "date", &dates).await;

    let noon = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    let mut times: Vec<DateTime<Utc>> = vec![
        noon,
        noon + Duration::milliseconds(500),
        noon + Duration::microseconds(1),
        noon + Duration::microseconds(123_450),
        Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(-4713, 11, 24, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(12345, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap() + Duration::microseconds(250_000),
        Utc.with_ymd_and_hms(262142, 12, 31, 23, 59, 59).unwrap() + Duration::microseconds(999_999),
    ];
    // Whole microseconds: PostgreSQL holds nothing finer.
    times.extend(pseudo_random(1_000).map(|r| {
        let micros = (r % 400_000_000_000_000_000) as i64 - 200_000_000_000_000_000;
        DateTime::from_timestamp_micros(micros).unwrap()
    }));
    compare(&pg, &mut check, "timestamptz", &times).await;
    check.finish("dates and timestamps", 1_500, false);
}

#[tokio::test]
async fn json_as_jsonb_text() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let texts = [
        "null",
        "true",
        "0",
        "-0",
        "-0.0",
        "1e2",
        "1.0E+2",
        "1.50e-3",
        "123456789e-20",
        "12345678901234567890.123456789",
        "1e400",
        "-1.5e-400",
        "\"\"",
        r#""a\"b\\c\/d\b\f\r\t\u0001\u001f é 😀 \u00e9""#,
        "[]",
        "{}",
        "[1, [2, [3, {}]], \"x\"]",
        r#"{"b":1,"a":[1.0,2e2,-0,"x\u0041\n",true,null],"aa":{"c":-1.5E-3}}"#,
        r#"{"":1,"b":2,"ab":3,"é":4,"z":5,"aa":{"zz":[],"y":{}}}"#,
        r#"{"key with spaces": "value", "Ä": 1, "a": 2, "B": 3}"#,
    ];
    let values: Vec<Json> = texts
        .iter()
        .map(|t| Json::parse(t).expect("valid JSON"))
        .collect();
    compare(&pg, &mut check, "jsonb", &values).await;
    check.finish("json", texts.len(), false);
}
