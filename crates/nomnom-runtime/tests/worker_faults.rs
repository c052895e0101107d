//! Faults: PostgreSQL stopped for a while mid-run (a private server) and a worker killed
//! abruptly mid-stream. Nothing is lost, nothing is written twice, attempts are not burned.

mod support_worker;

use std::time::{Duration, Instant};

use support_worker::private_pg::PrivatePg;
use support_worker::{config, init_logs, order, wait_until, RunningWorker, TestDb, TestStream};

const PERSISTED: &str = "SELECT count(*) FROM message_status WHERE status = 'persisted'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_mid_run_loses_nothing_and_burns_no_attempts() {
    init_logs();
    let pg = tokio::task::spawn_blocking(PrivatePg::start)
        .await
        .expect("start private PostgreSQL");
    let db = TestDb::create_on(&pg.admin_url(), &pg.base_url()).await;
    let stream = TestStream::create().await;
    // With 4 deliveries at most and a 200 ms..1 s backoff, a worker that kept fetching
    // during a 12 s outage would dead-letter messages; one that pauses does not.
    let worker = RunningWorker::start(config(
        &stream.name,
        &db.url,
        &[
            ("WORKER_BATCH_SIZE", "20"),
            ("NATS_MAX_DELIVER", "4"),
            ("NATS_BACKOFF", "200ms,500ms,1s"),
        ],
    ));
    for i in 0..100 {
        stream
            .publish_order(&order(&format!("A-{i}"), i, 1 + i % 7, None))
            .await;
    }
    wait_until("first 100 persisted", Duration::from_secs(60), || async {
        db.poll_count(PERSISTED).await == 100
    })
    .await;

    let pg = tokio::task::spawn_blocking(move || {
        pg.stop_server();
        pg
    })
    .await
    .expect("stop PostgreSQL");
    let outage_started = Instant::now();
    for i in 100..250 {
        stream
            .publish_order(&order(&format!("A-{i}"), i, 1 + i % 7, None))
            .await;
    }
    // Keep the database down for 12 s while the messages wait in the stream.
    wait_until("the outage lasts 12 s", Duration::from_secs(20), || async {
        outage_started.elapsed() >= Duration::from_secs(12)
    })
    .await;
    let pg = tokio::task::spawn_blocking(move || {
        pg.start_server();
        pg
    })
    .await
    .expect("restart PostgreSQL");

    wait_until(
        "all 250 persisted after the outage",
        Duration::from_secs(90),
        || async { db.poll_count(PERSISTED).await == 250 },
    )
    .await;
    worker.stop().await;

    assert_eq!(db.count("SELECT count(*) FROM orders").await, 250);
    let items: i64 = (0..250).map(|i| 1 + i % 7).sum();
    assert_eq!(db.count("SELECT count(*) FROM order_items").await, items);
    assert_eq!(
        db.count("SELECT count(*) FROM message_status WHERE status <> 'persisted'")
            .await,
        0
    );
    let max_retries = db
        .count("SELECT max(retry_count)::int8 FROM message_status")
        .await;
    assert!(
        max_retries <= 1,
        "an outage costs a message at most one attempt, saw {max_retries}"
    );
    assert_eq!(stream.dlq_count().await, 0, "nothing dead-lettered");
    let (pending, unacked) = stream.consumer_backlog("workers").await;
    assert_eq!((pending, unacked), (0, 0));
    drop(db);
    drop(pg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_then_restart_persists_every_message_exactly_once() {
    init_logs();
    let db = TestDb::create().await;
    let stream = TestStream::create().await;
    let settings = [
        ("WORKER_BATCH_SIZE", "10"),
        ("NATS_ACK_WAIT", "2s"),
        ("WORKER_CONCURRENCY", "2"),
    ];
    let first = RunningWorker::start(config(&stream.name, &db.url, &settings));
    let mut ids = Vec::new();
    for i in 0..600 {
        ids.push(
            stream
                .publish_order(&order(&format!("K-{i}"), i, 1 + i % 7, Some(None)))
                .await,
        );
    }
    wait_until("some persisted", Duration::from_secs(60), || async {
        db.poll_count(PERSISTED).await >= 50
    })
    .await;
    first.kill();
    let at_kill = db.count(PERSISTED).await;
    assert!(at_kill < 600, "killed mid-stream ({at_kill} persisted)");

    let second = RunningWorker::start(config(&stream.name, &db.url, &settings));
    wait_until("all 600 persisted", Duration::from_secs(90), || async {
        db.poll_count(PERSISTED).await == 600
    })
    .await;
    second.stop().await;

    assert_eq!(db.count("SELECT count(*) FROM message_status").await, 600);
    assert_eq!(db.count("SELECT count(*) FROM orders").await, 600);
    assert_eq!(
        db.count("SELECT count(DISTINCT order_key) FROM orders")
            .await,
        600
    );
    let items: i64 = (0..600).map(|i| 1 + i % 7).sum();
    assert_eq!(db.count("SELECT count(*) FROM order_items").await, items);
    let client = db.client().await;
    let written: Vec<uuid::Uuid> = client
        .query("SELECT _message_id FROM orders", &[])
        .await
        .expect("orders")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut expected = ids.clone();
    expected.sort();
    let mut got = written;
    got.sort();
    assert_eq!(got, expected, "each order row written by its own message");
    assert_eq!(stream.dlq_count().await, 0);
    let (pending, unacked) = stream.consumer_backlog("workers").await;
    assert_eq!((pending, unacked), (0, 0));
}
