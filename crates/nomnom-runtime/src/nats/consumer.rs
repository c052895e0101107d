//! The durable pull consumer every worker process shares, created or updated from the
//! configuration by the same runtime code for every process, so they can never disagree.
//!
//! Retries are scheduled with delayed NAKs (`NATS_BACKOFF`), not with the consumer's
//! `backoff` field: the server replaces `ack_wait` by the first backoff entry, and adds the
//! backoff schedule on top of any NAK delay, so combining them gives timings nobody chose.
//! `ack_wait` alone decides when a message held by a crashed worker comes back.

use std::time::Duration;

use async_nats::jetstream::{
    self,
    consumer::{pull, AckPolicy, DeliverPolicy, PullConsumer},
};

/// How many delivered-but-unacknowledged messages the consumer allows across all worker
/// processes: high enough for several workers with large batches in flight.
pub const MAX_ACK_PENDING: i64 = 20_000;

/// The settings of the shared durable consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSettings {
    /// Durable name (`NATS_CONSUMER`).
    pub name: String,
    /// How long a delivery may stay unacknowledged before it is redelivered.
    pub ack_wait: Duration,
    /// Deliveries of one message at most (`-1`: unlimited).
    pub max_deliver: i64,
}

/// The subject filter of the worker's consumer: every entity of the ingest stream.
pub fn ingest_filter(stream: &str) -> String {
    format!("{}.ingest.*", stream.to_lowercase())
}

/// Creating or updating the consumer failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerSetupError {
    /// The ingest stream does not exist (yet).
    #[error("stream {stream} not found: {source}")]
    Stream {
        /// The stream's name.
        stream: String,
        /// What the server said.
        #[source]
        source: jetstream::context::GetStreamError,
    },
    /// The server refused the consumer configuration.
    #[error("cannot create or update consumer {consumer} on stream {stream}: {source}")]
    Consumer {
        /// The stream's name.
        stream: String,
        /// The consumer's name.
        consumer: String,
        /// What the server said.
        #[source]
        source: jetstream::stream::ConsumerError,
    },
}

/// The consumer configuration sent to the server.
pub fn consumer_config(stream: &str, settings: &ConsumerSettings) -> pull::Config {
    pull::Config {
        durable_name: Some(settings.name.clone()),
        description: Some("nomnom workers: ingest -> PostgreSQL".to_string()),
        deliver_policy: DeliverPolicy::All,
        ack_policy: AckPolicy::Explicit,
        ack_wait: settings.ack_wait,
        max_deliver: settings.max_deliver,
        filter_subject: ingest_filter(stream),
        max_ack_pending: MAX_ACK_PENDING,
        ..Default::default()
    }
}

/// Creates the durable consumer on `stream`, or updates it to `settings` when it exists.
pub async fn ensure_consumer(
    js: &jetstream::Context,
    stream: &str,
    settings: &ConsumerSettings,
) -> Result<PullConsumer, ConsumerSetupError> {
    let handle = js
        .get_stream(stream)
        .await
        .map_err(|source| ConsumerSetupError::Stream {
            stream: stream.to_string(),
            source,
        })?;
    // On NATS 2.9 a create with an existing durable name updates the editable fields.
    handle
        .create_consumer(consumer_config(stream, settings))
        .await
        .map_err(|source| ConsumerSetupError::Consumer {
            stream: stream.to_string(),
            consumer: settings.name.clone(),
            source,
        })
}
