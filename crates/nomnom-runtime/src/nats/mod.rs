//! NATS connection, stream and consumer setup: the one owner of JetStream configuration.
//!
//! [`NatsClient::connect`] is the only code that creates or updates the streams; the API and
//! the worker both call it, so they can never disagree on stream settings.

mod connect;
pub mod consumer;
pub mod error;
pub mod publish;
pub mod streams;
pub mod subjects;

use std::time::Duration;

use async_nats::jetstream;

use crate::config::NatsConfig;

pub use error::{NatsError, PublishFailure};
pub use publish::Published;

/// A connection to NATS with both streams checked: the handles the API and the worker share.
#[derive(Clone)]
pub struct NatsClient {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    stream: jetstream::stream::Stream<()>,
    config: NatsConfig,
    roots: Vec<String>,
}

impl std::fmt::Debug for NatsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsClient")
            .field("stream", &self.config.stream)
            .field("state", &self.client.connection_state())
            .finish()
    }
}

impl NatsClient {
    /// Connects, then creates the main stream and the dead-letter stream, or checks them and
    /// updates their settings to `config`. `roots` are the model's root entities (messages
    /// for other entities are refused before publishing).
    pub async fn connect(config: NatsConfig, roots: &[&str]) -> Result<Self, NatsError> {
        let client = connect::connect(&config).await?;
        let jetstream = jetstream::ContextBuilder::new()
            .timeout(config.publish_timeout)
            .build(client.clone());
        streams::ensure_streams(&jetstream, &config).await?;
        let stream = jetstream
            .get_stream_no_info(&config.stream)
            .await
            .map_err(|e| NatsError::Stream {
                stream: config.stream.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            client,
            jetstream,
            stream,
            config,
            roots: roots.iter().map(|r| (*r).to_owned()).collect(),
        })
    }

    /// The core NATS client.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// The JetStream context (its timeout is `NATS_PUBLISH_TIMEOUT`).
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.jetstream
    }

    /// A handle on the main stream.
    pub fn stream(&self) -> &jetstream::stream::Stream<()> {
        &self.stream
    }

    /// The settings this client was created with.
    pub fn config(&self) -> &NatsConfig {
        &self.config
    }

    /// The model's root entities.
    pub fn roots(&self) -> &[String] {
        &self.roots
    }

    /// Whether the connection to NATS is up right now.
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Whether NATS is connected and the main stream answers, within `timeout`.
    pub async fn is_ready(&self, timeout: Duration) -> bool {
        if !self.is_connected() {
            return false;
        }
        let check = self.jetstream.get_stream(&self.config.stream);
        matches!(tokio::time::timeout(timeout, check).await, Ok(Ok(_)))
    }

    /// Sends everything buffered to the server (at shutdown).
    pub async fn flush(&self) -> Result<(), NatsError> {
        self.client.flush().await.map_err(|e| NatsError::Connect {
            urls: self.config.urls.join(","),
            reason: e.to_string(),
        })
    }
}
