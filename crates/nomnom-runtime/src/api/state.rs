//! What every handler shares.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Instant;

use crate::db::Store;
use tokio::sync::Semaphore;

use super::access::Access;
use crate::config::ApiConfig;
use crate::envelope::MessageEnvelope;
use crate::nats::{NatsClient, PublishFailure, Published};
use crate::status::StatusRecorder;
use crate::telemetry::api_metrics::ApiMetrics;

/// The API's shared state: the NATS client, the status store and the limits.
///
/// Handlers receive it by value (axum clones the state for every request), so it is one
/// reference-counted pointer: a clone is one atomic increment, not one per handle inside.
#[derive(Debug, Clone)]
pub struct ApiState(Arc<Shared>);

/// The contents of [`ApiState`].
#[derive(Debug)]
pub struct Shared {
    /// Publishing and readiness.
    pub nats: NatsClient,
    /// Where accepted ids go (off the request path).
    pub recorder: StatusRecorder,
    /// Status lookups.
    pub store: Store,
    /// Limits.
    pub config: ApiConfig,
    /// One permit per message being published (`API_MAX_IN_FLIGHT`).
    pub in_flight: Arc<Semaphore>,
    /// Who may call which route, and how often.
    pub access: Access,
    /// The process's metrics.
    pub metrics: &'static ApiMetrics,
}

impl Shared {
    /// Publishes `envelope` with its `traceparent` (when trace context is carried) and
    /// records the time to JetStream's acknowledgement (`nomnom_publish_duration_seconds`,
    /// when metrics are on).
    pub async fn publish(
        &self,
        envelope: &MessageEnvelope,
        idempotency_key: Option<&str>,
        traceparent: Option<&str>,
    ) -> Result<Published, PublishFailure> {
        let publishing = self
            .nats
            .publish_traced(envelope, idempotency_key, traceparent);
        if !self.metrics.is_on() {
            return publishing.await;
        }
        let started = Instant::now();
        let result = publishing.await;
        self.metrics.published(started.elapsed());
        result
    }
}

impl ApiState {
    /// State for `config`, with `config.max_in_flight` publish permits, open to everyone.
    pub fn new(
        nats: NatsClient,
        recorder: StatusRecorder,
        store: Store,
        config: ApiConfig,
    ) -> Self {
        Self::with_access(nats, recorder, store, config, Access::open())
    }

    /// The same with `access` deciding who may call which route.
    pub fn with_access(
        nats: NatsClient,
        recorder: StatusRecorder,
        store: Store,
        config: ApiConfig,
        access: Access,
    ) -> Self {
        let in_flight = Arc::new(Semaphore::new(config.max_in_flight));
        let metrics = if config.telemetry.metrics {
            ApiMetrics::get()
        } else {
            ApiMetrics::off()
        };
        Self(Arc::new(Shared {
            nats,
            recorder,
            store,
            config,
            in_flight,
            access,
            metrics,
        }))
    }
}

impl Deref for ApiState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
