//! Shared by the end-to-end tests: start the tpch pipeline for one test, post orders, wait
//! for their status, and compare the tables with what was sent.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use nomnom_testkit::http::HttpClient;
use nomnom_testkit::pipeline::{base_env, Pipeline};
use nomnom_testkit::project::{build_example, GeneratedProject};
use nomnom_testkit::{wait_until, TestDatabase, TestStream};
use serde_json::Value;

/// The tpch example, generated and built once per test binary.
pub fn tpch() -> GeneratedProject {
    build_example("tpch", false)
}

/// Everything one test owns: its stream, its database, its running pipeline.
pub struct Harness {
    pub stream: TestStream,
    pub db: TestDatabase,
    pub pipeline: Pipeline,
}

/// Starts the tpch pipeline on the shared NATS and PostgreSQL with its own stream and database;
/// `extra` overrides environment variables.
pub async fn start(extra: &[(&str, &str)]) -> Harness {
    let project = tpch();
    let stream = TestStream::shared();
    let db = TestDatabase::create_shared().await;
    let mut env = base_env(&nomnom_testkit::shared_nats_url(), stream.name(), &db.url());
    for (k, v) in extra {
        env.insert((*k).to_string(), (*v).to_string());
    }
    let pipeline = Pipeline::start(&project, env).await;
    Harness {
        stream,
        db,
        pipeline,
    }
}

/// Posts one order; returns (HTTP status, body).
pub async fn post_order(client: &HttpClient, order: &Value) -> (u16, Value) {
    let r = client
        .post_json("/ingest/message?entity=Order", order.to_string())
        .await
        .expect("the API answers");
    (r.status, r.json())
}

/// Posts every order, `concurrency` at a time; returns the message id of each (in order).
pub async fn post_all(client: &HttpClient, orders: &[Value], concurrency: usize) -> Vec<String> {
    let mut ids = vec![String::new(); orders.len()];
    for (chunk_index, chunk) in orders.chunks(concurrency).enumerate() {
        let futures = chunk.iter().map(|o| post_order(client, o));
        let results = futures_util::future::join_all(futures).await;
        for (i, (status, body)) in results.into_iter().enumerate() {
            assert_eq!(status, 202, "order {i} refused: {body}");
            ids[chunk_index * concurrency + i] = body["message_id"]
                .as_str()
                .expect("a message_id in the 202")
                .to_string();
        }
    }
    ids
}

/// Counts `message_status` rows per status for `ids`.
pub async fn status_counts(db: &tokio_postgres::Client, ids: &[String]) -> BTreeMap<String, i64> {
    let rows = db
        .query(
            "SELECT status, count(*) FROM message_status \
             WHERE message_id::text = ANY($1) GROUP BY status",
            &[&ids],
        )
        .await
        .expect("querying message_status");
    rows.iter().map(|r| (r.get(0), r.get(1))).collect()
}

/// Waits until every id in `ids` is `persisted`.
pub async fn wait_persisted(db: &tokio_postgres::Client, ids: &[String], timeout: Duration) {
    let want = ids.len() as i64;
    wait_until(
        &format!("{want} messages to be persisted"),
        timeout,
        || async move {
            let counts = status_counts(db, ids).await;
            (counts.get("persisted").copied().unwrap_or(0) == want).then_some(())
        },
    )
    .await;
}

/// Messages persisted so far, in the whole database.
pub async fn persisted(db: &tokio_postgres::Client) -> i64 {
    db.query_one(
        "SELECT count(*) FROM message_status WHERE status = 'persisted'",
        &[],
    )
    .await
    .map(|r| r.get(0))
    .unwrap_or(0)
}

/// Waits until message `id` is `failed`; returns its error.
pub async fn wait_failed(
    db: &tokio_postgres::Client,
    id: &str,
    timeout: Duration,
) -> Option<String> {
    wait_until(&format!("message {id} to fail"), timeout, || async move {
        let row = db
            .query_opt(
                "SELECT status, error_message FROM message_status WHERE message_id::text = $1",
                &[&id],
            )
            .await
            .ok()??;
        (row.get::<_, String>(0) == "failed").then(|| row.get::<_, Option<String>>(1))
    })
    .await
}

/// The value a column should hold for `key` of a sent object: absent and `null` both become
/// `null`.
fn expected(object: &Value, key: &str) -> Value {
    object.get(key).cloned().unwrap_or(Value::Null)
}

/// Compares a JSON value sent by a client with what PostgreSQL returned through `to_jsonb`:
/// numbers compare by value (a decimal may have been sent as a string).
fn same(sent: &Value, stored: &Value) -> bool {
    match (sent, stored) {
        (Value::String(s), Value::Number(n)) => s.parse::<f64>().ok() == n.as_f64(),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => sent == stored,
    }
}

/// Checks that `orders` and `order_line_items` hold exactly `sent` (latest version of each
/// order key), field by field.
pub async fn assert_tables_match(db: &tokio_postgres::Client, sent: &[Value]) {
    assert_tables_hold(db, sent, true).await;
}

