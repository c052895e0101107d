//! Per-message status tracking in the `message_status` table.

pub mod worker_updates;
