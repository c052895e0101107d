//! What every handler shares.

use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::Semaphore;

use crate::config::ApiConfig;
use crate::nats::NatsClient;
use crate::status::StatusRecorder;

/// The API's shared state: the NATS client, the status store and the limits.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// Publishing and readiness.
    pub nats: NatsClient,
    /// Where accepted ids go (off the request path).
    pub recorder: StatusRecorder,
    /// Status lookups.
    pub pool: Pool,
    /// Limits.
    pub config: Arc<ApiConfig>,
    /// One permit per message being published (`API_MAX_IN_FLIGHT`).
    pub in_flight: Arc<Semaphore>,
}

impl ApiState {
    /// State for `config`, with `config.max_in_flight` publish permits.
    pub fn new(nats: NatsClient, recorder: StatusRecorder, pool: Pool, config: ApiConfig) -> Self {
        let in_flight = Arc::new(Semaphore::new(config.max_in_flight));
        Self {
            nats,
            recorder,
            pool,
            config: Arc::new(config),
            in_flight,
        }
    }
}
