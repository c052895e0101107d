//! Outages against a private `nats-server`: NATS stopped → 503 with Retry-After and `/ready`
//! 503, restarted → 202 again without restarting the API; a full stream → 503, nothing dropped.

mod support_api;

use std::time::Duration;

use axum::http::StatusCode;
use nomnom_testkit::NatsServer;
use support_api::app::{AppOptions, TestApp};
use support_api::model::ShopModel;
use support_api::wait_for;

fn order(i: usize) -> String {
    format!(r#"{{"order_key": "K-{i}", "total": {i}, "items": [{{"qty": 1}}]}}"#)
}

#[tokio::test]
async fn nats_stopped_gives_503_and_recovers_without_restart() {
    let mut server = NatsServer::start().await;
    let app = TestApp::spawn_with::<ShopModel>(AppOptions {
        nats_url: server.url(),
        ..AppOptions::default()
    })
    .await;
    let before = app
        .post_message("/ingest/message?entity=Order", &order(1), &[])
        .await;
    assert_eq!(before.status, StatusCode::ACCEPTED);

    server.kill();
    let unavailable = wait_for(
        "a 503 while NATS is down",
        Duration::from_secs(10),
        || async {
            let r = app
                .post_message("/ingest/message?entity=Order", &order(2), &[])
                .await;
            assert_ne!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
            (r.status == StatusCode::SERVICE_UNAVAILABLE).then_some(r)
        },
    )
    .await;
    assert_eq!(
        unavailable.json["type"],
        "urn:nomnom:problem:stream-unavailable"
    );
    assert!(unavailable
        .header("retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .is_some());
    assert!(
        !unavailable.body.windows(9).any(|w| w == b"127.0.0.1"),
        "no internals leak"
    );
    let ready = app.get("/ready").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.header("retry-after").is_some());
    let batch = app
        .post_batch(
            "/ingest/batch?entity=Order",
            &format!("{}\n{}", order(3), order(4)),
            &[],
        )
        .await;
    assert_eq!(batch.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(batch.header("retry-after").is_some());
    assert_eq!(
        app.get("/health").await.status,
        StatusCode::OK,
        "the process itself is alive"
    );

    server.restart().await;
    let recovered = wait_for(
        "a 202 after NATS is back",
        Duration::from_secs(20),
        || async {
            let r = app
                .post_message(
                    "/ingest/message?entity=Order",
                    &order(5),
                    &[("idempotency-key", "after-restart")],
                )
                .await;
            (r.status == StatusCode::ACCEPTED).then_some(r)
        },
    )
    .await;
    assert_eq!(app.get("/ready").await.status, StatusCode::OK);
    let stored = app.stored().await;
    let ids: Vec<String> = stored
        .iter()
        .map(|(_, e)| e.message_id.to_string())
        .collect();
    assert!(
        ids.contains(
            &before.json["message_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        ),
        "the message from before the outage survived"
    );
    assert!(ids.contains(
        &recovered.json["message_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    ));
}

#[tokio::test]
async fn a_full_stream_refuses_new_messages_and_drops_none() {
    let app =
        TestApp::spawn_with::<ShopModel>(AppOptions::default().var("NATS_MAX_BYTES", "2KB")).await;
    let mut accepted = Vec::new();
    let mut refused = None;
    for i in 0..200 {
        let r = app
            .post_message("/ingest/message?entity=Order", &order(i), &[])
            .await;
        match r.status {
            StatusCode::ACCEPTED => {
                accepted.push(r.json["message_id"].as_str().unwrap_or_default().to_owned())
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                refused = Some(r);
                break;
            }
            other => panic!("unexpected {other}: {:?}", r.json),
        }
    }
    let refused = refused.expect("the stream filled up within 200 messages");
    assert_eq!(refused.json["type"], "urn:nomnom:problem:stream-full");
    assert!(refused.header("retry-after").is_some());
    assert!(!accepted.is_empty());
    // Discard-new: every accepted message is still there, the first one included.
    let stored: Vec<String> = app
        .stored()
        .await
        .iter()
        .map(|(_, e)| e.message_id.to_string())
        .collect();
    assert_eq!(stored, accepted);
    let again = app
        .post_message("/ingest/message?entity=Order", &order(999), &[])
        .await;
    assert_eq!(again.status, StatusCode::SERVICE_UNAVAILABLE);
    let batch = app
        .post_batch("/ingest/batch?entity=Order", &order(1000), &[])
        .await;
    assert_eq!(batch.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(batch.json["type"], "urn:nomnom:problem:stream-full");
}

#[tokio::test]
async fn an_unanswered_publish_times_out_with_503_not_a_hang() {
    let server = NatsServer::start().await;
    let app = TestApp::spawn_with::<ShopModel>(
        AppOptions {
            nats_url: server.url(),
            ..AppOptions::default()
        }
        .var("NATS_PUBLISH_TIMEOUT", "1s"),
    )
    .await;
    let key = [("idempotency-key", "frozen-1")];
    server.pause();
    let started = std::time::Instant::now();
    let frozen = app
        .post_message("/ingest/message?entity=Order", &order(1), &key)
        .await;
    let waited = started.elapsed();
    server.resume();
    assert_eq!(
        frozen.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        frozen.json
    );
    assert_eq!(frozen.json["type"], "urn:nomnom:problem:stream-unavailable");
    assert!(frozen.header("retry-after").is_some());
    assert!(
        waited < Duration::from_secs(3),
        "answered after {waited:?}, bounded by NATS_PUBLISH_TIMEOUT"
    );

    // The client retries with the same key: whether or not the first attempt was stored
    // late, exactly one copy ends up in the stream and the answer names it.
    let retry = wait_for("a 202 for the retry", Duration::from_secs(10), || async {
        let r = app
            .post_message("/ingest/message?entity=Order", &order(1), &key)
            .await;
        (r.status == StatusCode::ACCEPTED).then_some(r)
    })
    .await;
    let stored = app.stored().await;
    assert_eq!(stored.len(), 1, "one copy");
    assert_eq!(
        stored[0].1.message_id.to_string(),
        retry.json["message_id"].as_str().unwrap_or_default()
    );
}
