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
        self.publish_traced(envelope, idempotency_key, None).await
    }

    /// [`Self::publish`], with `traceparent` (the text of a W3C trace context,
    /// [`crate::telemetry::TraceContext::traceparent`]) in the message's `traceparent`
    /// header, beside the envelope's, so the worker's span joins the request's trace. The
    /// text is made by the caller: a batch's lines share their request's.
    pub async fn publish_traced(
        &self,
        envelope: &MessageEnvelope,
        idempotency_key: Option<&str>,
        traceparent: Option<&str>,
    ) -> Result<Published, PublishFailure> {
        if !self.is_connected() {
            return Err(PublishFailure::Unavailable(
                "not connected to NATS".to_owned(),
            ));
        }
        let timeout = self.config.publish_timeout;
        let subject = self.config.ingest_subject(&envelope.entity_type);
        let (mut headers, payload) = envelope.to_nats(idempotency_key);
        if let Some(traceparent) = traceparent {
            const TRACEPARENT: async_nats::header::HeaderName =
                async_nats::header::HeaderName::from_static(crate::telemetry::TRACEPARENT);
            headers.insert(TRACEPARENT, traceparent);
        }
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

/// Sorts a publish error into "try later" (unavailable), "full" or "too large" by the
/// client's error kind and, for an error the server answered, its JetStream error code.
fn classify(err: PublishError) -> PublishFailure {
    match err.kind() {
        // The client refused it before sending: larger than the server's `max_payload`.
        PublishErrorKind::MaxPayloadExceeded => PublishFailure::TooLarge(err.to_string()),
        // The server answered with a JetStream API error (the source), or the request could
        // not be sent at all (no such source).
        PublishErrorKind::Other => match err
            .source()
            .and_then(|s| s.downcast_ref::<jetstream::Error>())
        {
            Some(js_err) => classify_jetstream(js_err),
            None => PublishFailure::Unavailable(err.to_string()),
        },
        // Timed out, broken pipe, no responders (`StreamNotFound`: the stream or its quorum
        // missing), too many acks pending, and the expected-last checks nomnom never asks
        // for: all transient from the client's point of view.
        _ => PublishFailure::Unavailable(err.to_string()),
    }
}

/// Sorts a JetStream API error answered to a publish by its error code.
fn classify_jetstream(err: &jetstream::Error) -> PublishFailure {
    let code = err.error_code();
    let text = err.to_string();
    if code == ErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM
        || code == ErrorCode::STREAM_HEADER_EXCEEDS_MAXIMUM
    {
        PublishFailure::TooLarge(text)
    } else if code == ErrorCode::STORAGE_RESOURCES_EXCEEDED
        || code == ErrorCode::ACCOUNT_RESOURCES_EXCEEDED
        || code == ErrorCode::MEMORY_RESOURCES_EXCEEDED
        || code == ErrorCode::INSUFFICIENT_RESOURCES
        || is_stream_at_its_limits(err)
    {
        PublishFailure::Full(text)
    } else {
        PublishFailure::Unavailable(text)
    }
}

/// A stream at its configured limits refusing a message (discard new). nats-server answers
/// with STREAM_STORE_FAILED (10077), the generic code of any failure to store a message
/// (a failing disk included), and names the limit only in the description: "maximum bytes
/// exceeded", "maximum messages exceeded", "maximum messages per subject exceeded".
///
/// Text is read here because the client gives nothing else: the error's code is shared with
/// real storage failures, and async-nats exposes the description only through `Display`.
fn is_stream_at_its_limits(err: &jetstream::Error) -> bool {
    err.error_code() == ErrorCode::STREAM_STORE_FAILED
        && err.to_string().to_ascii_lowercase().contains("maximum")
}

#[cfg(test)]
mod tests {
    use async_nats::jetstream::context::{PublishError, PublishErrorKind};
    use async_nats::jetstream::{self, ErrorCode};

    use super::super::test_support::server_error;
    use super::{classify, PublishFailure};

    /// A publish whose acknowledgement carried `error`, as async-nats reports it.
    fn answered(error: jetstream::Error) -> PublishError {
        PublishError::with_source(PublishErrorKind::Other, error)
    }

    fn kind(failure: &PublishFailure) -> &'static str {
        match failure {
            PublishFailure::Unavailable(_) => "unavailable",
            PublishFailure::Full(_) => "full",
            PublishFailure::TooLarge(_) => "too large",
        }
    }

    #[test]
    fn a_stream_at_its_limits_is_full_but_a_failing_store_is_unavailable() {
        for limit in [
            "maximum bytes exceeded",
            "maximum messages exceeded",
            "maximum messages per subject exceeded",
        ] {
            let err = answered(server_error(503, ErrorCode::STREAM_STORE_FAILED, limit));
            let failure = classify(err);
            assert_eq!(kind(&failure), "full", "{limit}");
            assert!(failure.to_string().contains(limit), "{failure}");
        }
        let disk = answered(server_error(
            503,
            ErrorCode::STREAM_STORE_FAILED,
            "write /data/jetstream/1.blk: input/output error",
        ));
        assert_eq!(kind(&classify(disk)), "unavailable");
    }

    #[test]
    fn resources_exhausted_on_the_server_or_account_are_full() {
        for code in [
            ErrorCode::STORAGE_RESOURCES_EXCEEDED,
            ErrorCode::ACCOUNT_RESOURCES_EXCEEDED,
            ErrorCode::MEMORY_RESOURCES_EXCEEDED,
            ErrorCode::INSUFFICIENT_RESOURCES,
        ] {
            let err = answered(server_error(503, code, "resources exceeded"));
            assert_eq!(kind(&classify(err)), "full", "error code {}", code.0);
        }
    }

    #[test]
    fn a_message_over_the_streams_or_servers_maximum_is_too_large() {
        for code in [
            ErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM,
            ErrorCode::STREAM_HEADER_EXCEEDS_MAXIMUM,
        ] {
            let err = answered(server_error(
                400,
                code,
                "message size exceeds maximum allowed",
            ));
            assert_eq!(kind(&classify(err)), "too large", "error code {}", code.0);
        }
        let refused_by_client = PublishError::new(PublishErrorKind::MaxPayloadExceeded);
        assert_eq!(kind(&classify(refused_by_client)), "too large");
    }

    #[test]
    fn no_answer_no_quorum_and_other_server_errors_are_unavailable() {
        for kind_of_error in [
            PublishErrorKind::TimedOut,
            PublishErrorKind::BrokenPipe,
            PublishErrorKind::StreamNotFound,
            PublishErrorKind::MaxAckPending,
        ] {
            let failure = classify(PublishError::new(kind_of_error));
            assert_eq!(kind(&failure), "unavailable", "{kind_of_error:?}");
        }
        let not_sent = PublishError::with_source(
            PublishErrorKind::Other,
            std::io::Error::other("connection closed"),
        );
        assert_eq!(kind(&classify(not_sent)), "unavailable");
        let no_leader = answered(server_error(
            503,
            ErrorCode::CLUSTER_NOT_AVAILABLE,
            "JetStream system temporarily unavailable",
        ));
        assert_eq!(kind(&classify(no_leader)), "unavailable");
    }
}
