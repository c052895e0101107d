//! One batch, from fetched messages to acknowledgements: decode, validate, write the valid
//! ones in one transaction (isolating refused records), dead-letter the poison ones, NAK the
//! ones that hit a transient failure with the backoff delay for their delivery count.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_nats::jetstream::{self, AckKind};
use futures_util::future::join_all;

use super::dead_letter::{self, DeadLetter, ErrorKind};
use super::gate::DbGate;
use super::progress::ProgressTicker;
use super::write::{write_isolating, Item, WriteOutcome, Written};
use crate::config::worker::WorkerConfig;
use crate::db::Store;
use crate::envelope::MessageEnvelope;
use crate::model::{Model, Rejection};
use crate::status::worker_updates::StatusUpdate;
use crate::telemetry::worker_metrics::{Tally, WorkerMetrics, WorkerOutcome};
use crate::telemetry::{MessageSpan, TraceContext, TRACEPARENT};

/// What a batch needs: connections, configuration and the database gate.
#[derive(Clone)]
pub struct BatchContext {
    /// JetStream (dead letters).
    pub js: jetstream::Context,
    /// The database.
    pub store: Store,
    /// The worker's configuration.
    pub config: WorkerConfig,
    /// Closed on transient database failures.
    pub gate: DbGate,
    /// The worker's metrics.
    pub metrics: Arc<WorkerMetrics>,
}

/// What happened to a batch (one log line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Messages fetched.
    pub size: usize,
    /// Messages persisted and acknowledged.
    pub persisted: usize,
    /// Rows written over all tables.
    pub rows: u64,
    /// Messages persisted with rows not applied, a newer version being stored.
    pub superseded: usize,
    /// Messages dead-lettered and acknowledged.
    pub dead_lettered: usize,
    /// Messages NAKed for a later attempt.
    pub retrying: usize,
}

struct Delivered {
    message: jetstream::Message,
    delivered: i64,
    sequence: u64,
    /// Its entity's index for the batch's [`Tally`].
    entity: usize,
    /// The trace context the API gave it (`traceparent`).
    trace: Option<TraceContext>,
    /// Its span, when spans are exported.
    span: Option<MessageSpan>,
}

impl Delivered {
    /// The trace the message belongs to: its span's (which may have started one), else the
    /// one it carries.
    fn trace_id(&self) -> Option<crate::telemetry::TraceId> {
        match &self.span {
            Some(span) => span.trace_id(),
            None => self.trace.map(|t| t.trace_id),
        }
    }

    /// Ends its span (if any) with `outcome`.
    fn end_span(&mut self, outcome: &'static str, failed: bool) {
        if let Some(span) = self.span.take() {
            span.end(outcome, failed);
        }
    }
}

struct Poison {
    delivered: Delivered,
    kind: ErrorKind,
    error: String,
    status: Option<StatusUpdate>,
}

fn status_of(
    envelope: &MessageEnvelope,
    delivered: &Delivered,
    error: Option<String>,
) -> StatusUpdate {
    StatusUpdate {
        message_id: envelope.message_id,
        entity_type: envelope.entity_type.clone(),
        received_at: envelope.received_at,
        retry_count: i32::try_from(delivered.delivered.saturating_sub(1)).unwrap_or(i32::MAX),
        error,
        note: None,
        trace_id: delivered.trace_id(),
    }
}

