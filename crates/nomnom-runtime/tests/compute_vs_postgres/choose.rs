//! `coalesce`, `nullif` and `lookup` (as `CASE key WHEN …`) against PostgreSQL, with each
//! type's equality.

use nomnom_runtime::compute::{self, ToText};
use nomnom_runtime::json::Json;
use rust_decimal::Decimal;

use crate::pg::{Check, Pg};
use crate::SAMPLES;

#[tokio::test]
async fn coalesce_as_postgresql() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let texts: Vec<Option<&str>> = SAMPLES.iter().copied().map(Some).chain([None]).collect();
    for (k, a) in texts.iter().enumerate() {
        for b in [None, Some("b"), Some("")] {
            let c = texts[(k * 7) % texts.len()];
            let theirs = pg
                .text(
                    "SELECT coalesce($1::text, $2::text, $3::text)",
                    &[a, &b, &c],
                )
                .await;
            let ours = compute::coalesce([compute::text(*a), compute::text(b), compute::text(c)]);
            check.same(
                format!("coalesce({a:?}, {b:?}, {c:?})"),
                Ok::<_, String>(ours.map(|t| t.into_owned())),
                theirs,
            );
        }
    }
    for (a, b) in [
        (None, None),
        (None, Some(2i64)),
        (Some(1), None),
        (Some(1), Some(2)),
    ] {
        let theirs = pg
            .value::<i64>("SELECT coalesce($1::int8, $2::int8)", &[&a, &b])
            .await;
        check.same(
            format!("coalesce({a:?}, {b:?})"),
            Ok::<_, String>(compute::coalesce([a, b])),
            theirs,
        );
    }
    check.finish("coalesce", 80, false);
}

#[tokio::test]
async fn nullif_as_postgresql() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let texts: Vec<Option<&str>> = SAMPLES.iter().copied().map(Some).chain([None]).collect();
    for a in &texts {
        for b in [None, Some(""), Some("x"), Some("X"), Some("hello"), *a] {
            let theirs = pg.text("SELECT nullif($1::text, $2::text)", &[a, &b]).await;
            let ours = compute::nullif(*a, b);
            check.same(
                format!("nullif({a:?}, {b:?})"),
                Ok::<_, String>(ours.map(str::to_string)),
                theirs,
            );
        }
    }
    let ints = [None, Some(0i64), Some(1), Some(-1), Some(i64::MAX)];
    for a in ints {
        for b in ints {
            let theirs = pg
                .value::<i64>("SELECT nullif($1::int8, $2::int8)", &[&a, &b])
                .await;
            check.same(
                format!("nullif({a:?}, {b:?})"),
                Ok::<_, String>(compute::nullif(a, b)),
                theirs,
            );
        }
    }
    let floats = [
        None,
        Some(0.0f64),
        Some(-0.0),
        Some(1.5),
        Some(f64::NAN),
        Some(f64::INFINITY),
    ];
    for a in floats {
        for b in floats {
            let theirs = pg
                .text("SELECT nullif($1::float8, $2::float8)::text", &[&a, &b])
                .await;
            let ours = compute::nullif(a, b).map(|f| f.to_text());
            check.same(
                format!("nullif({a:?}, {b:?})"),
                Ok::<_, String>(ours),
                theirs,
            );
        }
    }
    let decimals = [
        None,
        Some(Decimal::new(150, 2)),
        Some(Decimal::new(15, 1)),
        Some(Decimal::ZERO),
        Some(Decimal::new(0, 3)),
    ];
    for a in decimals {
        for b in decimals {
            // As text: rust_decimal binds a zero without its scale.
            let (ta, tb) = (a.map(|d| d.to_string()), b.map(|d| d.to_string()));
            let theirs = pg
                .text(
                    "SELECT nullif($1::text::numeric, $2::text::numeric)::text",
                    &[&ta, &tb],
                )
                .await;
            let ours = compute::nullif(a, b).map(|d| d.to_text());
            check.same(
                format!("nullif({a:?}, {b:?})"),
                Ok::<_, String>(ours),
                theirs,
            );
        }
    }
    let jsons: Vec<Option<Json>> = [
        r#"{"a":1.0,"b":[1,2]}"#,
        r#"{"b":[1,2.00],"a":1}"#,
        r#"{"a":1}"#,
        "[1,2]",
        "[2,1]",
        "1e2",
        "100",
        "\"100\"",
        "null",
    ]
    .iter()
    .map(|t| Some(Json::parse(t).unwrap()))
    .chain([None])
    .collect();
    for a in &jsons {
        for b in &jsons {
            let theirs = pg
                .text("SELECT nullif($1::jsonb, $2::jsonb)::text", &[a, b])
                .await;
            let ours = compute::nullif(a.clone(), b.clone()).map(|j| j.to_text());
            check.same(
                format!("nullif({a:?}, {b:?})"),
                Ok::<_, String>(ours),
                theirs,
            );
        }
    }
    check.finish("nullif", 350, false);
}

/// `lookup(key, k1, v1, k2, v2, default)` is `CASE key WHEN k1 THEN v1 WHEN k2 THEN v2 ELSE
/// default END` for a key that is not null (a null key gives null, by the function table).
#[tokio::test]
async fn lookup_as_case() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let keys = [Some("A"), Some("a"), Some("B"), Some(""), Some("é"), None];
    let values = [Some("first"), None, Some("second"), Some("")];
    for key in keys {
        for k1 in keys {
            for k2 in [Some("B"), None, Some("A")] {
                for (v1, v2) in [(values[0], values[2]), (values[1], values[3])] {
                    for default in [Some("other"), None] {
                        let ours = compute::lookup(key, [(k1, v1), (k2, v2)], default);
                        if key.is_none() {
                            if ours.is_none() {
                                check.pass();
                            } else {
                                check.fail(format!("lookup(null, …) is {ours:?}"));
                            }
                            continue;
                        }
                        let theirs = pg
                            .text(
                                "SELECT CASE $1::text WHEN $2::text THEN $3::text \
                                 WHEN $4::text THEN $5::text ELSE $6::text END",
                                &[&key, &k1, &v1, &k2, &v2, &default],
                            )
                            .await;
                        check.same(
                            format!("lookup({key:?}, {k1:?}, {v1:?}, {k2:?}, {v2:?}, {default:?})"),
                            Ok::<_, String>(ours.map(str::to_string)),
                            theirs,
                        );
                    }
                }
            }
        }
    }
    for key in [Some(1.5f64), Some(f64::NAN), Some(-0.0)] {
        let pairs = [
            (Some(f64::NAN), Some("nan")),
            (Some(0.0), Some("zero")),
            (Some(1.5), Some("one and a half")),
        ];
        let theirs = pg
            .text(
                "SELECT CASE $1::float8 WHEN 'NaN' THEN 'nan' WHEN 0 THEN 'zero' \
                 WHEN 1.5 THEN 'one and a half' END",
                &[&key],
            )
            .await;
        check.same(
            format!("lookup({key:?}, …)"),
            Ok::<_, String>(compute::lookup(key, pairs, None).map(str::to_string)),
            theirs,
        );
    }
    check.finish("lookup", 400, false);
}
