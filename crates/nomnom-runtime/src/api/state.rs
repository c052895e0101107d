//! What every handler shares.

use std::ops::Deref;
use std::sync::Arc;

use crate::db::Store;
use tokio::sync::Semaphore;

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
    pub store: Store,
    /// Limits.
    pub config: ApiConfig,
    /// One permit per message being published (`API_MAX_IN_FLIGHT`).
    pub in_flight: Arc<Semaphore>,
}

impl ApiState {
    /// State for `config`, with `config.max_in_flight` publish permits.
    pub fn new(
        nats: NatsClient,
        recorder: StatusRecorder,
        store: Store,
        config: ApiConfig,
    ) -> Self {
        let in_flight = Arc::new(Semaphore::new(config.max_in_flight));
        Self(Arc::new(Shared {
            nats,
            recorder,
            store,
            config,
            in_flight,
        }))
    }
}

impl Deref for ApiState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
