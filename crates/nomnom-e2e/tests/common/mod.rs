//! Shared by the end-to-end tests: start the tpch pipeline for one test, post orders, wait
//! for their status, and compare the tables with what was sent.

#![allow(dead_code)] // each test binary uses its own subset

pub mod db;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use nomnom_testkit::http::HttpClient;
use nomnom_testkit::pipeline::{base_env, Pipeline};
use nomnom_testkit::project::{build_example, build_example_for, GeneratedProject};
use nomnom_testkit::{wait_until, TestStream};
use serde_json::Value;

#[allow(unused_imports)]
pub use db::{AsDb, Backend, Db, DbClient};

/// The tpch example, generated and built once per test binary.
pub fn tpch() -> GeneratedProject {
    build_example("tpch", false)
}

/// The tpch example generated for `backend`, built once per test binary.
pub fn tpch_for(backend: Backend) -> GeneratedProject {
    build_example_for("tpch", backend.name(), false)
}

/// Runs a suite's test on each database: `on_each_database!(name)` defines the tests
/// `postgresql::name` and `mariadb::name` calling `name(Backend::…)`.
#[macro_export]
macro_rules! on_each_database {
    ($($name:ident),* $(,)?) => {
        mod postgresql {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgresql).await
                }
            )*
        }
        mod mariadb {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::common::Backend::Mariadb).await
                }
            )*
        }
    };
}

/// Everything one test owns: its stream, its database, its running pipeline.
pub struct Harness {
    pub stream: TestStream,
    pub db: Db,
    pub pipeline: Pipeline,
}

/// Starts the tpch pipeline on the shared NATS and PostgreSQL with its own stream and database;
/// `extra` overrides environment variables.
pub async fn start(extra: &[(&str, &str)]) -> Harness {
    start_on(Backend::Postgresql, extra).await
}

/// [`start`] on `backend`'s shared server.
pub async fn start_on(backend: Backend, extra: &[(&str, &str)]) -> Harness {
    let project = tpch_for(backend);
    let stream = TestStream::shared();
    let db = Db::create_shared(backend).await;
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
pub async fn status_counts(db: &impl AsDb, ids: &[String]) -> BTreeMap<String, i64> {
    db.db().status_counts(ids).await
}

/// Waits until every id in `ids` is `persisted`.
pub async fn wait_persisted(db: &impl AsDb, ids: &[String], timeout: Duration) {
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
pub async fn persisted(db: &impl AsDb) -> i64 {
    db.db().persisted().await
}

/// Waits until message `id` is `failed`; returns its error.
pub async fn wait_failed(db: &impl AsDb, id: &str, timeout: Duration) -> Option<String> {
    let db = db.db();
    wait_until(&format!("message {id} to fail"), timeout, || async move {
        let (status, error) = db.status_of(id).await?;
        (status == "failed").then_some(error)
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

const ORDER_FIELDS: [&str; 9] = [
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

const ITEM_FIELDS: [&str; 12] = [
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

/// Checks that `orders` and `order_line_items` hold exactly `sent` (latest version of each
/// order key), field by field.
pub async fn assert_tables_match(db: &impl AsDb, sent: &[Value]) {
    assert_tables_hold(db, sent, true).await;
}

/// Checks that every order of `sent` (latest version of each key) is stored field by field
/// with exactly its line items; with `exact`, also that nothing else is stored.
pub async fn assert_tables_hold(db: &impl AsDb, sent: &[Value], exact: bool) {
    let db = db.db();
    let mut latest: BTreeMap<String, &Value> = BTreeMap::new();
    for order in sent {
        latest.insert(
            order["order_key"].as_str().expect("order_key").into(),
            order,
        );
    }
    let stored_orders: BTreeMap<String, Value> = db
        .rows("orders", &ORDER_FIELDS)
        .await
        .into_iter()
        .map(|row| {
            (
                row["order_key"].as_str().unwrap_or_default().to_string(),
                row,
            )
        })
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
    let order_fields = ORDER_FIELDS;
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

    let mut item_columns = vec!["order_key"];
    item_columns.extend(ITEM_FIELDS);
    let stored_items: BTreeMap<(String, i64), Value> = db
        .rows("order_line_items", &item_columns)
        .await
        .into_iter()
        .map(|row| {
            let key = row["order_key"].as_str().unwrap_or_default().to_string();
            let line = row["line_number"].as_i64().unwrap_or_default();
            ((key, line), row)
        })
        .collect();
    let item_fields = ITEM_FIELDS;
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
    pub db: Db,
    pub api: nomnom_testkit::Service,
    pub project: GeneratedProject,
    pub client: HttpClient,
    pub env: BTreeMap<String, String>,
    pub logs: tempfile::TempDir,
}

impl ApiOnly {
    /// Starts the worker (with the same environment) on the messages queued so far.
    pub fn start_worker(&self) -> nomnom_testkit::Service {
        nomnom_testkit::Service::spawn(
            "worker",
            &self.project.worker_binary(),
            &[],
            &self.env,
            &self.logs.path().join("worker.log"),
        )
    }
}

/// Applies the schema, then starts only the API; `extra` overrides environment variables.
pub async fn start_api_only(extra: &[(&str, &str)]) -> ApiOnly {
    start_api_only_on(Backend::Postgresql, extra).await
}

/// [`start_api_only`] on `backend`'s shared server.
pub async fn start_api_only_on(backend: Backend, extra: &[(&str, &str)]) -> ApiOnly {
    let project = tpch_for(backend);
    let stream = TestStream::shared();
    let db = Db::create_shared(backend).await;
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
        project,
        api,
        client,
        env,
        logs,
    }
}
