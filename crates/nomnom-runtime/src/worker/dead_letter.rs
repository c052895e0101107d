//! Publishing a message to the dead-letter stream: the original body unchanged, the original
//! `Nomnom-*` headers (and its `traceparent`), and why and when it failed. The publish is awaited until JetStream
//! acknowledges it, so a message is never acknowledged on the ingest stream before its dead
//! letter is stored.

use async_nats::jetstream::context::PublishError;
use async_nats::{jetstream, HeaderMap};
use bytes::Bytes;
use chrono::Utc;

use crate::config::NatsConfig;
use crate::envelope::HEADER_NATS_MSG_ID;

/// Header: the error, one line.
pub const ERROR: &str = "Nomnom-Error";
/// Header: the error's kind (see [`ErrorKind`]).
pub const ERROR_KIND: &str = "Nomnom-Error-Kind";
/// Header: when it was dead-lettered (RFC 3339).
pub const FAILED_AT: &str = "Nomnom-Failed-At";
/// Header: the ingest stream the message came from.
pub const ORIGINAL_STREAM: &str = "Nomnom-Original-Stream";
/// Header: its sequence in that stream.
pub const ORIGINAL_SEQUENCE: &str = "Nomnom-Original-Sequence";
/// Header: its subject there.
pub const ORIGINAL_SUBJECT: &str = "Nomnom-Original-Subject";

/// Why a message was dead-lettered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The message lacks the envelope headers.
    NotAnEnvelope,
    /// The entity it names is not a root entity of the model.
    UnknownEntity,
    /// The body is not a JSON object.
    Malformed,
    /// The body breaks the model.
    Invalid,
    /// PostgreSQL refused its rows (constraint, value out of range).
    RejectedByDatabase,
    /// It failed on every one of its `NATS_MAX_DELIVER` deliveries.
    MaxDeliveries,
}

impl ErrorKind {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAnEnvelope => "not-an-envelope",
            Self::UnknownEntity => "unknown-entity",
            Self::Malformed => "malformed",
            Self::Invalid => "invalid",
            Self::RejectedByDatabase => "rejected-by-database",
            Self::MaxDeliveries => "max-deliveries",
        }
    }
}

/// A message on its way to the dead-letter stream.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// The subject it was consumed from (`<stream lc>.ingest.<Entity>`).
    pub subject: String,
    /// Its sequence in the ingest stream.
    pub stream_sequence: u64,
    /// The original headers.
    pub headers: Option<HeaderMap>,
    /// The original body.
    pub payload: Bytes,
    /// Why.
    pub kind: ErrorKind,
    /// The error, one line.
    pub error: String,
}

/// Publishing the dead letter failed; the original must not be acknowledged. Keeps the
/// client's error.
#[derive(Debug, thiserror::Error)]
#[error("cannot publish to the dead-letter stream: {0}")]
pub struct DeadLetterError(#[source] pub PublishError);

/// Publishes `letter` to `<stream lc>.dlq.<Entity>` and waits for JetStream's ack.
pub async fn publish(
    js: &jetstream::Context,
    nats: &NatsConfig,
    letter: &DeadLetter,
) -> Result<(), DeadLetterError> {
    let stream = nats.stream.as_str();
    // The entity token comes from the subject, which the consumer filter guarantees is
    // `<stream lc>.ingest.<token>`, so it is a valid subject token even for non-envelopes.
    let entity = letter.subject.rsplit('.').next().unwrap_or("unknown");
    let mut headers = HeaderMap::new();
    if let Some(original) = &letter.headers {
        for (name, values) in original.iter() {
            let name: &str = name.as_ref();
            let lower = name.to_ascii_lowercase();
            if lower.starts_with("nomnom-") || lower == crate::telemetry::TRACEPARENT {
                for value in values {
                    headers.append(name, value.as_str());
                }
            }
        }
    }
    let error: String = letter
        .error
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    headers.insert(ERROR, error.as_str());
    headers.insert(ERROR_KIND, letter.kind.as_str());
    headers.insert(FAILED_AT, Utc::now().to_rfc3339().as_str());
    headers.insert(ORIGINAL_STREAM, stream);
    headers.insert(
        ORIGINAL_SEQUENCE,
        letter.stream_sequence.to_string().as_str(),
    );
    headers.insert(ORIGINAL_SUBJECT, letter.subject.as_str());
    // Deduplicates a second dead letter of the same stored message (a redelivery after a
    // crash between this publish and the ack), never a later failure of a replayed copy.
    headers.insert(
        HEADER_NATS_MSG_ID,
        format!("dlq:{stream}:{}", letter.stream_sequence).as_str(),
    );
    let ack = js
        .publish_with_headers(nats.dlq_subject(entity), headers, letter.payload.clone())
        .await
        .map_err(DeadLetterError)?;
    ack.await.map_err(DeadLetterError)?;
    Ok(())
}
