//! Faults: a worker killed mid-stream, the database stopped mid-run (a private PostgreSQL or
//! MariaDB), poison messages and records the database rejects in the middle of a batch.
//! Nothing that got a 202 is lost or written twice. Every test runs on both databases.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{
    assert_tables_match, persisted, post_all, start_api_only_on, status_counts, wait_failed,
    wait_persisted, Backend, Db,
};
use nomnom_testkit::pipeline::{base_env, Pipeline};
use nomnom_testkit::{
    orders, wait_until, MariadbServer, MysqlTestDatabase, PgServer, TestDatabase, TestStream,
};

/// How long the database stays down in the outage test.
const OUTAGE: Duration = Duration::from_secs(8);

on_each_database!(
    a_worker_killed_mid_stream_loses_and_duplicates_nothing,
    the_database_stopped_mid_run_loses_nothing_and_burns_no_attempts,
    poison_and_rejected_records_are_dead_lettered_alone,
);

/// A private server of `backend`'s kind, for the outage.
enum Private {
    Pg(PgServer),
    My(MariadbServer),
}

impl Private {
    async fn start(backend: Backend) -> Private {
        match backend {
            Backend::Postgresql => Private::Pg(PgServer::start().await),
            Backend::Mariadb => Private::My(MariadbServer::start().await),
        }
    }

    async fn database(&self) -> Db {
        match self {
            Private::Pg(pg) => Db::Pg(TestDatabase::create(&pg.url("postgres")).await),
            Private::My(my) => Db::My(MysqlTestDatabase::create(&my.url("mysql")).await),
        }
    }

    fn stop(&mut self) {
        match self {
            Private::Pg(pg) => pg.stop(),
            Private::My(my) => my.stop(),
        }
    }

    async fn start_again(&mut self) {
        match self {
            Private::Pg(pg) => pg.start_again().await,
            Private::My(my) => my.start_again().await,
        }
    }
}

async fn a_worker_killed_mid_stream_loses_and_duplicates_nothing(backend: Backend) {
    let mut h = common::start_on(backend, &[("WORKER_BATCH_SIZE", "50")]).await;
    let db = h.db.client().await;
    let sent = Arc::new(orders::orders(21, 1, 1500));

    let client = h.pipeline.client.clone();
    let to_post = sent.clone();
    let poster = tokio::spawn(async move { post_all(&client, &to_post, 16).await });

    wait_until(
        "some orders to be persisted",
        Duration::from_secs(60),
        || {
            let db = &db;
            async move { (persisted(db).await >= 200).then_some(()) }
        },
    )
    .await;
    h.pipeline.worker.kill(); // kill -9, mid-batch for all it knows
    let ids = poster.await.expect("poster");
    h.pipeline.worker.restart();

    wait_persisted(&db, &ids, Duration::from_secs(120)).await;
    assert_tables_match(&db, &sent).await;
}

async fn the_database_stopped_mid_run_loses_nothing_and_burns_no_attempts(backend: Backend) {
    let project = common::tpch_for(backend);
    let mut pg = Private::start(backend).await;
    let stream = TestStream::shared();
    let db = pg.database().await;
    let mut env = base_env(&nomnom_testkit::shared_nats_url(), stream.name(), &db.url());
    env.insert("NATS_BACKOFF".into(), "500ms,1s,2s".into());
    env.insert("NATS_MAX_DELIVER".into(), "5".into());
    env.insert("WORKER_BATCH_SIZE".into(), "50".into());
    let pipeline = Pipeline::start(&project, env).await;
    let sent = orders::orders(31, 1, 800);

    let first = post_all(&pipeline.client, &sent[..300], 16).await;
    {
        let client = db.client().await;
        wait_until(
            "some orders to be persisted",
            Duration::from_secs(60),
            || {
                let client = &client;
                async move { (persisted(client).await >= 100).then_some(()) }
            },
        )
        .await;
    }

    pg.stop();
    // Ingestion does not depend on the database: the rest is accepted during the outage.
    let second = post_all(&pipeline.client, &sent[300..], 16).await;
    // The outage itself lasts a fixed time (this is the fault being injected, not a wait for
    // a condition): more than twice the whole backoff schedule (3.5 s), so a worker that
    // fetched and failed messages at full speed would dead-letter them.
    tokio::time::sleep(OUTAGE).await;
    pg.start_again().await;

    let client = db.client().await;
    let ids: Vec<String> = first.into_iter().chain(second).collect();
    wait_persisted(&client, &ids, Duration::from_secs(120)).await;
    assert_tables_match(&client, &sent).await;
    let counts = status_counts(&client, &ids).await;
    assert_eq!(counts.get("failed"), None, "no message failed: {counts:?}");
    let max_retries = client.r().max_retries().await;
    assert!(
        max_retries < 4,
        "the outage burned attempts: a message was retried {max_retries} times of 5"
    );
}

async fn poison_and_rejected_records_are_dead_lettered_alone(backend: Backend) {
    // Only the API runs while the messages are queued, so the worker sees them in one batch.
    let h = start_api_only_on(
        backend,
        &[("WORKER_BATCH_SIZE", "100"), ("WORKER_BATCH_WAIT", "1s")],
    )
    .await;
    let (client, stream) = (&h.client, &h.stream);
    // A constraint the database enforces beyond the model's validation.
    let sql = h.db.client().await;
    sql.batch_execute(
        "ALTER TABLE orders ADD CONSTRAINT no_rejects CHECK (customer_key <> 'C-REJECT')",
    )
    .await
    .expect("adding a constraint");

    let mut sent = orders::orders(41, 1, 21);
    sent[10]["customer_key"] = serde_json::json!("C-REJECT");
    let ids = post_all(client, &sent, 1).await;

    // A payload that is not an envelope at all, straight onto the ingest subject.
    let nats = async_nats::connect(nomnom_testkit::shared_nats_url())
        .await
        .expect("nats");
    let js = async_nats::jetstream::new(nats);
    js.publish(
        stream.ingest_subject("Order"),
        "this is not an envelope".into(),
    )
    .await
    .expect("publish")
    .await
    .expect("ack");

    let _worker = h.start_worker();
    let good: Vec<String> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 10)
        .map(|(_, id)| id.clone())
        .collect();
    wait_persisted(&sql, &good, Duration::from_secs(60)).await;
    let rejected = wait_failed(&sql, &ids[10], Duration::from_secs(60)).await;
    assert!(
        rejected.as_deref().unwrap_or("").contains("no_rejects"),
        "the error names the constraint: {rejected:?}"
    );

    let mut expected: Vec<_> = sent.clone();
    expected.remove(10);
    assert_tables_match(&sql, &expected).await;
    let dead = wait_until("two dead letters", Duration::from_secs(30), || {
        let stream = &stream;
        async move {
            let n = stream.message_count(&stream.dlq_name()).await;
            (n >= 2).then_some(n)
        }
    })
    .await;
    assert_eq!(
        dead, 2,
        "only the poison message and the rejected order are dead-lettered"
    );
}
