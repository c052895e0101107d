//! The API in-process over the real NATS and PostgreSQL: own stream, own database, cleaned
//! up on drop.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use bytes::Bytes;
use http_body_util::BodyExt;
use nomnom_runtime::api::access::Access;
use nomnom_runtime::api::{router, ApiState};
use nomnom_runtime::config::{AccessConfig, ApiConfig, DatabaseConfig, Env, NatsConfig};
use nomnom_runtime::envelope::MessageEnvelope;
use nomnom_runtime::model::Model;
use nomnom_runtime::nats::NatsClient;
use nomnom_runtime::status::recorder::RecorderTask;
use nomnom_runtime::status::StatusRecorder;
use serde_json::Value;
use tower::ServiceExt;

use super::{unique, SHARED_NATS, SHARED_PG};

/// How the app is set up.
pub struct AppOptions {
    /// NATS to use.
    pub nats_url: String,
    /// `None`: a fresh database of its own; `Some(url)`: that URL (e.g. an unreachable one).
    pub database_url: Option<String>,
    /// More variables (`NATS_MAX_BYTES`, `API_MAX_IN_FLIGHT`, ...).
    pub env: Vec<(String, String)>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            nats_url: SHARED_NATS.to_owned(),
            database_url: None,
            env: Vec::new(),
        }
    }
}

impl AppOptions {
    /// Adds a variable.
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A response, its body read.
#[derive(Debug)]
pub struct TestResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Raw body.
    pub body: Bytes,
    /// The body as JSON (`Null` when not JSON).
    pub json: Value,
}

impl TestResponse {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The app under test.
pub struct TestApp {
    /// The router, driven in-process.
    pub router: Router,
    /// Its state (NATS client, recorder, pool).
    pub state: ApiState,
    /// The stream name.
    pub stream: String,
    /// Its own database (when created).
    pub database: Option<String>,
    /// Every variable the app was configured with.
    pub env: Vec<(String, String)>,
    nats_url: String,
    recorder_task: Option<RecorderTask>,
}

impl TestApp {
    /// The app for model `M` with default options.
    pub async fn spawn<M: Model>() -> Self {
        Self::spawn_with::<M>(AppOptions::default()).await
    }

    /// The app for model `M`.
    pub async fn spawn_with<M: Model>(options: AppOptions) -> Self {
        let stream = unique("API");
        let (database, database_url) = match options.database_url {
            Some(url) => (None, url),
            None => {
                let name = stream.to_ascii_lowercase();
                create_database(&name).await;
                (Some(name.clone()), format!("{SHARED_PG}/{name}"))
            }
        };
        let mut env = vec![
            ("NATS_URL".to_owned(), options.nats_url.clone()),
            ("NATS_STREAM".to_owned(), stream.clone()),
            ("NATS_PUBLISH_TIMEOUT".to_owned(), "2s".to_owned()),
            ("DATABASE_URL".to_owned(), database_url),
        ];
        env.extend(options.env);
        let vars = Env::from_pairs(env.clone());
        let nats_config = NatsConfig::from(&vars).expect("NATS configuration");
        let api_config = ApiConfig::from(&vars).expect("API configuration");
        let database_config = DatabaseConfig::from(&vars).expect("database configuration");
        let nats = NatsClient::connect(nats_config)
            .await
            .expect("connect to NATS");
        let store = nomnom_runtime::db::Store::connect(&database_config, Duration::from_secs(1));
        let (recorder, recorder_task) = StatusRecorder::spawn(store.clone(), 10_000);
        let access = AccessConfig::from(&vars).expect("access configuration");
        let access = Access::from_config(&access).expect("the keys file");
        access.start_background();
        let state = ApiState::with_access(nats, recorder, store, api_config, access);
        Self {
            router: router::<M>(state.clone()),
            state,
            stream,
            database,
            env,
            nats_url: options.nats_url,
            recorder_task: Some(recorder_task),
        }
    }

    /// Sends a request through the router.
    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(body.into()).expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible router");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("response body")
            .to_bytes();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        TestResponse {
            status,
            headers,
            body,
            json,
        }
    }

    /// `POST /ingest/message` with a JSON body and extra headers.
    pub async fn post_message(
        &self,
        uri: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.request(Method::POST, uri, &all, body.to_owned()).await
    }

    /// `POST /ingest/batch` with an NDJSON body and extra headers.
    pub async fn post_batch(
        &self,
        uri: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut all = vec![("content-type", "application/x-ndjson")];
        all.extend_from_slice(headers);
        self.request(Method::POST, uri, &all, body.to_owned()).await
    }

    /// `GET uri`.
    pub async fn get(&self, uri: &str) -> TestResponse {
        self.request(Method::GET, uri, &[], Body::empty()).await
    }

    /// Every message the stream holds, in order, read back as envelopes with their subjects.
    pub async fn stored(&self) -> Vec<(String, MessageEnvelope)> {
        let stream = self.state.nats.stream();
        let info = stream.get_info().await.expect("stream info");
        let mut messages = Vec::new();
        if info.state.messages == 0 {
            return messages;
        }
        for seq in info.state.first_sequence..=info.state.last_sequence {
            let raw = stream.get_raw_message(seq).await.expect("stored message");
            let envelope =
                MessageEnvelope::from_nats(Some(&raw.headers), raw.payload).expect("an envelope");
            messages.push((raw.subject.to_string(), envelope));
        }
        messages
    }

    /// A client of the app's own database.
    pub async fn pg(&self) -> tokio_postgres::Client {
        let name = self
            .database
            .as_deref()
            .expect("the app has its own database");
        connect(&format!("{SHARED_PG}/{name}")).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let stream = self.stream.clone();
        let database = self.database.take();
        let nats_url = self.nats_url.clone();
        let recorder_task = self.recorder_task.take();
        drop(recorder_task);
        // A thread with its own runtime: drop may run inside or outside an async test.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if nats_url == SHARED_NATS {
                    let deletion = async {
                        if let Ok(client) = async_nats::connect(&nats_url).await {
                            let js = async_nats::jetstream::new(client);
                            let _ = js.delete_stream(&stream).await;
                            let _ = js.delete_stream(format!("{stream}_DLQ")).await;
                        }
                    };
                    let _ = tokio::time::timeout(Duration::from_secs(5), deletion).await;
                }
                if let Some(name) = database {
                    let dropping = async {
                        let client = connect(&format!("{SHARED_PG}/postgres")).await;
                        let _ = client
                            .batch_execute(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    };
                    let _ = tokio::time::timeout(Duration::from_secs(10), dropping).await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

async fn create_database(name: &str) {
    let client = connect(&format!("{SHARED_PG}/postgres")).await;
    client
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create the test database");
}

/// Connects to `url`, driving the connection on a task.
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to PostgreSQL");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}
