//! INTERIM (worker-owned): reads the envelope metadata from NATS headers, per the agreed
//! wire format (payload = the client's body; `Nomnom-*` headers). The integrator should
//! switch this to the shared `crate::envelope::MessageEnvelope` decoder once it lands; the
//! rest of the worker only uses [`Envelope`]'s fields.

use async_nats::HeaderMap;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Header: the message id (UUID).
pub const MESSAGE_ID: &str = "Nomnom-Message-Id";
/// Header: the root entity.
pub const ENTITY: &str = "Nomnom-Entity";
/// Header: when the API accepted the message (RFC 3339).
pub const RECEIVED_AT: &str = "Nomnom-Received-At";
/// Header: where the message came from (optional).
pub const SOURCE: &str = "Nomnom-Source";
/// Header: how often the message was retried before it was (re)published.
pub const RETRY_COUNT: &str = "Nomnom-Retry-Count";
/// Header: JetStream's de-duplication id.
pub const NATS_MSG_ID: &str = "Nats-Msg-Id";

/// The metadata of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The message id given by the API.
    pub message_id: Uuid,
    /// The root entity named by the client.
    pub entity: String,
    /// When the API accepted it.
    pub received_at: DateTime<Utc>,
    /// Where it came from.
    pub source: Option<String>,
    /// Retries counted before publication (0 for a fresh message).
    pub retry_count: u32,
}

/// Why a message is not an envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAnEnvelope {
    /// A required header is absent.
    #[error("header {0} is missing")]
    Missing(&'static str),
    /// A header does not hold what it should.
    #[error("header {0} is malformed")]
    Malformed(&'static str),
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Option<&'a str> {
    headers
        .get(name)
        .map(|v| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Reads the envelope from a message's headers.
pub fn decode(headers: Option<&HeaderMap>) -> Result<Envelope, NotAnEnvelope> {
    let headers = headers.ok_or(NotAnEnvelope::Missing(MESSAGE_ID))?;
    let required = |name| header(headers, name).ok_or(NotAnEnvelope::Missing(name));
    let message_id =
        Uuid::parse_str(required(MESSAGE_ID)?).map_err(|_| NotAnEnvelope::Malformed(MESSAGE_ID))?;
    let entity = required(ENTITY)?.to_string();
    let received_at = DateTime::parse_from_rfc3339(required(RECEIVED_AT)?)
        .map_err(|_| NotAnEnvelope::Malformed(RECEIVED_AT))?
        .with_timezone(&Utc);
    let retry_count = match header(headers, RETRY_COUNT) {
        Some(v) => v
            .parse()
            .map_err(|_| NotAnEnvelope::Malformed(RETRY_COUNT))?,
        None => 0,
    };
    Ok(Envelope {
        message_id,
        entity,
        received_at,
        source: header(headers, SOURCE).map(str::to_string),
        retry_count,
    })
}

/// Writes `envelope` as headers (used when republishing from the dead-letter stream).
pub fn encode(envelope: &Envelope) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(MESSAGE_ID, envelope.message_id.to_string().as_str());
    headers.insert(ENTITY, envelope.entity.as_str());
    headers.insert(RECEIVED_AT, envelope.received_at.to_rfc3339().as_str());
    if let Some(source) = &envelope.source {
        headers.insert(SOURCE, source.as_str());
    }
    headers.insert(RETRY_COUNT, envelope.retry_count.to_string().as_str());
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_missing_headers() {
        let env = Envelope {
            message_id: Uuid::now_v7(),
            entity: "Order".into(),
            received_at: DateTime::parse_from_rfc3339("2026-11-27T20:00:00Z")
                .expect("valid")
                .with_timezone(&Utc),
            source: Some("tests".into()),
            retry_count: 2,
        };
        let headers = encode(&env);
        assert_eq!(decode(Some(&headers)), Ok(env));
        assert_eq!(decode(None), Err(NotAnEnvelope::Missing(MESSAGE_ID)));
        let mut bad = HeaderMap::new();
        bad.insert(MESSAGE_ID, "not-a-uuid");
        assert_eq!(
            decode(Some(&bad)),
            Err(NotAnEnvelope::Malformed(MESSAGE_ID))
        );
    }
}
