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

#[cfg(test)]
mod test_support {
    use async_nats::jetstream::{self, ErrorCode};

    /// The JetStream API error the server answers with: async-nats builds it only from the
    /// server's JSON, so the tests do too.
    pub(super) fn server_error(
        status: u16,
        code: ErrorCode,
        description: &str,
    ) -> jetstream::Error {
        serde_json::from_value(serde_json::json!({
            "code": status,
            "err_code": code.0,
            "description": description,
        }))
        .expect("a JetStream API error")
    }
}

use std::time::Duration;

use async_nats::jetstream;

use crate::config::NatsConfig;

pub use error::{NatsError, PublishFailure, StreamRequestError};
pub use publish::Published;

/// A connection to NATS with both streams checked: the handles the API and the worker share.
#[derive(Clone)]
pub struct NatsClient {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    stream: jetstream::stream::Stream<()>,
    config: NatsConfig,
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
    /// updates their settings to `config`.
    pub async fn connect(config: NatsConfig) -> Result<Self, NatsError> {
        let client = connect::connect(&config).await?;
        let jetstream = jetstream::ContextBuilder::new()
            .timeout(config.publish_timeout)
            .build(client.clone());
        ensure_streams_when_ready(&jetstream, &config).await?;
        let stream = jetstream
            .get_stream_no_info(&config.stream)
            .await
            .map_err(|e| NatsError::Stream {
                stream: config.stream.clone(),
                source: StreamRequestError::Get(e),
            })?;
        Ok(Self {
            client,
            jetstream,
            stream,
            config,
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
        self.client
            .flush()
            .await
            .map_err(|source| NatsError::Flush {
                urls: self.config.urls.join(","),
                source,
            })
    }
}

/// How long start-up waits for JetStream to answer (a cluster that has just started has no
/// meta leader for a few seconds) before giving up.
const STREAM_SETUP_DEADLINE: Duration = Duration::from_secs(60);

/// Creates or checks the streams, retrying with backoff while JetStream does not answer yet
/// (timeouts, no responders, temporarily unavailable, no suitable peers) or could not create
/// a stream's storage ([`NatsError::is_not_ready`]). Errors of configuration (overlapping
/// subjects, settings that cannot change, anything else) fail at once.
async fn ensure_streams_when_ready(
    jetstream: &jetstream::Context,
    config: &NatsConfig,
) -> Result<(), NatsError> {
    let deadline = tokio::time::Instant::now() + STREAM_SETUP_DEADLINE;
    let mut delay = Duration::from_millis(250);
    loop {
        match streams::ensure_streams(jetstream, config).await {
            Err(err) if err.is_not_ready() && tokio::time::Instant::now() + delay < deadline => {
                tracing::warn!(error = %err, retry_in = ?delay, "JetStream not ready yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(4));
            }
            other => return other,
        }
    }
}
