//! Applies a model's migrations in order, each in its own transaction, recording them in
//! `_nomnom_migrations`, then the runtime's own schema (`message_status`, idempotent: it
//! follows the runtime's releases, not the model's). A session advisory lock serialises
//! workers starting together; an applied migration whose checksum changed stops start-up.

use tokio_postgres::{Client, Config, NoTls};

use crate::model::Migration;
use crate::status::MESSAGE_STATUS_SQL;

/// The advisory lock key held while migrating (an arbitrary constant: "nomnom" in ASCII).
const LOCK_KEY: i64 = 0x6e6f_6d6e_6f6d;

/// What [`apply_migrations`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions applied by this call, in order.
    pub applied: Vec<i64>,
    /// Versions that were already applied (checksums verified).
    pub already_applied: Vec<i64>,
}

/// Why the migrations could not be applied. Every variant is a reason to stop start-up.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The database could not be reached.
    #[error("cannot connect to the database to apply migrations: {0}")]
    Connect(#[source] tokio_postgres::Error),
    /// The migration list itself is inconsistent.
    #[error("migration versions must be strictly increasing (version {0} is out of order)")]
    OutOfOrder(i64),
    /// An applied migration differs from the one in this build.
    #[error(
        "migration {version} ({name}) was applied with checksum {applied} but this build has \
         {current}: applied migrations must never change; add a new migration instead"
    )]
    ChecksumMismatch {
        /// The version.
        version: i64,
        /// Its name.
        name: String,
        /// The checksum recorded when it was applied.
        applied: String,
        /// The checksum of this build's SQL.
        current: String,
    },
    /// A migration's SQL failed (it was rolled back).
    #[error("migration {version} ({name}) failed and was rolled back: {message}")]
    Failed {
        /// The version.
        version: i64,
        /// Its name.
        name: String,
        /// PostgreSQL's message.
        message: String,
    },
    /// The database could not be reached (MySQL and MariaDB).
    #[error("{0}")]
    Unreachable(String),
    /// A statement of a MySQL migration failed after the ones before it were applied (MySQL
    /// commits DDL implicitly, so they stay); the next start resumes at the failed one.
    #[error(
        "migration {version} ({name}) failed at statement {} of {total}: {message}; the {applied}          statement(s) before it are applied and kept (MySQL cannot roll DDL back): fix the          cause and start again, the migration resumes at statement {}", applied + 1, applied + 1
    )]
    HalfApplied {
        /// The version.
        version: i64,
        /// Its name.
        name: String,
        /// Statements applied before the failure.
        applied: usize,
        /// Statements in the migration.
        total: usize,
        /// The server's message.
        message: String,
    },
    /// Reading or writing the bookkeeping table failed.
    #[error("migration bookkeeping failed: {0}")]
    Bookkeeping(String),
}

fn bookkeeping(e: tokio_postgres::Error) -> MigrationError {
    MigrationError::Bookkeeping(super::classify::describe(&e))
}

/// Connects with a dedicated connection (so the advisory lock dies with it whatever happens)
/// and applies `migrations`.
pub async fn apply_migrations(
    database: &Config,
    migrations: &[Migration],
) -> Result<MigrationReport, MigrationError> {
    let mut config = database.clone();
    config.connect_timeout(super::CONNECT_TIMEOUT);
    let (mut client, connection) = config
        .connect(NoTls)
        .await
        .map_err(MigrationError::Connect)?;
    let driver = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "migration connection closed");
        }
    });
    let result = apply_on(&mut client, migrations).await;
    drop(client);
    // The connection task ends once the client is gone; the session lock goes with it.
    let _ = driver.await;
    result
}

async fn apply_on(
    client: &mut Client,
    migrations: &[Migration],
) -> Result<MigrationReport, MigrationError> {
    let mut previous = i64::MIN;
    for m in migrations {
        if m.version <= previous {
            return Err(MigrationError::OutOfOrder(m.version));
        }
        previous = m.version;
    }
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(bookkeeping)?;
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS _nomnom_migrations (
                 version    BIGINT PRIMARY KEY,
                 name       TEXT NOT NULL,
                 checksum   TEXT NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .await
        .map_err(bookkeeping)?;
    let applied: Vec<(i64, String)> = client
        .query(
            "SELECT version, checksum FROM _nomnom_migrations ORDER BY version",
            &[],
        )
        .await
        .map_err(bookkeeping)?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let mut report = MigrationReport::default();
    for m in migrations {
        let checksum = checksum(m.sql);
        if let Some((_, recorded)) = applied.iter().find(|(v, _)| *v == m.version) {
            if *recorded != checksum {
                return Err(MigrationError::ChecksumMismatch {
                    version: m.version,
                    name: m.name.to_string(),
                    applied: recorded.clone(),
                    current: checksum,
                });
            }
            report.already_applied.push(m.version);
            continue;
        }
        let failed = |e: tokio_postgres::Error| MigrationError::Failed {
            version: m.version,
            name: m.name.to_string(),
            message: super::classify::describe(&e),
        };
        let tx = client.transaction().await.map_err(bookkeeping)?;
        tx.batch_execute(m.sql).await.map_err(failed)?;
        tx.execute(
            "INSERT INTO _nomnom_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            &[&m.version, &m.name, &checksum],
        )
        .await
        .map_err(bookkeeping)?;
        tx.commit().await.map_err(failed)?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        report.applied.push(m.version);
    }
    client
        .batch_execute(MESSAGE_STATUS_SQL)
        .await
        .map_err(|e| MigrationError::Failed {
            version: 0,
            name: "message_status (the runtime's)".to_string(),
            message: super::classify::describe(&e),
        })?;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await
        .map_err(bookkeeping)?;
    Ok(report)
}

/// The checksum recorded for a migration: FNV-1a (64-bit) of its SQL bytes, in hex. It
/// detects edits, not tampering.
pub fn checksum(sql: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in sql.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::checksum;

    #[test]
    fn checksum_changes_with_any_byte() {
        assert_eq!(checksum("CREATE TABLE a ()"), checksum("CREATE TABLE a ()"));
        assert_ne!(checksum("CREATE TABLE a ()"), checksum("CREATE TABLE b ()"));
        assert!(checksum("").starts_with("fnv1a64:"));
    }
}
