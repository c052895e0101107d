//! Checks of the generated `tpch` project, written into it as `tests/checks.rs` by
//! nomnom-codegen's compile test: the generated validation on valid and invalid messages,
//! and the generated SQL against the local PostgreSQL (a database of its own, dropped after).

use nomnom_runtime::db::writer::Postgres;
use nomnom_runtime::export::tokio_postgres;
use nomnom_runtime::export::{tokio, uuid::{self, Uuid}};
use nomnom_runtime::model::{Model, Rejection, RowBatch};
use tpch::{Record, TpchModel};

mod support;
use support::{connect, count, fresh_database, write};

/// The generated model's batch of rows.
type Batch = <TpchModel as Model>::Batch;

fn errors(body: &str) -> Vec<(String, &'static str, String)> {
    match TpchModel::validate("Order", body.as_bytes()) {
        Err(Rejection::Invalid(errors)) => errors.into_iter().map(|e| (e.path, e.rule, e.message)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

fn order_body(key: &str, lines: &[i64], price: &str) -> String {
    let items: Vec<String> = lines
        .iter()
        .map(|n| format!(r#"{{"line_number": {n}, "part_key": "P{n}", "quantity": {n}, "extended_price": 10.5}}"#))
        .collect();
    format!(
        r#"{{"order_key": "{key}", "customer_key": "C1", "order_status": "O", "total_price": {price}, "order_date": "2024-03-01", "line_items": [{}]}}"#,
        items.join(", ")
    )
}

#[test]
fn a_valid_order_becomes_typed_records() {
    let body = r#"{
        "order_key": "O-1", "customer_key": "C-9", "order_status": "F",
        "total_price": 12345678901234567890.123456789, "order_date": "2024-02-29",
        "order_priority": null, "ship_priority": 3, "comment": "fast",
        "line_items": [
            {"line_number": 1, "part_key": "P1", "quantity": 2, "extended_price": 10.25, "discount": 0, "ship_date": "2024-03-01"},
            {"line_number": 2, "part_key": "P2", "supplier_key": null, "quantity": 1, "extended_price": 1e2, "discount": null}
        ]
    }"#;
    let Ok(Record::Order(order)) = TpchModel::validate("Order", body.as_bytes()) else {
        panic!("valid order refused")
    };
    assert_eq!(order.order_key, "O-1");
    assert_eq!(order.total_price.to_string(), "12345678901234567890.123456789");
    assert_eq!(order.order_date.to_string(), "2024-02-29");
    assert_eq!(order.order_priority, None);
    assert_eq!(order.clerk, None);
    assert_eq!(order.ship_priority, Some(3));
    assert_eq!(order.line_items.len(), 2);
    assert_eq!(order.line_items[0].order_key, "O-1", "copied from the parent");
    assert_eq!(order.line_items[0].discount, Some(0.0));
    assert_eq!(order.line_items[0].ship_date.map(|d| d.to_string()).as_deref(), Some("2024-03-01"));
    assert_eq!(order.line_items[1].extended_price, 100.0);
    assert_eq!(order.line_items[1].supplier_key, None);
}

#[test]
fn every_field_error_is_reported_with_its_path() {
    let long = "x".repeat(201);
    let body = format!(
        r#"{{
        "customer_key": null, "order_status": "X", "total_price": "12.3.4",
        "order_date": "2024-13-01", "ship_priority": 1.5, "comment": "{long}",
        "line_items": [
            {{"line_number": 0, "part_key": 5, "extended_price": "x", "discount": 1.5}},
            7,
            {{"line_number": 2, "part_key": "P", "quantity": 3, "extended_price": 1.0, "tax": null}}
        ]
    }}"#
    );
    let expected: Vec<(&str, &str, &str)> = vec![
        ("/order_key", "required", "is required"),
        ("/customer_key", "null", "must not be null"),
        ("/order_status", "enum", "must be one of O, F, P"),
        ("/total_price", "format", "expected a decimal number with at most 28 significant digits"),
        ("/order_date", "format", "expected a date as YYYY-MM-DD"),
        ("/ship_priority", "type", "expected an integer, found a number with a fraction or exponent"),
        ("/comment", "max_length", "must be at most 200 characters long"),
        ("/line_items/0/line_number", "min", "must be at least 1"),
        ("/line_items/0/part_key", "type", "expected a string, found a number"),
        ("/line_items/0/quantity", "required", "is required"),
        ("/line_items/0/extended_price", "type", "expected a number, found a string"),
        ("/line_items/0/discount", "max", "must be at most 1"),
        ("/line_items/1", "type", "expected an object, found a number"),
    ];
    let got = errors(&body);
    let got: Vec<(&str, &str, &str)> = got.iter().map(|(p, r, m)| (p.as_str(), *r, m.as_str())).collect();
    assert_eq!(got, expected);
}

#[test]
fn missing_lists_and_wrong_root_types_are_errors() {
    let got = errors(r#"{"order_key": "A", "customer_key": "C", "order_status": "O", "total_price": 1, "order_date": "2024-01-01"}"#);
    assert_eq!(got, [("/line_items".to_string(), "required", "is required".to_string())]);
    let got = errors(r#"{"order_key": "A", "customer_key": "C", "order_status": "O", "total_price": 1, "order_date": "2024-01-01", "line_items": {}}"#);
    assert_eq!(got[0].1, "type");
    match TpchModel::validate("Order", b"[]") {
        Err(Rejection::Invalid(e)) => assert_eq!((e[0].path.as_str(), e[0].rule), ("", "type")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_bodies_and_unknown_entities_are_refused() {
    match TpchModel::validate("Order", b"{\n  \"order_key\": }") {
        Err(Rejection::Malformed(e)) => assert_eq!((e.line, e.column), (2, 16)),
        other => panic!("{other:?}"),
    }
    assert_eq!(TpchModel::validate("Nope", b"{}"), Err(Rejection::UnknownEntity));
    assert_eq!(
        TpchModel::validate("OrderLineItem", b"{}"),
        Err(Rejection::UnknownEntity),
        "children are not posted on their own"
    );
}

fn add(batch: &mut Batch, message_id: Uuid, body: &str) {
    let record = TpchModel::validate("Order", body.as_bytes()).expect("valid");
    TpchModel::add_to_batch(batch, message_id, message_id, &record);
}

#[test]
fn batches_upsert_dedupe_and_replace_children() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (_db, mut client) = fresh_database::<TpchModel>("tpch").await;

        assert_eq!(write(&mut client, &Batch::default()).await, 0, "an empty batch writes nothing");

        // One batch: A, B, then A again with other lines (last wins, A's first lines vanish).
        let (m1, m2, m3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut batch = Batch::default();
        add(&mut batch, m1, &order_body("A", &[1, 2, 3], "100.10"));
        add(&mut batch, m2, &order_body("B", &[1, 2], "12345678901234567890.123456789"));
        add(&mut batch, m3, &order_body("A", &[1, 2], "99.99"));
        assert_eq!(batch.row_count(), 6);
        assert_eq!(write(&mut client, &batch).await, 6);
        assert_eq!(count(&client, "SELECT count(*) FROM orders").await, 2);
        assert_eq!(count(&client, "SELECT count(*) FROM order_line_items").await, 4);
        let row = client
            .query_one("SELECT total_price::text, _message_id FROM orders WHERE order_key = 'A'", &[])
            .await
            .expect("A");
        assert_eq!(row.get::<_, String>(0), "99.99");
        assert_eq!(row.get::<_, Uuid>(1), m3);
        let row = client
            .query_one("SELECT total_price::text FROM orders WHERE order_key = 'B'", &[])
            .await
            .expect("B");
        assert_eq!(row.get::<_, String>(0), "12345678901234567890.123456789", "decimals stay exact");
        assert_eq!(
            count(&client, "SELECT count(*) FROM order_line_items l JOIN orders o ON l._parent_id = o._id WHERE o.order_key = 'A'").await,
            2
        );

        // Re-ingesting A with one line replaces its lines; B is untouched. A keeps the `_id` it
        // was first written with, and its new line hangs from it.
        let first_id: Uuid = client
            .query_one("SELECT _id FROM orders WHERE order_key = 'A'", &[])
            .await
            .expect("A")
            .get(0);
        let m4 = Uuid::now_v7();
        let mut again = Batch::default();
        add(&mut again, m4, &order_body("A", &[7], "5"));
        write(&mut client, &again).await;
        assert_eq!(count(&client, "SELECT count(*) FROM orders").await, 2);
        assert_eq!(count(&client, "SELECT count(*) FROM order_line_items").await, 3);
        assert_eq!(
            count(&client, "SELECT min(line_number) FROM order_line_items WHERE order_key = 'A'").await,
            7
        );
        let row = client
            .query_one(
                "SELECT o._id, l._parent_id FROM orders o JOIN order_line_items l ON l.order_key = o.order_key WHERE o.order_key = 'A'",
                &[],
            )
            .await
            .expect("A and its line");
        assert_eq!(row.get::<_, Uuid>(0), first_id, "a re-ingested order keeps its _id");
        assert_eq!(row.get::<_, Uuid>(1), first_id, "its new line points at the stored order");

        // A redelivery of the same batch changes nothing.
        write(&mut client, &again).await;
        assert_eq!(count(&client, "SELECT count(*) FROM orders").await, 2);
        assert_eq!(count(&client, "SELECT count(*) FROM order_line_items").await, 3);
    });
}

/// Sequential and index scans of `order_line_items` counted so far by this session's
/// statistics, read from `pg_stat_xact_user_tables`. That view is not this transaction's alone:
/// it shows every count the backend has not yet flushed to the shared statistics, and a backend
/// flushes when idle at most once a second. So right after the migration it still holds the
/// three sequential scans of the child table's three index builds (primary key, unique key,
/// parent index) whenever the setup took under a second. Only a difference taken inside one
/// transaction (nothing is flushed before it ends) belongs to the statements between.
async fn child_table_scans(tx: &tokio_postgres::Transaction<'_>) -> (i64, i64) {
    let row = tx
        .query_one(
            "SELECT seq_scan, coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables WHERE relname = 'order_line_items'",
            &[],
        )
        .await
        .expect("transaction statistics");
    (row.get(0), row.get(1))
}

#[test]
fn replacing_children_uses_the_parent_index_before_statistics_exist() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (_db, mut client) = fresh_database::<TpchModel>("tpch_plan").await;
        // A large table that was never analysed (as during a first bulk load, or with
        // autovacuum off): 25,000 orders with four lines each. Autovacuum is off for these
        // tables so that no automatic ANALYZE gives the planner statistics meanwhile.
        client
            .batch_execute(
                "ALTER TABLE orders SET (autovacuum_enabled = off); \
                 ALTER TABLE order_line_items SET (autovacuum_enabled = off); \
                 INSERT INTO orders (_id, _message_id, order_key, customer_key, order_status, total_price, order_date) \
                 SELECT gen_random_uuid(), gen_random_uuid(), 'bulk-' || i, 'C', 'O', 1, DATE '2024-01-01' \
                 FROM generate_series(1, 25000) AS i; \
                 INSERT INTO order_line_items (_id, _message_id, _parent_id, order_key, line_number, part_key, quantity, extended_price) \
                 SELECT gen_random_uuid(), o._message_id, o._id, o.order_key, n, 'P', 1, 1 \
                 FROM orders o, generate_series(1, 4) AS n;",
            )
            .await
            .expect("bulk rows");
        // A batch of 500 orders, as the worker writes them.
        let mut batch = Batch::default();
        for i in 0..500 {
            add(&mut batch, Uuid::now_v7(), &order_body(&format!("new-{i}"), &[1, 2], "1"));
        }
        let tx = client.transaction().await.expect("begin");
        // The scans the batch's own statements make: the counts after it less those before,
        // both read inside this transaction (see `child_table_scans`).
        let (seq_before, index_before) = child_table_scans(&tx).await;
        batch.write(&mut Postgres::new(&tx)).await.expect("write batch");
        let (seq_after, index_after) = child_table_scans(&tx).await;
        tx.commit().await.expect("commit");
        assert_eq!(
            seq_after - seq_before,
            0,
            "replacing the children of 500 parents scanned the whole child table"
        );
        assert!(index_after - index_before >= 1, "the children were looked up by their parent index");
        assert_eq!(count(&client, "SELECT count(*) FROM order_line_items").await, 101_000);
    });
}

#[test]
fn rows_take_time_ordered_ids_from_their_message() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (_db, mut client) = fresh_database::<TpchModel>("tpch_ids").await;
        // Message ids as the API makes them (UUIDv7), a millisecond apart, posted in order.
        let messages: Vec<Uuid> = (0..20u64)
            .map(|ms| Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, 1_700_000_000 + ms / 1000, (ms % 1000) as u32 * 1_000_000)))
            .collect();
        let mut batch = Batch::default();
        for (i, message) in messages.iter().enumerate() {
            add(&mut batch, *message, &order_body(&format!("T{:02}", 19 - i), &[1, 2, 3], "1"));
        }
        write(&mut client, &batch).await;
        // Orders' and line items' ids sort as their messages did, whatever their keys.
        let by_id: Vec<Uuid> = client
            .query("SELECT _message_id FROM orders ORDER BY _id", &[])
            .await
            .expect("orders")
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(by_id, messages);
        let rows = client
            .query("SELECT l._id, l._parent_id, o._id, o._message_id FROM order_line_items l JOIN orders o ON o.order_key = l.order_key", &[])
            .await
            .expect("line items");
        assert_eq!(rows.len(), 60);
        for row in &rows {
            let (line, parent, order, message): (Uuid, Uuid, Uuid, Uuid) = (row.get(0), row.get(1), row.get(2), row.get(3));
            assert_eq!(parent, order, "each line points at its order");
            assert_eq!(line.get_timestamp(), message.get_timestamp(), "a line carries its message's time");
        }
        // Writing the same messages again (a redelivery) changes no id.
        let before: Vec<Uuid> = client.query("SELECT _id FROM order_line_items ORDER BY _id", &[]).await.expect("ids").iter().map(|r| r.get(0)).collect();
        write(&mut client, &batch).await;
        let after: Vec<Uuid> = client.query("SELECT _id FROM order_line_items ORDER BY _id", &[]).await.expect("ids").iter().map(|r| r.get(0)).collect();
        assert_eq!(before, after);
    });
}

