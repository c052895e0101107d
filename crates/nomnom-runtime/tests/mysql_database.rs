//! The MySQL/MariaDB side of the worker's database work against the machine's MariaDB: the
//! migration runner (with a half-applied migration resumed), the set-based writer through
//! the same `RowWriter` seam as PostgreSQL (upserts, children replaced, newest wins, keyless
//! rows never duplicated), refusals classified, the status precedence and the time
//! partitions of `message_status`. Each test has a database of its own.

mod support_worker;

use chrono::{TimeZone, Utc};
use mysql_async::prelude::Queryable;
use nomnom_runtime::config::StatusRetention;
use nomnom_runtime::db::classify::FailureClass;
use nomnom_runtime::db::migrate::MigrationError;
use nomnom_runtime::db::mysql::{self, classify, migrate, status, writer::Mysql};
use nomnom_runtime::model::{Migration, Model, RowBatch};
use nomnom_runtime::status::worker_updates::StatusUpdate;
use nomnom_runtime::telemetry::TraceId;
use nomnom_testkit::MysqlTestDatabase;
use support_worker::model::{Item, Order};
use support_worker::TestModel;
use uuid::Uuid;

const SCHEMA: &str = "
CREATE TABLE orders (
    _id          BINARY(16) NOT NULL PRIMARY KEY,
    _message_id  BINARY(16) NOT NULL,
    _version     BINARY(16) NOT NULL,
    _ingested_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    order_key    VARCHAR(255) NOT NULL,
    total        BIGINT NOT NULL CHECK (total >= 0),
    note         TEXT NULL,
    UNIQUE KEY orders_key (order_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE order_items (
    _id          BINARY(16) NOT NULL PRIMARY KEY,
    _message_id  BINARY(16) NOT NULL,
    _parent_id   BINARY(16) NOT NULL,
    _ingested_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    order_key    VARCHAR(255) NOT NULL,
    line         BIGINT NOT NULL,
    qty          BIGINT NOT NULL CHECK (qty > 0),
    KEY order_items_parent (_parent_id),
    CONSTRAINT order_items_parent_fk FOREIGN KEY (_parent_id) REFERENCES orders (_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
";

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "orders",
    sql: SCHEMA,
}];

fn order(key: &str, total: i64, lines: &[(i64, i64)]) -> Order {
    Order {
        order_key: key.to_string(),
        total,
        note: None,
        items: lines
            .iter()
            .map(|&(line, qty)| Item { line, qty })
            .collect(),
    }
}

/// Writes `orders` (message id, version, record) in one transaction with their statuses.
async fn write(
    pool: &mysql_async::Pool,
    orders: &[(Uuid, Uuid, Order)],
) -> Result<nomnom_runtime::db::write::BatchWrite, mysql_async::Error> {
    let mut conn = pool.get_conn().await?;
    let mut tx = conn
        .start_transaction(mysql_async::TxOpts::default())
        .await?;
    let written = write_in(&mut tx, orders).await?;
    tx.commit().await?;
    Ok(written)
}

/// Writes `orders` and their statuses in `tx`, as the worker does, leaving it open.
async fn write_in(
    tx: &mut mysql_async::Transaction<'_>,
    orders: &[(Uuid, Uuid, Order)],
) -> Result<nomnom_runtime::db::write::BatchWrite, mysql_async::Error> {
    let mut batch = <TestModel as Model>::Batch::default();
    for (message_id, version, record) in orders {
        TestModel::add_to_batch(&mut batch, *message_id, *version, record);
    }
    let statuses: Vec<StatusUpdate> = orders
        .iter()
        .map(|(message_id, _, _)| StatusUpdate {
            message_id: *message_id,
            entity_type: "Order".into(),
            // One acceptance time per message, as the envelope carries it.
            received_at: Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap(),
            retry_count: 0,
            error: None,
            note: None,
            trace_id: None,
        })
        .collect();
    let written = batch.write(&mut Mysql::new(tx)).await?;
    status::mark_persisted(tx, &statuses).await?;
    Ok(written)
}

async fn count(conn: &mut mysql_async::Conn, sql: &str) -> i64 {
    conn.query_first::<i64, _>(sql)
        .await
        .expect(sql)
        .unwrap_or_default()
}

#[tokio::test]
async fn migrations_apply_once_and_a_half_applied_one_resumes_at_the_failed_statement() {
    let db = MysqlTestDatabase::create_shared().await;
    let report = migrate::apply_migrations(&db.url(), MIGRATIONS)
        .await
        .expect("migrate");
    assert_eq!(report.applied, vec![1]);
    let again = migrate::apply_migrations(&db.url(), MIGRATIONS)
        .await
        .expect("migrate again");
    assert_eq!(again.already_applied, vec![1]);
    assert!(again.applied.is_empty());

    // Statement 2 needs a table nobody created yet: statement 1 stays applied.
    let more: &[Migration] = &[
        MIGRATIONS[0],
        Migration {
            version: 2,
            name: "audit",
            sql: "CREATE TABLE audit (id BIGINT PRIMARY KEY);\n\
                  CREATE INDEX audit_extra_id ON audit_extra (id);\n\
                  ALTER TABLE audit ADD COLUMN `order` TEXT NULL;",
        },
    ];
    let error = migrate::apply_migrations(&db.url(), more)
        .await
        .expect_err("statement 2 fails");
    match &error {
        MigrationError::HalfApplied {
            version,
            applied,
            total,
            ..
        } => assert_eq!((*version, *applied, *total), (2, 1, 3)),
        other => panic!("expected a half-applied migration, got {other}"),
    }
    assert!(
        error.to_string().contains("resumes at statement 2"),
        "{error}"
    );
    let mut conn = db.conn().await;
    conn.query_drop("CREATE TABLE audit_extra (id BIGINT)")
        .await
        .expect("fix the cause");
    // Statement 1 (not idempotent) is not run again.
    let resumed = migrate::apply_migrations(&db.url(), more)
        .await
        .expect("resumes");
    assert_eq!(resumed.applied, vec![2]);
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = 'audit' AND COLUMN_NAME = 'order'"
        )
        .await,
        1
    );
    // An applied migration edited afterwards stops start-up.
    let edited: &[Migration] = &[Migration {
        version: 1,
        name: "orders",
        sql: "CREATE TABLE orders (x INT);",
    }];
    assert!(matches!(
        migrate::apply_migrations(&db.url(), edited).await,
        Err(MigrationError::ChecksumMismatch { version: 1, .. })
    ));
}