/// Checks that every order of `sent` (latest version of each key) is stored field by field
/// with exactly its line items; with `exact`, also that nothing else is stored.
pub async fn assert_tables_hold(db: &tokio_postgres::Client, sent: &[Value], exact: bool) {
    let mut latest: BTreeMap<String, &Value> = BTreeMap::new();
    for order in sent {
        latest.insert(
            order["order_key"].as_str().expect("order_key").into(),
            order,
        );
    }
    let stored_orders: BTreeMap<String, Value> = db
        .query("SELECT order_key, to_jsonb(o) FROM orders o", &[])
        .await
        .expect("reading orders")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let stored_keys = stored_orders.keys().collect::<BTreeSet<_>>();
    let sent_keys = latest.keys().collect::<BTreeSet<_>>();
    if exact {
        assert_eq!(
            stored_keys, sent_keys,
            "the orders table holds exactly the orders sent"
        );
    } else {
        let missing: Vec<_> = sent_keys.difference(&stored_keys).collect();
        assert!(missing.is_empty(), "orders missing: {missing:?}");
    }
    let order_fields = [
        "order_key",
        "customer_key",
        "order_status",
        "total_price",
        "order_date",
        "order_priority",
        "clerk",
        "ship_priority",
        "comment",
    ];
    for (key, order) in &latest {
        let row = &stored_orders[key];
        for field in order_fields {
            assert!(
                same(&expected(order, field), &row[field]),
                "orders[{key}].{field}: sent {}, stored {}",
                expected(order, field),
                row[field]
            );
        }
    }

    let stored_items: BTreeMap<(String, i64), Value> = db
        .query(
            "SELECT order_key, line_number, to_jsonb(i) FROM order_line_items i",
            &[],
        )
        .await
        .expect("reading order_line_items")
        .iter()
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect();
    let item_fields = [
        "line_number",
        "part_key",
        "supplier_key",
        "quantity",
        "extended_price",
        "discount",
        "tax",
        "return_flag",
        "line_status",
        "ship_date",
        "commit_date",
        "receipt_date",
    ];
    let mut expected_items = 0;
    for (key, order) in &latest {
        for item in order["line_items"].as_array().expect("line_items") {
            expected_items += 1;
            let line = item["line_number"].as_i64().expect("line_number");
            let row = stored_items
                .get(&(key.clone(), line))
                .unwrap_or_else(|| panic!("line item {key}/{line} missing"));
            assert_eq!(row["order_key"], Value::String(key.clone()));
            for field in item_fields {
                assert!(
                    same(&expected(item, field), &row[field]),
                    "order_line_items[{key}/{line}].{field}: sent {}, stored {}",
                    expected(item, field),
                    row[field]
                );
            }
        }
    }
    let stored_for_sent = stored_items
        .keys()
        .filter(|(key, _)| latest.contains_key(key))
        .count();
    assert_eq!(
        stored_for_sent, expected_items,
        "no line item is missing or duplicated"
    );
    if exact {
        assert_eq!(stored_items.len(), expected_items, "no stray line items");
    }
}

/// The API alone (no worker), after the schema was applied with `worker migrate`: what the
/// API queued stays in the stream, for tests that read it back or feed the worker later.
pub struct ApiOnly {
    pub stream: TestStream,
    pub db: TestDatabase,
    pub api: nomnom_testkit::Service,
    pub client: HttpClient,
    pub env: BTreeMap<String, String>,
    pub logs: tempfile::TempDir,
}

impl ApiOnly {
    /// Starts the worker (with the same environment) on the messages queued so far.
    pub fn start_worker(&self) -> nomnom_testkit::Service {
        nomnom_testkit::Service::spawn(
            "worker",
            &tpch().worker_binary(),
            &[],
            &self.env,
            &self.logs.path().join("worker.log"),
        )
    }
}

/// Applies the schema, then starts only the API; `extra` overrides environment variables.
pub async fn start_api_only(extra: &[(&str, &str)]) -> ApiOnly {
    let project = tpch();
    let stream = TestStream::shared();
    let db = TestDatabase::create_shared().await;
    let mut env = base_env(&nomnom_testkit::shared_nats_url(), stream.name(), &db.url());
    for (k, v) in extra {
        env.insert((*k).to_string(), (*v).to_string());
    }
    let logs = tempfile::tempdir().expect("a log folder");
    let mut migrate = nomnom_testkit::Service::spawn(
        "worker migrate",
        &project.worker_binary(),
        &["migrate"],
        &env,
        &logs.path().join("migrate.log"),
    );
    let code = migrate.wait_exit(Duration::from_secs(60)).await;
    assert_eq!(code, Some(0), "worker migrate failed: {}", migrate.log());
    let api = nomnom_testkit::Service::spawn(
        "ingestion-api",
        &project.api_binary(),
        &[],
        &env,
        &logs.path().join("api.log"),
    );
    let client = HttpClient::new(format!("http://127.0.0.1:{}", env["PORT"]));
    wait_until("the API to be ready", Duration::from_secs(30), || {
        let client = client.clone();
        async move { (client.get("/ready").await.ok()?.status == 200).then_some(()) }
    })
    .await;
    ApiOnly {
        stream,
        db,
        api,
        client,
        env,
        logs,
    }
}
