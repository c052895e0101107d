//! A generated pipeline running for one test: its worker and API as child processes on free
//! ports, configured for that test's stream and database.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::http::HttpClient;
use crate::project::GeneratedProject;
use crate::wait::wait_for;
use crate::{free_port, Service};

/// The environment both binaries get: NATS, stream, database, ports, and quiet logs.
pub fn base_env(nats_url: &str, stream: &str, database_url: &str) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("NATS_URL".into(), nats_url.into());
    env.insert("NATS_STREAM".into(), stream.into());
    env.insert("DATABASE_URL".into(), database_url.into());
    env.insert("HOST".into(), "127.0.0.1".into());
    env.insert("PORT".into(), free_port().to_string());
    env.insert("WORKER_HEALTH_PORT".into(), free_port().to_string());
    env.insert("RUST_LOG".into(), "info".into());
    env
}

/// A running worker and API.
pub struct Pipeline {
    /// The API process.
    pub api: Service,
    /// The worker process.
    pub worker: Service,
    /// A client for the API.
    pub client: HttpClient,
    /// The environment both were started with.
    pub env: BTreeMap<String, String>,
    /// Folder of the logs.
    pub logs: tempfile::TempDir,
}

impl Pipeline {
    /// Starts the worker (which applies the migrations) and the API with `env`, and waits until
    /// both report ready.
    pub async fn start(project: &GeneratedProject, env: BTreeMap<String, String>) -> Pipeline {
        let logs = tempfile::Builder::new()
            .prefix("nomnom-logs-")
            .tempdir()
            .expect("creating a log folder");
        let worker = Service::spawn(
            "worker",
            &project.worker_binary(),
            &[],
            &env,
            &logs.path().join("worker.log"),
        );
        let api = Service::spawn(
            "ingestion-api",
            &project.api_binary(),
            &[],
            &env,
            &logs.path().join("api.log"),
        );
        let client = HttpClient::new(format!("http://127.0.0.1:{}", env["PORT"]));
        let worker_health =
            HttpClient::new(format!("http://127.0.0.1:{}", env["WORKER_HEALTH_PORT"]));
        let pipeline = Pipeline {
            api,
            worker,
            client,
            env,
            logs,
        };
        pipeline
            .wait_ready(&pipeline.client, "the API to be ready")
            .await;
        pipeline
            .wait_ready(&worker_health, "the worker to be ready")
            .await;
        pipeline
    }

    async fn wait_ready(&self, client: &HttpClient, what: &str) {
        let ready = wait_for(Duration::from_secs(60), || {
            let client = client.clone();
            async move { (client.get("/ready").await.ok()?.status == 200).then_some(()) }
        })
        .await;
        if ready.is_none() {
            panic!(
                "{what} timed out\n--- worker log ---\n{}\n--- api log ---\n{}",
                self.worker.log(),
                self.api.log()
            );
        }
    }

    /// Where the logs are written.
    pub fn log_dir(&self) -> PathBuf {
        self.logs.path().to_path_buf()
    }
}
