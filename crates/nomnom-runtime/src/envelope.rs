//! The message envelope: a client's body, unchanged, with the metadata that travels with it.
//!
//! On NATS the payload is the body's bytes exactly as the client sent them; the metadata
//! travels in headers (`Nomnom-Message-Id`, `Nomnom-Entity`, `Nomnom-Received-At` in RFC 3339,
//! `Nomnom-Source` when known, `Nomnom-Retry-Count` when not 0, `Nomnom-Version` when the message id
//! is not the message's version: see [`MessageEnvelope::version`], and `Nomnom-Model-Version`,
//! the version of the model the API accepted it under; messages queued by releases that did
//! not send it are read without it). A message published under an
//! idempotency key also carries `Nats-Msg-Id`, which JetStream uses to drop duplicates; one
//! without a key carries none (see [`MessageEnvelope::to_nats`]). A message without the
//! `Nomnom-*` headers is not an envelope.

use async_nats::header::{HeaderMap, HeaderName};
use bytes::Bytes;
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::time_text::Rfc3339Micros;

/// Header: JetStream's de-duplication id (set only for a message with an `Idempotency-Key`).
pub const HEADER_NATS_MSG_ID: &str = "Nats-Msg-Id";
/// Header: the message id.
pub const HEADER_MESSAGE_ID: &str = "Nomnom-Message-Id";
/// Header: the root entity the body is for.
pub const HEADER_ENTITY: &str = "Nomnom-Entity";
/// Header: when the API received the message (RFC 3339).
pub const HEADER_RECEIVED_AT: &str = "Nomnom-Received-At";
/// Header: the client's `X-Source`, when given.
pub const HEADER_SOURCE: &str = "Nomnom-Source";
/// Header: how many times the message was retried.
pub const HEADER_RETRY_COUNT: &str = "Nomnom-Retry-Count";
/// Header: the message's version, when it is not its id (a message id derived from an
/// idempotency key carries no time).
pub const HEADER_VERSION: &str = "Nomnom-Version";
/// Header: the version of the model the API validated the message with (its newest
/// migration's number, `Model::MODEL_VERSION`).
pub const HEADER_MODEL_VERSION: &str = "Nomnom-Model-Version";

/// One client message and its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEnvelope {
    /// Time-ordered id (UUIDv7) given at reception; a UUIDv5 derived from the key for a
    /// message sent with an `Idempotency-Key`.
    pub message_id: Uuid,
    /// The order in which the API accepted the message (a UUIDv7, the message id itself
    /// unless that was derived from an idempotency key): a keyed row is never overwritten by
    /// a message accepted before the one that wrote it (see `db::version`). It travels with
    /// the message, through dead letters and their replay.
    pub version: Uuid,
    /// The client's JSON body, byte for byte.
    pub body: Bytes,
    /// The root entity the body is for.
    pub entity_type: String,
    /// When the API received it.
    pub received_at: DateTime<Utc>,
    /// Retries so far (0 when first published).
    pub retry_count: u32,
    /// Where it came from (the `X-Source` header), when given.
    pub source: Option<String>,
    /// The version of the model the API accepted the message under (`None` for a message
    /// queued by a release that did not record it). The worker validates every message with
    /// its own model whatever this says; it names both versions when a message fails.
    pub model_version: Option<i64>,
}

/// Why a NATS message is not an envelope (a poison message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The message has no headers at all.
    #[error("not an envelope: the message has no headers")]
    NoHeaders,
    /// A required header is absent.
    #[error("not an envelope: header {0} is missing")]
    MissingHeader(&'static str),
    /// A header has a value that cannot be read.
    #[error("not an envelope: header {name} has an invalid value {value:?}")]
    InvalidHeader {
        /// The header.
        name: &'static str,
        /// Its value.
        value: String,
    },
}

/// Namespace of the UUIDv5 message ids derived from idempotency keys.
const IDEMPOTENCY_NAMESPACE: Uuid = Uuid::from_u128(0x6e6f_6d6e_6f6d_5f69_6465_6d70_6f74_656e);

