//! `POST /ingest/message` against the real NATS: 202 only once the stream holds the message,
//! every error status, idempotent retries, and concurrent publishing.

mod support_api;

use axum::http::StatusCode;
use nomnom_runtime::envelope::{HEADER_NATS_MSG_ID, HEADER_SOURCE};
use support_api::app::TestApp;
use support_api::model::{EventModel, ShopModel, SHOP_OPENAPI};

const ORDER: &str = r#"{"order_key": "A-1", "total": 12.50, "items": [{"qty": 2}]}"#;

#[tokio::test]
async fn accepted_message_is_in_the_stream_with_its_envelope() {
    let app = TestApp::spawn::<ShopModel>().await;
    let response = app
        .post_message(
            "/ingest/message?entity=Order",
            ORDER,
            &[("x-source", "erp-7")],
        )
        .await;
    assert_eq!(response.status, StatusCode::ACCEPTED, "{:?}", response.json);
    assert_eq!(response.json["status"], "accepted");
    let message_id: uuid::Uuid = response.json["message_id"]
        .as_str()
        .expect("message_id")
        .parse()
        .expect("a uuid");
    assert_eq!(message_id.get_version_num(), 7, "message ids are UUIDv7");
    let timestamp = response.json["timestamp"].as_str().expect("timestamp");

    // The 202 came after the acknowledgement: the stream already holds it.
    let stored = app.stored().await;
    assert_eq!(stored.len(), 1);
    let (subject, envelope) = &stored[0];
    assert_eq!(
        subject,
        &format!("{}.ingest.Order", app.stream.to_ascii_lowercase())
    );
    assert_eq!(envelope.message_id, message_id);
    assert_eq!(
        envelope.body.as_ref(),
        ORDER.as_bytes(),
        "the body is stored byte for byte"
    );
    assert_eq!(envelope.entity_type, "Order");
    assert_eq!(envelope.source.as_deref(), Some("erp-7"));
    assert_eq!(envelope.retry_count, 0);
    let answered: chrono::DateTime<chrono::Utc> = timestamp.parse().expect("RFC 3339 timestamp");
    assert_eq!(envelope.received_at, answered);

    // The raw headers follow the wire format.
    let raw = app
        .state
        .nats
        .stream()
        .get_raw_message(1)
        .await
        .expect("raw message");
    // No idempotency key, so no `Nats-Msg-Id` for JetStream to remember.
    assert_eq!(raw.headers.get(HEADER_NATS_MSG_ID), None);
    assert_eq!(
        raw.headers
            .get(HEADER_SOURCE)
            .map(|v| v.as_str().to_owned()),
        Some("erp-7".to_owned())
    );
}

#[tokio::test]
async fn the_entity_comes_from_the_query_the_header_or_the_only_root() {
    let app = TestApp::spawn::<ShopModel>().await;
    let by_header = app
        .post_message(
            "/ingest/message",
            r#"{"name": "Ada"}"#,
            &[("x-entity-type", "Customer")],
        )
        .await;
    assert_eq!(
        by_header.status,
        StatusCode::ACCEPTED,
        "{:?}",
        by_header.json
    );
    let stored = app.stored().await;
    assert_eq!(stored[0].1.entity_type, "Customer");

    let missing = app.post_message("/ingest/message", ORDER, &[]).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.json["type"], "urn:nomnom:problem:missing-entity");
    assert_eq!(
        missing.json["valid_entities"],
        serde_json::json!(["Order", "Customer"])
    );

    let unknown = app
        .post_message("/ingest/message?entity=Invoice", ORDER, &[])
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(unknown.json["type"], "urn:nomnom:problem:unknown-entity");
    assert!(
        unknown.json["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Order, Customer")),
        "{:?}",
        unknown.json
    );

    let single = TestApp::spawn::<EventModel>().await;
    let implicit = single
        .post_message("/ingest/message", r#"{"kind": "click"}"#, &[])
        .await;
    assert_eq!(implicit.status, StatusCode::ACCEPTED, "{:?}", implicit.json);
    assert_eq!(single.stored().await[0].1.entity_type, "Event");
    assert_eq!(
        app.stored().await.len(),
        1,
        "no refused request reached the stream"
    );
}

