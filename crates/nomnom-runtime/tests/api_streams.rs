//! Stream setup on the real NATS 2.9: created with the configured settings, updated in place,
//! disjoint subjects for the dead letters and for other deployments, clear overlap errors.

mod support_api;

use std::time::Duration;

use async_nats::jetstream::stream::{Config, DiscardPolicy, StorageType};
use nomnom_runtime::config::{Env, NatsConfig};
use nomnom_runtime::nats::{NatsClient, NatsError};
use support_api::{unique, SHARED_NATS};

fn config(stream: &str, extra: &[(&str, &str)]) -> NatsConfig {
    config_at(SHARED_NATS, stream, extra)
}

fn config_at(url: &str, stream: &str, extra: &[(&str, &str)]) -> NatsConfig {
    let mut pairs = vec![
        ("NATS_URL".to_owned(), url.to_owned()),
        ("NATS_STREAM".to_owned(), stream.to_owned()),
    ];
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    NatsConfig::from(&Env::from_pairs(pairs)).expect("valid configuration")
}

async fn jetstream() -> async_nats::jetstream::Context {
    async_nats::jetstream::new(async_nats::connect(SHARED_NATS).await.expect("connect"))
}

async fn cleanup(js: &async_nats::jetstream::Context, streams: &[&str]) {
    for s in streams {
        let _ = js.delete_stream(s).await;
    }
}

#[tokio::test]
async fn streams_are_created_with_the_configured_settings_and_updated_in_place() {
    let name = unique("STR");
    let js = jetstream().await;
    let dlq = format!("{name}_DLQ");
    let first = config(
        &name,
        &[
            ("NATS_MAX_AGE", "1h"),
            ("NATS_MAX_BYTES", "10MiB"),
            ("NATS_DUPLICATE_WINDOW", "30s"),
        ],
    );
    let client = NatsClient::connect(first).await.expect("connect");
    let info = js
        .get_stream(&name)
        .await
        .expect("main stream")
        .get_info()
        .await
        .expect("info");
    let lc = name.to_ascii_lowercase();
    assert_eq!(info.config.subjects, vec![format!("{lc}.ingest.*")]);
    assert_eq!(info.config.storage, StorageType::File);
    assert_eq!(info.config.discard, DiscardPolicy::New);
    assert_eq!(info.config.max_age, Duration::from_secs(3600));
    assert_eq!(info.config.max_bytes, 10 << 20);
    assert_eq!(info.config.duplicate_window, Duration::from_secs(30));
    assert_eq!(info.config.num_replicas, 1);
    let dlq_info = js
        .get_stream(&dlq)
        .await
        .expect("dead-letter stream")
        .get_info()
        .await
        .expect("info");
    assert_eq!(dlq_info.config.subjects, vec![format!("{lc}.dlq.*")]);
    assert_eq!(dlq_info.config.max_age, Duration::from_secs(7 * 86_400));
    assert_eq!(dlq_info.config.discard, DiscardPolicy::New);
    assert!(client.is_ready(Duration::from_secs(2)).await);

    // A second process with other limits brings the stream to them, keeping its messages.
    js.publish(format!("{lc}.ingest.Order"), "x".into())
        .await
        .expect("publish")
        .await
        .expect("ack");
    let second = config(
        &name,
        &[("NATS_MAX_AGE", "2h"), ("NATS_MAX_BYTES", "20MiB")],
    );
    NatsClient::connect(second).await.expect("connect again");
    let info = js
        .get_stream(&name)
        .await
        .expect("main stream")
        .get_info()
        .await
        .expect("info");
    assert_eq!(info.config.max_age, Duration::from_secs(7200));
    assert_eq!(info.config.max_bytes, 20 << 20);
    assert_eq!(info.config.duplicate_window, Duration::from_secs(120));
    assert_eq!(info.state.messages, 1, "updating kept the messages");
    cleanup(&js, &[&name, &dlq]).await;
}

#[tokio::test]
async fn two_deployments_share_one_server() {
    let (a, b) = (unique("STA"), unique("STB"));
    let js = jetstream().await;
    NatsClient::connect(config(&a, &[]))
        .await
        .expect("first deployment");
    NatsClient::connect(config(&b, &[]))
        .await
        .expect("second deployment");
    assert!(js.get_stream(&a).await.is_ok() && js.get_stream(&b).await.is_ok());
    cleanup(&js, &[&a, &format!("{a}_DLQ"), &b, &format!("{b}_DLQ")]).await;
}