#[tokio::test]
async fn upserts_replace_children_keep_the_newest_and_never_duplicate() {
    let db = MysqlTestDatabase::create_shared().await;
    migrate::apply_migrations(&db.url(), MIGRATIONS)
        .await
        .expect("migrate");
    let pool = mysql::pool(&db.url()).expect("url");
    let (m1, m2, m3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let (v1, v2, v3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());

    let first = write(
        &pool,
        &[
            (m1, v1, order("A-1", 10, &[(1, 2), (2, 3), (3, 1)])),
            (m2, v2, order("B-`2`", 5, &[(1, 1)])),
        ],
    )
    .await
    .expect("first batch");
    assert_eq!(first.rows, 6);
    assert!(first.superseded.is_empty());

    // A redelivery of the same messages changes nothing.
    write(
        &pool,
        &[(m1, v1, order("A-1", 10, &[(1, 2), (2, 3), (3, 1)]))],
    )
    .await
    .expect("redelivery");
    let mut conn = db.conn().await;
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) FROM order_items").await,
        4
    );

    // A newer message for A-1 replaces its row and its children, keeping the row's _id.
    let id_before: Vec<u8> = conn
        .query_first("SELECT _id FROM orders WHERE order_key = 'A-1'")
        .await
        .expect("id")
        .expect("row");
    write(&pool, &[(m3, v3, order("A-1", 42, &[(7, 9)]))])
        .await
        .expect("newer");
    let id_after: Vec<u8> = conn
        .query_first("SELECT _id FROM orders WHERE order_key = 'A-1'")
        .await
        .expect("id")
        .expect("row");
    assert_eq!(id_before, id_after);
    assert_eq!(
        count(
            &mut conn,
            "SELECT total FROM orders WHERE order_key = 'A-1'"
        )
        .await,
        42
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM order_items WHERE order_key = 'A-1'"
        )
        .await,
        1
    );

    // An older message for A-1 (accepted before v3) is kept out, with its children.
    let stale = write(
        &pool,
        &[(Uuid::now_v7(), v2, order("A-1", 1, &[(1, 5), (2, 5)]))],
    )
    .await
    .expect("older");
    assert_eq!(stale.superseded.len(), 1);
    assert_eq!(stale.superseded[0].table, "orders");
    assert_eq!(
        count(
            &mut conn,
            "SELECT total FROM orders WHERE order_key = 'A-1'"
        )
        .await,
        42
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM order_items WHERE order_key = 'A-1'"
        )
        .await,
        1
    );
    // Keys compare byte for byte, as in PostgreSQL: a key differing only in case is another.
    write(
        &pool,
        &[(Uuid::now_v7(), Uuid::now_v7(), order("a-1", 3, &[]))],
    )
    .await
    .expect("other case");
    assert_eq!(count(&mut conn, "SELECT COUNT(*) FROM orders").await, 3);
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM message_status WHERE status = 'persisted'"
        )
        .await,
        5
    );
}

