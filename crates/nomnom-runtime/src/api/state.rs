//! What every handler shares.

use std::ops::Deref;
use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::Semaphore;

use super::access::Access;
use crate::config::ApiConfig;
use crate::nats::NatsClient;
use crate::status::StatusRecorder;

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
    pub pool: Pool,
    /// Limits.
    pub config: ApiConfig,
    /// One permit per message being published (`API_MAX_IN_FLIGHT`).
    pub in_flight: Arc<Semaphore>,
    /// Who may call which route, and how often.
    pub access: Access,
}

impl ApiState {
    /// State for `config`, with `config.max_in_flight` publish permits, open to everyone.
    pub fn new(nats: NatsClient, recorder: StatusRecorder, pool: Pool, config: ApiConfig) -> Self {
        Self::with_access(nats, recorder, pool, config, Access::open())
    }

    /// The same with `access` deciding who may call which route.
    pub fn with_access(
        nats: NatsClient,
        recorder: StatusRecorder,
        pool: Pool,
        config: ApiConfig,
        access: Access,
    ) -> Self {
        let in_flight = Arc::new(Semaphore::new(config.max_in_flight));
        Self(Arc::new(Shared {
            nats,
            recorder,
            pool,
            config,
            in_flight,
            access,
        }))
    }
}

impl Deref for ApiState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