/// The message id an idempotency key maps to on a stream.
pub fn idempotent_message_id(stream: &str, idempotency_key: &str) -> Uuid {
    Uuid::new_v5(
        &IDEMPOTENCY_NAMESPACE,
        format!("{stream}\n{idempotency_key}").as_bytes(),
    )
}

impl MessageEnvelope {
    /// A new envelope for a message received now, with a fresh UUIDv7. The time keeps
    /// microseconds, as the headers and PostgreSQL do.
    pub fn new(entity_type: impl Into<String>, body: Bytes, source: Option<String>) -> Self {
        let id = Uuid::now_v7();
        Self {
            message_id: id,
            version: id,
            body,
            entity_type: entity_type.into(),
            received_at: Utc::now().trunc_subsecs(6),
            retry_count: 0,
            source,
            model_version: None,
        }
    }

    /// Records the version of the model the message was accepted under.
    pub fn with_model_version(mut self, model_version: i64) -> Self {
        self.model_version = Some(model_version);
        self
    }

    /// Gives the envelope the message id that `idempotency_key` always maps to on `stream`
    /// (a UUIDv5), so every retry of one request carries the same id: a retry within the
    /// duplicate window is recognised by JetStream and stores nothing, and one arriving later
    /// rewrites the same rows and status instead of adding new ones. The version stays the
    /// time-ordered id given at reception.
    pub fn with_idempotency_key(mut self, stream: &str, idempotency_key: &str) -> Self {
        self.message_id = idempotent_message_id(stream, idempotency_key);
        self
    }

    /// The headers and payload to publish. `dedup_id` becomes `Nats-Msg-Id`; with `None` the
    /// message has no `Nats-Msg-Id`.
    ///
    /// A message without an idempotency key gains nothing from one: nothing publishes it twice
    /// (the API makes one attempt, and a client that retries without a key sends a new
    /// message), so its id would never be seen again. Yet every server holding the stream
    /// would keep the id in memory for the whole duplicate window, 250–400 bytes each
    /// (measured on NATS 2.9: 0.6–1 GB at 20,000 msgs/s over the default 2-minute
    /// `NATS_DUPLICATE_WINDOW`), and look it up on every publish.
    pub fn to_nats(&self, dedup_id: Option<&str>) -> (HeaderMap, Bytes) {
        // Header names are built once: a name given as `&str` is parsed and copied for
        // every message.
        const NATS_MSG_ID: HeaderName = HeaderName::from_static(HEADER_NATS_MSG_ID);
        const MESSAGE_ID: HeaderName = HeaderName::from_static(HEADER_MESSAGE_ID);
        const ENTITY: HeaderName = HeaderName::from_static(HEADER_ENTITY);
        const RECEIVED_AT: HeaderName = HeaderName::from_static(HEADER_RECEIVED_AT);
        const RETRY_COUNT: HeaderName = HeaderName::from_static(HEADER_RETRY_COUNT);
        const SOURCE: HeaderName = HeaderName::from_static(HEADER_SOURCE);
        const VERSION: HeaderName = HeaderName::from_static(HEADER_VERSION);
        const MODEL_VERSION: HeaderName = HeaderName::from_static(HEADER_MODEL_VERSION);
        let mut headers = HeaderMap::new();
        let mut id_text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let message_id = &*self.message_id.hyphenated().encode_lower(&mut id_text);
        if let Some(dedup_id) = dedup_id {
            headers.insert(NATS_MSG_ID, dedup_id);
        }
        headers.insert(MESSAGE_ID, message_id);
        headers.insert(ENTITY, self.entity_type.as_str());
        headers.insert(RECEIVED_AT, Rfc3339Micros::new(&self.received_at).as_str());
        // A header less on every new message (read back as 0): each costs the API a map
        // entry, two allocations and its bytes on the wire.
        if self.retry_count > 0 {
            headers.insert(RETRY_COUNT, self.retry_count.to_string());
        }
        if let Some(source) = &self.source {
            headers.insert(SOURCE, source.as_str());
        }
        if self.version != self.message_id {
            let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
            headers.insert(VERSION, &*self.version.hyphenated().encode_lower(&mut text));
        }
        if let Some(model_version) = self.model_version {
            headers.insert(MODEL_VERSION, model_version.to_string());
        }
        (headers, self.body.clone())
    }

