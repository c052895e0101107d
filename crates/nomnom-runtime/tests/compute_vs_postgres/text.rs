//! `concat`, `concat_ws`, `trim` (`btrim`), `substring`, `split_part`, `replace`, `sha256`.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use nomnom_runtime::compute;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::pg::{Check, Pg};
use crate::SAMPLES;

/// Each sample, and null.
fn samples_and_null() -> impl Iterator<Item = Option<&'static str>> {
    SAMPLES.iter().copied().map(Some).chain([None])
}

fn owned(value: Option<Cow<'_, str>>) -> Option<String> {
    value.map(Cow::into_owned)
}

/// One argument list of every scalar type, cycled through with the samples.
struct Row {
    int: Option<i64>,
    decimal: Option<Decimal>,
    boolean: Option<bool>,
    float: Option<f64>,
    date: Option<NaiveDate>,
    time: Option<DateTime<Utc>>,
    uuid: Option<Uuid>,
}

fn rows() -> Vec<Row> {
    let time = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    let ints = [Some(0), Some(-42), None, Some(i64::MAX)];
    let decimals = [Some(Decimal::new(150, 2)), None, Some(Decimal::new(-5, 0))];
    let booleans = [Some(true), Some(false), None];
    let floats = [Some(0.1), None, Some(1e20), Some(f64::NAN), Some(-0.0)];
    let dates = [NaiveDate::from_ymd_opt(2024, 2, 29), None];
    let times = [
        Some(time),
        Some(time + chrono::Duration::microseconds(1_500)),
        None,
    ];
    let uuids = [
        None,
        Some(Uuid::parse_str("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").unwrap()),
    ];
    (0..SAMPLES.len() + 1)
        .map(|k| Row {
            int: ints[k % ints.len()],
            decimal: decimals[k % decimals.len()],
            boolean: booleans[k % booleans.len()],
            float: floats[k % floats.len()],
            date: dates[k % dates.len()],
            time: times[k % times.len()],
            uuid: uuids[k % uuids.len()],
        })
        .collect()
}

#[tokio::test]
async fn concat_and_concat_ws_as_postgresql() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    for (s, row) in samples_and_null().zip(rows()) {
        let args: [&dyn compute::TextArg; 8] = [
            &s,
            &row.int,
            &row.decimal,
            &row.boolean,
            &row.float,
            &row.date,
            &row.time,
            &row.uuid,
        ];
        let theirs = pg
            .text(
                "SELECT concat($1::text, $2::int8, $3::numeric, $4::bool, $5::float8, \
                 $6::date, $7::timestamptz, $8::uuid)",
                &[
                    &s,
                    &row.int,
                    &row.decimal,
                    &row.boolean,
                    &row.float,
                    &row.date,
                    &row.time,
                    &row.uuid,
                ],
            )
            .await;
        check.same(
            format!("concat({s:?}, …)"),
            Ok::<_, String>(Some(compute::concat(&args))),
            theirs,
        );
        for sep in [Some(","), Some(""), Some(" - "), Some("→"), None] {
            let theirs = pg
                .text(
                    "SELECT concat_ws($9::text, $1::text, $2::int8, $3::numeric, $4::bool, \
                     $5::float8, $6::date, $7::timestamptz, $8::uuid)",
                    &[
                        &s,
                        &row.int,
                        &row.decimal,
                        &row.boolean,
                        &row.float,
                        &row.date,
                        &row.time,
                        &row.uuid,
                        &sep,
                    ],
                )
                .await;
            check.same(
                format!("concat_ws({sep:?}, {s:?}, …)"),
                Ok::<_, String>(compute::concat_ws(sep, &args)),
                theirs,
            );
        }
        // Only nulls.
        let none: Option<&str> = None;
        let theirs = pg
            .text("SELECT concat_ws($1::text, NULL::text, NULL::int8)", &[&s])
            .await;
        check.same(
            format!("concat_ws({s:?}, null, null)"),
            Ok::<_, String>(compute::concat_ws(s, &[&none, &None::<i64>])),
            theirs,
        );
    }
    let theirs = pg.text("SELECT concat(NULL::text, NULL::int8)", &[]).await;
    let none: Option<&str> = None;
    check.same(
        "concat(null, null)",
        Ok::<_, String>(Some(compute::concat(&[&none, &None::<i64>]))),
        theirs,
    );
    check.finish("concat and concat_ws", 150, false);
}

#[tokio::test]
async fn trim_and_sha256_as_postgresql() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    for s in samples_and_null() {
        let theirs = pg.text("SELECT btrim($1::text)", &[&s]).await;
        check.same(
            format!("trim({s:?})"),
            Ok::<_, String>(owned(compute::trim(s))),
            theirs,
        );
        let theirs = pg
            .text(
                "SELECT encode(sha256(convert_to($1::text, 'UTF8')), 'hex')",
                &[&s],
            )
            .await;
        check.same(
            format!("sha256({s:?})"),
            Ok::<_, String>(compute::sha256(s)),
            theirs,
        );
    }
    check.finish("trim and sha256", 50, false);
}

#[tokio::test]
async fn substring_as_postgresql() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let starts = [-3, -1, 0, 1, 2, 3, 5, 6, 8, 12, i32::MIN, i32::MAX];
    let lengths = [-1, 0, 1, 2, 5, 100, i32::MAX];
    for s in samples_and_null() {
        for start in starts.iter().copied().map(Some).chain([None]) {
            for length in lengths.iter().copied().map(Some).chain([None]) {
                let theirs = pg
                    .text(
                        "SELECT substring($1::text, $2::int4, $3::int4)",
                        &[&s, &start, &length],
                    )
                    .await;
                let ours = compute::substring(s, start.map(i64::from), length.map(i64::from));
                check.same(
                    format!("substring({s:?}, {start:?}, {length:?})"),
                    ours.map(owned),
                    theirs,
                );
            }
        }
    }
    check.finish("substring", 2_000, true);
}

#[tokio::test]
async fn split_part_as_postgresql() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let separators = [",", "", " ", "→", "aa", "l", "😀", "ß", ", "];
    let positions = [-5, -3, -2, -1, 0, 1, 2, 3, 5, i32::MIN, i32::MAX];
    for s in samples_and_null() {
        for sep in separators.iter().copied().map(Some).chain([None]) {
            for n in positions.iter().copied().map(Some).chain([None]) {
                let theirs = pg
                    .text(
                        "SELECT split_part($1::text, $2::text, $3::int4)",
                        &[&s, &sep, &n],
                    )
                    .await;
                let ours = compute::split_part(s, sep, n.map(i64::from));
                check.same(
                    format!("split_part({s:?}, {sep:?}, {n:?})"),
                    ours.map(owned),
                    theirs,
                );
            }
        }
    }
    check.finish("split_part", 2_000, true);
}

#[tokio::test]
async fn replace_as_postgresql() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let froms = ["", "l", "ll", ",", " ", "é", "😀", "aa", "ß"];
    let tos = ["", "X", "ü", "aa"];
    for s in samples_and_null() {
        for from in froms.iter().copied().map(Some).chain([None]) {
            for to in tos.iter().copied().map(Some).chain([None]) {
                let theirs = pg
                    .text(
                        "SELECT replace($1::text, $2::text, $3::text)",
                        &[&s, &from, &to],
                    )
                    .await;
                let ours = owned(compute::replace(s, from, to));
                check.same(
                    format!("replace({s:?}, {from:?}, {to:?})"),
                    Ok::<_, String>(ours),
                    theirs,
                );
            }
        }
    }
    check.finish("replace", 1_000, false);
}
