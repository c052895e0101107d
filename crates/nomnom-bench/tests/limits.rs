//! The two limit stages against the machine's real NATS and PostgreSQL: publish (closed loop
//! and pipelined) and binary COPY. Each test has its own stream / database.

use std::sync::Arc;
use std::time::Duration;

use nomnom_bench::{copy, payloads, publish, services};
use nomnom_testkit::{TestDatabase, TestStream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_limit_closed_loop_and_pipelined_store_every_acknowledged_message() {
    let stream = TestStream::shared();
    // The runtime's own connect creates the stream (and its dead-letter stream).
    let nats = Arc::new(
        services::connect_nats(&nomnom_testkit::shared_nats_url(), stream.name(), "256MB")
            .await
            .expect("connecting with the runtime"),
    );
    let orders = Arc::new(payloads::orders_json(5, 1_000));

    let one = publish::closed_loop(&nats, orders.clone(), 1, Duration::from_millis(500)).await;
    let many = publish::closed_loop(&nats, orders.clone(), 16, Duration::from_millis(500)).await;
    for run in [&one, &many] {
        assert!(run.messages > 10, "{run:?}");
        assert_eq!(run.errors, 0, "{run:?}");
        let latency = run.latency.expect("closed loop measures latency");
        assert_eq!(latency.count, run.messages);
        assert!(latency.p50_ms > 0.0 && latency.p50_ms <= latency.p99_ms);
        assert!(run.msgs_per_sec > 0.0);
    }
    let piped = publish::pipelined(
        &nats,
        payloads::ENTITY,
        &orders,
        3_000,
        512,
        publish::MsgIds::Without,
    )
    .await;
    assert_eq!(piped.messages, 3_000, "{piped:?}");
    assert_eq!(piped.errors, 0);
    assert!(piped.pipelined && piped.latency.is_none());

    // Every acknowledged message is in the stream: distinct ids, none dropped as duplicates.
    let expected = one.messages + many.messages + piped.messages;
    assert_eq!(stream.message_count(stream.name()).await, expected);
    // A stored message is the order's JSON, unchanged, with the envelope headers.
    let stored = nats
        .stream()
        .get_raw_message(1)
        .await
        .expect("first message");
    assert_eq!(&stored.payload[..], &orders[0][..]);
    let envelope = nomnom_runtime::envelope::MessageEnvelope::from_nats(
        Some(&stored.headers),
        stored.payload.clone(),
    )
    .expect("an envelope");
    assert_eq!(envelope.entity_type, "Order");
    assert_eq!(
        stored.headers.get("Nats-Msg-Id"),
        None,
        "published as the API publishes a message without an idempotency key"
    );

    publish::purge(&nats).await.expect("purge");
    assert_eq!(stream.message_count(stream.name()).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_limit_writes_exactly_the_worker_rows_with_hidden_columns() {
    let db = TestDatabase::create_shared().await;
    let mut client = db.client().await;
    // Tables from the test fixture (the program uses the generated migration instead).
    client
        .batch_execute(include_str!("fixtures/tpch_migration.sql"))
        .await
        .expect("fixture DDL");

    let run = copy::measure(&mut client, 11, 2_000, 500)
        .await
        .expect("COPY");
    let orders = payloads::orders_json(11, 2_000);
    let items = payloads::line_item_count(&orders);
    assert_eq!(run.messages, 2_000);
    assert_eq!(run.rows, 2_000 + items);
    assert!(run.rows_per_sec > 0.0 && run.msgs_per_sec > 0.0 && run.seconds > 0.0);

    let count = |sql: &'static str| {
        let client = &client;
        async move {
            client
                .query_one(sql, &[])
                .await
                .expect(sql)
                .get::<_, i64>(0)
        }
    };
    assert_eq!(count("SELECT count(*) FROM orders").await, 2_000);
    assert_eq!(
        count("SELECT count(*) FROM order_line_items").await as u64,
        items
    );
    // Every line item points at its order, carries its order's key and message id.
    assert_eq!(
        count(
            "SELECT count(*) FROM order_line_items i JOIN orders o ON o._id = i._parent_id \
             WHERE o.order_key = i.order_key AND o._message_id = i._message_id"
        )
        .await as u64,
        items
    );
    assert_eq!(
        count("SELECT count(DISTINCT _message_id) FROM orders").await,
        2_000
    );
    assert_eq!(
        count("SELECT count(*) FROM orders WHERE _ingested_at IS NULL").await,
        0
    );

    // Values arrive exactly: the first order's decimal total and its optional fields.
    let first: serde_json::Value = serde_json::from_slice(&orders[0]).unwrap();
    let row = client
        .query_one(
            "SELECT total_price::text, clerk, order_date::text FROM orders WHERE order_key = 'O-1'",
            &[],
        )
        .await
        .expect("order O-1");
    let total = match &first["total_price"] {
        serde_json::Value::String(s) => s.clone(),
        n => n.to_string(),
    };
    assert_eq!(
        row.get::<_, String>(0)
            .parse::<rust_decimal::Decimal>()
            .unwrap(),
        total.parse::<rust_decimal::Decimal>().unwrap()
    );
    assert_eq!(
        row.get::<_, Option<String>>(1).as_deref(),
        first["clerk"].as_str()
    );
    assert_eq!(
        row.get::<_, String>(2),
        first["order_date"].as_str().unwrap()
    );
}
