//! What can go wrong with NATS, in terms a caller can act on.

/// Connecting or setting up the streams failed (start-up errors).
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// No connection could be made.
    #[error("cannot connect to NATS at {urls}: {reason}")]
    Connect {
        /// The configured URLs.
        urls: String,
        /// Why.
        reason: String,
    },
    /// The subjects of a stream are already taken by another stream.
    #[error("stream {stream}: its subjects {subjects} overlap those of stream(s) {others}; give each deployment its own NATS_STREAM (subjects are `<stream lowercased>.ingest.*`)")]
    SubjectOverlap {
        /// Our stream.
        stream: String,
        /// Its subjects.
        subjects: String,
        /// The other streams (or `unknown`).
        others: String,
    },
    /// A stream exists with a setting that cannot be changed.
    #[error("stream {stream} exists with {setting} = {found}, but {expected} is configured and cannot be changed in place; delete or rename the stream")]
    Immutable {
        /// The stream.
        stream: String,
        /// The setting.
        setting: &'static str,
        /// Its current value.
        found: String,
        /// The configured value.
        expected: String,
    },
    /// Creating, reading or updating a stream failed.
    #[error("stream {stream}: {reason}")]
    Stream {
        /// The stream.
        stream: String,
        /// Why.
        reason: String,
    },
}

/// Why a publish was not acknowledged. Both kinds mean "try again later" for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishFailure {
    /// No connection, no acknowledgement in time, no responders or no quorum.
    #[error("message stream unavailable: {0}")]
    Unavailable(String),
    /// The stream reached its limits and refuses new messages.
    #[error("message stream full: {0}")]
    Full(String),
    /// The message is larger than the server or stream accepts.
    #[error("message too large: {0}")]
    TooLarge(String),
}
