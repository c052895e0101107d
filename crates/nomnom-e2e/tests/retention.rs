//! Status retention, end to end: with a retention of 6 s in partitions of 2 s, orders are
//! posted in waves for 14 s while the worker creates and drops partitions. Every order is
//! accepted and stored, old partitions are dropped whole, recent statuses stay, and the
//! status of an early message is answered as expired.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{assert_tables_match, post_all, wait_persisted};
use nomnom_testkit::{orders, wait_until};

const WAVES: usize = 28;
const PER_WAVE: usize = 20;
/// Time between waves: the posting spans 14 s, more than twice the retention.
const PACE: Duration = Duration::from_millis(500);

/// The partitions of `message_status` now (the default one apart).
async fn partitions(db: &tokio_postgres::Client) -> BTreeSet<String> {
    db.query(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'message_status'::regclass AND c.relname <> 'message_status_default'",
        &[],
    )
    .await
    .map(|rows| rows.iter().map(|r| r.get(0)).collect())
    .unwrap_or_default()
}

#[tokio::test]
async fn statuses_expire_with_their_partitions_and_no_message_is_refused() {
    let h = common::start(&[
        ("STATUS_RETENTION", "6s"),
        ("STATUS_PARTITION_INTERVAL", "2s"),
    ])
    .await;
    let db = h.db.client().await;
    let client = &h.pipeline.client;
    let sent = orders::orders(61, 1, (WAVES * PER_WAVE) as u64);
    let mut ids: Vec<Vec<String>> = Vec::with_capacity(WAVES);
    let mut seen = BTreeSet::new();
    let mut pace = tokio::time::interval(PACE);
    for wave in sent.chunks(PER_WAVE) {
        pace.tick().await;
        // post_all checks every answer is a 202: nothing is refused while partitions change.
        ids.push(post_all(client, wave, PER_WAVE).await);
        seen.extend(partitions(db.pg()).await);
    }
    let last = ids.last().cloned().unwrap_or_default();
    wait_persisted(&db, &last, Duration::from_secs(60)).await;
    // The last wave's statuses are there.
    let recent = client
        .get(&format!("/ingest/status/{}", last[0]))
        .await
        .expect("a lookup");
    assert_eq!(recent.status, 200, "{}", recent.json());
    // Every order is stored: the tables are not subject to the status retention.
    assert_tables_match(&db, &sent).await;

    // The first wave's statuses go with their partition, and a lookup says they expired.
    let first = ids[0][0].clone();
    let expired = wait_until(
        "the first status to expire",
        Duration::from_secs(30),
        || {
            let (client, first) = (client, &first);
            async move {
                let r = client.get(&format!("/ingest/status/{first}")).await.ok()?;
                (r.status == 404).then(|| r.json())
            }
        },
    )
    .await;
    assert!(
        expired["type"]
            .as_str()
            .unwrap_or_default()
            .ends_with("status-expired"),
        "an expired status is told from an unknown one: {expired}"
    );
    let now = partitions(db.pg()).await;
    let dropped: Vec<&String> = seen.difference(&now).collect();
    assert!(
        !dropped.is_empty(),
        "partitions seen while posting: {seen:?}; now: {now:?}"
    );
    // What is left is bounded: the retention (up to four partitions of 2 s, one of them
    // waiting for the next round) and three ahead, not the whole run.
    assert!(now.len() <= 9, "partitions now: {now:?}");
    let unknown = client
        .get(&format!("/ingest/status/{}", uuid::Uuid::now_v7()))
        .await
        .expect("a lookup");
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["type"]
        .as_str()
        .unwrap_or_default()
        .ends_with("unknown-message"));
}
