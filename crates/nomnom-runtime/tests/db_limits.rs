//! What the API accepts, PostgreSQL stores exactly; what it refuses, PostgreSQL refuses too.
//! Against the real server, each test in a database of its own.

use chrono::{DateTime, NaiveDate, Utc};
use nomnom_runtime::db::limits;
use nomnom_runtime::json::{self, field, Json};
use nomnom_runtime::model::FieldError;
use nomnom_testkit::database::TestDatabase;
use rust_decimal::Decimal;
use tokio_postgres::types::Type;

/// Reads `text` as a `json` field would be read.
fn json_field(text: &str) -> Result<Json, Vec<FieldError>> {
    let value = json::parse(text.as_bytes()).expect("valid JSON");
    let mut errors = Vec::new();
    field::json(&value, &field::Loc::new("", "doc"), &mut errors).ok_or(errors)
}

#[tokio::test]
async fn json_values_come_back_digit_for_digit() {
    let db = TestDatabase::create_shared().await;
    let client = db.client().await;
    client
        .batch_execute("CREATE TABLE docs (n int PRIMARY KEY, doc jsonb, plain json)")
        .await
        .expect("create table");
    let long_integer = "9".repeat(131_072);
    let long_fraction = format!("0.{}", "1".repeat(16_383));
    let numbers = [
        "12345678901234567890.123456789",
        "-0.000000000000000000000000000000000000001",
        "3.14159265358979323846264338327950288419716939937510",
        "1.50",
        &long_integer,
        &long_fraction,
    ];
    // One row per number, bound one by one as `jsonb` and as `json`.
    for (n, number) in numbers.iter().enumerate() {
        let doc = json_field(&format!("{{\"n\": {number}, \"s\": \"é\\n\"}}")).expect("storable");
        client
            .execute(
                "INSERT INTO docs VALUES ($1, $2, $3)",
                &[&(n as i32), &doc, &doc],
            )
            .await
            .expect("insert");
    }
    for (n, number) in numbers.iter().enumerate() {
        let row = client
            .query_one(
                "SELECT doc->'n', (doc->'n')::text, doc->>'s', plain::text FROM docs WHERE n = $1",
                &[&(n as i32)],
            )
            .await
            .expect("select");
        let back: Json = row.get(0);
        assert_eq!(back.as_str(), *number);
        assert_eq!(row.get::<_, String>(1), *number);
        assert_eq!(row.get::<_, String>(2), "é\n");
        assert_eq!(
            row.get::<_, String>(3),
            format!("{{\"n\":{number},\"s\":\"é\\n\"}}")
        );
    }
    // An exponent is kept as the number it means (jsonb prints numerics without one).
    let doc = json_field("[1e400, 2.5E-3]").expect("storable");
    let row = client
        .query_one(
            "SELECT $1::jsonb->0 = to_jsonb(1e400::numeric), ($1::jsonb->>1)::numeric = 0.0025",
            &[&doc],
        )
        .await
        .expect("compare");
    assert!(row.get::<_, bool>(0));
    assert!(row.get::<_, bool>(1));
}