#[test]
fn rows_stored_by_earlier_versions_keep_their_ids_and_children() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (_db, mut client) = fresh_database::<TpchModel>("tpch_upgrade").await;
        // An order written with an id of another scheme (earlier nomnom versions hashed the key).
        let old_id = Uuid::new_v5(&Uuid::NAMESPACE_OID, b"orders\0OLD");
        client
            .batch_execute(&format!(
                "INSERT INTO orders (_id, _message_id, order_key, customer_key, order_status, total_price, order_date) \
                 VALUES ('{old_id}', gen_random_uuid(), 'OLD', 'C', 'O', 1, DATE '2024-01-01'); \
                 INSERT INTO order_line_items (_id, _message_id, _parent_id, order_key, line_number, part_key, quantity, extended_price) \
                 VALUES (gen_random_uuid(), gen_random_uuid(), '{old_id}', 'OLD', 9, 'P', 1, 1);"
            ))
            .await
            .expect("an old order");
        let mut batch = Batch::default();
        add(&mut batch, Uuid::now_v7(), &order_body("OLD", &[1, 2], "3"));
        add(&mut batch, Uuid::now_v7(), &order_body("NEW", &[1], "4"));
        assert_eq!(write(&mut client, &batch).await, 5);
        assert_eq!(count(&client, &format!("SELECT count(*) FROM orders WHERE _id = '{old_id}' AND total_price = 3")).await, 1);
        assert_eq!(
            count(&client, &format!("SELECT count(*) FROM order_line_items WHERE _parent_id = '{old_id}'")).await,
            2,
            "the old line is replaced by the two new ones, tied to the stored order"
        );
        assert_eq!(count(&client, "SELECT count(*) FROM order_line_items WHERE line_number = 9").await, 0);
    });
}

