//! The harness itself works: private servers start, stop and come back with their data;
//! per-test databases and streams are created and removed.

use std::time::Duration;

use nomnom_testkit::{wait_until, NatsServer, PgServer, TestDatabase, TestStream};

#[tokio::test]
async fn private_nats_server_keeps_its_streams_across_a_restart() {
    let mut server = NatsServer::start().await;
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = async_nats::jetstream::new(client);
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "KEEP".into(),
        subjects: vec!["keep.>".into()],
        storage: async_nats::jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await
    .expect("create stream");
    js.publish("keep.one", "x".into())
        .await
        .expect("publish")
        .await
        .expect("ack");

    server.kill();
    assert!(!server.is_running());
    server.restart().await;

    let client = async_nats::connect(server.url()).await.expect("reconnect");
    let js = async_nats::jetstream::new(client);
    let count = wait_until(
        "the stream to be recovered",
        Duration::from_secs(10),
        || {
            let js = js.clone();
            async move {
                let mut stream = js.get_stream("KEEP").await.ok()?;
                Some(stream.info().await.ok()?.state.messages)
            }
        },
    )
    .await;
    assert_eq!(count, 1);
}

#[tokio::test]
async fn private_postgres_stops_and_starts_with_its_data() {
    let mut pg = PgServer::start().await;
    let db = TestDatabase::create(&pg.url("postgres")).await;
    db.client()
        .await
        .batch_execute("CREATE TABLE t (v int); INSERT INTO t VALUES (7);")
        .await
        .expect("create table");

    pg.stop();
    assert!(tokio_postgres::connect(&db.url(), tokio_postgres::NoTls)
        .await
        .is_err());
    pg.start_again().await;

    let row = db
        .client()
        .await
        .query_one("SELECT v FROM t", &[])
        .await
        .expect("select");
    assert_eq!(row.get::<_, i32>(0), 7);
}

#[tokio::test]
async fn test_database_is_dropped_after_use() {
    let name;
    {
        let db = TestDatabase::create_shared().await;
        name = db.name().to_string();
        db.client()
            .await
            .batch_execute("SELECT 1")
            .await
            .expect("select");
    }
    let (admin, conn) = tokio_postgres::connect(
        &nomnom_testkit::shared_database_url(),
        tokio_postgres::NoTls,
    )
    .await
    .expect("connect");
    tokio::spawn(conn);
    let rows = admin
        .query("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .expect("query");
    assert!(rows.is_empty(), "database {name} still exists");
}

#[tokio::test]
async fn test_stream_names_are_unique_and_subjects_follow_the_convention() {
    let a = TestStream::shared();
    let b = TestStream::shared();
    assert_ne!(a.name(), b.name());
    assert_eq!(
        a.ingest_subject("Order"),
        format!("{}.ingest.Order", a.name().to_lowercase())
    );
    assert_eq!(a.dlq_name(), format!("{}_DLQ", a.name()));
}
