//! Test support for the worker tests: a hand-written model, a database and a stream of its
//! own per test (both removed afterwards), publishing envelopes, a worker run in-process, a
//! private PostgreSQL for outage tests, and waiting for conditions with a deadline.
#![allow(dead_code)]

pub mod model;

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use async_nats::{jetstream, HeaderMap};
use chrono::Utc;
use nomnom_runtime::config::worker::WorkerConfig;
use nomnom_runtime::config::{Env, NatsConfig};
use nomnom_runtime::worker::{self, WorkerError};
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use model::TestModel;

pub const NATS_URL: &str = "nats://127.0.0.1:4222";
pub const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Waits until `condition` holds, checking every 50 ms, failing the test after `timeout`.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if condition().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn admin_exec(url: &str, sql: &str) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect admin");
    let driver = tokio::spawn(conn);
    client.batch_execute(sql).await.expect(sql);
    drop(client);
    let _ = driver.await;
}

/// A database of its own, dropped when the test ends (also on panic).
pub struct TestDb {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl TestDb {
    pub async fn create() -> Self {
        Self::create_on(ADMIN_URL, "postgres://postgres@127.0.0.1:5432").await
    }

    /// A database on the server at `base` (no database part), administered via `admin_url`.
    pub async fn create_on(admin_url: &str, base: &str) -> Self {
        let name = format!("wt_{}", Uuid::new_v4().simple());
        admin_exec(admin_url, &format!("CREATE DATABASE {name}")).await;
        Self {
            url: format!("{base}/{name}"),
            name,
            admin_url: admin_url.to_string(),
        }
    }

    /// The connection settings of this database.
    pub fn pg(&self) -> tokio_postgres::Config {
        self.url.parse().expect("valid test database URL")
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .expect("connect test db");
        tokio::spawn(conn);
        client
    }

    /// A count for wait conditions: `-1` while the query cannot run yet (no tables before
    /// the worker migrated, database down).
    pub async fn poll_count(&self, sql: &str) -> i64 {
        let Ok((client, conn)) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls).await
        else {
            return -1;
        };
        tokio::spawn(conn);
        match client.query_one(sql, &[]).await {
            Ok(row) => row.get(0),
            Err(_) => -1,
        }
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.client()
            .await
            .query_one(sql, &[])
            .await
            .expect(sql)
            .get(0)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop cannot await: run the cleanup on a thread with its own small runtime.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    if let Ok((client, conn)) =
                        tokio_postgres::connect(&admin, tokio_postgres::NoTls).await
                    {
                        tokio::spawn(conn);
                        let _ = client.batch_execute(&sql).await;
                    }
                });
            }
        })
        .join();
    }
}

/// A stream (and its DLQ stream) of its own, deleted when the test ends.
pub struct TestStream {
    pub name: String,
    /// The NATS settings of this stream (as the worker reads them).
    pub nats: NatsConfig,
    pub js: jetstream::Context,
    pub client: async_nats::Client,
}

impl TestStream {
    pub async fn create() -> Self {
        let name = format!("WT_{}", &Uuid::new_v4().simple().to_string()[..12]).to_uppercase();
        let client = async_nats::connect(NATS_URL).await.expect("connect NATS");
        let js = jetstream::new(client.clone());
        let nats = NatsConfig::from(&Env::from_pairs([
            ("NATS_URL", NATS_URL),
            ("NATS_STREAM", name.as_str()),
        ]))
        .expect("valid NATS settings");
        // The shared stream setup, as the API and the worker run it.
        nomnom_runtime::nats::streams::ensure_streams(&js, &nats)
            .await
            .expect("create streams");
        Self {
            name,
            nats,
            js,
            client,
        }
    }

    pub fn subject(&self, entity: &str) -> String {
        self.nats.ingest_subject(entity)
    }

    /// Publishes `body` as an envelope for `entity`; returns its message id.
    pub async fn publish(&self, entity: &str, body: &[u8]) -> Uuid {
        let id = Uuid::now_v7();
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", id.to_string().as_str());
        headers.insert("Nomnom-Message-Id", id.to_string().as_str());
        headers.insert("Nomnom-Entity", entity);
        headers.insert("Nomnom-Received-At", Utc::now().to_rfc3339().as_str());
        headers.insert("Nomnom-Retry-Count", "0");
        self.publish_raw(&self.subject(entity), headers, body).await;
        id
    }

