//! `replay-dlq`: a dry run changes nothing; a real run republishes the dead letters that the
//! current model accepts (same message id), removes them from the dead-letter stream, and
//! reports those still failing with their reasons. Also: the health endpoints.

mod support_worker;

use std::time::Duration;

use async_nats::jetstream::context::GetStreamErrorKind;
use async_nats::jetstream::ErrorCode;
use async_nats::HeaderMap;
use nomnom_runtime::model::{Migration, Model, Rejection};
use nomnom_runtime::worker::{replay_dlq, ReplayError, WorkerError};
use support_worker::model::{Order, OrderBatch};
use support_worker::{
    config, init_logs, order, wait_until, RunningWorker, TestDb, TestModel, TestStream,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

/// The next version of the model: a missing `total` now defaults to 0.
struct TestModelV2;

impl Model for TestModelV2 {
    const PROJECT: &'static str = TestModel::PROJECT;
    const ROOT_ENTITIES: &'static [&'static str] = TestModel::ROOT_ENTITIES;
    const OPENAPI_JSON: &'static str = TestModel::OPENAPI_JSON;
    const MIGRATIONS: &'static [Migration] = TestModel::MIGRATIONS;
    type Record = Order;
    type Batch = OrderBatch;

    fn is_hl7(_entity: &str) -> bool {
        false
    }

    fn validate(entity: &str, body: &[u8]) -> Result<Order, Rejection> {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(mut value) if value.get("total").is_none() && value.is_object() => {
                value["total"] = serde_json::json!(0);
                TestModel::validate(entity, value.to_string().as_bytes())
            }
            _ => TestModel::validate(entity, body),
        }
    }

    fn add_to_batch(batch: &mut OrderBatch, message_id: Uuid, version: Uuid, record: &Order) {
        TestModel::add_to_batch(batch, message_id, version, record)
    }

    fn preview(record: &Order) -> nomnom_runtime::preview::Tables {
        TestModel::preview(record)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_dry_run_changes_nothing_and_real_run_republishes_what_now_passes() {
    init_logs();
    let db = TestDb::create().await;
    let stream = TestStream::create().await;
    let mut no_total = Vec::new();
    for i in 0..3 {
        no_total.push(
            stream
                .publish(
                    "Order",
                    format!(r#"{{"order_key":"N-{i}","items":[]}}"#).as_bytes(),
                )
                .await,
        );
    }
    let unknown = stream.publish("Invoice", b"{}").await;
    stream
        .publish_raw(&stream.subject("Order"), HeaderMap::new(), b"{}")
        .await;
    stream.publish_order(&order("OK-1", 5, 2, None)).await;

    let worker = RunningWorker::start(config(&stream.name, &db.url, &[]));
    wait_until("5 dead letters", Duration::from_secs(30), || async {
        stream.dlq_count().await == 5
    })
    .await;
    worker.stop().await;
    assert_eq!(
        db.count("SELECT count(*) FROM message_status WHERE status = 'failed'")
            .await,
        4
    );

    // The current model still refuses all of them.
    let report = replay_dlq::<TestModel>(&stream.js, &stream.nats, true)
        .await
        .expect("dry run v1");
    assert_eq!(
        (report.examined, report.replayed, report.still_failing.len()),
        (5, 0, 5)
    );

    // A dry run with the new model: would replay 3, changes nothing.
    let report = replay_dlq::<TestModelV2>(&stream.js, &stream.nats, true)
        .await
        .expect("dry run v2");
    assert_eq!(
        (report.examined, report.replayed, report.still_failing.len()),
        (5, 3, 2)
    );
    assert!(report.to_string().contains("would replay 3"));
    assert_eq!(stream.dlq_count().await, 5);
    let ingest_before = stream
        .js
        .get_stream(&stream.name)
        .await
        .expect("stream")
        .cached_info()
        .state
        .messages;

    // The real run: 3 republished with their message ids and removed from the DLQ.
    let report = replay_dlq::<TestModelV2>(&stream.js, &stream.nats, false)
        .await
        .expect("replay");
    assert_eq!((report.examined, report.replayed), (5, 3));
    let reasons: Vec<&str> = report
        .still_failing
        .iter()
        .map(|s| s.reason.as_str())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("unknown entity")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("not an envelope")),
        "{reasons:?}"
    );
    assert!(report
        .still_failing
        .iter()
        .any(|s| s.message_id == Some(unknown.to_string())));
    assert_eq!(stream.dlq_count().await, 2);
    let ingest_after = stream
        .js
        .get_stream(&stream.name)
        .await
        .expect("stream")
        .cached_info()
        .state
        .messages;
    assert_eq!(
        ingest_after,
        ingest_before + 3,
        "republished, not swallowed by de-duplication"
    );

    // The new model's worker persists them under their original message ids.
    let worker = RunningWorker::start_model::<TestModelV2>(config(&stream.name, &db.url, &[]));
    wait_until(
        "replayed messages persisted",
        Duration::from_secs(30),
        || async {
            db.poll_count("SELECT count(*) FROM message_status WHERE status = 'persisted'")
                .await
                == 4
        },
    )
    .await;
    worker.stop().await;
    let client = db.client().await;
    for id in &no_total {
        let row = client
            .query_one(
                "SELECT status, retry_count FROM message_status WHERE message_id = $1",
                &[id],
            )
            .await
            .expect("status");
        assert_eq!(row.get::<_, String>(0), "persisted");
    }
    assert_eq!(
        db.count("SELECT count(*) FROM orders WHERE order_key LIKE 'N-%' AND total = 0")
            .await,
        3
    );
    // A second replay finds only the two that still fail.
    let report = replay_dlq::<TestModelV2>(&stream.js, &stream.nats, false)
        .await
        .expect("replay again");
    assert_eq!((report.examined, report.replayed), (2, 0));
}

#[tokio::test]
async fn replaying_a_dead_letter_stream_that_does_not_exist_names_it_and_keeps_the_cause() {
    let stream = TestStream::create().await;
    stream
        .js
        .delete_stream(stream.nats.dlq_stream())
        .await
        .expect("delete the dead-letter stream");
    let err = replay_dlq::<TestModel>(&stream.js, &stream.nats, true)
        .await
        .expect_err("no dead-letter stream");
    match &err {
        WorkerError::Nats(ReplayError::Open {
            stream: name,
            source,
        }) => {
            assert_eq!(name, &stream.nats.dlq_stream());
            assert!(
                matches!(source.kind(), GetStreamErrorKind::JetStream(e) if e.error_code() == ErrorCode::STREAM_NOT_FOUND),
                "{source}"
            );
        }
        other => panic!("expected the dead-letter stream not found, got {other}"),
    }
    assert!(err.to_string().contains(&stream.nats.dlq_stream()), "{err}");
}

async fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    conn.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .ok()?;
    let mut response = String::new();
    conn.read_to_string(&mut response).await.ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_ready_endpoints_answer() {
    init_logs();
    let db = TestDb::create().await;
    let stream = TestStream::create().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let worker = RunningWorker::start(config(
        &stream.name,
        &db.url,
        &[("WORKER_HEALTH_PORT", &port.to_string())],
    ));
    wait_until("/ready answers 200", Duration::from_secs(30), || async {
        http_status(port, "/ready").await == Some(200)
    })
    .await;
    assert_eq!(http_status(port, "/health").await, Some(200));
    assert_eq!(http_status(port, "/nothing").await, Some(404));
    worker.stop().await;
    assert_eq!(
        http_status(port, "/health").await,
        None,
        "the endpoint stops with the worker"
    );
}