#[tokio::test]
async fn every_error_status_is_a_problem_and_nothing_is_published() {
    let app = TestApp::spawn_with::<ShopModel>(
        support_api::app::AppOptions::default().var("API_MAX_BODY_BYTES", "64"),
    )
    .await;

    let malformed = app
        .post_message(
            "/ingest/message?entity=Order",
            "{\"order_key\": \n  \"A\",, }",
            &[],
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.json["type"], "urn:nomnom:problem:malformed-json");
    assert_eq!(malformed.json["line"], 2);
    assert!(malformed.json["column"].as_u64().is_some_and(|c| c > 0));

    let invalid = app
        .post_message(
            "/ingest/message?entity=Order",
            r#"{"total": -1, "items": [{"qty": 0}]}"#,
            &[],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.json["type"], "urn:nomnom:problem:validation-failed");
    let errors = invalid.json["errors"].as_array().expect("errors");
    let paths: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap_or(""),
                e["rule"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            ("/order_key", "required"),
            ("/total", "min"),
            ("/items/0/qty", "min")
        ]
    );

    let wrong_type = app
        .request(
            axum::http::Method::POST,
            "/ingest/message?entity=Order",
            &[("content-type", "text/plain")],
            ORDER,
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        wrong_type.json["type"],
        "urn:nomnom:problem:unsupported-media-type"
    );
    let no_type = app
        .request(
            axum::http::Method::POST,
            "/ingest/message?entity=Order",
            &[],
            ORDER,
        )
        .await;
    assert_eq!(no_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let large = format!(r#"{{"order_key": "{}", "total": 1}}"#, "x".repeat(100));
    let too_large = app
        .post_message("/ingest/message?entity=Order", &large, &[])
        .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.json["limit_bytes"], 64);

    let long_key = "k".repeat(300);
    let bad_key = app
        .post_message(
            "/ingest/message?entity=Order",
            r#"{"order_key":"a","total":1}"#,
            &[("idempotency-key", &long_key)],
        )
        .await;
    assert_eq!(bad_key.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_key.json["type"], "urn:nomnom:problem:invalid-header");

    for response in [&malformed, &invalid, &wrong_type, &too_large] {
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(response.json["status"], response.status.as_u16());
        assert!(!response.body.is_empty());
    }
    assert!(
        app.stored().await.is_empty(),
        "refused messages never reach the stream"
    );
}

#[tokio::test]
async fn idempotent_retries_store_one_copy_and_answer_the_same_id() {
    let app = TestApp::spawn::<ShopModel>().await;
    let key = [("idempotency-key", "order-A-1-v1")];
    let first = app
        .post_message("/ingest/message?entity=Order", ORDER, &key)
        .await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    for _ in 0..3 {
        let retry = app
            .post_message("/ingest/message?entity=Order", ORDER, &key)
            .await;
        assert_eq!(retry.status, StatusCode::ACCEPTED);
        // The same id; the timestamp is when this retry was received (under work-queue
        // retention the original may already be consumed, so it is not read back).
        assert_eq!(retry.json["message_id"], first.json["message_id"]);
    }
    let other = app
        .post_message("/ingest/message?entity=Order", ORDER, &[])
        .await;
    assert_ne!(other.json["message_id"], first.json["message_id"]);
    let stored = app.stored().await;
    assert_eq!(stored.len(), 2, "one copy per idempotency key");
    assert_eq!(
        stored[0].1.message_id.to_string(),
        first.json["message_id"].as_str().unwrap_or_default()
    );
}

#[tokio::test]
async fn concurrent_requests_all_publish() {
    let app = TestApp::spawn::<ShopModel>().await;
    let requests = (0..200).map(|i| {
        let body = format!(r#"{{"order_key": "K-{i}", "total": {i}}}"#);
        let app = &app;
        async move {
            app.post_message("/ingest/message?entity=Order", &body, &[])
                .await
        }
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut ids = std::collections::HashSet::new();
    for response in &responses {
        assert_eq!(response.status, StatusCode::ACCEPTED, "{:?}", response.json);
        ids.insert(
            response.json["message_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert_eq!(ids.len(), 200);
    assert_eq!(app.stored().await.len(), 200);
}

#[tokio::test]
async fn load_is_shed_with_503_and_retry_after() {
    let app = TestApp::spawn_with::<ShopModel>(
        support_api::app::AppOptions::default().var("API_MAX_IN_FLIGHT", "1"),
    )
    .await;
    // Hold the only permit, as a publish in flight would.
    let held = app
        .state
        .in_flight
        .clone()
        .try_acquire_owned()
        .expect("the permit");
    let shed = app
        .post_message("/ingest/message?entity=Order", ORDER, &[])
        .await;
    assert_eq!(shed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(shed.json["type"], "urn:nomnom:problem:overloaded");
    assert!(shed.header("retry-after").is_some());
    drop(held);
    let accepted = app
        .post_message("/ingest/message?entity=Order", ORDER, &[])
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED);
    assert_eq!(app.stored().await.len(), 1);
}

#[tokio::test]
async fn health_ready_openapi_and_unknown_routes() {
    let app = TestApp::spawn::<ShopModel>().await;
    assert_eq!(app.get("/health").await.status, StatusCode::OK);
    let ready = app.get("/ready").await;
    assert_eq!(ready.status, StatusCode::OK, "{:?}", ready.json);
    let openapi = app.get("/openapi.json").await;
    assert_eq!(openapi.status, StatusCode::OK);
    assert_eq!(openapi.header("content-type"), Some("application/json"));
    assert_eq!(openapi.body.as_ref(), SHOP_OPENAPI.as_bytes());
    let missing = app.get("/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );
}
