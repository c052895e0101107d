//! Publishing an envelope and waiting for JetStream's acknowledgement.
//!
//! Each call is independent: many run concurrently over the one connection and nothing
//! serialises them. A duplicate acknowledgement (same `Nats-Msg-Id` within the duplicate
//! window) stores nothing and answers with the original's id, which is the same by
//! construction.

use std::error::Error as _;

use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use async_nats::jetstream::{self, ErrorCode};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::PublishFailure;
use super::NatsClient;
use crate::envelope::MessageEnvelope;

/// A message the stream holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The id of the stored message (the same for a duplicate).
    pub message_id: Uuid,
    /// When this request's message was received.
    pub received_at: DateTime<Utc>,
    /// Its stream sequence.
    pub sequence: u64,
    /// Whether this publish was recognised as a duplicate (nothing new was stored).
    pub duplicate: bool,
}

impl NatsClient {
    /// Publishes `envelope` on its entity's subject and waits (at most `NATS_PUBLISH_TIMEOUT`)
    /// until the stream holds it. `idempotency_key` becomes `Nats-Msg-Id`; without one the
    /// message carries none and is never a duplicate.
    pub async fn publish(
        &self,
        envelope: &MessageEnvelope,
        idempotency_key: Option<&str>,
    ) -> Result<Published, PublishFailure> {
        if !self.is_connected() {
            return Err(PublishFailure::Unavailable(
                "not connected to NATS".to_owned(),
            ));
        }
        let timeout = self.config.publish_timeout;
        let subject = self.config.ingest_subject(&envelope.entity_type);
        let (headers, payload) = envelope.to_nats(idempotency_key);
        let publish = async {
            let ack_future = self
                .jetstream
                .publish_with_headers(subject, headers, payload)
                .await
                .map_err(classify)?;
            ack_future.await.map_err(classify)
        };
        let ack = tokio::time::timeout(timeout, publish).await.map_err(|_| {
            PublishFailure::Unavailable(format!("no acknowledgement within {timeout:?}"))
        })??;
        // Only a message with an idempotency key can be a duplicate, and its message id is
        // derived from the key (`MessageEnvelope::with_idempotency_key`), so it is the
        // original's. The answer never needs the original, which a work-queue stream may
        // already have handed to the worker and deleted.
        Ok(Published {
            message_id: envelope.message_id,
            received_at: envelope.received_at,
            sequence: ack.sequence,
            duplicate: ack.duplicate,
        })
    }
}

/// Sorts a publish error into "try later" (unavailable), "full" or "too large".
fn classify(err: PublishError) -> PublishFailure {
    match err.kind() {
        PublishErrorKind::MaxPayloadExceeded => PublishFailure::TooLarge(err.to_string()),
        PublishErrorKind::Other => match err
            .source()
            .and_then(|s| s.downcast_ref::<jetstream::Error>())
        {
            Some(js_err) => classify_jetstream(js_err),
            None => PublishFailure::Unavailable(err.to_string()),
        },
        // Timed out, broken pipe, no responders (stream or quorum missing), too many acks
        // pending: all transient from the client's point of view.
        _ => PublishFailure::Unavailable(err.to_string()),
    }
}

fn classify_jetstream(err: &jetstream::Error) -> PublishFailure {
    let code = err.error_code();
    let text = err.to_string();
    if code == ErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM {
        PublishFailure::TooLarge(text)
    } else if code == ErrorCode::STORAGE_RESOURCES_EXCEEDED
        || code == ErrorCode::ACCOUNT_RESOURCES_EXCEEDED
        || code == ErrorCode::MEMORY_RESOURCES_EXCEEDED
        || code == ErrorCode::INSUFFICIENT_RESOURCES
        || (code == ErrorCode::STREAM_STORE_FAILED && text.contains("maximum"))
    {
        PublishFailure::Full(text)
    } else {
        PublishFailure::Unavailable(text)
    }
}
