//! PostgreSQL: connection pool from the environment, the migration runner, and the
//! classification of database errors into "this record is refused" and "try again later".

pub mod classify;
pub mod migrate;
pub mod pool;

pub use classify::{classify, FailureClass};
pub use migrate::{apply_migrations, MigrationError, MigrationReport};
pub use pool::{connect_pool, PoolError};
