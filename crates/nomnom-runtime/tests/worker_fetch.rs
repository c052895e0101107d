//! Fetching under steady traffic. NATS 2.9 drops an expired pull request without its expiry
//! notice (408) when a message arrives before the request's expiry timer ran; async-nats then
//! keeps the pull open until its own fallback (`expires + 5 s`), holding the messages already
//! delivered. These tests prove the worker never waits for that fallback.

mod support_worker;

use std::time::{Duration, Instant};

use nomnom_runtime::nats::consumer::{consumer_config, ensure_consumer, ConsumerSettings};
use nomnom_runtime::worker::fetch::{next_batch, FetchError, EXPIRY_GRACE, IDLE_POLL};
use support_worker::{config, init_logs, order, wait_until, RunningWorker, TestDb, TestStream};

/// async-nats's own fallback for a pull whose expiry notice never came: `expires + 5 s`.
const CLIENT_FALLBACK: Duration = Duration::from_secs(5);

/// Publishes about `per_tick` messages every 10 ms for `length`; returns how many.
async fn publish_steadily(stream: &TestStream, length: Duration, per_tick: usize) -> usize {
    let subject = stream.subject("Order");
    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < length {
        let acks: Vec<_> = (0..per_tick)
            .map(|i| {
                let js = stream.js.clone();
                let subject = subject.clone();
                let body = format!("m{}", sent + i);
                async move {
                    js.publish(subject, body.into())
                        .await
                        .expect("publish")
                        .await
                        .expect("publish ack")
                }
            })
            .collect();
        futures_util::future::join_all(acks).await;
        sent += per_tick;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_pulls_end_at_their_expiry_and_lose_nothing_under_steady_traffic() {
    init_logs();
    let stream = TestStream::create().await;
    let settings = ConsumerSettings {
        name: "fetch".to_string(),
        ack_wait: Duration::from_secs(30),
        max_deliver: -1,
    };
    let consumer = ensure_consumer(&stream.js, &stream.name, &settings)
        .await
        .expect("consumer");
    let batch_wait = Duration::from_millis(100);
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    // Two loops, as WORKER_CONCURRENCY=2 runs them, each "writing" for 50 ms per batch.
    let loops: Vec<_> = (0..2)
        .map(|_| {
            let consumer = consumer.clone();
            let done = done_rx.clone();
            tokio::spawn(async move {
                let mut idle = false;
                let mut received = Vec::new();
                let mut longest_busy = Duration::ZERO;
                for _ in 0..10_000 {
                    let started = Instant::now();
                    let messages = next_batch(&consumer, 500, batch_wait, idle)
                        .await
                        .expect("fetch");
                    if !idle {
                        longest_busy = longest_busy.max(started.elapsed());
                    }
                    idle = messages.is_empty();
                    if idle && *done.borrow() {
                        break;
                    }
                    for m in &messages {
                        let seq = m.info().expect("a JetStream delivery").stream_sequence;
                        received.push(seq);
                        m.ack().await.expect("ack");
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                (received, longest_busy)
            })
        })
        .collect();
    let sent = publish_steadily(&stream, Duration::from_secs(8), 10).await;
    done_tx.send(true).expect("loops listen");
    let mut all = Vec::new();
    for handle in loops {
        let (received, longest_busy) = handle.await.expect("loop");
        // A busy pull ends by its expiry (plus the grace), never by the client's fallback.
        assert!(
            longest_busy < batch_wait + EXPIRY_GRACE + CLIENT_FALLBACK / 2,
            "a busy pull stayed open {longest_busy:?}: the 5 s fallback ended it"
        );
        all.extend(received);
    }
    // Ending pulls on the client side lost nothing to a dropped inbox, delivered nothing twice.
    all.sort_unstable();
    let total = all.len();
    all.dedup();
    assert_eq!(all.len(), total, "a message was delivered twice");
    assert_eq!(total, sent, "every published message was fetched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_steady_traffic_no_message_waits_for_a_pull_fallback() {
    init_logs();
    let db = TestDb::create().await;
    let stream = TestStream::create().await;
    let worker = RunningWorker::start(config(&stream.name, &db.url, &[]));
    wait_until("migrated", Duration::from_secs(30), || async {
        db.poll_count("SELECT count(*) FROM message_status").await == 0
    })
    .await;
    // About 200 messages a second for 8 s: batches stay partial, every pull expires.
    let groups: i64 = 80;
    let per_group: i64 = 20;
    for g in 0..groups {
        let publishes = (0..per_group).map(|i| {
            let stream = &stream;
            async move {
                stream
                    .publish_order(&order(&format!("S-{g}-{i}"), i, 1, None))
                    .await
            }
        });
        futures_util::future::join_all(publishes).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent = groups * per_group;
    wait_until("all persisted", Duration::from_secs(60), || async {
        db.poll_count("SELECT count(*) FROM message_status WHERE status = 'persisted'")
            .await
            == sent
    })
    .await;
    // From the message's arrival to its row: never the 5 s fallback of a pull request.
    let client = db.client().await;
    let row = client
        .query_one(
            "SELECT extract(epoch FROM max(processed_at - received_at))::float8 FROM message_status",
            &[],
        )
        .await
        .expect("latency query");
    let worst: f64 = row.get(0);
    assert!(
        worst < CLIENT_FALLBACK.as_secs_f64() * 0.8,
        "a message waited {worst:.2} s before it was persisted"
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_pull_the_server_refuses_is_an_error_at_once_not_an_empty_batch() {
    let stream = TestStream::create().await;
    let settings = ConsumerSettings {
        name: "limited".to_string(),
        ack_wait: Duration::from_secs(30),
        max_deliver: -1,
    };
    // An operator limited the consumer's pull requests to a 1 s expiry.
    let mut limited = consumer_config(&stream.name, &settings);
    limited.max_expires = Duration::from_secs(1);
    let consumer = stream
        .js
        .get_stream(&stream.name)
        .await
        .expect("stream")
        .create_consumer(limited)
        .await
        .expect("consumer");
    // An idle worker's long poll, then a busy one, each longer than the limit: an empty
    // answer would come only after the poll's expiry.
    for (idle, expiry) in [(true, IDLE_POLL), (false, Duration::from_secs(3))] {
        let started = Instant::now();
        let err = next_batch(&consumer, 10, expiry, idle)
            .await
            .expect_err("the server refuses a pull longer than the consumer allows");
        assert!(
            started.elapsed() < expiry,
            "the error came after {:?}, not at once",
            started.elapsed()
        );
        assert!(matches!(err, FetchError::Ended(_)), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("fetch from the consumer failed"),
            "{err}"
        );
    }
}
