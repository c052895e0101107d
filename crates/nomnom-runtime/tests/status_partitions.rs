//! `message_status` partitions against PostgreSQL: a table of an earlier release converted
//! without losing a row, partitions created ahead and dropped past the retention, rows of the
//! default partition moved or expired, rounds of two workers serialised, and a row no
//! partition covers still accepted.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use nomnom_runtime::config::StatusRetention;
use nomnom_runtime::status::partitions::{maintain, LOCK_KEY};
use nomnom_runtime::status::MESSAGE_STATUS_SQL;
use nomnom_testkit::TestDatabase;
use tokio_postgres::Client;
use uuid::Uuid;

/// The table as releases before partitioning created it.
const UNPARTITIONED: &str = "
CREATE TABLE message_status (
    message_id    UUID PRIMARY KEY,
    status        TEXT NOT NULL CHECK (status IN ('accepted', 'retrying', 'persisted', 'failed')),
    entity_type   TEXT NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL,
    processed_at  TIMESTAMPTZ,
    error_message TEXT,
    retry_count   INTEGER NOT NULL DEFAULT 0,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);";

const DAY: Duration = Duration::from_secs(86_400);

fn noon(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, 12, 0, 0)
        .single()
        .expect("a date")
}

async fn count(db: &Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).await.expect(sql).get(0)
}

/// The partitions' names, oldest first (the default one apart).
async fn partitions(db: &Client) -> Vec<String> {
    db.query(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'message_status'::regclass AND c.relname <> 'message_status_default' \
         ORDER BY 1",
        &[],
    )
    .await
    .expect("listing partitions")
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// A fingerprint of every row, to compare before and after.
async fn fingerprint(db: &Client) -> String {
    db.query_one(
        "SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY message_id)), '') FROM \
         (SELECT message_id, status, entity_type, received_at, processed_at, error_message, \
          retry_count, updated_at FROM message_status) t",
        &[],
    )
    .await
    .expect("fingerprint")
    .get(0)
}

#[tokio::test]
async fn an_earlier_table_is_converted_then_kept_for_the_retention() {
    let db = TestDatabase::create_shared().await;
    let sql = db.client().await;
    sql.batch_execute(UNPARTITIONED)
        .await
        .expect("the old table");
    // 600 statuses accepted over five days, the 1st to the 5th at noon and after.
    sql.execute(
        "INSERT INTO message_status (message_id, status, entity_type, received_at, error_message, retry_count) \
         SELECT gen_random_uuid(), CASE WHEN i % 7 = 0 THEN 'failed' ELSE 'persisted' END, 'Order', \
                $1::timestamptz + (i % 5) * interval '1 day' + i * interval '1 second', \
                CASE WHEN i % 7 = 0 THEN 'refused ' || i END, i % 3 \
         FROM generate_series(1, 600) AS i",
        &[&noon(1)],
    )
    .await
    .expect("old statuses");
    let before = fingerprint(&sql).await;

    sql.batch_execute(MESSAGE_STATUS_SQL)
        .await
        .expect("conversion");
    sql.batch_execute(MESSAGE_STATUS_SQL)
        .await
        .expect("a second run changes nothing");
    assert_eq!(
        count(&sql, "SELECT count(*) FROM message_status").await,
        600
    );
    assert_eq!(fingerprint(&sql).await, before, "every row kept, unchanged");
    assert_eq!(
        count(&sql, "SELECT count(*) FROM pg_partitioned_table WHERE partrelid = 'message_status'::regclass").await,
        1
    );

    // Retention two days, on the 5th at noon: partitions for the 6th to the 8th (only ranges
    // ahead, where no writer is routing rows); the old rows stay in the default partition,
    // and those past the retention (the 1st and 2nd) are deleted.
    let policy = StatusRetention {
        retention: Some(2 * DAY),
        interval: DAY,
    };
    let report = maintain(&sql, &policy, noon(5)).await.expect("a round");
    assert!(report.ran);
    assert_eq!(
        partitions(&sql).await,
        [
            "message_status_p20261206000000",
            "message_status_p20261207000000",
            "message_status_p20261208000000"
        ]
    );
    assert_eq!(
        report.expired, 240,
        "the 1st and 2nd are past the retention"
    );
    assert_eq!(
        count(&sql, "SELECT count(*) FROM message_status").await,
        360
    );
    // Statuses of the 9th land in the partition created for them.
    sql.execute(
        "INSERT INTO message_status (message_id, status, entity_type, received_at) VALUES (gen_random_uuid(), 'accepted', 'Order', $1)",
        &[&noon(8)],
    )
    .await
    .expect("a status ahead");
    assert_eq!(
        count(&sql, "SELECT count(*) FROM message_status_p20261208000000").await,
        1
    );

    // Four days later (the 9th): the 3rd, 4th and 5th have expired from the default partition,
    // the 6th's partition is past the retention (from the 7th at noon) and dropped whole.
    let report = maintain(&sql, &policy, noon(9))
        .await
        .expect("a later round");
    assert_eq!(report.dropped, ["message_status_p20261206000000"]);
    assert_eq!(report.expired, 360);
    assert_eq!(
        report.created,
        [
            "message_status_p20261210000000",
            "message_status_p20261211000000",
            "message_status_p20261212000000"
        ]
    );
    assert_eq!(count(&sql, "SELECT count(*) FROM message_status").await, 1);
    let quiet = maintain(&sql, &policy, noon(9)).await.expect("again");
    assert!(quiet.created.is_empty() && quiet.dropped.is_empty() && quiet.expired == 0);
}

#[tokio::test]
async fn rounds_are_serialised_and_no_row_is_ever_refused() {
    let db = TestDatabase::create_shared().await;
    let (first, second) = (db.client().await, db.client().await);
    first
        .batch_execute(MESSAGE_STATUS_SQL)
        .await
        .expect("the table");
    let policy = StatusRetention {
        retention: Some(Duration::from_secs(10)),
        interval: Duration::from_secs(2),
    };
    let now = Utc::now();
    // Another worker's round holds the lock: this one does nothing.
    first
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await
        .expect("holding the round's lock");
    let skipped = maintain(&second, &policy, now).await.expect("a round");
    assert!(!skipped.ran);
    assert!(partitions(&second).await.is_empty());
    first
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await
        .expect("releasing it");
    let report = maintain(&second, &policy, now).await.expect("a round");
    assert!(report.ran);
    assert_eq!(report.created.len(), partitions(&second).await.len());
    assert_eq!(report.created.len(), 3, "three intervals ahead: {report:?}");

    // A status far outside every partition (a clock gone wrong) lands in the default one.
    let far = now + chrono::Duration::days(400);
    second
        .execute(
            "INSERT INTO message_status (message_id, status, entity_type, received_at) VALUES ($1, 'accepted', 'Order', $2)",
            &[&Uuid::now_v7(), &far],
        )
        .await
        .expect("a row no partition covers is still written");
    assert_eq!(
        count(&second, "SELECT count(*) FROM message_status_default").await,
        1
    );
}

/// The partitioned table as releases before trace context created it (no `trace_id`).
const BEFORE_TRACES: &str = "
CREATE TABLE message_status (
    message_id    UUID NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('accepted', 'retrying', 'persisted', 'failed')),
    entity_type   TEXT NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL,
    processed_at  TIMESTAMPTZ,
    error_message TEXT,
    note          TEXT,
    retry_count   INTEGER NOT NULL DEFAULT 0,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, received_at)
) PARTITION BY RANGE (received_at);
CREATE TABLE message_status_default PARTITION OF message_status DEFAULT;
CREATE TABLE message_status_p20261201000000 PARTITION OF message_status
    FOR VALUES FROM ('2026-12-01 00:00:00+00') TO ('2026-12-02 00:00:00+00');";

