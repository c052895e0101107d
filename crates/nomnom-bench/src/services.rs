//! Starting the generated binaries with their environment, waiting for them to be ready,
//! pinning them to CPUs, and reading the consumer backlog.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use nomnom_runtime::config::{Env, NatsConfig};
use nomnom_runtime::nats::NatsClient;
use nomnom_testkit::http::HttpClient;
use nomnom_testkit::Service;

use crate::project::Project;
use crate::BenchError;

/// Connects with the runtime's own code, which creates (or checks and updates) the stream
/// `stream` exactly as the generated binaries do. `max_bytes` is a `NATS_MAX_BYTES` value.
pub async fn connect_nats(
    nats_url: &str,
    stream: &str,
    max_bytes: &str,
) -> Result<NatsClient, BenchError> {
    let env = Env::from_pairs([
        ("NATS_URL", nats_url),
        ("NATS_STREAM", stream),
        ("NATS_MAX_BYTES", max_bytes),
        ("NATS_PUBLISH_TIMEOUT", "30s"),
    ]);
    let config = NatsConfig::from(&env).map_err(|e| BenchError::Nats(e.to_string()))?;
    NatsClient::connect(config)
        .await
        .map_err(|e| BenchError::Nats(format!("connecting to {nats_url}: {e}")))
}

/// The durable consumer every worker shares.
pub const CONSUMER: &str = "workers";

/// What every binary of one stage connects to.
#[derive(Debug, Clone)]
pub struct Target {
    /// `NATS_URL`.
    pub nats_url: String,
    /// `NATS_STREAM`.
    pub stream: String,
    /// `DATABASE_URL`.
    pub database_url: String,
    /// Further variables of this stage (the end-to-end stage's status retention, the HL7
    /// stage's MLLP port).
    pub extra: Vec<(&'static str, String)>,
}

impl Target {
    /// The variables both binaries read. Logs at `warn`, so logging does not weigh on the
    /// figures; the stream may hold 4 GB so no stage runs into its limit.
    pub fn env(&self) -> BTreeMap<String, String> {
        [
            ("NATS_URL", self.nats_url.as_str()),
            ("NATS_STREAM", self.stream.as_str()),
            ("NATS_MAX_BYTES", "4GB"),
            ("NATS_CONSUMER", CONSUMER),
            ("DATABASE_URL", self.database_url.as_str()),
            ("RUST_LOG", "warn"),
        ]
        .into_iter()
        .chain(self.extra.iter().map(|(k, v)| (*k, v.as_str())))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }
}

/// Waits until `check` holds, polling every 20–100 ms, at most `timeout`.
pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<(), BenchError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    let mut interval = Duration::from_millis(20);
    loop {
        if check().await {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(BenchError::Project(format!(
                "timed out after {timeout:?} waiting for {what}"
            )));
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(Duration::from_millis(100));
    }
}

/// Starts `ingestion-api` on a free port and waits until `GET /ready` answers 200; returns
/// the process and its address.
pub async fn start_api(
    project: &Project,
    target: &Target,
    logs: &Path,
) -> Result<(Service, SocketAddr), BenchError> {
    let port = nomnom_testkit::free_port();
    let mut env = target.env();
    env.insert("HOST".into(), "127.0.0.1".into());
    env.insert("PORT".into(), port.to_string());
    let service = Service::spawn(
        "ingestion-api",
        &project.api,
        &[],
        &env,
        &logs.join(format!("api-{port}.log")),
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    answers_200(&service, addr, "/ready", "the API", Duration::from_secs(60)).await?;
    Ok((service, addr))
}

/// Waits until `service` (`who`, for the error), listening on `addr`, answers `GET path` with
/// 200, at most `timeout`; the error carries the service's log.
pub async fn answers_200(
    service: &Service,
    addr: SocketAddr,
    path: &'static str,
    who: &str,
    timeout: Duration,
) -> Result<(), BenchError> {
    let probe = HttpClient::new(format!("http://{addr}"));
    let what = format!("{who}'s {path}");
    wait_for(&what, timeout, || {
        let probe = probe.clone();
        async move { matches!(probe.get(path).await, Ok(r) if r.status == 200) }
    })
    .await
    .map_err(|e| BenchError::Project(format!("{e}; log:\n{}", service.log())))
}

/// Waits until `addr` (`who`, for the error) accepts TCP connections, at most 30 s.
pub async fn accepts_connections(addr: SocketAddr, who: &str) -> Result<(), BenchError> {
    wait_for(who, Duration::from_secs(30), || async move {
        tokio::net::TcpStream::connect(addr).await.is_ok()
    })
    .await
}

/// Starts one worker process (`program`: the generated `worker`, or the first nomnom's
/// loop) with `extra` variables (its health port is free).
pub fn spawn_worker(
    program: &Path,
    target: &Target,
    extra: &[(&str, String)],
    logs: &Path,
    name: &str,
) -> Service {
    let mut env = target.env();
    env.insert(
        "WORKER_HEALTH_PORT".into(),
        nomnom_testkit::free_port().to_string(),
    );
    for (k, v) in extra {
        env.insert((*k).to_string(), v.clone());
    }
    Service::spawn(
        "worker",
        program,
        &[],
        &env,
        &logs.join(format!("{name}.log")),
    )
}

/// `worker migrate`: applies the generated migrations to `target`'s database and exits.
pub async fn migrate(project: &Project, target: &Target, logs: &Path) -> Result<(), BenchError> {
    let mut cmd = tokio::process::Command::new(&project.worker);
    cmd.arg("migrate")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(target.env())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .map_err(|_| BenchError::Project("worker migrate did not finish in 60 s".into()))?
        .map_err(|e| BenchError::Project(format!("worker migrate: {e}")))?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let _ = std::fs::write(logs.join("migrate.log"), &text);
    if output.status.success() {
        Ok(())
    } else {
        Err(BenchError::Project(format!(
            "worker migrate failed ({}): {text}",
            output.status
        )))
    }
}

/// Pins every thread of process `pid` to `cpus` (a `taskset` list such as `0` or `0-1`).
pub fn pin(pid: u32, cpus: &str) -> Result<(), BenchError> {
    let status = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| BenchError::Project(format!("taskset: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(BenchError::Project(format!(
            "taskset -c {cpus} {pid}: {status}"
        )))
    }
}

/// Messages of the stream not yet acknowledged by the consumer (pending + delivered but
/// unacknowledged), or `None` while the consumer does not exist.
pub async fn backlog(js: &jetstream::Context, stream: &str) -> Option<u64> {
    let stream = js.get_stream(stream).await.ok()?;
    let mut consumer = stream
        .get_consumer::<jetstream::consumer::pull::Config>(CONSUMER)
        .await
        .ok()?;
    let info = consumer.info().await.ok()?;
    Some(info.num_pending + info.num_ack_pending as u64)
}

/// Consumer `(num_pending, num_ack_pending, delivered stream sequence)`.
pub async fn consumer_state(js: &jetstream::Context, stream: &str) -> Option<(u64, u64, u64)> {
    let stream = js.get_stream(stream).await.ok()?;
    let mut consumer = stream
        .get_consumer::<jetstream::consumer::pull::Config>(CONSUMER)
        .await
        .ok()?;
    let info = consumer.info().await.ok()?;
    Some((
        info.num_pending,
        info.num_ack_pending as u64,
        info.delivered.stream_sequence,
    ))
}