#[tokio::test]
async fn overlapping_subjects_are_a_clear_error_naming_the_other_stream() {
    let name = unique("OVL");
    let squatter = unique("SQUAT");
    let js = jetstream().await;
    let squat = Config {
        name: squatter.clone(),
        subjects: vec![format!("{}.ingest.Order", name.to_ascii_lowercase())],
        ..Default::default()
    };
    // The shared NATS 2.9 refuses a creation racing another test's deletion of the server's
    // last stream (see the test below); only that refusal is tried again.
    let mut attempts = 0;
    while let Err(err) = js.create_stream(squat.clone()).await {
        attempts += 1;
        assert!(
            attempts < 10 && err.to_string().contains("error creating store"),
            "a foreign stream on our subject: {err}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let err = NatsClient::connect(config(&name, &[]))
        .await
        .expect_err("overlap");
    match &err {
        NatsError::SubjectOverlap { stream, others, .. } => {
            assert_eq!(stream, &name);
            assert_eq!(others, &squatter);
        }
        other => panic!("expected an overlap error, got {other}"),
    }
    assert!(err.to_string().contains("NATS_STREAM"), "{err}");
    cleanup(&js, &[&squatter, &name, &format!("{name}_DLQ")]).await;
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_start_up_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let config = NatsConfig::from(&Env::from_pairs([(
        "NATS_URL",
        format!("nats://127.0.0.1:{port}"),
    )]))
    .expect("config");
    let err = NatsClient::connect(config)
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, NatsError::Connect { .. }), "{err}");
    assert!(err.to_string().contains(&port.to_string()), "{err}");
}

#[tokio::test]
async fn the_api_and_the_worker_may_start_at_the_same_moment() {
    let name = unique("RACE");
    let js = jetstream().await;
    let starts = (0..4).map(|_| NatsClient::connect(config(&name, &[])));
    for result in futures_util::future::join_all(starts).await {
        assert!(result.is_ok(), "{:?}", result.err().map(|e| e.to_string()));
    }
    let info = js
        .get_stream(&name)
        .await
        .expect("stream")
        .get_info()
        .await
        .expect("info");
    assert_eq!(info.config.discard, DiscardPolicy::New);
    cleanup(&js, &[&name, &format!("{name}_DLQ")]).await;
}

#[tokio::test]
async fn a_deployment_starts_while_another_removes_the_servers_last_stream() {
    // NATS 2.9 removes the account's `streams` folder with its last stream; a stream created
    // at that moment fails with "error creating store for stream". Another deployment on
    // the same server churns streams while this one starts again and again.
    let server = nomnom_testkit::NatsServer::start_binary(nomnom_testkit::DEBIAN_NATS_SERVER).await;
    let url = server.url();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churners: Vec<_> = (0..3)
        .map(|n| {
            let (url, stop) = (url.clone(), stop.clone());
            tokio::spawn(async move {
                let js = async_nats::jetstream::new(
                    async_nats::connect(&url)
                        .await
                        .expect("connect the churner"),
                );
                let (mut created, mut refused) = (0u32, 0u32);
                for i in 0..5_000 {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let name = format!("CHURN{n}_{i}");
                    let made = js
                        .create_stream(Config {
                            name: name.clone(),
                            subjects: vec![format!("churn{n}.{i}")],
                            storage: StorageType::File,
                            ..Default::default()
                        })
                        .await;
                    if made.is_ok() {
                        created += 1;
                        let _ = js.delete_stream(&name).await;
                    } else {
                        refused += 1;
                    }
                }
                (created, refused)
            })
        })
        .collect();

    let js = async_nats::jetstream::new(async_nats::connect(&url).await.expect("connect"));
    for _ in 0..100 {
        let name = unique("START");
        let started = NatsClient::connect(config_at(&url, &name, &[])).await;
        assert!(
            started.is_ok(),
            "start-up failed: {}",
            started.err().map(|e| e.to_string()).unwrap_or_default()
        );
        cleanup(&js, &[&name, &format!("{name}_DLQ")]).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut churned = 0;
    let mut refused = 0;
    for churner in churners {
        let (c, r) = churner.await.expect("churner");
        churned += c;
        refused += r;
    }
    assert!(churned > 0, "the other deployment churned streams");
    // What the churner itself met without the runtime's retry (not asserted: it is a race).
    eprintln!("the churner created {churned} streams; {refused} creations failed");
}
