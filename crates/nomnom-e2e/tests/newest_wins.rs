//! Newest wins, end to end: several workers share the stream while each order's successive
//! versions are posted in order, one worker is killed mid-batch (its batches come back after
//! newer versions were stored) and restarted, and every order ends at its last version with
//! that version's lines. A dead letter replayed after newer versions were stored changes
//! nothing and is recorded as persisted with a note.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{persisted, post_all, start_api_only, wait_failed, wait_persisted, ApiOnly};
use futures_util::future::join_all;
use nomnom_testkit::{free_port, wait_until, Service};
use serde_json::{json, Value};

/// Orders posted, and versions of each.
const KEYS: usize = 40;
const VERSIONS: usize = 40;

/// Version `v` of order `key`: its price, comment and lines all say which version it is, and
/// the number of lines changes from one version to the next.
fn version(key: usize, v: usize) -> Value {
    let lines: Vec<Value> = (1..=(v % 3) + 1)
        .map(|n| {
            json!({"line_number": n, "part_key": format!("P{v}"), "quantity": v + 1, "extended_price": 1.5})
        })
        .collect();
    json!({
        "order_key": format!("NW-{key:03}"), "customer_key": "C1", "order_status": "O",
        "total_price": v, "order_date": "2024-03-01", "comment": format!("v{v}"),
        "line_items": lines,
    })
}

/// Starts `count` workers on the stream and database of `h`, each with its own health port
/// and log.
fn start_workers(h: &ApiOnly, count: usize) -> Vec<Service> {
    (0..count)
        .map(|i| {
            let mut env = h.env.clone();
            env.insert("WORKER_HEALTH_PORT".into(), free_port().to_string());
            Service::spawn(
                &format!("worker {i}"),
                &common::tpch().worker_binary(),
                &[],
                &env,
                &h.logs.path().join(format!("worker-{i}.log")),
            )
        })
        .collect()
}

/// Checks that every order holds its last version, with exactly that version's lines.
async fn assert_every_order_is_at_its_last_version(db: &tokio_postgres::Client) {
    let last = VERSIONS - 1;
    let stale: Vec<(String, String)> = db
        .query(
            "SELECT order_key, coalesce(comment, '') FROM orders WHERE comment IS DISTINCT FROM $1 ORDER BY 1",
            &[&format!("v{last}")],
        )
        .await
        .expect("reading orders")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(
        stale.is_empty(),
        "{} of {KEYS} orders hold an older version than the last posted: {stale:?}",
        stale.len()
    );
    let orders: i64 = db
        .query_one("SELECT count(*) FROM orders", &[])
        .await
        .expect("counting orders")
        .get(0);
    assert_eq!(orders, KEYS as i64);
    let lines: BTreeMap<String, (i64, i64, i64)> = db
        .query(
            "SELECT o.order_key, count(l._id), min(l.quantity), max(l.quantity) \
             FROM orders o LEFT JOIN order_line_items l ON l._parent_id = o._id GROUP BY 1",
            &[],
        )
        .await
        .expect("reading lines")
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3))))
        .collect();
    let want = ((last % 3) + 1) as i64;
    let quantity = (last + 1) as i64;
    for (key, got) in &lines {
        assert_eq!(
            *got,
            (want, quantity, quantity),
            "{key}: (lines, min quantity, max quantity) are the last version's"
        );
    }
    let stray: i64 = db
        .query_one("SELECT count(*) FROM order_line_items", &[])
        .await
        .expect("counting lines")
        .get(0);
    assert_eq!(
        stray,
        KEYS as i64 * want,
        "no line of an older version is left"
    );
}

