//! `GET /ingest/status/{id}` and the `accepted` recorder against the real PostgreSQL, and the
//! whole server over a real TCP socket with a graceful stop.

mod support_api;

use std::time::Duration;

use axum::http::StatusCode;
use nomnom_runtime::config::Env;
use nomnom_testkit::PgServer;
use support_api::app::{connect, AppOptions, TestApp, TestResponse};
use support_api::model::ShopModel;
use support_api::{unique, wait_for, SHARED_NATS, SHARED_PG};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn accepted_status_is_visible_within_a_second() {
    let app = TestApp::spawn::<ShopModel>().await;
    let response = app
        .post_message(
            "/ingest/message?entity=Order",
            r#"{"order_key": "A", "total": 1}"#,
            &[],
        )
        .await;
    assert_eq!(response.status, StatusCode::ACCEPTED);
    let id = response.json["message_id"].as_str().expect("id").to_owned();
    let uri = format!("/ingest/status/{id}");
    let status = wait_for("the accepted status", Duration::from_secs(1), || async {
        let r = app.get(&uri).await;
        (r.status == StatusCode::OK).then_some(r)
    })
    .await;
    assert_eq!(status.json["message_id"], id.as_str());
    assert_eq!(status.json["status"], "accepted");
    assert_eq!(status.json["entity_type"], "Order");
    assert_eq!(
        status.json["received_at"]
            .as_str()
            .map(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok()),
        Some(
            response.json["timestamp"]
                .as_str()
                .and_then(|s| s.parse().ok())
        )
    );
    assert_eq!(status.json["processed_at"], serde_json::Value::Null);
    assert_eq!(status.json["error_message"], serde_json::Value::Null);
    assert_eq!(status.json["retry_count"], 0);
}

