//! Model evolution: a generated project records a snapshot of its model's schema beside its
//! migrations; generating again after the model changed compares the two and writes the next
//! migration, never editing one already written.
//!
//! - [`snapshot`]: the normalised schema of a model, written as `migrations/model.snapshot.json`;
//! - [`diff`]: two snapshots to typed [`Change`]s, each additive or destructive;
//! - [`sql`]: changes to statements, behind the [`Dialect`] seam ([`Postgres`]);
//! - [`plan`]: the changes with the migration's name and text.

mod change;
mod diff;
mod plan;
mod snapshot;
mod sql;
mod sql_mysql;

pub use change::{Change, Place};
pub use diff::diff;
pub use plan::{plan, Plan};
pub use snapshot::{ColumnSnapshot, Snapshot, TableSnapshot, Value, SNAPSHOT_PATH};
pub use sql::{Dialect, Postgres};
pub use sql_mysql::Mysql;