    /// Reads an envelope from a NATS message's headers and payload.
    pub fn from_nats(headers: Option<&HeaderMap>, payload: Bytes) -> Result<Self, EnvelopeError> {
        let headers = headers.ok_or(EnvelopeError::NoHeaders)?;
        let get = |name: &'static str| -> Result<&str, EnvelopeError> {
            headers
                .get(name)
                .map(|v| v.as_str())
                .ok_or(EnvelopeError::MissingHeader(name))
        };
        let invalid = |name: &'static str, value: &str| EnvelopeError::InvalidHeader {
            name,
            value: value.to_owned(),
        };
        let id_text = get(HEADER_MESSAGE_ID)?;
        let message_id =
            Uuid::parse_str(id_text).map_err(|_| invalid(HEADER_MESSAGE_ID, id_text))?;
        let entity_type = get(HEADER_ENTITY)?;
        if entity_type.is_empty() {
            return Err(invalid(HEADER_ENTITY, entity_type));
        }
        let received_text = get(HEADER_RECEIVED_AT)?;
        let received_at = DateTime::parse_from_rfc3339(received_text)
            .map_err(|_| invalid(HEADER_RECEIVED_AT, received_text))?
            .with_timezone(&Utc);
        let retry_count = match headers.get(HEADER_RETRY_COUNT) {
            None => 0,
            Some(v) => v
                .as_str()
                .parse()
                .map_err(|_| invalid(HEADER_RETRY_COUNT, v.as_str()))?,
        };
        let source = headers
            .get(HEADER_SOURCE)
            .map(|v| v.as_str().to_owned())
            .filter(|s| !s.is_empty());
        let version = match headers.get(HEADER_VERSION) {
            Some(v) => Uuid::parse_str(v.as_str())
                .ok()
                .filter(|v| v.get_version_num() == 7)
                .ok_or_else(|| invalid(HEADER_VERSION, v.as_str()))?,
            None => implied_version(message_id, &received_at),
        };
        let model_version = match headers.get(HEADER_MODEL_VERSION) {
            None => None,
            Some(v) => Some(
                v.as_str()
                    .parse()
                    .map_err(|_| invalid(HEADER_MODEL_VERSION, v.as_str()))?,
            ),
        };
        Ok(Self {
            message_id,
            version,
            body: payload,
            entity_type: entity_type.to_owned(),
            received_at,
            retry_count,
            source,
            model_version,
        })
    }
}

/// The version of a message without a `Nomnom-Version` header: its id when time-ordered,
/// else (an idempotent message queued by a release that did not send the header) the time
/// it was received, as a UUIDv7 whose random bits come from the id.
fn implied_version(message_id: Uuid, received_at: &DateTime<Utc>) -> Uuid {
    if message_id.get_version_num() == 7 {
        return message_id;
    }
    let millis = u64::try_from(received_at.timestamp_millis()).unwrap_or(0);
    let mut bytes = *message_id.as_bytes();
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6] = (bytes[6] & 0x0f) | 0x70; // version 7
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
    Uuid::from_bytes(bytes)
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IngestionStatus {
    /// Held by the stream, not yet written.
    Accepted,
    /// A write failed for a transient reason; it will be retried.
    Retrying,
    /// Its rows are committed.
    Persisted,
    /// Dead-lettered; it will not be retried.
    Failed,
}

impl IngestionStatus {
    /// The value stored in `message_status.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Retrying => "retrying",
            Self::Persisted => "persisted",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored value.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "accepted" => Some(Self::Accepted),
            "retrying" => Some(Self::Retrying),
            "persisted" => Some(Self::Persisted),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// The body of a 202 answer to `POST /ingest/message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestionResponse {
    /// The message's id (the original's on an idempotent retry).
    pub message_id: Uuid,
    /// Always `accepted`.
    pub status: IngestionStatus,
    /// When the message was received (the original's on an idempotent retry).
    pub timestamp: DateTime<Utc>,
}

