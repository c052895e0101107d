//! `POST /ingest/batch`: per-line results, limits, idempotent retries of a whole batch.

mod support_api;

use axum::http::StatusCode;
use support_api::app::{AppOptions, TestApp};
use support_api::model::{ShopModel, PANICKING_KEY};

#[tokio::test]
async fn a_mixed_batch_publishes_the_valid_lines_and_reports_each_line() {
    let app = TestApp::spawn::<ShopModel>().await;
    let body = [
        r#"{"order_key": "A", "total": 1}"#,
        r#"{"order_key": "B", "total": -5}"#,
        "",
        r#"{"order_key": "C", "total": 3"#,
        r#"{"order_key": "D", "total": 4}"#,
    ]
    .join("\n");
    let response = app
        .post_batch("/ingest/batch?entity=Order", &body, &[])
        .await;
    assert_eq!(response.status, StatusCode::ACCEPTED, "{:?}", response.json);
    assert_eq!(response.json["accepted"], 2);
    assert_eq!(response.json["rejected"], 2);
    let results = response.json["results"].as_array().expect("results");
    let lines: Vec<u64> = results
        .iter()
        .map(|r| r["line"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(
        lines,
        vec![1, 2, 4, 5],
        "1-based physical lines, blank lines skipped"
    );
    assert!(results[0]["message_id"].is_string());
    assert_eq!(results[1]["errors"][0]["path"], "/total");
    assert_eq!(results[1]["errors"][0]["rule"], "min");
    assert_eq!(results[2]["errors"][0]["rule"], "json");
    assert!(results[3]["message_id"].is_string());

    let stored = app.stored().await;
    assert_eq!(stored.len(), 2);
    let stored_ids: Vec<String> = stored
        .iter()
        .map(|(_, e)| e.message_id.to_string())
        .collect();
    for result in [&results[0], &results[3]] {
        assert!(stored_ids.contains(&result["message_id"].as_str().unwrap_or_default().to_owned()));
    }
    let bodies: Vec<&[u8]> = stored.iter().map(|(_, e)| e.body.as_ref()).collect();
    assert!(bodies.contains(&br#"{"order_key": "A", "total": 1}"#.as_slice()));
    assert!(bodies.contains(&br#"{"order_key": "D", "total": 4}"#.as_slice()));
}

#[tokio::test]
async fn a_line_whose_validation_panics_is_refused_alone() {
    let app = TestApp::spawn::<ShopModel>().await;
    let body = [
        r#"{"order_key": "A", "total": 1}"#.to_owned(),
        format!(r#"{{"order_key": "{PANICKING_KEY}", "total": 2}}"#),
        r#"{"order_key": "C", "total": 3}"#.to_owned(),
    ]
    .join("\n");
    let response = app
        .post_batch("/ingest/batch?entity=Order", &body, &[])
        .await;
    assert_eq!(response.status, StatusCode::ACCEPTED, "{:?}", response.json);
    assert_eq!(response.json["accepted"], 2);
    assert_eq!(response.json["rejected"], 1);
    let results = response.json["results"].as_array().expect("results");
    assert!(results[0]["message_id"].is_string());
    assert_eq!(results[1]["line"], 2);
    assert_eq!(results[1]["errors"][0]["rule"], "internal");
    assert!(results[2]["message_id"].is_string());
    assert_eq!(app.stored().await.len(), 2, "the neighbours are published");
    // The API keeps serving after the panic.
    let again = app
        .post_batch(
            "/ingest/batch?entity=Order",
            r#"{"order_key": "D", "total": 4}"#,
            &[],
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    assert_eq!(again.json["accepted"], 1);
}

#[tokio::test]
async fn a_retried_batch_with_an_idempotency_key_stores_nothing_new() {
    let app = TestApp::spawn::<ShopModel>().await;
    let body: String = (0..50)
        .map(|i| format!("{{\"name\": \"c{i}\"}}\n"))
        .collect();
    let key = [("idempotency-key", "nightly-2026-11-27")];
    let first = app
        .post_batch("/ingest/batch?entity=Customer", &body, &key)
        .await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    assert_eq!(first.json["accepted"], 50);
    let retry = app
        .post_batch("/ingest/batch?entity=Customer", &body, &key)
        .await;
    assert_eq!(retry.status, StatusCode::ACCEPTED);
    assert_eq!(
        retry.json["results"], first.json["results"],
        "same ids line by line"
    );
    assert_eq!(app.stored().await.len(), 50);
}

#[tokio::test]
async fn batch_limits_and_errors() {
    let app = TestApp::spawn_with::<ShopModel>(
        AppOptions::default()
            .var("API_MAX_BATCH_LINES", "3")
            .var("API_MAX_BATCH_BYTES", "200"),
    )
    .await;
    let four = "{\"name\":\"a\"}\n".repeat(4);
    let too_many = app
        .post_batch("/ingest/batch?entity=Customer", &four, &[])
        .await;
    assert_eq!(too_many.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_many.json["type"], "urn:nomnom:problem:too-many-lines");

    let big = format!("{{\"name\":\"{}\"}}\n", "a".repeat(300));
    let too_big = app
        .post_batch("/ingest/batch?entity=Customer", &big, &[])
        .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);

    let empty = app
        .post_batch("/ingest/batch?entity=Customer", "\n\n", &[])
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);

    let json_type = app
        .request(
            axum::http::Method::POST,
            "/ingest/batch?entity=Customer",
            &[("content-type", "application/json")],
            "{}",
        )
        .await;
    assert_eq!(json_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let unknown = app
        .post_batch("/ingest/batch?entity=Nope", "{\"name\":\"a\"}", &[])
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.json["type"], "urn:nomnom:problem:unknown-entity");

    let all_invalid = app
        .post_batch("/ingest/batch?entity=Customer", "{}\n[1]", &[])
        .await;
    assert_eq!(all_invalid.status, StatusCode::ACCEPTED);
    assert_eq!(all_invalid.json["accepted"], 0);
    assert_eq!(all_invalid.json["rejected"], 2);
    assert!(app.stored().await.is_empty());
}
