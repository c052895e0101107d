//! The database for the worker (PostgreSQL here, MySQL and MariaDB in [`mysql`], both
//! behind [`writer::RowWriter`]): the migration runner, the classification of database errors
//! into "this record is refused" and "try again later", the hidden row ids, the limits of
//! PostgreSQL's types the API checks before accepting a message, the columnar rows of a
//! batch with the set-based statements that write them, the versions that keep an older
//! message from overwriting a newer row, and the TLS connector of every connection.

pub mod classify;
pub mod limits;
pub mod migrate;
pub mod mysql;
pub mod row_ids;
pub mod rows;
pub mod store;
pub mod table;
pub mod tls;
pub mod values;
pub mod version;
pub mod write;
pub mod writer;

pub use classify::{classify, FailureClass};
pub use migrate::{apply_migrations, MigrationError, MigrationReport};
pub use store::Store;

/// How long opening one database connection (or waiting for one from the pool) may take.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
