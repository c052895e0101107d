//! What can go wrong with NATS, in terms a caller can act on.
//!
//! Each error keeps the client's typed error as its source, and is sorted by async-nats's
//! error kinds and JetStream's API error codes ([`ErrorCode`]); the few places where the
//! client gives nothing but text say so where they read it.

use std::error::Error as _;
use std::path::PathBuf;

use async_nats::jetstream::context::{
    CreateStreamError, CreateStreamErrorKind, GetStreamError, GetStreamErrorKind, RequestError,
    RequestErrorKind,
};
use async_nats::jetstream::{self, ErrorCode};

/// Connecting or setting up the streams failed (start-up errors).
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// No connection could be made.
    #[error("cannot connect to NATS at {urls}: {source}")]
    Connect {
        /// The configured URLs.
        urls: String,
        /// What the client said.
        #[source]
        source: async_nats::ConnectError,
    },
    /// `NATS_CREDS_FILE` could not be read.
    #[error("cannot read NATS_CREDS_FILE {}: {source}", path.display())]
    Credentials {
        /// The configured file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// What was published could not be sent to the server (at shutdown).
    #[error("cannot flush to NATS at {urls}: {source}")]
    Flush {
        /// The configured URLs.
        urls: String,
        /// What the client said.
        #[source]
        source: async_nats::client::FlushError,
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
    #[error("stream {stream}: {source}")]
    Stream {
        /// The stream.
        stream: String,
        /// The request that failed, with the client's error.
        #[source]
        source: StreamRequestError,
    },
}

impl NatsError {
    /// Whether this is the answer of a JetStream that is starting, electing a leader or
    /// placing the stream, which start-up waits out (see [`StreamRequestError::is_not_ready`]).
    pub fn is_not_ready(&self) -> bool {
        matches!(self, NatsError::Stream { source, .. } if source.is_not_ready())
    }
}

/// A JetStream API request of the stream set-up failed; each variant keeps the client's error.
#[derive(Debug, thiserror::Error)]
pub enum StreamRequestError {
    /// Looking the stream up failed (other than "not found", which leads to creating it).
    #[error("cannot read the stream: {0}")]
    Get(#[source] GetStreamError),
    /// Reading the existing stream's settings failed.
    #[error("cannot read the stream's settings: {0}")]
    Info(#[source] RequestError),
    /// Creating the stream failed.
    #[error("cannot create the stream: {0}")]
    Create(#[source] CreateStreamError),
    /// Updating the existing stream's settings failed.
    #[error("cannot update the stream: {0}")]
    Update(#[source] CreateStreamError),
}

impl StreamRequestError {
    /// `true` for the answers of a JetStream that is starting or electing a leader (no answer
    /// in time, no responders, "temporarily unavailable", "no suitable peers"), and for a
    /// stream whose storage folder could not be made ([`is_store_creation_race`]).
    /// Errors of configuration and anything else are `false`: they fail start-up at once.
    pub fn is_not_ready(&self) -> bool {
        match self {
            StreamRequestError::Get(err) => match err.kind() {
                GetStreamErrorKind::Request => err
                    .source()
                    .and_then(|s| s.downcast_ref::<RequestError>())
                    .is_some_and(request_not_ready),
                GetStreamErrorKind::JetStream(js) => jetstream_not_ready(&js),
                _ => false,
            },
            StreamRequestError::Info(err) => request_not_ready(err),
            StreamRequestError::Create(err) | StreamRequestError::Update(err) => match err.kind() {
                CreateStreamErrorKind::TimedOut | CreateStreamErrorKind::JetStreamUnavailable => {
                    true
                }
                CreateStreamErrorKind::JetStream(js) => jetstream_not_ready(&js),
                _ => false,
            },
        }
    }
}

/// A JetStream request that timed out or found no responders, or whose answer was an error
/// of a JetStream not ready yet.
fn request_not_ready(err: &RequestError) -> bool {
    match err.kind() {
        RequestErrorKind::TimedOut | RequestErrorKind::NoResponders => true,
        RequestErrorKind::Other => err
            .source()
            .and_then(|s| s.downcast_ref::<jetstream::Error>())
            .is_some_and(jetstream_not_ready),
        _ => false,
    }
}

/// A JetStream API error of a system that is starting or electing a leader, or the NATS 2.9
/// store-creation race.
fn jetstream_not_ready(err: &jetstream::Error) -> bool {
    let code = err.error_code();
    code == ErrorCode::CLUSTER_NOT_AVAILABLE
        || code == ErrorCode::CLUSTER_NO_PEERS
        || is_store_creation_race(err)
}

/// NATS 2.9's "error creating store for stream" (code STREAM_CREATE, 10049), which is
/// transient: deleting an account's last stream removes the account's `streams` folder, and
/// a stream created at that moment (another deployment starting on the same server) fails
/// because its folder's parent vanished under it. Servers from 2.10 on do not. A store that
/// stays unwritable (a full disk) still fails, once start-up's deadline has passed, with the
/// server's answer; the server's log names the cause.
///
/// Text is read here because the client gives nothing else: 10049 is the server's generic
/// "stream creation failed" code, sent for other causes too, and the cause is only in the
/// error's description.
fn is_store_creation_race(err: &jetstream::Error) -> bool {
    err.error_code() == ErrorCode::STREAM_CREATE
        && err
            .to_string()
            .to_ascii_lowercase()
            .contains("error creating store for stream")
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

#[cfg(test)]
mod tests {
    use async_nats::jetstream::context::{
        CreateStreamError, CreateStreamErrorKind, GetStreamError, GetStreamErrorKind, RequestError,
        RequestErrorKind,
    };
    use async_nats::jetstream::{self, ErrorCode};

    use super::super::test_support::server_error;
    use super::StreamRequestError;

    fn create(kind: CreateStreamErrorKind) -> StreamRequestError {
        StreamRequestError::Create(CreateStreamError::new(kind))
    }

    fn create_answered(error: jetstream::Error) -> StreamRequestError {
        create(CreateStreamErrorKind::JetStream(error))
    }

    #[test]
    fn a_jetstream_that_does_not_answer_yet_is_waited_for() {
        let timed_out = || RequestError::new(RequestErrorKind::TimedOut);
        let no_responders = || RequestError::new(RequestErrorKind::NoResponders);
        let waited = [
            StreamRequestError::Get(GetStreamError::with_source(
                GetStreamErrorKind::Request,
                timed_out(),
            )),
            StreamRequestError::Get(GetStreamError::with_source(
                GetStreamErrorKind::Request,
                no_responders(),
            )),
            StreamRequestError::Info(timed_out()),
            StreamRequestError::Info(no_responders()),
            create(CreateStreamErrorKind::TimedOut),
            create(CreateStreamErrorKind::JetStreamUnavailable),
            StreamRequestError::Update(CreateStreamError::new(CreateStreamErrorKind::TimedOut)),
        ];
        for err in waited {
            assert!(err.is_not_ready(), "{err}");
        }
    }

    #[test]
    fn a_cluster_without_a_leader_or_peers_is_waited_for() {
        let unavailable = || {
            server_error(
                503,
                ErrorCode::CLUSTER_NOT_AVAILABLE,
                "JetStream system temporarily unavailable",
            )
        };
        let no_peers = || {
            server_error(
                500,
                ErrorCode::CLUSTER_NO_PEERS,
                "no suitable peers for placement",
            )
        };
        let waited = [
            create_answered(unavailable()),
            create_answered(no_peers()),
            StreamRequestError::Get(GetStreamError::new(GetStreamErrorKind::JetStream(
                unavailable(),
            ))),
            StreamRequestError::Info(RequestError::with_source(
                RequestErrorKind::Other,
                unavailable(),
            )),
        ];
        for err in waited {
            assert!(err.is_not_ready(), "{err}");
        }
    }

    #[test]
    fn only_the_store_creation_race_of_nats_2_9_is_retried_among_creation_errors() {
        let race = create_answered(server_error(
            500,
            ErrorCode::STREAM_CREATE,
            "error creating store for stream: mkdir /data/jetstream/$G/streams/S: no such file or directory",
        ));
        assert!(race.is_not_ready(), "{race}");
        let other_creation_error = create_answered(server_error(
            500,
            ErrorCode::STREAM_CREATE,
            "stream configuration for replicas is invalid",
        ));
        assert!(!other_creation_error.is_not_ready());
    }

    #[test]
    fn configuration_errors_fail_at_once() {
        let refused = [
            create_answered(server_error(
                400,
                ErrorCode::STREAM_SUBJECT_OVERLAP,
                "subjects overlap with an existing stream",
            )),
            create_answered(server_error(
                500,
                ErrorCode::STREAM_REPLICAS_NOT_SUPPORTED,
                "replicas > 1 not supported in non-clustered mode",
            )),
            create_answered(server_error(
                400,
                ErrorCode::STREAM_NAME_EXIST,
                "stream name already in use with a different configuration",
            )),
            create(CreateStreamErrorKind::InvalidStreamName),
            StreamRequestError::Get(GetStreamError::new(GetStreamErrorKind::InvalidStreamName)),
            StreamRequestError::Get(GetStreamError::new(GetStreamErrorKind::JetStream(
                server_error(
                    503,
                    ErrorCode::JETSTREAM_NOT_ENABLED_FOR_ACCOUNT,
                    "jetstream not enabled for account",
                ),
            ))),
            StreamRequestError::Info(RequestError::with_source(
                RequestErrorKind::Other,
                std::io::Error::other("invalid response"),
            )),
        ];
        for err in refused {
            assert!(!err.is_not_ready(), "{err}");
        }
    }
}
