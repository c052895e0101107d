//! The demo driver: starts a generated project's worker and API, posts generated TPC-H orders
//! with a progress bar, waits until every one is persisted, and reports what landed.
//!
//! `scripts/demo.sh` generates and builds the project, then runs this with the folder holding
//! the binaries. Options: `--bin-dir DIR` (required), `--orders N` (default 5000),
//! `--concurrency N` (default 32), `--database-url URL`, `--nats-url URL`, `--stream NAME`,
//! `--port N`, `--logs DIR`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nomnom_testkit::http::HttpClient;
use nomnom_testkit::{orders, wait_until, Service};

struct Options {
    bin_dir: PathBuf,
    orders: u64,
    concurrency: u64,
    database_url: String,
    nats_url: String,
    stream: String,
    port: u16,
    logs: PathBuf,
}

fn parse_options() -> Result<Options, String> {
    let mut o = Options {
        bin_dir: PathBuf::new(),
        orders: 5000,
        concurrency: 32,
        database_url: "postgres://postgres@127.0.0.1:5432/nomnom_demo".into(),
        nats_url: "nats://127.0.0.1:4222".into(),
        stream: "NOMNOM_DEMO".into(),
        port: 8080,
        logs: PathBuf::from("demo-output/logs"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bin-dir" => o.bin_dir = PathBuf::from(value()?),
            "--orders" => o.orders = value()?.parse().map_err(|e| format!("--orders: {e}"))?,
            "--concurrency" => {
                o.concurrency = value()?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?
            }
            "--database-url" => o.database_url = value()?,
            "--nats-url" => o.nats_url = value()?,
            "--stream" => o.stream = value()?,
            "--port" => o.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--logs" => o.logs = PathBuf::from(value()?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if o.bin_dir.as_os_str().is_empty() {
        return Err("--bin-dir is required (the folder holding ingestion-api and worker)".into());
    }
    Ok(o)
}

fn progress(label: &str, done: u64, total: u64, started: Instant) {
    let width = 40;
    let filled = (done * width / total.max(1)) as usize;
    let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
    eprint!(
        "\r{label:<10} [{}{}] {done:>6}/{total} {rate:>8.0}/s",
        "#".repeat(filled),
        " ".repeat(width as usize - filled)
    );
    let _ = std::io::stderr().flush();
}

async fn persisted_count(db: &tokio_postgres::Client) -> u64 {
    db.query_one(
        "SELECT count(*) FROM message_status WHERE status = 'persisted'",
        &[],
    )
    .await
    .map(|r| r.get::<_, i64>(0) as u64)
    .unwrap_or(0)
}

async fn run(o: Options) -> Result<(), String> {
    std::fs::create_dir_all(&o.logs).map_err(|e| format!("{}: {e}", o.logs.display()))?;
    let mut env = BTreeMap::new();
    env.insert("NATS_URL".to_string(), o.nats_url.clone());
    env.insert("NATS_STREAM".to_string(), o.stream.clone());
    env.insert("DATABASE_URL".to_string(), o.database_url.clone());
    env.insert("HOST".to_string(), "127.0.0.1".to_string());
    env.insert("PORT".to_string(), o.port.to_string());
    env.insert(
        "WORKER_HEALTH_PORT".to_string(),
        nomnom_testkit::free_port().to_string(),
    );
    env.insert("RUST_LOG".to_string(), "info".to_string());

    eprintln!(
        "starting the worker (applies the migrations) and the API on port {}",
        o.port
    );
    let worker = Service::spawn(
        "worker",
        &o.bin_dir.join("worker"),
        &[],
        &env,
        &o.logs.join("worker.log"),
    );
    let api = Service::spawn(
        "ingestion-api",
        &o.bin_dir.join("ingestion-api"),
        &[],
        &env,
        &o.logs.join("ingestion-api.log"),
    );
    let client = HttpClient::new(format!("http://127.0.0.1:{}", o.port));
    wait_until("the API to be ready", Duration::from_secs(30), || {
        let client = client.clone();
        async move { (client.get("/ready").await.ok()?.status == 200).then_some(()) }
    })
    .await;

    let (db, conn) = tokio_postgres::connect(&o.database_url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("connecting to {}: {e}", o.database_url))?;
    tokio::spawn(conn);
    let already = persisted_count(&db).await;

    // Post the orders, `concurrency` requests at a time.
    let bodies = Arc::new(orders::orders(2026, 1, o.orders));
    let next = Arc::new(AtomicU64::new(0));
    let posted = Arc::new(AtomicU64::new(0));
    let first_id = Arc::new(std::sync::Mutex::new(None::<String>));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.concurrency {
        let (client, bodies, next, posted, first_id) = (
            client.clone(),
            bodies.clone(),
            next.clone(),
            posted.clone(),
            first_id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(order) = bodies.get(i) else {
                    return Ok::<(), String>(());
                };
                let response = client
                    .post_json("/ingest/message?entity=Order", order.to_string())
                    .await?;
                if response.status != 202 {
                    return Err(format!(
                        "order {i}: HTTP {} {}",
                        response.status,
                        String::from_utf8_lossy(&response.body)
                    ));
                }
                if i == 0 {
                    if let Some(id) = response.json()["message_id"].as_str() {
                        *first_id.lock().unwrap_or_else(|p| p.into_inner()) = Some(id.into());
                    }
                }
                posted.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let ticker = {
        let posted = posted.clone();
        let total = o.orders;
        tokio::spawn(async move {
            loop {
                let done = posted.load(Ordering::Relaxed);
                progress("posted", done, total, started);
                if done >= total {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    let _ = ticker.await;
    let post_secs = started.elapsed().as_secs_f64();
    eprintln!();

    // Wait until the worker has persisted every one of them.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let done = persisted_count(&db).await.saturating_sub(already);
        progress("persisted", done, o.orders, started);
        if done >= o.orders {
            break;
        }
        if Instant::now() > deadline {
            eprintln!();
            return Err(format!(
                "only {done} of {} orders persisted after 5 minutes; see {}",
                o.orders,
                o.logs.display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let total_secs = started.elapsed().as_secs_f64();
    eprintln!();

    let count = |table: &'static str| {
        let db = &db;
        async move {
            db.query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .await
                .map(|r| r.get::<_, i64>(0))
                .unwrap_or(-1)
        }
    };
    println!();
    println!("rows in orders:            {}", count("orders").await);
    println!(
        "rows in order_line_items:  {}",
        count("order_line_items").await
    );
    println!(
        "rows in message_status:    {}",
        count("message_status").await
    );
    println!(
        "posted {} orders in {post_secs:.2} s ({:.0} msg/s, {} concurrent requests)",
        o.orders,
        o.orders as f64 / post_secs,
        o.concurrency
    );
    println!(
        "all persisted after {total_secs:.2} s ({:.0} msg/s end to end)",
        o.orders as f64 / total_secs
    );
    let first = first_id.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if let Some(id) = first {
        let status = client
            .get(&format!("/ingest/status/{id}"))
            .await
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .unwrap_or_default();
        println!();
        println!("the status of one message, as the API reports it:");
        println!("  curl http://127.0.0.1:{}/ingest/status/{id}", o.port);
        println!("  {status}");
        println!("or in PostgreSQL:");
        println!(
            "  psql '{}' -c \"SELECT * FROM message_status WHERE message_id = '{id}'\"",
            o.database_url
        );
    }
    println!("logs: {}", o.logs.display());
    let mut api = api;
    let mut worker = worker;
    api.terminate(Duration::from_secs(10)).await;
    worker.terminate(Duration::from_secs(30)).await;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("nomnom-demo: {e}");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nomnom-demo: {e}");
            ExitCode::FAILURE
        }
    }
}