#[tokio::test]
async fn a_table_before_trace_context_gains_the_trace_id_and_keeps_its_rows() {
    let db = TestDatabase::create_shared().await;
    let sql = db.client().await;
    sql.batch_execute(BEFORE_TRACES)
        .await
        .expect("the old table");
    sql.execute(
        "INSERT INTO message_status (message_id, status, entity_type, received_at) \
         SELECT gen_random_uuid(), 'persisted', 'Order', $1::timestamptz + i * interval '1 hour' \
         FROM generate_series(0, 47) i",
        &[&noon(1)],
    )
    .await
    .expect("old rows");
    let before = fingerprint(&sql).await;
    // Applied at every start of a worker (and of the API): twice is the same as once.
    for _ in 0..2 {
        sql.batch_execute(MESSAGE_STATUS_SQL)
            .await
            .expect("the DDL upgrades the table");
    }
    assert_eq!(fingerprint(&sql).await, before, "every row kept");
    for table in [
        "message_status",
        "message_status_default",
        "message_status_p20261201000000",
    ] {
        let has_column = count(
            &sql,
            &format!(
                "SELECT count(*) FROM information_schema.columns \
                 WHERE table_name = '{table}' AND column_name = 'trace_id'"
            ),
        )
        .await;
        assert_eq!(has_column, 1, "{table} has trace_id");
    }
    assert_eq!(
        count(
            &sql,
            "SELECT count(*) FROM message_status WHERE trace_id IS NULL"
        )
        .await,
        48
    );
    let id = Uuid::now_v7();
    sql.execute(
        "INSERT INTO message_status (message_id, status, entity_type, received_at, trace_id) \
         VALUES ($1, 'accepted', 'Order', $2, '4bf92f3577b34da6a3ce929d0e0e4736')",
        &[&id, &noon(1)],
    )
    .await
    .expect("a status with its trace id");
    let trace: String = sql
        .query_one(
            "SELECT replace(trace_id::text, '-', '') FROM message_status WHERE message_id = $1",
            &[&id],
        )
        .await
        .expect("read back")
        .get(0);
    assert_eq!(trace, "4bf92f3577b34da6a3ce929d0e0e4736");
}
