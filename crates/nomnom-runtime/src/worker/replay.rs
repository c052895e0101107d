//! `worker replay-dlq [--dry-run]`: re-validates every dead-lettered message against the
//! current model, republishes those that pass to their ingest subject (same message id, a
//! fresh `Nats-Msg-Id` so de-duplication does not swallow them), removes them from the
//! dead-letter stream, and reports what it did. `--dry-run` changes nothing.

use async_nats::jetstream::{self, stream::LastRawMessageErrorKind};
use bytes::Bytes;

use super::WorkerError;
use crate::config::NatsConfig;
use crate::envelope::MessageEnvelope;
use crate::model::Model;

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
        .map_err(|e| WorkerError::Nats(format!("{name}: {e}")))?;
    let state = dlq
        .info()
        .await
        .map_err(|e| WorkerError::Nats(e.to_string()))?
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
            Err(e) => {
                return Err(WorkerError::Nats(format!(
                    "reading {name} #{sequence}: {e}"
                )))
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
        let (headers, body) = envelope.to_nats(Some(&dedup));
        js.publish_with_headers(nats.ingest_subject(&envelope.entity_type), headers, body)
            .await
            .map_err(|e| WorkerError::Nats(e.to_string()))?
            .await
            .map_err(|e| WorkerError::Nats(e.to_string()))?;
        dlq.delete_message(sequence)
            .await
            .map_err(|e| WorkerError::Nats(format!("removing {name} #{sequence}: {e}")))?;
    }
    Ok(report)
}