pub(crate) fn describe_rejection(rejection: &Rejection) -> (ErrorKind, String) {
    match rejection {
        Rejection::UnknownEntity => (ErrorKind::UnknownEntity, "unknown entity".to_string()),
        Rejection::Malformed(e) => (
            ErrorKind::Malformed,
            format!(
                "malformed JSON at line {}, column {}: {}",
                e.line, e.column, e.message
            ),
        ),
        Rejection::NotHl7(message) => (
            ErrorKind::Malformed,
            format!("not an HL7 v2 message: {message}"),
        ),
        Rejection::Invalid(errors) => (
            ErrorKind::Invalid,
            errors
                .iter()
                .map(|e| format!("{} ({}): {}", e.path, e.rule, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}

/// Handles one fetched batch end to end. Never returns before every message of the batch is
/// acknowledged, NAKed or (when even that fails) left to redelivery after `ack_wait`.
pub async fn process_batch<M: Model>(
    ctx: &BatchContext,
    messages: Vec<jetstream::Message>,
) -> BatchReport {
    let started = Instant::now();
    let started_at = SystemTime::now();
    let mut tally = Tally::default();
    // Keeps the batch's messages from being redelivered while it is handled.
    let _progress = ProgressTicker::start(&ctx.js, &messages, ctx.config.ack_wait);
    let mut report = BatchReport {
        size: messages.len(),
        ..BatchReport::default()
    };
    let mut poison = Vec::new();
    let mut valid = Vec::new();
    let mut newer_model = Vec::new();
    for message in messages {
        let (delivered, sequence) = match message.info() {
            Ok(info) => (info.delivered, info.stream_sequence),
            Err(e) => {
                tracing::warn!(subject = %message.subject, error = %e, "not a JetStream delivery: skipped");
                continue;
            }
        };
        let trace = if ctx.config.telemetry.trace_context {
            TraceContext::from_header(
                message
                    .headers
                    .as_ref()
                    .and_then(|h| h.get(TRACEPARENT))
                    .map(|v| v.as_str()),
            )
        } else {
            None
        };
        let span = MessageSpan::process("process message", trace, started_at);
        let mut delivered = Delivered {
            message,
            delivered,
            sequence,
            entity: ctx.metrics.unknown_index(),
            trace,
            span,
        };
        let decoded = MessageEnvelope::from_nats(
            delivered.message.headers.as_ref(),
            delivered.message.payload.clone(),
        );
        let envelope = match decoded {
            Ok(envelope) => envelope,
            Err(e) => {
                let error = e.to_string();
                poison.push(Poison {
                    delivered,
                    kind: ErrorKind::NotAnEnvelope,
                    error,
                    status: None,
                });
                continue;
            }
        };
        delivered.entity = ctx.metrics.entity_index(&envelope.entity_type);
        if let Some(span) = &mut delivered.span {
            span.attribute("nomnom.message_id", || envelope.message_id.to_string());
            span.attribute("nomnom.entity", || envelope.entity_type.clone());
        }
        if let Some(newer) = envelope.model_version.filter(|v| *v > M::MODEL_VERSION) {
            // Accepted by an API of a newer model than this worker's (the API was upgraded
            // first): validating it with this model could drop what the newer one added.
            // Left for a worker of the newer model.
            let error = format!(
                "accepted under model version {newer}; this worker runs model version {}: left \
                 for a worker of the newer model (upgrade the workers before the API)",
                M::MODEL_VERSION
            );
            if ctx.config.max_deliver > 0 && delivered.delivered >= ctx.config.max_deliver {
                let error = format!(
                    "failed on all {} deliveries; last error: {error}",
                    delivered.delivered
                );
                let status = Some(status_of(&envelope, &delivered, Some(error.clone())));
                poison.push(Poison {
                    delivered,
                    kind: ErrorKind::MaxDeliveries,
                    error,
                    status,
                });
            } else {
                let mut status = status_of(&envelope, &delivered, Some(error));
                status.retry_count = i32::try_from(delivered.delivered).unwrap_or(i32::MAX);
                newer_model.push((delivered, Some(status)));
            }
            continue;
        }
        match M::validate(&envelope.entity_type, &envelope.body) {
            Ok(record) => valid.push((delivered, envelope, record)),
            Err(rejection) => {
                let (kind, error) = describe_rejection(&rejection);
                let status = Some(status_of(&envelope, &delivered, Some(error.clone())));
                poison.push(Poison {
                    delivered,
                    kind,
                    error,
                    status,
                });
            }
        }
    }

    let items: Vec<Item<'_, M::Record>> = valid
        .iter()
        .map(|(d, envelope, record)| Item {
            message_id: envelope.message_id,
            version: envelope.version,
            record,
            status: status_of(envelope, d, None),
        })
        .collect();
    let (outcomes, written) = if items.is_empty() {
        (Vec::new(), Written::default())
    } else {
        write_isolating::<M>(&ctx.store, &items, write_timeout(&ctx.config)).await
    };
    drop(items);
    report.rows = written.rows;
    report.superseded = written.superseded;
    let rows_per_table = written.tables;

    let mut persisted = Vec::new();
    let mut retry = Vec::new();
    for ((delivered, envelope, _), outcome) in valid.into_iter().zip(outcomes) {
        match outcome {
            WriteOutcome::Persisted => persisted.push(delivered),
            WriteOutcome::Rejected(error) => {
                let status = Some(status_of(&envelope, &delivered, Some(error.clone())));
                poison.push(Poison {
                    delivered,
                    kind: ErrorKind::RejectedByDatabase,
                    error,
                    status,
                });
            }
            WriteOutcome::Transient(error) => {
                if ctx.config.max_deliver > 0 && delivered.delivered >= ctx.config.max_deliver {
                    let error = format!(
                        "failed on all {} deliveries; last error: {error}",
                        delivered.delivered
                    );
                    let status = Some(status_of(&envelope, &delivered, Some(error.clone())));
                    poison.push(Poison {
                        delivered,
                        kind: ErrorKind::MaxDeliveries,
                        error,
                        status,
                    });
                } else {
                    // `retrying` counts the failed attempts so far, this one included.
                    let mut status = status_of(&envelope, &delivered, Some(error));
                    status.retry_count = i32::try_from(delivered.delivered).unwrap_or(i32::MAX);
                    retry.push((delivered, status));
                }
            }
        }
    }

    report.persisted = persisted.len();
    join_all(persisted.iter().map(|d| ack(&d.message))).await;
    for d in &mut persisted {
        tally.add(d.entity, WorkerOutcome::Persisted);
        d.end_span("persisted", false);
    }

    let (mut dead, failed_to_dead_letter) = dead_letter_all(ctx, poison).await;
    report.dead_lettered = dead.len();
    for d in &mut dead {
        tally.add(d.entity, WorkerOutcome::DeadLettered);
        d.end_span("dead_lettered", true);
    }
    report.retrying = failed_to_dead_letter.len() + retry.len() + newer_model.len();
    if let Some((_, status)) = retry.first() {
        // A transient database failure: stop fetching until the database answers.
        ctx.gate
            .close(status.error.as_deref().unwrap_or("database write failed"));
    }
    let mut to_retry: Vec<(Delivered, Option<StatusUpdate>)> = failed_to_dead_letter;
    to_retry.extend(retry.into_iter().map(|(d, status)| (d, Some(status))));
    to_retry.extend(newer_model);
    for (d, _) in &mut to_retry {
        tally.add(d.entity, WorkerOutcome::Retried);
        d.end_span("retried", true);
    }
    if !to_retry.is_empty() {
        nak_all(ctx, to_retry).await;
    }
    ctx.metrics
        .batch(report.size, started.elapsed(), &tally, &rows_per_table);

    tracing::info!(
        size = report.size,
        persisted = report.persisted,
        rows = report.rows,
        superseded = report.superseded,
        dead_lettered = report.dead_lettered,
        retrying = report.retrying,
        ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "batch"
    );
    report
}

/// A write must finish before JetStream would redeliver its messages.
fn write_timeout(config: &WorkerConfig) -> Duration {
    config.ack_wait.mul_f64(0.8).max(Duration::from_secs(1))
}

async fn ack(message: &jetstream::Message) {
    if let Err(e) = message.ack().await {
        tracing::warn!(subject = %message.subject, error = %e, "ack failed: the message will be redelivered");
    }
}

/// Dead-letters `poison`, marks them `failed`, then acknowledges them. Returns those
/// dead-lettered and those that must be retried instead (publish or status write failed).
async fn dead_letter_all(
    ctx: &BatchContext,
    poison: Vec<Poison>,
) -> (Vec<Delivered>, Vec<(Delivered, Option<StatusUpdate>)>) {
    if poison.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let published = join_all(poison.iter().map(|p| {
        let letter = DeadLetter {
            subject: p.delivered.message.subject.to_string(),
            stream_sequence: p.delivered.sequence,
            headers: p.delivered.message.headers.clone(),
            payload: p.delivered.message.payload.clone(),
            kind: p.kind,
            error: p.error.clone(),
        };
        async move { dead_letter::publish(&ctx.js, &ctx.config.nats, &letter).await }
    }))
    .await;
    let mut stored = Vec::new();
    let mut retry = Vec::new();
    for (p, result) in poison.into_iter().zip(published) {
        match result {
            Ok(()) => {
                tracing::warn!(
                    message_id = p.status.as_ref().map(|s| s.message_id.to_string()),
                    sequence = p.delivered.sequence,
                    kind = p.kind.as_str(),
                    error = %p.error,
                    "dead-lettered"
                );
                stored.push(p);
            }
            Err(e) => {
                tracing::error!(sequence = p.delivered.sequence, error = %e, "dead letter not stored: will retry");
                retry.push((p.delivered, p.status));
            }
        }
    }
    let updates: Vec<StatusUpdate> = stored.iter().filter_map(|p| p.status.clone()).collect();
    if !updates.is_empty() {
        let result = ctx.store.mark_failed(&updates).await;
        if let Err(e) = result {
            // The dead letters are stored (a redelivery is de-duplicated by Nats-Msg-Id);
            // keep the messages until their `failed` status is recorded too.
            tracing::error!(error = %e, "cannot record failed status: will retry");
            ctx.gate.close(&e);
            retry.extend(stored.into_iter().map(|p| (p.delivered, p.status)));
            return (Vec::new(), retry);
        }
    }
    join_all(stored.iter().map(|p| ack(&p.delivered.message))).await;
    (stored.into_iter().map(|p| p.delivered).collect(), retry)
}

/// NAKs with the backoff delay for each message's delivery count and records `retrying`
/// (best effort: the database may be the thing that is down).
async fn nak_all(ctx: &BatchContext, retry: Vec<(Delivered, Option<StatusUpdate>)>) {
    join_all(retry.iter().map(|(d, status)| {
        let delay = ctx.config.backoff_for(d.delivered);
        async move {
            tracing::warn!(
                message_id = status.as_ref().map(|s| s.message_id.to_string()),
                delivered = d.delivered,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = status.as_ref().and_then(|s| s.error.clone()),
                "retrying later"
            );
            if let Err(e) = d.message.ack_with(AckKind::Nak(Some(delay))).await {
                tracing::warn!(error = %e, "nak failed: the message will be redelivered after ack_wait");
            }
        }
    }))
    .await;
    let updates: Vec<StatusUpdate> = retry.into_iter().filter_map(|(_, s)| s).collect();
    if updates.is_empty() {
        return;
    }
    let recorded = async { ctx.store.mark_retrying(&updates).await };
    if tokio::time::timeout(Duration::from_secs(2), recorded)
        .await
        .ok()
        .flatten()
        .is_none()
    {
        tracing::debug!(
            count = updates.len(),
            "retrying status not recorded (database unavailable)"
        );
    }
}