/// One run: `workers` workers, versions posted in rounds (every key's version `v`, then
/// every key's `v + 1`, each round after the last was accepted), worker 0 killed once a
/// quarter is persisted and restarted at once.
async fn run(workers: usize) {
    let h = start_api_only(&[
        ("WORKER_BATCH_SIZE", "25"),
        ("WORKER_BATCH_WAIT", "20ms"),
        // The killed worker's batches come back after 2 s, when newer versions are stored.
        ("NATS_ACK_WAIT", "2s"),
    ])
    .await;
    let client = h.db.client().await;
    let db = client.pg();
    let mut running = start_workers(&h, workers);
    let total = (KEYS * VERSIONS) as i64;
    let client = h.client.clone();
    let poster = tokio::spawn(async move {
        let mut ids = Vec::with_capacity(KEYS * VERSIONS);
        for v in 0..VERSIONS {
            let round: Vec<Value> = (0..KEYS).map(|k| version(k, v)).collect();
            ids.extend(post_all(&client, &round, KEYS).await);
        }
        ids
    });
    wait_until(
        "a quarter of the versions to be persisted",
        Duration::from_secs(120),
        || {
            let db = &db;
            async move { (persisted(db).await >= total / 4).then_some(()) }
        },
    )
    .await;
    running[0].kill(); // kill -9, mid-batch for all it knows
    running[0].restart();
    let ids = poster.await.expect("the poster");
    wait_persisted(&db, &ids, Duration::from_secs(180)).await;
    assert_every_order_is_at_its_last_version(db).await;

    // The last versions were applied; a note is only ever on an older one.
    let last_round = &ids[(VERSIONS - 1) * KEYS..];
    let noted: i64 = db
        .query_one(
            "SELECT count(*) FROM message_status WHERE message_id::text = ANY($1) AND note IS NOT NULL",
            &[&last_round],
        )
        .await
        .expect("reading notes")
        .get(0);
    assert_eq!(noted, 0, "a last version was reported as not applied");
    join_all(
        running
            .iter_mut()
            .map(|w| w.terminate(Duration::from_secs(10))),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_one_killed_leave_every_order_at_its_newest_version() {
    for _ in 0..3 {
        run(2).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_one_killed_leave_every_order_at_its_newest_version() {
    for _ in 0..2 {
        run(4).await;
    }
}

#[tokio::test]
async fn a_dead_letter_replayed_after_newer_versions_changes_nothing() {
    let h = start_api_only(&[]).await;
    let client = h.db.client().await;
    let db = client.pg();
    // PostgreSQL refuses version 0 (a constraint beyond the model), so it is dead-lettered.
    db.batch_execute("ALTER TABLE orders ADD CONSTRAINT hold_back CHECK (comment <> 'v0')")
        .await
        .expect("adding a constraint");
    let mut worker = h.start_worker();
    let first = post_all(&h.client, &[version(7, 0)], 1).await;
    wait_failed(&db, &first[0], Duration::from_secs(60)).await;
    let newer = post_all(&h.client, &[version(7, 1), version(7, 2)], 1).await;
    wait_persisted(&db, &newer, Duration::from_secs(60)).await;

    // The cause is fixed and the dead letter replayed, days later for all it knows.
    db.batch_execute("ALTER TABLE orders DROP CONSTRAINT hold_back")
        .await
        .expect("dropping the constraint");
    let mut replay = Service::spawn(
        "worker replay-dlq",
        &common::tpch().worker_binary(),
        &["replay-dlq"],
        &h.env,
        &h.logs.path().join("replay.log"),
    );
    let code = replay.wait_exit(Duration::from_secs(60)).await;
    assert_eq!(code, Some(0), "replay-dlq failed: {}", replay.log());
    wait_persisted(&db, &first, Duration::from_secs(60)).await;

    let row = db
        .query_one(
            "SELECT comment, total_price::text FROM orders WHERE order_key = 'NW-007'",
            &[],
        )
        .await
        .expect("the order");
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("v2"));
    assert_eq!(row.get::<_, String>(1), "2");
    let lines: Vec<(i64, i64)> = db
        .query(
            "SELECT line_number, quantity FROM order_line_items WHERE order_key = 'NW-007' ORDER BY 1",
            &[],
        )
        .await
        .expect("the lines")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(lines, [(1, 3), (2, 3), (3, 3)], "version 2's three lines");
    let status: serde_json::Value = h
        .client
        .get(&format!("/ingest/status/{}", first[0]))
        .await
        .expect("the status lookup")
        .json();
    assert_eq!(status["status"], "persisted");
    let note = status["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("newer version was already stored in orders"),
        "the status says why nothing changed: {status}"
    );
    worker.terminate(Duration::from_secs(10)).await;
}