#[tokio::test]
async fn a_large_batch_goes_in_few_statements_and_a_refused_record_is_a_rejection() {
    let db = MysqlTestDatabase::create_shared().await;
    migrate::apply_migrations(&db.url(), MIGRATIONS)
        .await
        .expect("migrate");
    let pool = mysql::pool(&db.url()).expect("url");
    // More rows than one statement's parameter limit holds (7 per item row).
    let orders: Vec<(Uuid, Uuid, Order)> = (0..2_000)
        .map(|i| {
            let lines: Vec<(i64, i64)> = (0..5).map(|l| (l, 1 + l)).collect();
            (
                Uuid::now_v7(),
                Uuid::now_v7(),
                order(&format!("K-{i:05}"), i, &lines),
            )
        })
        .collect();
    let written = write(&pool, &orders).await.expect("large batch");
    assert_eq!(written.rows, 12_000);
    let mut conn = db.conn().await;
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) FROM order_items").await,
        10_000
    );

    // qty > 0 is the database's rule: the record is refused, not retried.
    let error = write(
        &pool,
        &[(Uuid::now_v7(), Uuid::now_v7(), order("BAD", 1, &[(1, 0)]))],
    )
    .await
    .expect_err("refused");
    assert_eq!(
        classify::classify(&error),
        FailureClass::Rejected,
        "{error}"
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM orders WHERE order_key = 'BAD'"
        )
        .await,
        0,
        "the transaction is rolled back"
    );
}

#[tokio::test]
async fn a_pooled_connection_keeps_its_session_and_its_prepared_statements() {
    let db = MysqlTestDatabase::create_shared().await;
    // One connection at most: each `get_conn` waits for the one given back before.
    let pool = mysql::pool(&format!("{}?pool_min=1&pool_max=1", db.url())).expect("url");
    let mut conn = pool.get_conn().await.expect("conn");
    let statement = conn.prep("SELECT ? + 1").await.expect("prepare");
    drop(conn);
    for _ in 0..3 {
        let mut conn = pool.get_conn().await.expect("conn");
        let session: Option<(String, String, String)> = conn
            .query_first("SELECT @@SESSION.sql_mode, @@SESSION.time_zone, @@SESSION.tx_isolation")
            .await
            .expect("session");
        let (sql_mode, time_zone, isolation) = session.expect("row");
        assert!(sql_mode.contains("STRICT_ALL_TABLES"), "{sql_mode}");
        assert_eq!(time_zone, "+00:00");
        assert_eq!(isolation, "READ-COMMITTED");
        // The server still holds the statement prepared before the connection went back.
        let two: Option<i64> = conn
            .exec_first(&statement, (1,))
            .await
            .expect("the statement is still prepared");
        assert_eq!(two, Some(2));
    }
}

/// Fresh orders with `lines` line items each, keys `prefix-0`, `prefix-1`, ….
fn fresh(prefix: &str, count: usize, lines: i64) -> Vec<(Uuid, Uuid, Order)> {
    (0..count)
        .map(|i| {
            let items: Vec<(i64, i64)> = (0..lines).map(|l| (l, 1 + l)).collect();
            let id = Uuid::now_v7();
            (id, id, order(&format!("{prefix}-{i}"), 1, &items))
        })
        .collect()
}