/// Two transactions write key K at once: the first inserts it and holds its transaction
/// open, the second (from another message) waits on the first's row lock. With
/// `second_is_newer`, the second's message was accepted after the first's and replaces its
/// row and lines under the id the first stored; otherwise the second is an older version
/// (a redelivery) and, once the first commits, changes nothing, lines included.
fn race_on_one_new_key(second_is_newer: bool) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let tag = if second_is_newer { "tpch_race_newer" } else { "tpch_race_older" };
        let (db, mut first) = fresh_database::<TpchModel>(tag).await;
        let mut second = connect(db.name()).await;
        let (early, late) = (Uuid::now_v7(), Uuid::now_v7());
        let (first_message, second_message) = if second_is_newer { (early, late) } else { (late, early) };
        let tx = first.transaction().await.expect("begin");
        let mut one = Batch::default();
        add(&mut one, first_message, &order_body("K", &[1, 2, 3], "1"));
        one.write(&mut Postgres::new(&tx)).await.expect("first write");
        let waiting = tokio::spawn(async move {
            let mut two = Batch::default();
            add(&mut two, second_message, &order_body("K", &[4], "2"));
            let tx = second.transaction().await.expect("begin");
            let written = two.write(&mut Postgres::new(&tx)).await.expect("second write");
            tx.commit().await.expect("commit");
            written
        });
        // The second writer waits on the first's row lock (seen from a third connection).
        let observer = connect(db.name()).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let waiting: i64 = observer
                .query_one("SELECT count(*) FROM pg_locks WHERE NOT granted", &[])
                .await
                .expect("locks")
                .get(0);
            if waiting > 0 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the second writer never waited on the first");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tx.commit().await.expect("commit the first");
        let written = waiting.await.expect("second writer");
        let (price, lines) = if second_is_newer { ("2", 1) } else { ("1", 3) };
        assert_eq!(
            count(&observer, &format!("SELECT count(*) FROM orders WHERE order_key = 'K' AND total_price = {price}")).await,
            1
        );
        assert_eq!(
            count(&observer, "SELECT count(*) FROM order_line_items l JOIN orders o ON l._parent_id = o._id WHERE o.order_key = 'K'").await,
            lines,
            "the newer writer's lines hang from the id the first stored"
        );
        assert_eq!(count(&observer, "SELECT count(*) FROM order_line_items").await, lines);
        if second_is_newer {
            assert!(written.superseded.is_empty());
        } else {
            assert_eq!(written.rows, 0, "the older version wrote nothing");
            assert_eq!(written.superseded.len(), 1);
            assert_eq!(written.superseded[0].message_id, second_message);
            assert_eq!(written.superseded[0].table, "orders");
        }
    });
}

