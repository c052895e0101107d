//! Creating the main and dead-letter streams, or checking and updating them in place.

use std::time::Duration;

use async_nats::jetstream::context::{
    CreateStreamError, CreateStreamErrorKind, GetStreamErrorKind,
};
use async_nats::jetstream::stream::{Config, DiscardPolicy, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, ErrorCode};
use futures_util::TryStreamExt;

use super::error::{NatsError, StreamRequestError};
use super::subjects;
use crate::config::NatsConfig;

/// Most streams listed when looking for the one whose subjects overlap ours.
const MAX_STREAMS_LISTED: usize = 10_000;

/// The main stream's configuration: file storage, **work-queue** retention (a message is
/// removed once the worker has acknowledged it, so `NATS_MAX_BYTES` bounds the backlog, not a
/// day of traffic), and **discard new**, so a full stream refuses new messages instead of
/// dropping old ones.
pub fn main_stream_config(config: &NatsConfig) -> Config {
    Config {
        name: config.stream.clone(),
        description: Some(
            "nomnom ingestion: messages accepted by the API, consumed by the worker".to_owned(),
        ),
        subjects: subjects::ingest_subjects(config),
        retention: RetentionPolicy::WorkQueue,
        storage: StorageType::File,
        discard: DiscardPolicy::New,
        max_age: config.max_age,
        max_bytes: byte_limit(config.max_bytes),
        num_replicas: config.replicas,
        duplicate_window: config.duplicate_window,
        ..Default::default()
    }
}

/// The dead-letter stream's configuration: `<STREAM>_DLQ` on `<stream>.dlq.*`, kept longer.
pub fn dlq_stream_config(config: &NatsConfig) -> Config {
    Config {
        name: config.dlq_stream(),
        description: Some("nomnom dead letters: messages the worker could not persist".to_owned()),
        subjects: subjects::dlq_subjects(config),
        retention: RetentionPolicy::Limits,
        storage: StorageType::File,
        discard: DiscardPolicy::New,
        max_age: config.dlq_max_age,
        max_bytes: byte_limit(config.max_bytes),
        num_replicas: config.replicas,
        duplicate_window: config.duplicate_window,
        ..Default::default()
    }
}

fn byte_limit(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

/// Creates both streams, or brings existing ones to the configured settings.
pub async fn ensure_streams(js: &jetstream::Context, config: &NatsConfig) -> Result<(), NatsError> {
    ensure_stream(js, main_stream_config(config)).await?;
    ensure_stream(js, dlq_stream_config(config)).await
}

/// Creates `desired`, or checks the existing stream of that name and updates what differs.
///
/// When another process (the worker starting next to the API) creates the stream between
/// our check and our create, the check runs once more against what it created.
pub async fn ensure_stream(js: &jetstream::Context, desired: Config) -> Result<(), NatsError> {
    match ensure_stream_once(js, &desired).await {
        Err(NatsError::Stream {
            source: StreamRequestError::Create(err),
            ..
        }) if is_name_taken(&err) => ensure_stream_once(js, &desired).await,
        other => other,
    }
}

async fn ensure_stream_once(js: &jetstream::Context, desired: &Config) -> Result<(), NatsError> {
    let desired = desired.clone();
    let name = desired.name.clone();
    let stream_error = |source: StreamRequestError| NatsError::Stream {
        stream: name.clone(),
        source,
    };
    match js.get_stream(&name).await {
        Ok(mut stream) => {
            let info = stream
                .info()
                .await
                .map_err(|e| stream_error(StreamRequestError::Info(e)))?;
            let current = info.config.clone();
            check_immutable(&current, &desired)?;
            if differs(&current, &desired) {
                let mut updated = current.clone();
                updated.subjects = desired.subjects.clone();
                updated.discard = desired.discard;
                updated.max_age = desired.max_age;
                updated.max_bytes = desired.max_bytes;
                updated.num_replicas = desired.num_replicas;
                updated.duplicate_window = desired.duplicate_window;
                updated.description = desired.description.clone();
                tracing::info!(stream = %name, "updating stream settings to the configuration");
                if let Err(err) = js.update_stream(&updated).await {
                    return Err(create_error(js, &desired, StreamRequestError::Update, err).await);
                }
            }
            Ok(())
        }
        Err(err) => match err.kind() {
            GetStreamErrorKind::JetStream(js_err)
                if js_err.error_code() == ErrorCode::STREAM_NOT_FOUND =>
            {
                tracing::info!(stream = %name, subjects = ?desired.subjects, "creating stream");
                match js.create_stream(desired.clone()).await {
                    Ok(_) => Ok(()),
                    Err(err) => {
                        Err(create_error(js, &desired, StreamRequestError::Create, err).await)
                    }
                }
            }
            _ => Err(stream_error(StreamRequestError::Get(err))),
        },
    }
}

/// The answer to a create that lost a race with another process creating the same stream
/// (with settings that differ from ours at least in some default the server filled in).
fn is_name_taken(err: &CreateStreamError) -> bool {
    matches!(err.kind(), CreateStreamErrorKind::JetStream(e) if e.error_code() == ErrorCode::STREAM_NAME_EXIST)
}

fn check_immutable(current: &Config, desired: &Config) -> Result<(), NatsError> {
    let immutable = |setting: &'static str, found: String, expected: String| NatsError::Immutable {
        stream: desired.name.clone(),
        setting,
        found,
        expected,
    };
    if current.storage != desired.storage {
        return Err(immutable(
            "storage",
            format!("{:?}", current.storage),
            format!("{:?}", desired.storage),
        ));
    }
    if current.retention != desired.retention {
        return Err(immutable(
            "retention",
            format!("{:?}", current.retention),
            format!("{:?}", desired.retention),
        ));
    }
    Ok(())
}

