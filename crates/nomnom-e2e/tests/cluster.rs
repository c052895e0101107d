//! The generated pipeline on a 3-node NATS JetStream cluster (private servers on loopback):
//! the stream leader is killed and brought back, then two servers at once so the stream loses
//! quorum, on each database (PostgreSQL and MariaDB). Every message that got a 202 is persisted exactly once; without quorum clients get
//! 503 with Retry-After (never a 500 or a hang); ingestion resumes without restarting anything.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{assert_tables_hold, wait_persisted, Backend, Db};
use nomnom_testkit::http::HttpClient;
use nomnom_testkit::pipeline::{base_env, Pipeline};
use nomnom_testkit::{orders, wait_until, NatsCluster};
use serde_json::Value;

/// What the steady client saw.
#[derive(Default)]
struct Observed {
    /// order index → message id, for every 202.
    accepted: BTreeMap<usize, String>,
    /// 503 answers, and how many of them carried Retry-After.
    unavailable: usize,
    unavailable_with_retry_after: usize,
    /// Anything else: (status, body).
    unexpected: Vec<(u16, String)>,
    /// The slowest answer.
    slowest: Duration,
}

/// Posts `orders` steadily from `workers` tasks until `stop`; each order is retried with its
/// Idempotency-Key after a 503 (honouring Retry-After, capped at 1 s) until a 202 or until
/// `stop`. Bounded by the number of orders and by `stop`.
fn steady_client(
    client: HttpClient,
    orders: Arc<Vec<Value>>,
    workers: usize,
    stop: Arc<AtomicBool>,
    observed: Arc<Mutex<Observed>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..workers)
        .map(|w| {
            let (client, orders, stop, observed) = (
                client.clone(),
                orders.clone(),
                stop.clone(),
                observed.clone(),
            );
            tokio::spawn(async move {
                let mut i = w;
                while i < orders.len() && !stop.load(Ordering::Relaxed) {
                    let key = orders[i]["order_key"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    let body = orders[i].to_string();
                    let started = Instant::now();
                    let response = client
                        .send(
                            "POST",
                            "/ingest/message?entity=Order",
                            &[
                                ("content-type", "application/json"),
                                ("idempotency-key", &key),
                            ],
                            body,
                        )
                        .await;
                    let elapsed = started.elapsed();
                    // Record the answer; `Some(delay)` means retry the same order after it.
                    let retry_after = {
                        let mut seen = observed.lock().unwrap_or_else(|p| p.into_inner());
                        seen.slowest = seen.slowest.max(elapsed);
                        match response {
                            Ok(r) if r.status == 202 => {
                                let id = r.json()["message_id"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_string();
                                seen.accepted.insert(i, id);
                                None
                            }
                            Ok(r) if r.status == 503 => {
                                seen.unavailable += 1;
                                let after =
                                    r.header("retry-after").and_then(|v| v.parse::<u64>().ok());
                                if after.is_some() {
                                    seen.unavailable_with_retry_after += 1;
                                }
                                Some(Duration::from_secs(after.unwrap_or(1).min(1)))
                            }
                            Ok(r) => {
                                seen.unexpected.push((
                                    r.status,
                                    String::from_utf8_lossy(&r.body).into_owned(),
                                ));
                                None
                            }
                            Err(e) => {
                                seen.unexpected.push((0, e));
                                None
                            }
                        }
                    };
                    let Some(retry_after) = retry_after else {
                        i += workers;
                        continue;
                    };
                    // Honour Retry-After before retrying the same order (client behaviour).
                    tokio::time::sleep(retry_after).await;
                }
            })
        })
        .collect()
}

fn accepted_count(observed: &Mutex<Observed>) -> usize {
    observed
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .accepted
        .len()
}

async fn wait_more_accepted(observed: &Arc<Mutex<Observed>>, more: usize, what: &str) {
    let target = accepted_count(observed) + more;
    wait_until(what, Duration::from_secs(90), || {
        let observed = observed.clone();
        async move { (accepted_count(&observed) >= target).then_some(()) }
    })
    .await;
}

async fn stream_leader(nats_url: &str, stream: &str) -> Option<String> {
    let client = nomnom_testkit::stream::connect(nats_url).await.ok()?;
    let js = async_nats::jetstream::new(client);
    let mut s = js.get_stream(stream).await.ok()?;
    s.info().await.ok()?.cluster.as_ref()?.leader.clone()
}

on_each_database!(three_node_cluster_survives_leader_loss_and_quorum_loss);

async fn three_node_cluster_survives_leader_loss_and_quorum_loss(backend: Backend) {
    let project = common::tpch_for(backend);
    let mut cluster = NatsCluster::start(3).await;
    let stream = nomnom_testkit::TestStream::new(&cluster.url());
    let db = Db::create_shared(backend).await;
    let mut env = base_env(&cluster.url(), stream.name(), &db.url());
    env.insert("NATS_REPLICAS".into(), "3".into());
    env.insert("NATS_PUBLISH_TIMEOUT".into(), "2s".into());
    let pipeline = Pipeline::start(&project, env).await;

    let orders = Arc::new(orders::orders(51, 1, 20_000));
    let stop = Arc::new(AtomicBool::new(false));
    let observed = Arc::new(Mutex::new(Observed::default()));
    let tasks = steady_client(
        pipeline.client.clone(),
        orders.clone(),
        4,
        stop.clone(),
        observed.clone(),
    );
    wait_more_accepted(&observed, 200, "a steady flow of accepted orders").await;

    // 1. Kill the stream leader; a new one is elected and ingestion goes on.
    let leader = wait_until("the stream leader", Duration::from_secs(30), || {
        let (url, name) = (cluster.url(), stream.name().to_string());
        async move { stream_leader(&url, &name).await }
    })
    .await;
    cluster.server_mut(&leader).kill();
    wait_more_accepted(
        &observed,
        200,
        "ingestion to continue without the old leader",
    )
    .await;
    cluster.server_mut(&leader).restart().await;
    wait_more_accepted(&observed, 100, "ingestion with the old leader back").await;

    // 2. Kill two servers: no quorum. Clients get 503 with Retry-After.
    let before = observed
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .unavailable;
    cluster.server_mut("n1").kill();
    cluster.server_mut("n2").kill();
    wait_until(
        "503 answers without quorum",
        Duration::from_secs(60),
        || {
            let observed = observed.clone();
            async move {
                let seen = observed.lock().unwrap_or_else(|p| p.into_inner());
                (seen.unavailable >= before + 3).then_some(())
            }
        },
    )
    .await;
    cluster.server_mut("n1").restart().await;
    cluster.server_mut("n2").restart().await;
    wait_more_accepted(&observed, 200, "ingestion to resume after quorum returns").await;

    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("client task");
    }
    let seen = std::mem::take(&mut *observed.lock().unwrap_or_else(|p| p.into_inner()));
    assert!(
        seen.unexpected.is_empty(),
        "only 202 and 503 answers: {:?}",
        &seen.unexpected[..seen.unexpected.len().min(5)]
    );
    assert_eq!(
        seen.unavailable, seen.unavailable_with_retry_after,
        "every 503 carries Retry-After"
    );
    assert!(
        seen.slowest < Duration::from_secs(10),
        "no request hangs: slowest {:?}",
        seen.slowest
    );

    let accepted_orders: Vec<Value> = seen.accepted.keys().map(|&i| orders[i].clone()).collect();
    let ids: Vec<String> = seen.accepted.values().cloned().collect();
    let sql = db.client().await;
    wait_persisted(&sql, &ids, Duration::from_secs(120)).await;
    // Orders whose every attempt got a 503 may or may not have been stored; every 202 is.
    assert_tables_hold(&sql, &accepted_orders, false).await;
    let duplicates = sql.r().duplicate_statuses().await;
    assert_eq!(duplicates, 0);
    drop(pipeline);
}
