//! Faults for HL7 v2 as for JSON: `examples/hl7-lab`'s messages posted over HTTP while the
//! worker is killed mid-stream, or while PostgreSQL is stopped; every message that got a 202
//! lands once, with exactly its orders and results, and the outage burns no attempts.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{persisted, status_counts, wait_persisted};
use nomnom_testkit::http::HttpClient;
use nomnom_testkit::pipeline::{base_env, Pipeline};
use nomnom_testkit::project::{build_example, workspace_root};
use nomnom_testkit::{wait_until, PgServer, TestDatabase, TestStream};

const HL7: &str = "x-application/hl7-v2+er7";
/// How long PostgreSQL stays down in the outage test.
const OUTAGE: Duration = Duration::from_secs(8);

/// `n` copies of the sample ORU^R01 message, each with its own control id (MSH-10).
fn messages(prefix: &str, n: usize) -> Vec<String> {
    let path = workspace_root().join("examples/hl7-lab/examples/oru-r01.hl7");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(text.contains("|MSG00042|"), "the sample's control id");
    (0..n)
        .map(|i| text.replace("|MSG00042|", &format!("|{prefix}-{i}|")))
        .collect()
}

/// Posts every message, `concurrency` at a time; the message id of each.
async fn post_all(client: &HttpClient, messages: &[String], concurrency: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(messages.len());
    for chunk in messages.chunks(concurrency) {
        let posts = chunk.iter().map(|m| {
            client.send(
                "POST",
                "/ingest/message",
                &[("content-type", HL7)],
                m.clone(),
            )
        });
        for r in futures_util::future::join_all(posts).await {
            let r = r.expect("the API answers");
            assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
            ids.push(
                r.json()["message_id"]
                    .as_str()
                    .expect("message_id")
                    .to_string(),
            );
        }
    }
    ids
}

/// Each message's report is stored once, with its 2 orders and 5 results.
async fn assert_each_stored_once(db: &tokio_postgres::Client, n: usize) {
    for (table, per_message) in [("lab_reports", 1), ("lab_orders", 2), ("lab_results", 5)] {
        let rows: i64 = db
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .expect("count")
            .get(0);
        assert_eq!(rows as usize, n * per_message, "{table}");
    }
    let distinct: i64 = db
        .query_one("SELECT count(DISTINCT control_id) FROM lab_reports", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(distinct as usize, n);
}

#[tokio::test]
async fn a_worker_killed_mid_stream_loses_and_duplicates_no_hl7_message() {
    let project = build_example("hl7-lab", false);
    let stream = TestStream::shared();
    let db = TestDatabase::create_shared().await;
    let mut env = base_env(&nomnom_testkit::shared_nats_url(), stream.name(), &db.url());
    env.insert("WORKER_BATCH_SIZE".into(), "20".into());
    let mut pipeline = Pipeline::start(&project, env).await;
    let pg = db.client().await;
    let sent = Arc::new(messages("KILL", 600));

    let client = pipeline.client.clone();
    let to_post = sent.clone();
    let poster = tokio::spawn(async move { post_all(&client, &to_post, 16).await });
    wait_until(
        "some messages to be persisted",
        Duration::from_secs(60),
        || {
            let pg = &pg;
            async move { (persisted(pg).await >= 60).then_some(()) }
        },
    )
    .await;
    pipeline.worker.kill(); // kill -9, mid-batch for all it knows
    let ids = poster.await.expect("poster");
    pipeline.worker.restart();

    wait_persisted(&pg, &ids, Duration::from_secs(120)).await;
    assert_each_stored_once(&pg, sent.len()).await;
}

#[tokio::test]
async fn postgres_stopped_mid_run_loses_no_hl7_message_and_burns_no_attempts() {
    let project = build_example("hl7-lab", false);
    let mut pg_server = PgServer::start().await;
    let stream = TestStream::shared();
    let db = TestDatabase::create(&pg_server.url("postgres")).await;
    let mut env = base_env(&nomnom_testkit::shared_nats_url(), stream.name(), &db.url());
    env.insert("NATS_BACKOFF".into(), "500ms,1s,2s".into());
    env.insert("NATS_MAX_DELIVER".into(), "5".into());
    env.insert("WORKER_BATCH_SIZE".into(), "20".into());
    let pipeline = Pipeline::start(&project, env).await;
    let sent = messages("OUTAGE", 400);

    let first = post_all(&pipeline.client, &sent[..150], 16).await;
    {
        let pg = db.client().await;
        wait_until(
            "some messages to be persisted",
            Duration::from_secs(60),
            || {
                let pg = &pg;
                async move { (persisted(pg).await >= 50).then_some(()) }
            },
        )
        .await;
    }
    pg_server.stop();
    // Ingestion does not depend on the database: the rest is accepted during the outage.
    let second = post_all(&pipeline.client, &sent[150..], 16).await;
    // The outage lasts a fixed time (the fault injected, not a wait for a condition): more
    // than twice the whole backoff schedule (3.5 s).
    tokio::time::sleep(OUTAGE).await;
    pg_server.start_again().await;

    let pg = db.client().await;
    let ids: Vec<String> = first.into_iter().chain(second).collect();
    wait_persisted(&pg, &ids, Duration::from_secs(120)).await;
    assert_each_stored_once(&pg, sent.len()).await;
    let counts = status_counts(&pg, &ids).await;
    assert_eq!(counts.get("failed"), None, "no message failed: {counts:?}");
    let max_retries: i32 = pg
        .query_one("SELECT max(retry_count) FROM message_status", &[])
        .await
        .expect("select")
        .get(0);
    assert!(
        max_retries < 4,
        "the outage burned attempts: a message was retried {max_retries} times of 5"
    );
}
