//! Status transitions observed through the API, in-process: the API's router accepts a
//! message (`accepted`), the worker hits a blocked table (`retrying` with a retry count and
//! the last error), then persists it (`persisted` with `processed_at`); a record PostgreSQL
//! refuses ends `failed` with the constraint named.

mod support_worker;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use nomnom_runtime::api::{router, ApiState};
use nomnom_runtime::config::{ApiConfig, DatabaseConfig, Env, NatsConfig};
use nomnom_runtime::db::apply_migrations;
use nomnom_runtime::model::Model;
use nomnom_runtime::nats::NatsClient;
use nomnom_runtime::status::StatusRecorder;
use serde_json::Value;
use support_worker::{
    config, init_logs, wait_until, RunningWorker, TestDb, TestModel, TestStream, NATS_URL,
};
use tower::ServiceExt;

async fn call(app: &axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.expect("router answers");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn post(app: &axum::Router, body: &str) -> String {
    let request = Request::post("/ingest/message?entity=Order")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let (status, json) = call(app, request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{json}");
    json["message_id"].as_str().expect("message id").to_string()
}

async fn status_of(app: &axum::Router, id: &str) -> Option<Value> {
    let request = Request::get(format!("/ingest/status/{id}"))
        .body(Body::empty())
        .expect("request");
    let (status, json) = call(app, request).await;
    (status == StatusCode::OK).then_some(json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_goes_accepted_retrying_persisted_or_failed_through_the_api() {
    init_logs();
    let db = TestDb::create().await;
    let stream = TestStream::create().await;
    let env = Env::from_pairs([
        ("NATS_URL", NATS_URL),
        ("NATS_STREAM", stream.name.as_str()),
        ("DATABASE_URL", db.url.as_str()),
    ]);
    apply_migrations(&db.pg(), TestModel::MIGRATIONS)
        .await
        .expect("migrations");
    let nats = NatsClient::connect(NatsConfig::from(&env).expect("nats config"))
        .await
        .expect("connect");
    let pool = nomnom_runtime::db::Store::connect(
        &DatabaseConfig::from(&env).expect("db config"),
        Duration::from_secs(5),
    );
    let (recorder, _recorder_task) = StatusRecorder::spawn(pool.clone(), 1000);
    let app = router::<TestModel>(ApiState::new(
        nats,
        recorder,
        pool,
        ApiConfig::from(&env).expect("api config"),
    ));

    // Accepted: in the stream, no worker yet.
    let id = post(
        &app,
        r#"{"order_key": "S-1", "total": 3, "items": [{"line": 1, "qty": 2}]}"#,
    )
    .await;
    wait_until("accepted", Duration::from_secs(5), || async {
        status_of(&app, &id)
            .await
            .is_some_and(|s| s["status"] == "accepted")
    })
    .await;

    // Retrying: the worker cannot write while `orders` is locked.
    let mut locker = db.client().await;
    let lock = locker.transaction().await.expect("begin");
    lock.batch_execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let worker = RunningWorker::start(config(&stream.name, &db.url, &[("NATS_ACK_WAIT", "2s")]));
    wait_until("retrying", Duration::from_secs(30), || async {
        status_of(&app, &id).await.is_some_and(|s| {
            s["status"] == "retrying"
                && s["retry_count"].as_i64().unwrap_or(0) >= 1
                && s["error_message"]
                    .as_str()
                    .is_some_and(|e| e.contains("timed out"))
        })
    })
    .await;

    // Persisted once the lock is gone.
    lock.rollback().await.expect("unlock");
    wait_until("persisted", Duration::from_secs(30), || async {
        status_of(&app, &id).await.is_some_and(|s| {
            s["status"] == "persisted"
                && s["processed_at"].is_string()
                && s["error_message"].is_null()
        })
    })
    .await;

    // Failed: PostgreSQL refuses a negative total.
    let refused = post(&app, r#"{"order_key": "S-2", "total": -1, "items": []}"#).await;
    wait_until("failed", Duration::from_secs(30), || async {
        status_of(&app, &refused).await.is_some_and(|s| {
            s["status"] == "failed"
                && s["error_message"]
                    .as_str()
                    .is_some_and(|e| e.contains("orders_total_check"))
        })
    })
    .await;
    worker.stop().await;
    assert_eq!(db.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(stream.dlq_count().await, 1);
}