    pub async fn publish_order(&self, order: &Value) -> Uuid {
        self.publish("Order", order.to_string().as_bytes()).await
    }

    pub async fn publish_raw(&self, subject: &str, headers: HeaderMap, body: &[u8]) {
        self.js
            .publish_with_headers(subject.to_string(), headers, body.to_vec().into())
            .await
            .expect("publish")
            .await
            .expect("publish ack");
    }

    pub async fn dlq_count(&self) -> u64 {
        let mut s = self
            .js
            .get_stream(self.nats.dlq_stream())
            .await
            .expect("dlq stream");
        s.info().await.expect("dlq info").state.messages
    }

    /// Pending (undelivered) plus unacknowledged messages of the consumer.
    pub async fn consumer_backlog(&self, consumer: &str) -> (u64, usize) {
        let stream = self.js.get_stream(&self.name).await.expect("stream");
        let mut c: jetstream::consumer::PullConsumer =
            stream.get_consumer(consumer).await.expect("consumer");
        let info = c.info().await.expect("consumer info");
        (info.num_pending, info.num_ack_pending)
    }
}

impl Drop for TestStream {
    fn drop(&mut self) {
        let names = [self.name.clone(), self.nats.dlq_stream()];
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    if let Ok(client) = async_nats::connect(NATS_URL).await {
                        let js = jetstream::new(client);
                        for name in names {
                            let _ = js.delete_stream(name).await;
                        }
                    }
                });
            }
        })
        .join();
    }
}

/// A worker configuration for tests: no health port, short ack wait and backoff.
pub fn config(stream: &str, database_url: &str, overrides: &[(&str, &str)]) -> WorkerConfig {
    let mut vars: HashMap<String, String> = [
        ("NATS_URL", NATS_URL),
        ("NATS_STREAM", stream),
        ("NATS_CONSUMER", "workers"),
        ("NATS_ACK_WAIT", "5s"),
        ("NATS_BACKOFF", "200ms,500ms,1s"),
        ("DATABASE_URL", database_url),
        ("WORKER_HEALTH_PORT", "0"),
        ("WORKER_BATCH_SIZE", "50"),
        ("WORKER_BATCH_WAIT", "100ms"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in overrides {
        vars.insert(k.to_string(), v.to_string());
    }
    WorkerConfig::from(&Env::from_pairs(vars)).expect("valid test config")
}

/// A worker running in-process on a runtime of its own, so that killing it drops every one
/// of its tasks and connections at once, like `kill -9` of a process.
pub struct RunningWorker {
    runtime: tokio::runtime::Runtime,
    handle: JoinHandle<Result<(), WorkerError>>,
    stop: watch::Sender<bool>,
}

impl RunningWorker {
    pub fn start(config: WorkerConfig) -> Self {
        Self::start_model::<TestModel>(config)
    }

    pub fn start_model<M: nomnom_runtime::model::Model>(config: WorkerConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("worker runtime");
        let (stop, rx) = watch::channel(false);
        let handle = runtime.spawn(worker::serve::<M>(config, rx));
        Self {
            runtime,
            handle,
            stop,
        }
    }

    /// Graceful stop (what SIGTERM does); asserts a clean exit.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let result = tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("worker stops within 30 s")
            .expect("worker task did not panic");
        self.runtime.shutdown_background();
        result.expect("worker exits cleanly");
    }

    /// Abrupt stop: every task of the worker is dropped wherever it is (nothing finishes,
    /// nothing is acknowledged, connections close).
    pub fn kill(self) {
        self.runtime.shutdown_background();
    }
}

/// A TPC-H-like order: `lines` line items, an optional note (absent, null or a string).
pub fn order(key: &str, total: i64, lines: i64, note: Option<Option<&str>>) -> Value {
    let items: Vec<Value> = (1..=lines)
        .map(|l| serde_json::json!({"line": l, "qty": l * 2}))
        .collect();
    let mut o = serde_json::json!({"order_key": key, "total": total, "items": items});
    if let Some(note) = note {
        o["note"] = match note {
            Some(s) => Value::String(s.to_string()),
            None => Value::Null,
        };
    }
    o
}

pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
}