#[tokio::test]
async fn columns_of_json_bind_as_jsonb_arrays_with_nulls() {
    let db = TestDatabase::create_shared().await;
    let client = db.client().await;
    client
        .batch_execute("CREATE TABLE docs (n bigint, doc jsonb)")
        .await
        .expect("create table");
    let keys: Vec<i64> = vec![1, 2, 3];
    let docs: Vec<Option<Json>> = vec![
        Some(json_field(r#"{"big": 123456789012345678901234567890.5}"#).expect("storable")),
        None,
        Some(Json::default()),
    ];
    let inserted = client
        .query_typed(
            "INSERT INTO docs SELECT * FROM UNNEST($1::int8[], $2::jsonb[])",
            &[(&keys, Type::INT8_ARRAY), (&docs, Type::JSONB_ARRAY)],
        )
        .await;
    assert!(inserted.is_ok(), "{inserted:?}");
    let required: Vec<Json> = vec![json_field("[0.10]").expect("storable")];
    client
        .query_typed(
            "INSERT INTO docs SELECT 4, d FROM UNNEST($1::jsonb[]) AS d",
            &[(&required, Type::JSONB_ARRAY)],
        )
        .await
        .expect("insert required column");
    let rows = client
        .query("SELECT n, doc FROM docs ORDER BY n", &[])
        .await
        .expect("select");
    let back: Vec<(i64, Option<String>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get::<_, Option<Json>>(1).map(Json::into_string)))
        .collect();
    assert_eq!(
        back,
        [
            (
                1,
                Some(r#"{"big": 123456789012345678901234567890.5}"#.to_owned())
            ),
            (2, None),
            (3, Some("null".to_owned())),
            (4, Some("[0.10]".to_owned())),
        ]
    );
}

/// Whether PostgreSQL takes `text` as jsonb.
async fn postgres_takes_jsonb(client: &tokio_postgres::Client, text: &str) -> bool {
    client
        .query_one("SELECT $1::text::jsonb", &[&text])
        .await
        .is_ok()
}

#[tokio::test]
async fn what_the_api_refuses_postgresql_refuses_and_the_edges_it_takes() {
    let db = TestDatabase::create_shared().await;
    let client = db.client().await;
    let mut cases: Vec<String> = [
        "1e131071",
        "1e131072",
        "1e999999",
        "-1e999999",
        "1e-16383",
        "1e-16384",
        "0e-16383",
        "0.0e-16383",
        "0e999999",
        "0e1073741823",
        "1.5e-16383",
        r#""a\u0000b""#,
        r#"{"\u0000": 1}"#,
        r#""\u0001""#,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    cases.push(format!("1{}", "0".repeat(131_072)));
    cases.push(format!("1{}", "0".repeat(131_071)));
    cases.push(format!("0.{}", "0".repeat(16_384)));
    for text in &cases {
        let ours = json_field(text);
        let theirs = postgres_takes_jsonb(&client, text).await;
        let shown = &text[..text.len().min(30)];
        assert_eq!(ours.is_ok(), theirs, "{shown}: ours {ours:?}");
        if let Err(errors) = ours {
            assert_eq!(errors[0].rule, "format", "{shown}");
            assert!(errors[0].path.starts_with("/doc"), "{shown}");
        }
    }
}

#[tokio::test]
async fn strings_with_nul_are_refused_as_postgresql_text_refuses_them() {
    let db = TestDatabase::create_shared().await;
    let client = db.client().await;
    let refused = client
        .query_one("SELECT $1::text", &[&"a\0b"])
        .await
        .is_err();
    assert!(refused, "PostgreSQL text takes NUL now: the check can go");
    let value = json::parse(br#""a\u0000b""#).expect("valid JSON");
    let mut errors = Vec::new();
    assert_eq!(
        field::string(&value, &field::Loc::new("", "name"), &mut errors),
        None
    );
    assert_eq!(errors[0].path, "/name");
    let value = json::parse(br#""a\u0001b""#).expect("valid JSON");
    let text = field::string(&value, &field::Loc::new("", "name"), &mut errors).expect("text");
    let row = client
        .query_one("SELECT $1::text", &[&text])
        .await
        .expect("stored");
    assert_eq!(row.get::<_, String>(0), "a\u{1}b");
}

#[tokio::test]
async fn decimals_dates_and_timestamps_the_api_reads_all_fit() {
    let db = TestDatabase::create_shared().await;
    let client = db.client().await;
    // Every decimal the API reads (at most 28 significant digits and 28 places) is a numeric.
    let decimals = [
        Decimal::MAX,
        Decimal::MIN,
        Decimal::new(1, 28),
        Decimal::new(-1, 28),
        field::parse_decimal("-0.000").expect("decimal"),
    ];
    for d in decimals {
        let row = client
            .query_one("SELECT $1::numeric, $1::numeric::text", &[&d])
            .await
            .expect("numeric takes it");
        assert_eq!(row.get::<_, Decimal>(0), d);
    }
    // The extreme dates and instants the body's formats can write.
    for text in ["0000-01-01", "9999-12-31"] {
        let value = json::Value::String(text.into());
        let day = field::date(&value, &field::Loc::new("", "d"), &mut Vec::new()).expect("day");
        let row = client
            .query_one("SELECT $1::date", &[&day])
            .await
            .expect("date takes it");
        assert_eq!(row.get::<_, NaiveDate>(0), day);
    }
    for text in [
        "0000-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59.999999-23:59",
    ] {
        let value = json::Value::String(text.into());
        let time = field::timestamp(&value, &field::Loc::new("", "t"), &mut Vec::new())
            .expect("timestamp");
        let row = client
            .query_one("SELECT $1::timestamptz", &[&time])
            .await
            .expect("timestamptz takes it");
        assert_eq!(row.get::<_, DateTime<Utc>>(0), time);
    }
    // The bounds the converters guard agree with PostgreSQL's.
    let earliest = limits::EARLIEST_DAY;
    let before = earliest.pred_opt().expect("a day before");
    assert!(client
        .query_one("SELECT $1::date", &[&earliest])
        .await
        .is_ok());
    assert!(client
        .query_one("SELECT $1::date", &[&before])
        .await
        .is_err());
    let midnight = earliest.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    assert!(client
        .query_one("SELECT $1::timestamptz", &[&midnight])
        .await
        .is_ok());
    let just_before = midnight - chrono::Duration::microseconds(1);
    assert!(client
        .query_one("SELECT $1::timestamptz", &[&just_before])
        .await
        .is_err());
    assert!(!limits::timestamp_fits(&just_before));
}
