//! Faults: PostgreSQL stopped for a while mid-run (a private server) and a worker killed
//! abruptly mid-stream. Nothing is lost, nothing is written twice, attempts are not burned.

mod support_worker;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use nomnom_testkit::PgServer;
use support_worker::{config, init_logs, order, wait_until, RunningWorker, TestDb, TestStream};

const PERSISTED: &str = "SELECT count(*) FROM message_status WHERE status = 'persisted'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_mid_run_loses_nothing_and_burns_no_attempts() {
    init_logs();
    let mut pg = PgServer::start().await;
    let base_url = format!("postgres://postgres@127.0.0.1:{}", pg.port());
    let db = TestDb::create_on(&pg.url("postgres"), &base_url).await;
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

    pg.stop();
    let outage_started = Instant::now();
    for i in 100..250 {
        stream
            .publish_order(&order(&format!("A-{i}"), i, 1 + i % 7, None))
            .await;
    }
    // The outage lasts 12 s in all (the fault injected, not a wait for a condition) while
    // the messages wait in the stream.
    tokio::time::sleep(Duration::from_secs(12).saturating_sub(outage_started.elapsed())).await;
    pg.start_again().await;

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
    // A client keeps publishing (at most 5000) while the worker is killed and restarted,
    // until told to stop after the restart.
    let stream = std::sync::Arc::new(stream);
    let published = std::sync::Arc::new(AtomicUsize::new(0));
    let stop_publishing = std::sync::Arc::new(AtomicBool::new(false));
    let publisher = {
        let (stream, published, stop) =
            (stream.clone(), published.clone(), stop_publishing.clone());
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..5000 {
                if stop.load(SeqCst) {
                    break;
                }
                ids.push(
                    stream
                        .publish_order(&order(&format!("K-{i}"), i, 1 + i % 7, Some(None)))
                        .await,
                );
                published.fetch_add(1, SeqCst);
            }
            ids
        })
    };
    wait_until("some persisted", Duration::from_secs(60), || async {
        db.poll_count(PERSISTED).await >= 50
    })
    .await;
    first.kill();
    let published_at_kill = published.load(SeqCst);

    // Two workers share the consumer after the restart.
    let second = RunningWorker::start(config(&stream.name, &db.url, &settings));
    let third = RunningWorker::start(config(&stream.name, &db.url, &settings));
    wait_until(
        "publishing continued after the kill",
        Duration::from_secs(60),
        || async { published.load(SeqCst) >= published_at_kill + 100 },
    )
    .await;
    stop_publishing.store(true, SeqCst);
    let ids = publisher.await.expect("publisher");
    let total = ids.len() as i64;
    assert!(total < 5000, "the publisher was still running at the kill");
    wait_until(
        "every message persisted",
        Duration::from_secs(90),
        || async { db.poll_count(PERSISTED).await == total },
    )
    .await;
    second.stop().await;
    third.stop().await;

    assert_eq!(db.count("SELECT count(*) FROM message_status").await, total);
    assert_eq!(db.count("SELECT count(*) FROM orders").await, total);
    assert_eq!(
        db.count("SELECT count(DISTINCT order_key) FROM orders")
            .await,
        total
    );
    let items: i64 = (0..total).map(|i| 1 + i % 7).sum();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_write_is_retried_with_status_retrying_then_persisted() {
    init_logs();
    let db = TestDb::create().await;
    let stream = TestStream::create().await;
    // A 2 s ack wait gives a write 1.6 s before it counts as a transient failure.
    let worker = RunningWorker::start(config(&stream.name, &db.url, &[("NATS_ACK_WAIT", "2s")]));
    wait_until("tables migrated", Duration::from_secs(30), || async {
        db.poll_count("SELECT count(*) FROM orders").await == 0
    })
    .await;

    // Hold a lock on `orders` so the worker's write cannot finish.
    let mut locker = db.client().await;
    let lock = locker.transaction().await.expect("begin");
    lock.batch_execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let id = stream.publish_order(&order("L-1", 1, 2, None)).await;
    let status = |id: uuid::Uuid| {
        let db = &db;
        async move {
            let client = db.client().await;
            client
                .query_opt("SELECT status, retry_count, error_message FROM message_status WHERE message_id = $1", &[&id])
                .await
                .expect("status query")
                .map(|r| (r.get::<_, String>(0), r.get::<_, i32>(1), r.get::<_, Option<String>>(2)))
        }
    };
    wait_until("status retrying", Duration::from_secs(30), || async {
        matches!(status(id).await, Some((s, n, Some(_))) if s == "retrying" && n >= 1)
    })
    .await;
    lock.rollback().await.expect("release the lock");

    wait_until(
        "persisted after the lock is gone",
        Duration::from_secs(30),
        || async { matches!(status(id).await, Some((s, _, None)) if s == "persisted") },
    )
    .await;
    let (_, retries, _) = status(id).await.expect("status row");
    assert!(retries >= 1, "the persisted status keeps the retry count");
    worker.stop().await;
    assert_eq!(db.count("SELECT count(*) FROM order_items").await, 2);
    assert_eq!(stream.dlq_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_failing_on_every_delivery_is_dead_lettered_after_max_deliver() {
    init_logs();
    let db = TestDb::create().await;
    let stream = TestStream::create().await;
    let worker = RunningWorker::start(config(
        &stream.name,
        &db.url,
        &[
            ("NATS_ACK_WAIT", "2s"),
            ("NATS_MAX_DELIVER", "2"),
            ("NATS_BACKOFF", "200ms"),
        ],
    ));
    wait_until("tables migrated", Duration::from_secs(30), || async {
        db.poll_count("SELECT count(*) FROM orders").await == 0
    })
    .await;
    let mut locker = db.client().await;
    let lock = locker.transaction().await.expect("begin");
    lock.batch_execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let id = stream.publish_order(&order("M-1", 1, 1, None)).await;

    wait_until("status failed", Duration::from_secs(30), || async {
        db.poll_count(&format!(
            "SELECT count(*) FROM message_status WHERE message_id = '{id}' AND status = 'failed' \
             AND retry_count = 1 AND error_message LIKE 'failed on all 2 deliveries%'"
        ))
        .await
            == 1
    })
    .await;
    lock.rollback().await.expect("release the lock");
    worker.stop().await;

    assert_eq!(stream.dlq_count().await, 1);
    let dlq = stream
        .js
        .get_stream(format!("{}_DLQ", stream.name))
        .await
        .expect("dlq");
    let letter = dlq.get_raw_message(1).await.expect("dead letter");
    assert_eq!(
        letter
            .headers
            .get("Nomnom-Error-Kind")
            .expect("kind")
            .as_str(),
        "max-deliveries"
    );
    assert_eq!(
        letter
            .headers
            .get("Nomnom-Message-Id")
            .expect("id")
            .as_str(),
        id.to_string()
    );
    assert_eq!(db.count("SELECT count(*) FROM orders").await, 0);
    let (pending, unacked) = stream.consumer_backlog("workers").await;
    assert_eq!(
        (pending, unacked),
        (0, 0),
        "acknowledged once dead-lettered"
    );
}
