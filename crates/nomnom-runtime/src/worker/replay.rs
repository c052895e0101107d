//! `worker replay-dlq [--dry-run]`: re-validates every dead-lettered message against the
//! current model, republishes those that pass to their ingest subject (same message id, a
//! fresh `Nats-Msg-Id` so de-duplication does not swallow them), removes them from the
//! dead-letter stream, and reports what it did. `--dry-run` changes nothing.

use async_nats::jetstream;
use async_nats::jetstream::context::{GetStreamError, PublishError};
use async_nats::jetstream::stream::{
    DeleteMessageError, InfoError, LastRawMessageErrorKind, RawMessageError,
};
use bytes::Bytes;

use super::WorkerError;
use crate::config::NatsConfig;
use crate::envelope::MessageEnvelope;
use crate::model::Model;

/// A NATS request of the replay failed: what was being done, and the client's error.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The dead-letter stream could not be looked up.
    #[error("cannot open the dead-letter stream {stream}: {source}")]
    Open {
        /// The dead-letter stream.
        stream: String,
        /// What the client said.
        #[source]
        source: GetStreamError,
    },
    /// The dead-letter stream's state (its first and last sequence) could not be read.
    #[error("cannot read the state of {stream}: {source}")]
    State {
        /// The dead-letter stream.
        stream: String,
        /// What the client said.
        #[source]
        source: InfoError,
    },
    /// A dead letter could not be read.
    #[error("reading {stream} #{sequence}: {source}")]
    Read {
        /// The dead-letter stream.
        stream: String,
        /// The dead letter's sequence.
        sequence: u64,
        /// What the client said.
        #[source]
        source: RawMessageError,
    },
    /// A dead letter that now passes could not be published to its ingest subject.
    #[error("republishing {stream} #{sequence}: {source}")]
    Republish {
        /// The dead-letter stream.
        stream: String,
        /// The dead letter's sequence.
        sequence: u64,
        /// What the client said.
        #[source]
        source: PublishError,
    },
    /// A republished dead letter could not be removed from the dead-letter stream.
    #[error("removing {stream} #{sequence}: {source}")]
    Remove {
        /// The dead-letter stream.
        stream: String,
        /// The dead letter's sequence.
        sequence: u64,
        /// What the client said.
        #[source]
        source: DeleteMessageError,
    },
}

/// One dead letter that still fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StillFailing {
    /// Its sequence in the dead-letter stream.
    pub dlq_sequence: u64,
    /// Its message id, when it has an envelope.
    pub message_id: Option<String>,
    /// Why it still fails.
    pub reason: String,
}

/// What a replay did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Dead letters examined.
    pub examined: usize,
    /// Republished and removed from the dead-letter stream (in a dry run: would be).
    pub replayed: usize,
    /// Dead letters that still fail validation, with reasons.
    pub still_failing: Vec<StillFailing>,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

impl std::fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.dry_run {
            "would replay"
        } else {
            "replayed"
        };
        writeln!(
            f,
            "examined {} dead letters: {verb} {}, {} still failing",
            self.examined,
            self.replayed,
            self.still_failing.len()
        )?;
        for s in &self.still_failing {
            let id = s.message_id.as_deref().unwrap_or("-");
            writeln!(f, "  #{} message {id}: {}", s.dlq_sequence, s.reason)?;
        }
        Ok(())
    }
}

/// Replays the dead-letter stream of the ingest stream in `nats` for model `M`.
pub async fn replay_dlq<M: Model>(
    js: &jetstream::Context,
    nats: &NatsConfig,
    dry_run: bool,
) -> Result<ReplayReport, WorkerError> {
    let name = nats.dlq_stream();
    let mut dlq = js
        .get_stream(&name)
        .await
        .map_err(|source| ReplayError::Open {
            stream: name.clone(),
            source,
        })?;
    let state = dlq
        .info()
        .await
        .map_err(|source| ReplayError::State {
            stream: name.clone(),
            source,
        })?
        .state
        .clone();
    let mut report = ReplayReport {
        dry_run,
        ..ReplayReport::default()
    };
    if state.messages == 0 {
        return Ok(report);
    }
    // Bounded: the sequences present when the replay started.
    for sequence in state.first_sequence..=state.last_sequence {
        let letter = match dlq.get_raw_message(sequence).await {
            Ok(letter) => letter,
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => continue,
            Err(source) => {
                return Err(ReplayError::Read {
                    stream: name,
                    sequence,
                    source,
                }
                .into())
            }
        };
        report.examined += 1;
        let mut fail = |message_id: Option<String>, reason: String| {
            report.still_failing.push(StillFailing {
                dlq_sequence: sequence,
                message_id,
                reason,
            });
        };
        let payload = Bytes::from(letter.payload.to_vec());
        let mut envelope = match MessageEnvelope::from_nats(Some(&letter.headers), payload) {
            Ok(envelope) => envelope,
            Err(e) => {
                fail(None, e.to_string());
                continue;
            }
        };
        if let Err(rejection) = M::validate(&envelope.entity_type, &envelope.body) {
            let (_, reason) = super::batch::describe_rejection(&rejection);
            fail(Some(envelope.message_id.to_string()), reason);
            continue;
        }
        report.replayed += 1;
        if dry_run {
            continue;
        }
        envelope.retry_count = envelope.retry_count.saturating_add(1);
        let dedup = format!("{}:replay:{name}:{sequence}", envelope.message_id);
        let (mut headers, body) = envelope.to_nats(Some(&dedup));
        // The replayed message stays in its trace.
        if let Some(trace) = letter.headers.get(crate::telemetry::TRACEPARENT) {
            headers.insert(crate::telemetry::TRACEPARENT, trace.as_str());
        }
        let republish_error = |source| ReplayError::Republish {
            stream: name.clone(),
            sequence,
            source,
        };
        js.publish_with_headers(nats.ingest_subject(&envelope.entity_type), headers, body)
            .await
            .map_err(republish_error)?
            .await
            .map_err(republish_error)?;
        dlq.delete_message(sequence)
            .await
            .map_err(|source| ReplayError::Remove {
                stream: name.clone(),
                sequence,
                source,
            })?;
    }
    Ok(report)
}
