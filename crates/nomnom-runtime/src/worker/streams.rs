//! INTERIM (worker-owned): makes sure the ingest stream and its dead-letter stream exist, so
//! the worker can start before the API ever ran. It never changes an existing stream: the
//! shared stream setup in `crate::nats` (owned with the API) is the one owner of stream
//! settings and should replace this module when it lands.

use std::time::Duration;

use async_nats::jetstream::{
    self,
    stream::{DiscardPolicy, StorageType},
};

/// The dead-letter stream's name for ingest stream `stream`.
pub fn dlq_stream(stream: &str) -> String {
    format!("{stream}_DLQ")
}

/// The ingest subject of `entity`.
pub fn ingest_subject(stream: &str, entity: &str) -> String {
    format!("{}.ingest.{entity}", stream.to_lowercase())
}

/// The dead-letter subject of `entity`.
pub fn dlq_subject(stream: &str, entity: &str) -> String {
    format!("{}.dlq.{entity}", stream.to_lowercase())
}

/// Creates the ingest and dead-letter streams when they do not exist.
pub async fn ensure_streams(
    js: &jetstream::Context,
    stream: &str,
) -> Result<(), jetstream::context::CreateStreamError> {
    let lc = stream.to_lowercase();
    let specs = [
        (
            stream.to_string(),
            format!("{lc}.ingest.*"),
            Duration::from_secs(86_400),
        ),
        (
            dlq_stream(stream),
            format!("{lc}.dlq.*"),
            Duration::from_secs(7 * 86_400),
        ),
    ];
    for (name, subject, max_age) in specs {
        js.get_or_create_stream(jetstream::stream::Config {
            name,
            subjects: vec![subject],
            storage: StorageType::File,
            discard: DiscardPolicy::New,
            max_age,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await?;
    }
    Ok(())
}