#[tokio::test]
async fn the_status_shows_the_requests_trace_or_a_new_one() {
    let app = TestApp::spawn::<ShopModel>().await;
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let traced = app
        .post_message(
            "/ingest/message?entity=Order",
            r#"{"order_key": "T1", "total": 1}"#,
            &[("traceparent", traceparent)],
        )
        .await;
    let untraced = app
        .post_message(
            "/ingest/message?entity=Order",
            r#"{"order_key": "T2", "total": 1}"#,
            &[("traceparent", "not-a-trace-context")],
        )
        .await;
    let mut trace_ids = Vec::new();
    for response in [&traced, &untraced] {
        let status = accepted_status(&app, response).await;
        trace_ids.push(
            status.json["trace_id"]
                .as_str()
                .expect("a trace id")
                .to_owned(),
        );
    }
    assert_eq!(trace_ids[0], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(trace_ids[1].len(), 32, "{}", trace_ids[1]);
    assert!(trace_ids[1]
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_ne!(
        trace_ids[1], trace_ids[0],
        "a malformed traceparent starts a new trace"
    );
}

#[tokio::test]
async fn the_workers_later_state_wins_over_a_late_accepted_row() {
    let app = TestApp::spawn::<ShopModel>().await;
    let pg = app.pg().await;
    // A fast worker may write `persisted` before the recorder flushes `accepted`.
    let response = app
        .post_message(
            "/ingest/message?entity=Order",
            r#"{"order_key": "A", "total": 1}"#,
            &[],
        )
        .await;
    let id: uuid::Uuid = response.json["message_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let uri = format!("/ingest/status/{id}");
    let accepted = wait_for("the accepted row", Duration::from_secs(1), || async {
        let r = app.get(&uri).await;
        (r.status == StatusCode::OK).then_some(r.json)
    })
    .await;
    let received_at: chrono::DateTime<chrono::Utc> = accepted["received_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("received_at");
    pg.execute("UPDATE message_status SET status = 'persisted', processed_at = now() WHERE message_id = $1", &[&id])
        .await
        .expect("worker update");
    // Recording the same acceptance again (a duplicate flush) must not regress the state.
    app.state
        .recorder
        .record(nomnom_runtime::status::AcceptedMessage {
            message_id: id,
            entity_type: "Order".into(),
            received_at,
            trace_id: None,
        });
    let other = app
        .post_message(
            "/ingest/message?entity=Order",
            r#"{"order_key": "B", "total": 1}"#,
            &[],
        )
        .await;
    let other_uri = format!(
        "/ingest/status/{}",
        other.json["message_id"].as_str().unwrap_or_default()
    );
    wait_for("a later flush", Duration::from_secs(1), || async {
        (app.get(&other_uri).await.status == StatusCode::OK).then_some(())
    })
    .await;
    let status = app.get(&uri).await;
    assert_eq!(status.json["status"], "persisted");
    assert!(status.json["processed_at"].is_string());
}

#[tokio::test]
async fn malformed_and_unknown_ids() {
    let app = TestApp::spawn::<ShopModel>().await;
    let malformed = app.get("/ingest/status/not-a-uuid").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        malformed.json["type"],
        "urn:nomnom:problem:invalid-message-id"
    );
    let unknown = app
        .get(&format!("/ingest/status/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.header("content-type"),
        Some("application/problem+json")
    );
}

#[tokio::test]
async fn postgres_unreachable_ingestion_still_202_and_lookups_503() {
    let app = TestApp::spawn_with::<ShopModel>(AppOptions {
        database_url: Some("postgres://postgres@127.0.0.1:1/nowhere".to_owned()),
        ..AppOptions::default()
    })
    .await;
    for i in 0..5 {
        let response = app
            .post_message(
                "/ingest/message?entity=Order",
                &format!(r#"{{"order_key": "K{i}", "total": 1}}"#),
                &[],
            )
            .await;
        assert_eq!(response.status, StatusCode::ACCEPTED, "{:?}", response.json);
    }
    assert_eq!(
        app.stored().await.len(),
        5,
        "the stream holds every accepted message"
    );
    let lookup = app
        .get(&format!("/ingest/status/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(lookup.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(lookup.json["type"], "urn:nomnom:problem:status-unavailable");
    assert!(lookup.header("retry-after").is_some());
    assert!(
        !lookup.body.windows(8).any(|w| w == b"127.0.0."),
        "no internals leak: {:?}",
        lookup.json
    );
}

#[tokio::test]
async fn served_over_tcp_and_stopped_gracefully() {
    let stream = unique("API");
    let database = stream.to_ascii_lowercase();
    let admin = connect(&format!("{SHARED_PG}/postgres")).await;
    admin
        .batch_execute(&format!("CREATE DATABASE \"{database}\""))
        .await
        .expect("create database");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let env = Env::from_pairs([
        ("NATS_URL".to_owned(), SHARED_NATS.to_owned()),
        ("NATS_STREAM".to_owned(), stream.clone()),
        ("DATABASE_URL".to_owned(), format!("{SHARED_PG}/{database}")),
        ("HOST".to_owned(), "127.0.0.1".to_owned()),
        ("PORT".to_owned(), port.to_string()),
    ]);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        nomnom_runtime::api::serve::<ShopModel>(&env, async move {
            let _ = stopped.await;
        })
        .await
    });

    let health = wait_for(
        "the server to listen",
        Duration::from_secs(10),
        || async move {
            http(
                port,
                "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await
        },
    )
    .await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let body = r#"{"order_key": "T", "total": 2}"#;
    let request = format!(
        "POST /ingest/message?entity=Order HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let response = http(port, &request).await.expect("response");
    assert!(response.starts_with("HTTP/1.1 202"), "{response}");
    let json_start = response.find("\r\n\r\n").map(|i| i + 4).unwrap_or(0);
    let answer: serde_json::Value =
        serde_json::from_str(&response[json_start..]).expect("JSON body");
    let id: uuid::Uuid = answer["message_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");

    // A graceful stop flushes the recorder: the accepted row is there once serve returns.
    stop.send(()).expect("server running");
    let result = tokio::time::timeout(Duration::from_secs(15), server)
        .await
        .expect("stops in time")
        .expect("joined");
    assert!(result.is_ok(), "{result:?}");
    assert!(
        http(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .is_none(),
        "no longer accepting"
    );
    let db = connect(&format!("{SHARED_PG}/{database}")).await;
    let row = db
        .query_one(
            "SELECT status FROM message_status WHERE message_id = $1",
            &[&id],
        )
        .await
        .expect("status row");
    assert_eq!(row.get::<_, String>(0), "accepted");
    drop(db);

    let client = async_nats::connect(SHARED_NATS).await.expect("nats");
    let js = async_nats::jetstream::new(client);
    let info = js
        .get_stream(&stream)
        .await
        .expect("stream")
        .get_info()
        .await
        .expect("info");
    assert_eq!(info.state.messages, 1);
    let _ = js.delete_stream(&stream).await;
    let _ = js.delete_stream(format!("{stream}_DLQ")).await;
    let _ = admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
        ))
        .await;
}

/// One HTTP/1.1 exchange over a fresh TCP connection; `None` when nothing listens.
/// The status of a message the API answered 202, once the recorder has written it (within
/// a second).
async fn accepted_status(app: &TestApp, response: &TestResponse) -> TestResponse {
    assert_eq!(response.status, StatusCode::ACCEPTED, "{}", response.json);
    let uri = format!(
        "/ingest/status/{}",
        response.json["message_id"].as_str().expect("id")
    );
    wait_for("the accepted status", Duration::from_secs(1), || async {
        let r = app.get(&uri).await;
        (r.status == StatusCode::OK).then_some(r)
    })
    .await
}

async fn http(port: u16, request: &str) -> Option<String> {
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    socket.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut response))
        .await
        .ok()?
        .ok()?;
    String::from_utf8(response).ok().filter(|r| !r.is_empty())
}

#[tokio::test]
async fn statuses_recorded_while_postgres_was_down_appear_once_it_is_back() {
    let mut pg = PgServer::start().await;
    let app = TestApp::spawn_with::<ShopModel>(AppOptions {
        database_url: Some(pg.url("postgres")),
        ..AppOptions::default()
    })
    .await;
    pg.stop();
    let mut uris = Vec::new();
    for i in 0..3 {
        let r = app
            .post_message(
                "/ingest/message?entity=Customer",
                &format!(r#"{{"name": "c{i}"}}"#),
                &[],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::ACCEPTED,
            "ingestion does not wait on PostgreSQL"
        );
        uris.push(format!(
            "/ingest/status/{}",
            r.json["message_id"].as_str().unwrap_or_default()
        ));
    }
    assert_eq!(
        app.get(&uris[0]).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    pg.start_again().await;
    for uri in &uris {
        let status = wait_for(
            "the buffered accepted rows",
            Duration::from_secs(20),
            || async {
                let r = app.get(uri).await;
                (r.status == StatusCode::OK).then_some(r)
            },
        )
        .await;
        assert_eq!(status.json["status"], "accepted");
        assert_eq!(status.json["entity_type"], "Customer");
    }
    assert_eq!(app.state.recorder.dropped(), 0);
}

#[tokio::test]
async fn a_full_status_buffer_drops_and_counts_instead_of_blocking() {
    let database = database_config("postgres://postgres@127.0.0.1:1/nowhere");
    let (recorder, task) = nomnom_runtime::status::StatusRecorder::spawn(
        nomnom_runtime::db::Store::Postgres(database.pool(Duration::from_millis(200))),
        2,
    );
    // The current-thread runtime does not run the writer until we yield: two fit, three drop.
    for _ in 0..5 {
        recorder.record(nomnom_runtime::status::AcceptedMessage {
            message_id: uuid::Uuid::now_v7(),
            entity_type: "Order".into(),
            received_at: chrono::Utc::now(),
            trace_id: None,
        });
    }
    assert_eq!(recorder.dropped(), 3);
    drop(recorder);
    // With the database still unreachable the writer gives up at shutdown within its deadline.
    let started = std::time::Instant::now();
    task.finish(Duration::from_secs(10)).await;
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_trickle_of_accepted_ids_is_written_in_few_transactions() {
    use nomnom_runtime::status::{recorder::LINGER, AcceptedMessage, StatusRecorder};
    let database = nomnom_testkit::TestDatabase::create_shared().await;
    let config = database_config(&database.url());
    let (recorder, task) = StatusRecorder::spawn(
        nomnom_runtime::db::Store::Postgres(config.pool(Duration::from_secs(2))),
        1024,
    );
    // One id every 2 ms: written as it came, that would be a commit (a WAL flush) each.
    let ids: Vec<uuid::Uuid> = (0..60).map(|_| uuid::Uuid::now_v7()).collect();
    let started = std::time::Instant::now();
    for id in &ids {
        recorder.record(AcceptedMessage {
            message_id: *id,
            entity_type: "Order".into(),
            received_at: chrono::Utc::now(),
            trace_id: None,
        });
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let spread = started.elapsed();
    drop(recorder);
    task.finish(Duration::from_secs(10)).await;
    // Rows written by one transaction share its id (`xmin`).
    let row = database
        .client()
        .await
        .query_one(
            "SELECT count(*), count(DISTINCT xmin::text) FROM message_status WHERE message_id = ANY($1)",
            &[&ids],
        )
        .await
        .expect("counting rows and transactions");
    let (rows, transactions): (i64, i64) = (row.get(0), row.get(1));
    assert_eq!(rows, 60, "every id is recorded");
    // Each flush collects for at least LINGER after its first id, so the ids that arrived
    // over `spread` fit in at most spread / LINGER + 1 transactions.
    let bound = i64::try_from(spread.as_millis() / LINGER.as_millis()).expect("small") + 1;
    assert!(
        transactions <= bound && transactions < 60,
        "{transactions} transactions for 60 ids over {spread:?} (at most {bound})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recorder_and_a_worker_writing_the_same_rows_never_deadlock() {
    use nomnom_runtime::status::recorder::insert_accepted;
    use nomnom_runtime::status::worker_updates::{mark_persisted, StatusUpdate};
    use nomnom_runtime::status::AcceptedMessage;
    let database = nomnom_testkit::TestDatabase::create_shared().await;
    let config = database_config(&database.url());
    let pool = config.pool(Duration::from_secs(5));
    let recorder = pool.get().await.expect("recorder's connection");
    recorder
        .batch_execute(nomnom_runtime::status::MESSAGE_STATUS_SQL)
        .await
        .expect("message_status");
    let mut worker = database.client().await;
    // A worker that got to messages before the recorder's flush writes their rows while the
    // recorder inserts the same ids, which it received in another order.
    for round in 0..20 {
        let ids: Vec<uuid::Uuid> = (0..500).map(|_| uuid::Uuid::now_v7()).collect();
        let accepted: Vec<AcceptedMessage> = ids
            .iter()
            .rev()
            .map(|id| AcceptedMessage {
                message_id: *id,
                entity_type: "Order".into(),
                received_at: chrono::Utc::now(),
                trace_id: None,
            })
            .collect();
        let updates: Vec<StatusUpdate> = ids
            .iter()
            .map(|id| StatusUpdate {
                message_id: *id,
                entity_type: "Order".into(),
                received_at: chrono::Utc::now(),
                retry_count: 0,
                error: None,
                note: None,
                trace_id: None,
            })
            .collect();
        let tx = worker.transaction().await.expect("begin");
        let (persisted, recorded) = tokio::join!(
            async {
                mark_persisted(&tx, &updates).await?;
                tx.commit().await
            },
            insert_accepted(&recorder, &accepted)
        );
        assert!(
            persisted.is_ok() && recorded.is_ok(),
            "round {round}: worker {persisted:?}, recorder {recorded:?}"
        );
        let persisted_rows: i64 = worker
            .query_one(
                "SELECT count(*) FROM message_status WHERE message_id = ANY($1) AND status = 'persisted'",
                &[&ids],
            )
            .await
            .expect("count")
            .get(0);
        assert_eq!(
            persisted_rows, 500,
            "round {round}: the worker's state wins"
        );
    }
}

/// The runtime's database settings for `url`.
fn database_config(url: &str) -> nomnom_runtime::config::DatabaseConfig {
    nomnom_runtime::config::DatabaseConfig::from(&Env::from_pairs([("DATABASE_URL", url)]))
        .expect("config")
}

#[tokio::test]
async fn with_metrics_and_trace_context_off_no_metric_is_served_and_no_trace_kept() {
    let app = TestApp::spawn_with::<ShopModel>(
        AppOptions::default()
            .var("OTEL_METRICS_EXPORTER", "none")
            .var("OTEL_PROPAGATORS", "none"),
    )
    .await;
    let response = app
        .post_message(
            "/ingest/message?entity=Order",
            r#"{"order_key": "OFF1", "total": 1}"#,
            &[(
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            )],
        )
        .await;
    let status = accepted_status(&app, &response).await;
    assert_eq!(status.json["status"], "accepted");
    assert_eq!(status.json["trace_id"], serde_json::Value::Null);
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::NOT_FOUND);
    assert_eq!(metrics.json["type"], "urn:nomnom:problem:metrics-off");
    assert_eq!(app.stored().await.len(), 1);
}
