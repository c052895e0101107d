//! Per-message status tracking in the `message_status` table.
//!
//! The API records `accepted` rows off the request path ([`recorder`]); the worker upserts the
//! later states and keeps the table's time partitions ([`partitions`]). Both use the one DDL
//! in `message_status.sql`.

pub mod lookup;
pub mod partitions;
pub mod recorder;
pub mod worker_updates;

pub use lookup::{lookup, LookupError, StatusRecord};
pub use recorder::{AcceptedMessage, StatusRecorder};

/// The `message_status` table's DDL (idempotent; converts a table of an earlier release).
pub const MESSAGE_STATUS_SQL: &str = include_str!("message_status.sql");