impl IngestionResponse {
    /// The JSON of this answer, written directly (it is the body of every 202): the same
    /// object serde writes, with the timestamp always to the microsecond.
    pub fn to_json(&self) -> Vec<u8> {
        let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let id = self.message_id.hyphenated().encode_lower(&mut id);
        let status = self.status.as_str();
        let timestamp = Rfc3339Micros::new(&self.timestamp);
        let mut json = Vec::with_capacity(112);
        json.extend_from_slice(b"{\"message_id\":\"");
        json.extend_from_slice(id.as_bytes());
        json.extend_from_slice(b"\",\"status\":\"");
        json.extend_from_slice(status.as_bytes());
        json.extend_from_slice(b"\",\"timestamp\":\"");
        json.extend_from_slice(timestamp.as_str().as_bytes());
        json.extend_from_slice(b"\"}");
        json
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_nats_headers() {
        let mut envelope = MessageEnvelope::new(
            "Order",
            Bytes::from_static(b"{\"a\": 1 }"),
            Some("erp".into()),
        );
        envelope.retry_count = 3;
        let (headers, payload) = envelope.to_nats(Some("key-1"));
        assert_eq!(
            headers.get(HEADER_NATS_MSG_ID).map(|v| v.as_str()),
            Some("key-1")
        );
        assert_eq!(payload, envelope.body);
        let back = MessageEnvelope::from_nats(Some(&headers), payload).expect("envelope");
        assert_eq!(back, envelope);
        let (headers, payload) = envelope.to_nats(None);
        assert_eq!(headers.get(HEADER_NATS_MSG_ID), None);
        assert_eq!(
            MessageEnvelope::from_nats(Some(&headers), payload),
            Ok(envelope.clone())
        );
        // A message not yet retried carries no retry count, and reads back as 0.
        envelope.retry_count = 0;
        let (headers, payload) = envelope.to_nats(None);
        assert_eq!(headers.get(HEADER_RETRY_COUNT), None);
        assert_eq!(
            MessageEnvelope::from_nats(Some(&headers), payload),
            Ok(envelope)
        );
    }

    #[test]
    fn the_model_version_travels_and_its_absence_is_read() {
        let envelope =
            MessageEnvelope::new("Order", Bytes::from_static(b"{}"), None).with_model_version(3);
        let (headers, payload) = envelope.to_nats(None);
        assert_eq!(
            headers.get(HEADER_MODEL_VERSION).map(|v| v.as_str()),
            Some("3")
        );
        let back = MessageEnvelope::from_nats(Some(&headers), payload.clone()).expect("envelope");
        assert_eq!(back.model_version, Some(3));

        // A message queued by a release that did not send the header.
        let mut old = HeaderMap::new();
        for name in [HEADER_MESSAGE_ID, HEADER_ENTITY, HEADER_RECEIVED_AT] {
            if let Some(v) = headers.get(name) {
                old.insert(name, v.as_str());
            }
        }
        let back = MessageEnvelope::from_nats(Some(&old), payload.clone()).expect("envelope");
        assert_eq!(back.model_version, None);
        assert_eq!(back.message_id, envelope.message_id);

        old.insert(HEADER_MODEL_VERSION, "two");
        assert!(matches!(
            MessageEnvelope::from_nats(Some(&old), payload),
            Err(EnvelopeError::InvalidHeader {
                name: HEADER_MODEL_VERSION,
                ..
            })
        ));
    }

    #[test]
    fn the_version_travels_and_an_idempotent_message_keeps_its_time_ordered_one() {
        let plain = MessageEnvelope::new("Order", Bytes::from_static(b"{}"), None);
        assert_eq!(plain.version, plain.message_id);
        let (headers, _) = plain.to_nats(None);
        assert_eq!(headers.get(HEADER_VERSION), None, "the id is the version");

        let keyed = MessageEnvelope::new("Order", Bytes::from_static(b"{}"), None)
            .with_idempotency_key("S", "key-1");
        assert_eq!(keyed.message_id.get_version_num(), 5);
        assert_eq!(keyed.version.get_version_num(), 7);
        assert!(keyed.version > plain.version, "accepted after the first");
        let (headers, payload) = keyed.to_nats(Some("key-1"));
        let back = MessageEnvelope::from_nats(Some(&headers), payload.clone()).expect("envelope");
        assert_eq!(back.version, keyed.version);

        // Queued without the header: the time it was received, kept in a UUIDv7.
        let mut old = headers.clone();
        old.insert(HEADER_VERSION, "");
        assert!(MessageEnvelope::from_nats(Some(&old), payload.clone()).is_err());
        let mut without = HeaderMap::new();
        for (name, values) in headers.iter() {
            let name: &str = name.as_ref();
            if name != HEADER_VERSION {
                for v in values {
                    without.append(name, v.as_str());
                }
            }
        }
        let implied = MessageEnvelope::from_nats(Some(&without), payload)
            .expect("envelope")
            .version;
        assert_eq!(implied.get_version_num(), 7);
        let (secs, _) = implied.get_timestamp().expect("a time").to_unix();
        assert_eq!(secs, keyed.received_at.timestamp().unsigned_abs());
    }

    #[test]
    fn a_message_without_nomnom_headers_is_not_an_envelope() {
        assert_eq!(
            MessageEnvelope::from_nats(None, Bytes::new()),
            Err(EnvelopeError::NoHeaders)
        );
        let mut headers = HeaderMap::new();
        headers.insert(HEADER_MESSAGE_ID, "not-a-uuid");
        assert!(matches!(
            MessageEnvelope::from_nats(Some(&headers), Bytes::new()),
            Err(EnvelopeError::InvalidHeader {
                name: HEADER_MESSAGE_ID,
                ..
            })
        ));
        let mut headers = HeaderMap::new();
        headers.insert(HEADER_MESSAGE_ID, Uuid::now_v7().to_string().as_str());
        assert_eq!(
            MessageEnvelope::from_nats(Some(&headers), Bytes::new()),
            Err(EnvelopeError::MissingHeader(HEADER_ENTITY))
        );
    }

    #[test]
    fn the_written_answer_is_what_serde_reads_back() {
        use chrono::TimeZone;
        let times = [
            Utc::now().trunc_subsecs(6),
            // Whole milliseconds: serde would write `.120Z`; the answer keeps six digits.
            Utc.with_ymd_and_hms(2026, 12, 1, 13, 28, 2).unwrap()
                + chrono::Duration::milliseconds(120),
        ];
        for timestamp in times {
            let answer = IngestionResponse {
                message_id: Uuid::now_v7(),
                status: IngestionStatus::Accepted,
                timestamp,
            };
            let json = answer.to_json();
            let back: IngestionResponse = serde_json::from_slice(&json).expect("valid JSON");
            assert_eq!(back, answer);
            let written: serde_json::Value = serde_json::from_slice(&json).expect("valid JSON");
            let serde = serde_json::to_value(&answer).expect("serialises");
            let keys = |v: &serde_json::Value| {
                v.as_object()
                    .map(|o| o.keys().cloned().collect::<Vec<_>>())
                    .unwrap_or_default()
            };
            assert_eq!(
                keys(&written),
                keys(&serde),
                "the same members as serde writes"
            );
            assert_eq!(written["message_id"], serde["message_id"]);
            assert_eq!(written["status"], serde["status"]);
        }
    }

    #[test]
    fn status_names() {
        for s in [
            IngestionStatus::Accepted,
            IngestionStatus::Retrying,
            IngestionStatus::Persisted,
            IngestionStatus::Failed,
        ] {
            assert_eq!(IngestionStatus::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::Value::from(s.as_str()))
            );
        }
    }
}
