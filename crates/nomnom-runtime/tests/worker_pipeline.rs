//! The worker against the real NATS and PostgreSQL: full drain with exact rows and values,
//! re-sent keys update without duplicates, poison and database-refused records isolated
//! mid-batch, graceful shutdown leaves nothing unacknowledged.

mod support_worker;

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::HeaderMap;
use support_worker::{config, init_logs, order, wait_until, RunningWorker, TestDb, TestStream};

async fn persisted(db: &TestDb) -> i64 {
    db.poll_count("SELECT count(*) FROM message_status WHERE status = 'persisted'")
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drains_every_order_with_exact_rows_and_values_then_updates_resent_keys() {
    init_logs();
    let db = TestDb::create().await;
    let stream = TestStream::create().await;

    // 120 orders before the worker starts, 80 while it runs: 1-7 lines, note absent, null
    // or a string.
    let mut expected: BTreeMap<String, (i64, i64, Option<String>)> = BTreeMap::new();
    let mut ids = Vec::new();
    let publish = |i: i64| {
        let key = format!("O-{i:04}");
        let lines = 1 + i % 7;
        let note = match i % 3 {
            0 => None,
            1 => Some(None),
            _ => Some(Some("leave at the door")),
        };
        let body = order(&key, i * 100, lines, note);
        let stored_note = if i % 3 == 2 {
            Some("leave at the door".to_string())
        } else {
            None
        };
        (key, lines, stored_note, body)
    };
    for i in 0..120 {
        let (key, lines, note, body) = publish(i);
        ids.push(stream.publish_order(&body).await);
        expected.insert(key, (i * 100, lines, note));
    }
    let worker = RunningWorker::start(config(
        &stream.name,
        &db.url,
        &[("WORKER_BATCH_SIZE", "32")],
    ));
    for i in 120..200 {
        let (key, lines, note, body) = publish(i);
        ids.push(stream.publish_order(&body).await);
        expected.insert(key, (i * 100, lines, note));
    }
    wait_until(
        "200 messages persisted",
        Duration::from_secs(60),
        || async { persisted(&db).await == 200 },
    )
    .await;

    let client = db.client().await;
    let rows = client
        .query(
            "SELECT o.order_key, o.total, o.note, count(i._id), coalesce(sum(i.qty), 0)::int8 \
             FROM orders o LEFT JOIN order_items i ON i._parent_id = o._id \
             GROUP BY o.order_key, o.total, o.note ORDER BY o.order_key",
            &[],
        )
        .await
        .expect("read orders");
    assert_eq!(rows.len(), 200);
    for row in &rows {
        let key: String = row.get(0);
        let (total, lines, note) = expected.get(&key).expect("only orders that were sent");
        assert_eq!(row.get::<_, i64>(1), *total, "total of {key}");
        assert_eq!(row.get::<_, Option<String>>(2), *note, "note of {key}");
        assert_eq!(row.get::<_, i64>(3), *lines, "line items of {key}");
        assert_eq!(
            row.get::<_, i64>(4),
            lines * (lines + 1),
            "sum of qty (2 * line) of {key}"
        );
    }
    let expected_items: i64 = expected.values().map(|(_, l, _)| l).sum();
    assert_eq!(
        db.count("SELECT count(*) FROM order_items").await,
        expected_items
    );
    let statuses = client
        .query(
            "SELECT message_id, status, retry_count, processed_at IS NOT NULL FROM message_status",
            &[],
        )
        .await
        .expect("statuses");
    assert_eq!(statuses.len(), 200);
    for s in &statuses {
        assert!(ids.contains(&s.get::<_, uuid::Uuid>(0)));
        assert_eq!(s.get::<_, String>(1), "persisted");
        assert_eq!(s.get::<_, i32>(2), 0);
        assert!(s.get::<_, bool>(3));
    }

    // Re-send 10 keys with 1 line and a new total: updated, children replaced, no duplicates.
    let mut resent = Vec::new();
    for i in 0..10 {
        resent.push(
            stream
                .publish_order(&order(&format!("O-{i:04}"), 7, 1, None))
                .await,
        );
    }
    wait_until(
        "re-sent orders persisted",
        Duration::from_secs(30),
        || async { persisted(&db).await == 210 },
    )
    .await;
    assert_eq!(db.count("SELECT count(*) FROM orders").await, 200);
    assert_eq!(
        db.count("SELECT count(*) FROM orders WHERE total = 7")
            .await,
        10
    );
    let replaced: i64 = (0..10).map(|i| 1 + i % 7).sum();
    assert_eq!(
        db.count("SELECT count(*) FROM order_items").await,
        expected_items - replaced + 10
    );
    let owner: uuid::Uuid = client
        .query_one(
            "SELECT _message_id FROM orders WHERE order_key = 'O-0003'",
            &[],
        )
        .await
        .expect("row")
        .get(0);
    assert_eq!(
        owner, resent[3],
        "the row records the message that last wrote it"
    );

    worker.stop().await;
    let (pending, unacked) = stream.consumer_backlog("workers").await;
    assert_eq!((pending, unacked), (0, 0), "everything acknowledged");
    assert_eq!(stream.dlq_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_and_refused_records_are_dead_lettered_alone_and_neighbours_persist() {
    init_logs();
    let db = TestDb::create().await;
    let stream = TestStream::create().await;
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for i in 0..6 {
        good.push(
            stream
                .publish_order(&order(&format!("G-{i}"), 10, 2, None))
                .await,
        );
    }
    // Not an envelope: no Nomnom-* headers at all.
    stream
        .publish_raw(
            &stream.subject("Order"),
            HeaderMap::new(),
            br#"{"order_key":"X"}"#,
        )
        .await;
    bad.push((
        "unknown-entity",
        stream.publish("Invoice", br#"{"order_key":"Y"}"#).await,
    ));
    bad.push(("malformed", stream.publish("Order", b"{not json").await));
    bad.push((
        "invalid",
        stream
            .publish("Order", br#"{"order_key":"Z","items":[]}"#)
            .await,
    ));
    for i in 6..9 {
        good.push(
            stream
                .publish_order(&order(&format!("G-{i}"), 10, 2, None))
                .await,
        );
    }
    // Valid for the model, refused by PostgreSQL's CHECK constraints.
    let mut negative_qty = order("R-1", 10, 1, None);
    negative_qty["items"][0]["qty"] = serde_json::json!(-1);
    bad.push((
        "rejected-by-database",
        stream.publish_order(&negative_qty).await,
    ));
    bad.push((
        "rejected-by-database",
        stream.publish_order(&order("R-2", -5, 1, None)).await,
    ));
    for i in 9..12 {
        good.push(
            stream
                .publish_order(&order(&format!("G-{i}"), 10, 2, None))
                .await,
        );
    }

    // All 18 messages fit one batch.
    let worker = RunningWorker::start(config(
        &stream.name,
        &db.url,
        &[("WORKER_BATCH_SIZE", "50")],
    ));
    wait_until("every message handled", Duration::from_secs(60), || async {
        db.poll_count("SELECT count(*) FROM message_status WHERE status IN ('persisted', 'failed')")
            .await
            == 17
    })
    .await;
    worker.stop().await;

    assert_eq!(db.count("SELECT count(*) FROM orders").await, 12);
    assert_eq!(
        db.count("SELECT count(*) FROM orders WHERE order_key LIKE 'G-%'")
            .await,
        12
    );
    assert_eq!(db.count("SELECT count(*) FROM order_items").await, 24);
    let client = db.client().await;
    for id in &good {
        let s: String = client
            .query_one(
                "SELECT status FROM message_status WHERE message_id = $1",
                &[id],
            )
            .await
            .expect("status row")
            .get(0);
        assert_eq!(s, "persisted");
    }
    for (kind, id) in &bad {
        let row = client
            .query_one(
                "SELECT status, error_message FROM message_status WHERE message_id = $1",
                &[id],
            )
            .await
            .expect("status row");
        assert_eq!(row.get::<_, String>(0), "failed", "{kind}");
        let error: String = row.get(1);
        assert!(!error.is_empty(), "{kind} has an error message");
        if *kind == "rejected-by-database" {
            assert!(
                error.contains("23514"),
                "check violation SQLSTATE in {error:?}"
            );
        }
    }

    // The dead-letter stream holds exactly the six bad messages, with their error headers.
    assert_eq!(stream.dlq_count().await, 6);
    let dlq = stream
        .js
        .get_stream(format!("{}_DLQ", stream.name))
        .await
        .expect("dlq");
    let mut kinds = Vec::new();
    for seq in 1..=6 {
        let m = dlq.get_raw_message(seq).await.expect("dead letter");
        let kind = m
            .headers
            .get("Nomnom-Error-Kind")
            .expect("kind")
            .as_str()
            .to_string();
        assert!(m.headers.get("Nomnom-Error").is_some());
        assert!(m.headers.get("Nomnom-Failed-At").is_some());
        assert!(m.headers.get("Nomnom-Original-Sequence").is_some());
        assert!(m
            .subject
            .starts_with(&format!("{}.dlq.", stream.name.to_lowercase())));
        if kind != "not-an-envelope" {
            let id = m
                .headers
                .get("Nomnom-Message-Id")
                .expect("original header kept")
                .as_str()
                .to_string();
            let expected = bad
                .iter()
                .find(|(_, b)| b.to_string() == id)
                .expect("a bad message");
            assert_eq!(expected.0, kind);
        } else {
            assert_eq!(
                m.payload.as_ref(),
                br#"{"order_key":"X"}"#,
                "body unchanged"
            );
        }
        kinds.push(kind);
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "invalid",
            "malformed",
            "not-an-envelope",
            "rejected-by-database",
            "rejected-by-database",
            "unknown-entity"
        ]
    );
    let (pending, unacked) = stream.consumer_backlog("workers").await;
    assert_eq!((pending, unacked), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_worker_picks_up_a_new_message_at_once() {
    init_logs();
    let db = TestDb::create().await;
    let stream = TestStream::create().await;
    let worker = RunningWorker::start(config(&stream.name, &db.url, &[]));
    wait_until("migrated", Duration::from_secs(30), || async {
        persisted(&db).await == 0
    })
    .await;
    // Wait until the worker is idle: nothing pending and its long poll waiting on the server.
    wait_until(
        "an idle pull request waiting on the server",
        Duration::from_secs(10),
        || async {
            let stream_handle = stream.js.get_stream(&stream.name).await.expect("stream");
            let consumer: Result<async_nats::jetstream::consumer::PullConsumer, _> =
                stream_handle.get_consumer("workers").await;
            match consumer {
                Ok(mut consumer) => match consumer.info().await {
                    Ok(info) => info.num_pending == 0 && info.num_waiting >= 1,
                    Err(_) => false,
                },
                Err(_) => false, // not created yet
            }
        },
    )
    .await;
    let sent = std::time::Instant::now();
    stream.publish_order(&order("I-1", 1, 1, None)).await;
    wait_until("persisted", Duration::from_secs(10), || async {
        persisted(&db).await == 1
    })
    .await;
    let latency = sent.elapsed();
    assert!(
        latency < Duration::from_secs(1),
        "an idle worker answered in {latency:?}"
    );
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_ticks_hold_off_redelivery_of_a_long_batch() {
    use nomnom_runtime::nats::consumer::{ensure_consumer, ConsumerSettings};
    use nomnom_runtime::worker::fetch::fetch;
    use nomnom_runtime::worker::progress::ProgressTicker;
    init_logs();
    let stream = TestStream::create().await;
    let ack_wait = Duration::from_secs(1);
    let settings = ConsumerSettings {
        name: "slow".into(),
        ack_wait,
        max_deliver: 5,
    };
    let consumer = ensure_consumer(&stream.js, &stream.name, &settings)
        .await
        .expect("consumer");
    stream.publish_order(&order("P-1", 1, 1, None)).await;
    let messages = fetch(&consumer, 1, Duration::from_secs(2))
        .await
        .expect("fetch");
    assert_eq!(messages.len(), 1);

    // While the ticks run, a pull request waiting three ack waits gets nothing: the message
    // is not redelivered.
    let ticker = ProgressTicker::start(&stream.js, &messages, ack_wait);
    let during = fetch(&consumer, 1, ack_wait * 3)
        .await
        .expect("fetch while held");
    assert!(
        during.is_empty(),
        "redelivered although progress was reported"
    );

    // Without ticks the server takes it back after ack_wait.
    drop(ticker);
    let again = fetch(&consumer, 1, Duration::from_secs(5))
        .await
        .expect("fetch");
    assert_eq!(again.len(), 1, "redelivered once the ticks stopped");
    assert_eq!(again[0].info().expect("info").delivered, 2);
    again[0].ack().await.expect("ack");
}