#[test]
fn concurrent_writers_of_one_new_key_agree_on_its_id() {
    race_on_one_new_key(true);
}

#[test]
fn an_older_writer_waiting_on_a_newer_one_changes_nothing() {
    race_on_one_new_key(false);
}

#[test]
fn an_older_message_never_overwrites_a_newer_order_nor_its_lines() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (_db, mut client) = fresh_database::<TpchModel>("tpch_newest").await;
        let messages: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
        // The newest version of A is stored first (the batch holding the older one was
        // redelivered after it, as when its worker was killed).
        let mut batch = Batch::default();
        add(&mut batch, messages[2], &order_body("A", &[1, 2], "2"));
        write(&mut client, &batch).await;

        // Older A (with other lines) and a new B in one batch: B is written, A is not.
        let mut batch = Batch::default();
        add(&mut batch, messages[0], &order_body("A", &[9], "1"));
        add(&mut batch, messages[3], &order_body("B", &[1], "3"));
        let tx = client.transaction().await.expect("begin");
        let written = batch.write(&mut Postgres::new(&tx)).await.expect("write");
        tx.commit().await.expect("commit");
        assert_eq!(written.rows, 2, "B and its line");
        let superseded: Vec<(Uuid, &str)> = written.superseded.iter().map(|s| (s.message_id, s.table)).collect();
        assert_eq!(superseded, [(messages[0], "orders")]);
        let row = client
            .query_one("SELECT total_price::text, _message_id, _version FROM orders WHERE order_key = 'A'", &[])
            .await
            .expect("A");
        assert_eq!(row.get::<_, String>(0), "2");
        assert_eq!(row.get::<_, Uuid>(1), messages[2]);
        assert_eq!(row.get::<_, Uuid>(2), messages[2]);
        assert_eq!(
            count(&client, "SELECT count(*) FROM order_line_items WHERE order_key = 'A' AND line_number IN (1, 2)").await,
            2,
            "the newer lines stay"
        );
        assert_eq!(count(&client, "SELECT count(*) FROM order_line_items WHERE line_number = 9").await, 0);

        // In one batch, whatever their order: the newer of two versions is the one written,
        // and the older is reported.
        let mut batch = Batch::default();
        add(&mut batch, messages[5], &order_body("C", &[1], "5"));
        add(&mut batch, messages[4], &order_body("C", &[7, 8], "4"));
        assert_eq!(batch.row_count(), 2, "the older C adds no row");
        let tx = client.transaction().await.expect("begin");
        let written = batch.write(&mut Postgres::new(&tx)).await.expect("write");
        tx.commit().await.expect("commit");
        assert_eq!(written.rows, 2);
        assert_eq!(written.superseded.len(), 1);
        assert_eq!(written.superseded[0].message_id, messages[4]);
        assert_eq!(count(&client, "SELECT count(*) FROM orders WHERE order_key = 'C' AND total_price = 5").await, 1);
        assert_eq!(count(&client, "SELECT count(*) FROM order_line_items WHERE order_key = 'C'").await, 1);

        // A message accepted later still replaces A, and the same message again (a
        // redelivery) is not older than itself.
        let newest = Uuid::now_v7();
        let mut batch = Batch::default();
        add(&mut batch, newest, &order_body("A", &[4], "6"));
        write(&mut client, &batch).await;
        let tx = client.transaction().await.expect("begin");
        let again = batch.write(&mut Postgres::new(&tx)).await.expect("redelivery");
        tx.commit().await.expect("commit");
        assert!(again.superseded.is_empty());
        assert_eq!(count(&client, "SELECT count(*) FROM orders WHERE order_key = 'A' AND total_price = 6").await, 1);
        assert_eq!(count(&client, "SELECT count(*) FROM order_line_items WHERE order_key = 'A'").await, 1);
    });
}