fn differs(current: &Config, desired: &Config) -> bool {
    let mut current_subjects = current.subjects.clone();
    current_subjects.sort();
    let mut desired_subjects = desired.subjects.clone();
    desired_subjects.sort();
    current_subjects != desired_subjects
        || current.discard != desired.discard
        || current.max_age != desired.max_age
        || current.max_bytes != desired.max_bytes
        || current.num_replicas != desired.num_replicas
        || current.duplicate_window != desired.duplicate_window
}

/// A failed create or update: an overlap of subjects names the other streams; anything else
/// keeps the client's error, as `request` (create or update).
async fn create_error(
    js: &jetstream::Context,
    desired: &Config,
    request: fn(CreateStreamError) -> StreamRequestError,
    err: CreateStreamError,
) -> NatsError {
    if let CreateStreamErrorKind::JetStream(js_err) = err.kind() {
        if js_err.error_code() == ErrorCode::STREAM_SUBJECT_OVERLAP {
            let others = overlapping_streams(js, desired).await;
            return NatsError::SubjectOverlap {
                stream: desired.name.clone(),
                subjects: desired.subjects.join(", "),
                others: if others.is_empty() {
                    "unknown".to_owned()
                } else {
                    others.join(", ")
                },
            };
        }
    }
    NatsError::Stream {
        stream: desired.name.clone(),
        source: request(err),
    }
}

/// Names of the other streams whose subjects overlap `desired`'s (best effort).
async fn overlapping_streams(js: &jetstream::Context, desired: &Config) -> Vec<String> {
    let listing = async {
        let mut names = Vec::new();
        let mut infos = js.streams();
        let mut seen = 0;
        while let Some(info) = infos.try_next().await? {
            seen += 1;
            let theirs = &info.config;
            if theirs.name != desired.name
                && theirs
                    .subjects
                    .iter()
                    .any(|t| desired.subjects.iter().any(|d| subjects::overlap(t, d)))
            {
                names.push(theirs.name.clone());
            }
            if seen >= MAX_STREAMS_LISTED {
                break;
            }
        }
        Ok::<_, async_nats::jetstream::context::StreamsError>(names)
    };
    match tokio::time::timeout(Duration::from_secs(5), listing).await {
        Ok(Ok(names)) => names,
        _ => Vec::new(),
    }
}