#[tokio::test]
async fn two_batches_in_flight_at_once_never_wait_for_each_others_gaps() {
    let db = MysqlTestDatabase::create_shared().await;
    migrate::apply_migrations(&db.url(), MIGRATIONS)
        .await
        .expect("migrate");
    let pool = mysql::pool(&db.url()).expect("url");
    write(&pool, &fresh("before", 3, 2))
        .await
        .expect("rows below");
    // The second batch is written first and left open, as a worker with
    // WORKER_CONCURRENCY=2 leaves one batch's transaction open while the next one writes:
    // it replaced the (absent) children of its new orders, and inserted its own, at the end
    // of the `_parent_id` index.
    let (first, second) = (fresh("first", 50, 4), fresh("second", 50, 4));
    let mut open_conn = pool.get_conn().await.expect("conn");
    let mut open = open_conn
        .start_transaction(mysql_async::TxOpts::default())
        .await
        .expect("begin");
    write_in(&mut open, &second).await.expect("second batch");
    // Under REPEATABLE READ the first batch's children would wait for the open one's gap
    // lock (and the two would deadlock once it writes again); here they go straight in.
    let mut conn = pool.get_conn().await.expect("conn");
    conn.query_drop("SET SESSION innodb_lock_wait_timeout = 3")
        .await
        .expect("lock wait");
    let mut tx = conn
        .start_transaction(mysql_async::TxOpts::default())
        .await
        .expect("begin");
    let written = write_in(&mut tx, &first).await.expect("no lock wait");
    assert_eq!(written.rows, 250);
    tx.commit().await.expect("commit first");
    open.commit().await.expect("commit second");
    let mut conn = db.conn().await;
    assert_eq!(count(&mut conn, "SELECT COUNT(*) FROM orders").await, 103);
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) FROM order_items").await,
        406
    );
}

fn update(id: Uuid, received_at: chrono::DateTime<Utc>) -> StatusUpdate {
    StatusUpdate {
        message_id: id,
        entity_type: "Order".into(),
        received_at,
        retry_count: 1,
        error: Some("boom".into()),
        note: None,
        trace_id: Some(TraceId([0xab; 16])),
    }
}

#[tokio::test]
async fn statuses_keep_their_precedence_and_partitions_follow_the_retention() {
    let db = MysqlTestDatabase::create_shared().await;
    migrate::apply_migrations(&db.url(), &[])
        .await
        .expect("migrate");
    let mut conn = mysql_async::Conn::new(mysql::options(&db.url()).expect("url"))
        .await
        .expect("connect");
    let now = Utc.with_ymd_and_hms(2026, 12, 6, 10, 30, 0).unwrap();
    let (persisted, failed) = (Uuid::now_v7(), Uuid::now_v7());
    status::mark_persisted(&mut conn, &[update(persisted, now)])
        .await
        .expect("persisted");
    status::mark_retrying(&mut conn, &[update(persisted, now), update(failed, now)])
        .await
        .expect("retrying");
    status::mark_failed(&mut conn, &[update(persisted, now), update(failed, now)])
        .await
        .expect("failed");
    status::mark_retrying(&mut conn, &[update(failed, now)])
        .await
        .expect("retrying again");
    let statuses: Vec<(Vec<u8>, String)> = conn
        .query("SELECT message_id, status FROM message_status ORDER BY message_id")
        .await
        .expect("statuses");
    assert_eq!(
        statuses,
        vec![
            (persisted.as_bytes().to_vec(), "persisted".to_string()),
            (failed.as_bytes().to_vec(), "failed".to_string()),
        ]
    );
    // The trace the message was accepted in is kept and shown as 32 hex digits.
    let found = status::lookup(&mut conn, persisted)
        .await
        .expect("lookup")
        .expect("a status row");
    assert_eq!(found.trace_id.as_deref(), Some("ab".repeat(16).as_str()));

    let policy = StatusRetention {
        retention: Some(std::time::Duration::from_secs(2 * 3600)),
        interval: std::time::Duration::from_secs(3600),
    };
    let round = status::maintain(&mut conn, &policy, now)
        .await
        .expect("round");
    assert!(round.ran);
    assert_eq!(
        round.created,
        vec![
            "message_status_p20261206120000",
            "message_status_p20261206130000",
            "message_status_p20261206140000"
        ]
    );
    // The rows accepted before the first round are in the first split partition.
    let in_first: i64 = count(
        &mut conn,
        "SELECT COUNT(*) FROM message_status PARTITION (message_status_p20261206120000)",
    )
    .await;
    assert_eq!(in_first, 2);
    // Five hours on: the partitions ending at or before 13:30 have expired and go whole.
    let later = now + chrono::Duration::hours(5);
    let round = status::maintain(&mut conn, &policy, later)
        .await
        .expect("later round");
    assert_eq!(
        round.dropped,
        vec![
            "message_status_p20261206120000",
            "message_status_p20261206130000"
        ]
    );
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) FROM message_status").await,
        0
    );
    assert!(round
        .created
        .contains(&"message_status_p20261206170000".to_string()));
    // A row accepted far in the future still finds a partition (the MAXVALUE one).
    status::mark_persisted(
        &mut conn,
        &[update(Uuid::now_v7(), now + chrono::Duration::days(400))],
    )
    .await
    .expect("future row");
}
