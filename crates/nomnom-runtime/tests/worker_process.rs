//! The worker as a real process (this test binary re-executed as the worker): SIGTERM
//! finishes and acknowledges in-flight batches and exits 0; SIGKILL mid-stream then a
//! restart persists every message exactly once; `migrate` applies and exits; a changed
//! applied migration stops start-up with a clear message; `replay-dlq --dry-run` reports.

mod support_worker;

use std::process::Stdio;
use std::time::Duration;

use support_worker::{order, wait_until, TestDb, TestModel, TestStream, NATS_URL};
use tokio::process::{Child, Command};

const CHILD_ARGS: &str = "NOMNOM_WORKER_TEST_CHILD_ARGS";
const PERSISTED: &str = "SELECT count(*) FROM message_status WHERE status = 'persisted'";

/// The entry point of the child worker process when re-executed by the tests below (with
/// its arguments in an environment variable). Run as an ordinary test, it checks the
/// binary's own answers to `--help` and to unknown arguments, which need no services.
#[test]
fn worker_process_entry() {
    use nomnom_runtime::worker::run_with_args;
    use std::process::ExitCode;
    if let Ok(args) = std::env::var(CHILD_ARGS) {
        let args: Vec<String> = args.split_whitespace().map(str::to_string).collect();
        let code = run_with_args::<TestModel>(&args);
        std::process::exit(if code == ExitCode::SUCCESS { 0 } else { 1 });
    }
    assert_eq!(
        run_with_args::<TestModel>(&["--help".to_string()]),
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_with_args::<TestModel>(&["frobnicate".to_string()]),
        ExitCode::from(2)
    );
}

fn spawn_worker(stream: &str, db: &str, args: &str) -> Child {
    let exe = std::env::current_exe().expect("test binary path");
    Command::new(exe)
        .args([
            "worker_process_entry",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ARGS, args)
        .env("NATS_URL", NATS_URL)
        .env("NATS_STREAM", stream)
        .env("NATS_ACK_WAIT", "3s")
        .env("NATS_BACKOFF", "200ms,500ms")
        .env("DATABASE_URL", db)
        .env("WORKER_BATCH_SIZE", "20")
        .env("WORKER_HEALTH_PORT", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the worker process")
}

async fn exit_of(child: Child) -> (Option<i32>, String) {
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the worker exits within 60 s")
        .expect("wait for the worker");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args([name, &pid])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_commits_and_acks_in_flight_batches_then_exits_zero() {
    let db = TestDb::create().await;
    let stream = TestStream::create().await;
    for i in 0..2000 {
        stream
            .publish_order(&order(&format!("T-{i}"), i, 1 + i % 7, None))
            .await;
    }
    let child = spawn_worker(&stream.name, &db.url, "");
    wait_until("some persisted", Duration::from_secs(60), || async {
        db.poll_count(PERSISTED).await >= 40
    })
    .await;
    signal(&child, "-TERM");
    let (code, log) = exit_of(child).await;
    assert_eq!(code, Some(0), "clean exit on SIGTERM: {log}");
    let persisted = db.count(PERSISTED).await;
    let (pending, unacked) = stream.consumer_backlog("workers").await;
    assert_eq!(
        unacked, 0,
        "every fetched message was committed and acknowledged before exit"
    );
    assert_eq!(
        pending as i64,
        2000 - persisted,
        "the rest waits in the stream"
    );
    assert!(persisted < 2000, "stopped mid-stream");

    let child = spawn_worker(&stream.name, &db.url, "");
    wait_until("all persisted", Duration::from_secs(90), || async {
        db.poll_count(PERSISTED).await == 2000
    })
    .await;
    signal(&child, "-TERM");
    assert_eq!(exit_of(child).await.0, Some(0));
    assert_eq!(db.count("SELECT count(*) FROM orders").await, 2000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_then_restart_persists_every_message_exactly_once() {
    let db = TestDb::create().await;
    let stream = TestStream::create().await;
    for i in 0..1500 {
        stream
            .publish_order(&order(&format!("S-{i}"), i, 1 + i % 7, None))
            .await;
    }
    let child = spawn_worker(&stream.name, &db.url, "");
    wait_until("some persisted", Duration::from_secs(60), || async {
        db.poll_count(PERSISTED).await >= 40
    })
    .await;
    signal(&child, "-KILL");
    let (code, _) = exit_of(child).await;
    assert_eq!(code, None, "killed by a signal");
    assert!(db.count(PERSISTED).await < 1500, "killed mid-stream");

    let child = spawn_worker(&stream.name, &db.url, "");
    wait_until("all persisted", Duration::from_secs(90), || async {
        db.poll_count(PERSISTED).await == 1500
    })
    .await;
    signal(&child, "-TERM");
    assert_eq!(exit_of(child).await.0, Some(0));
    assert_eq!(db.count("SELECT count(*) FROM message_status").await, 1500);
    assert_eq!(db.count("SELECT count(*) FROM orders").await, 1500);
    let items: i64 = (0..1500).map(|i| 1 + i % 7).sum();
    assert_eq!(db.count("SELECT count(*) FROM order_items").await, items);
    assert_eq!(stream.dlq_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subcommands_migrate_and_replay_and_a_changed_migration_stops_start_up() {
    let db = TestDb::create().await;
    let stream = TestStream::create().await;

    let (code, log) = exit_of(spawn_worker(&stream.name, &db.url, "migrate")).await;
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("migrations: 2 applied"), "{log}");
    assert_eq!(db.count("SELECT count(*) FROM _nomnom_migrations").await, 2);
    let (code, log) = exit_of(spawn_worker(&stream.name, &db.url, "migrate")).await;
    assert_eq!(code, Some(0));
    assert!(log.contains("0 applied"), "idempotent: {log}");

    let (code, log) = exit_of(spawn_worker(&stream.name, &db.url, "replay-dlq --dry-run")).await;
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("examined 0 dead letters"), "{log}");

    db.client()
        .await
        .execute(
            "UPDATE _nomnom_migrations SET checksum = 'edited' WHERE version = 2",
            &[],
        )
        .await
        .expect("tamper");
    let (code, log) = exit_of(spawn_worker(&stream.name, &db.url, "")).await;
    assert_eq!(code, Some(1), "start-up stops: {log}");
    assert!(
        log.contains("migration 2 (orders) was applied with checksum edited"),
        "{log}"
    );

    let (code, log) = exit_of(spawn_worker(&stream.name, &db.url, "frobnicate")).await;
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("usage: worker"), "{log}");
}
