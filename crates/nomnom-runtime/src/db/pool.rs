//! The connection pool (`deadpool-postgres`) built from `DATABASE_URL` and
//! `DATABASE_MAX_CONNECTIONS`, with timeouts so an unreachable database surfaces as an error
//! within seconds instead of a hang.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

/// How long opening one connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The pool cannot be built from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// `DATABASE_URL` is not a PostgreSQL connection string.
    #[error("DATABASE_URL is not a valid PostgreSQL URL: {0}")]
    Url(#[source] tokio_postgres::Error),
    /// The pool could not be assembled.
    #[error("cannot build the connection pool: {0}")]
    Build(String),
}

/// Builds a pool of at most `max_connections` connections to `url`. Connections open lazily,
/// so this succeeds while the database is down.
pub fn connect_pool(url: &str, max_connections: usize) -> Result<Pool, PoolError> {
    let mut config: tokio_postgres::Config = url.parse().map_err(PoolError::Url)?;
    config.connect_timeout(CONNECT_TIMEOUT);
    if config.get_application_name().is_none() {
        config.application_name("nomnom-worker");
    }
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(max_connections)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(CONNECT_TIMEOUT * 2))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| PoolError::Build(e.to_string()))
}
