//! The demo driver: starts a generated project's worker and API, posts generated messages
//! with a progress bar (TPC-H orders as JSON, or ORU^R01 lab reports as HL7 v2 over HTTP and
//! MLLP: [`workload`]), waits until every one is persisted, and reports what landed. Then,
//! when run from a terminal, it keeps the API and the worker up and prints commands to try
//! against them until Ctrl-C; otherwise (no terminal on stdin, as in CI, or
//! `--exit-when-done`) it stops them and exits. Ctrl-C at any point stops both services.
//!
//! `scripts/demo.sh` generates and builds the project, then runs this with the folder holding
//! the binaries. Options: see [`options::USAGE`].

mod options;
mod stop;
mod workload;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nomnom_testkit::http::HttpClient;
use nomnom_testkit::mllp::{ack_code, MllpConnection};
use nomnom_testkit::wait::wait_for;
use nomnom_testkit::Service;

use options::Options;
use stop::StopSignals;
use workload::{DemoModel, Route};

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

/// The demo's database: PostgreSQL, or MySQL/MariaDB for a `mysql://` URL.
enum Db {
    Pg(tokio_postgres::Client),
    My(mysql_async::Pool),
}

impl Db {
    async fn connect(url: &str) -> Result<Db, String> {
        if url.starts_with("mysql://") {
            let opts = mysql_async::Opts::from_url(url).map_err(|e| format!("{url}: {e}"))?;
            return Ok(Db::My(mysql_async::Pool::new(opts)));
        }
        let (db, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .map_err(|e| format!("connecting to {url}: {e}"))?;
        tokio::spawn(conn);
        Ok(Db::Pg(db))
    }
}

async fn persisted_count(db: &Db) -> u64 {
    const SQL: &str = "SELECT count(*) FROM message_status WHERE status = 'persisted'";
    match db {
        Db::Pg(db) => db
            .query_one(SQL, &[])
            .await
            .map(|r| r.get::<_, i64>(0) as u64)
            .unwrap_or(0),
        Db::My(pool) => {
            use mysql_async::prelude::Queryable;
            let Ok(mut conn) = pool.get_conn().await else {
                return 0;
            };
            conn.query_first::<u64, _>(SQL)
                .await
                .ok()
                .flatten()
                .unwrap_or(0)
        }
    }
}

/// Tasks aborted when this goes out of scope.
struct AbortOnDrop(Vec<tokio::task::AbortHandle>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Starts the services, drives the demo, keeps the services up for the user when asked to, and
/// stops them whatever happened (a report, an error or a stop signal).
async fn run(o: Options) -> Result<(), String> {
    let mut stop = StopSignals::install()?;
    std::fs::create_dir_all(&o.logs).map_err(|e| format!("{}: {e}", o.logs.display()))?;
    let mut env = BTreeMap::new();
    env.insert("NATS_URL".to_string(), o.nats_url.clone());
    env.insert("NATS_STREAM".to_string(), o.stream.clone());
    env.insert("DATABASE_URL".to_string(), o.database_url.clone());
    env.insert("HOST".to_string(), "127.0.0.1".to_string());
    env.insert("PORT".to_string(), o.port.to_string());
    let worker_port = nomnom_testkit::free_port();
    env.insert("WORKER_HEALTH_PORT".to_string(), worker_port.to_string());
    env.insert("RUST_LOG".to_string(), "info".to_string());
    if o.model == DemoModel::Hl7Lab {
        env.insert("MLLP_PORT".to_string(), o.mllp_port.to_string());
    }

    match o.model {
        DemoModel::Tpch => eprintln!(
            "starting the worker (applies the migrations) and the API on port {}",
            o.port
        ),
        DemoModel::Hl7Lab => eprintln!(
            "starting the worker (applies the migrations) and the API on port {}, MLLP on {}",
            o.port, o.mllp_port
        ),
    }
    let mut worker = Service::spawn(
        "worker",
        &o.bin_dir.join("worker"),
        &[],
        &env,
        &o.logs.join("worker.log"),
    );
    let mut api = Service::spawn(
        "ingestion-api",
        &o.bin_dir.join("ingestion-api"),
        &[],
        &env,
        &o.logs.join("ingestion-api.log"),
    );
    let client = HttpClient::new(format!("http://127.0.0.1:{}", o.port));

    let outcome = tokio::select! {
        outcome = drive(&o, &client) => outcome,
        _ = stop.wait() => {
            eprintln!();
            Err("interrupted".to_string())
        }
    };
    if outcome.is_ok() {
        print_metrics(&o, worker_port);
    }
    if let Ok(first_id) = &outcome {
        if o.exit_when_done || !std::io::stdin().is_terminal() {
            println!();
            println!("stdin is not a terminal (or --exit-when-done), so the demo ends here; run");
            println!(
                "scripts/demo.sh in a terminal to keep the API and the worker up and try them"
            );
        } else {
            print_commands_to_try(&o, worker_port, first_id.as_deref());
            stop.wait().await;
            eprintln!();
        }
    }
    eprintln!("stopping the API and the worker");
    api.terminate(Duration::from_secs(10)).await;
    worker.terminate(Duration::from_secs(30)).await;
    outcome.map(|_| ())
}

/// Waits for the API, posts the orders, waits until every one is persisted and prints the
/// report; answers the first message's id.
async fn drive(o: &Options, client: &HttpClient) -> Result<Option<String>, String> {
    let ready = wait_for(Duration::from_secs(30), || {
        let client = client.clone();
        async move { (client.get("/ready").await.ok()?.status == 200).then_some(()) }
    })
    .await;
    if ready.is_none() {
        return Err(format!(
            "the API was not ready within 30 s; see {}",
            o.logs.display()
        ));
    }

    let db = Db::connect(&o.database_url).await?;
    let already = persisted_count(&db).await;

    // Post the messages, `concurrency` at a time (for HL7, every other one over MLLP).
    let bodies = Arc::new(o.model.messages(1, o.messages));
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
        let (model, mllp_addr) = (o.model, SocketAddr::from(([127, 0, 0, 1], o.mllp_port)));
        tasks.push(tokio::spawn(async move {
            let mut mllp: Option<MllpConnection> = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(body) = bodies.get(i) else {
                    return Ok::<(), String>(());
                };
                match model.route(i) {
                    Route::Http => {
                        let path = format!("/ingest/message?entity={}", model.entity());
                        let headers = [("content-type", model.content_type())];
                        let response = client.send("POST", &path, &headers, body.clone()).await?;
                        if response.status != 202 {
                            return Err(format!(
                                "message {}: HTTP {} {}",
                                i + 1,
                                response.status,
                                String::from_utf8_lossy(&response.body)
                            ));
                        }
                        if i == 0 {
                            if let Some(id) = response.json()["message_id"].as_str() {
                                *first_id.lock().unwrap_or_else(|p| p.into_inner()) =
                                    Some(id.into());
                            }
                        }
                    }
                    Route::Mllp => {
                        if mllp.is_none() {
                            let connection = MllpConnection::connect(mllp_addr)
                                .await
                                .map_err(|e| format!("connecting to MLLP {mllp_addr}: {e}"))?;
                            mllp = Some(connection);
                        }
                        let connection = mllp.as_mut().expect("connected above");
                        let ack = connection
                            .exchange(body.as_bytes())
                            .await
                            .map_err(|e| format!("message {} over MLLP: {e}", i + 1))?;
                        if ack_code(&ack) != Some("AA") {
                            return Err(format!(
                                "message {} over MLLP: {}",
                                i + 1,
                                String::from_utf8_lossy(&ack).replace('\r', "\n")
                            ));
                        }
                    }
                }
                posted.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let ticker = {
        let posted = posted.clone();
        let total = o.messages;
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
    // Ends the posting tasks and the progress ticker if the demo is interrupted meanwhile.
    let _spawned = AbortOnDrop(
        tasks
            .iter()
            .map(|t| t.abort_handle())
            .chain([ticker.abort_handle()])
            .collect(),
    );
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
        progress("persisted", done, o.messages, started);
        if done >= o.messages {
            break;
        }
        if Instant::now() > deadline {
            eprintln!();
            return Err(format!(
                "only {done} of {} {} persisted after 5 minutes; see {}",
                o.messages,
                o.model.noun(),
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
            let sql = format!("SELECT count(*) FROM {table}");
            match db {
                Db::Pg(db) => db
                    .query_one(&sql, &[])
                    .await
                    .map(|r| r.get::<_, i64>(0))
                    .unwrap_or(-1),
                Db::My(pool) => {
                    use mysql_async::prelude::Queryable;
                    match pool.get_conn().await {
                        Ok(mut conn) => conn
                            .query_first::<i64, _>(sql)
                            .await
                            .ok()
                            .flatten()
                            .unwrap_or(-1),
                        Err(_) => -1,
                    }
                }
            }
        }
    };
    println!();
    for table in o.model.tables().iter().chain(&["message_status"]) {
        println!("rows in {:<20} {}", format!("{table}:"), count(table).await);
    }
    let how = match o.model {
        DemoModel::Tpch => format!("{} concurrent requests", o.concurrency),
        DemoModel::Hl7Lab => format!(
            "{} concurrent senders, half over HTTP and half over MLLP",
            o.concurrency
        ),
    };
    println!(
        "posted {} {} in {post_secs:.2} s ({:.0} msg/s, {how})",
        o.messages,
        o.model.noun(),
        o.messages as f64 / post_secs,
    );
    println!(
        "all persisted after {total_secs:.2} s ({:.0} msg/s end to end)",
        o.messages as f64 / total_secs
    );
    let first = first_id.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if let Some(id) = &first {
        let status = client
            .get(&format!("/ingest/status/{id}"))
            .await
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .unwrap_or_default();
        println!();
        println!(
            "the status of the first message, as the API reports it (GET /ingest/status/{id}):"
        );
        println!("  {status}");
    }
    println!("logs: {}", o.logs.display());
    Ok(first)
}

/// Where the metrics are, and where the dashboard and the alert rules were generated.
fn print_metrics(o: &Options, worker_port: u16) {
    println!();
    println!("metrics (Prometheus text format, names listed in the README):");
    println!("  API:    http://127.0.0.1:{}/metrics", o.port);
    println!("  worker: http://127.0.0.1:{worker_port}/metrics");
    println!(
        "  Grafana dashboard and alert rules generated in {}/deploy/grafana/dashboard.json and deploy/prometheus/rules.yaml",
        o.project_dir.display()
    );
}

/// Writes a sample message for the user to post and prints commands that work while the
/// services run.
fn print_commands_to_try(o: &Options, worker_port: u16, first_id: Option<&str>) {
    let base = format!("http://127.0.0.1:{}", o.port);
    let sample = o.sample.clone().unwrap_or_else(|| {
        let folder = o.logs.parent().unwrap_or(std::path::Path::new("."));
        folder.join(o.model.sample_file_name())
    });
    let sample_written = o
        .model
        .sample(o.messages + 1)
        .is_some_and(|text| std::fs::write(&sample, text).is_ok());
    println!();
    println!("The API ({base}) and the worker keep running. Try, in another terminal:");
    if sample_written {
        for command in o.model.post_commands(&base, &sample, o.mllp_port) {
            println!("  {command}");
        }
        println!("  curl -s {base}/ingest/status/<the message_id it answered>");
    }
    if let Some(id) = first_id {
        println!("  curl -s {base}/ingest/status/{id}");
    }
    println!("  curl -s {base}/openapi.json");
    println!("  curl -s {base}/metrics | grep ^nomnom_ingest_messages_total");
    println!("  curl -s http://127.0.0.1:{worker_port}/metrics | grep ^nomnom_worker_");
    let client = if o.database_url.starts_with("mysql://") {
        // mariadb reads no URL: the demo's database on the local server.
        "mariadb -h 127.0.0.1 -u root nomnom_demo -e".to_string()
    } else {
        format!("psql '{}' -c", o.database_url)
    };
    println!("  {client} '{}'", o.model.query());
    println!("  {client} 'SELECT status, count(*) FROM message_status GROUP BY status'");
    println!("Press Ctrl-C to stop them.");
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match options::parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("nomnom-demo: {e}");
            eprintln!("{}", options::USAGE);
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
