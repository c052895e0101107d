//! Applies a model's MySQL migrations in order, then the runtime's `message_status`.
//!
//! MySQL commits every DDL statement implicitly, so a migration cannot be rolled back as
//! PostgreSQL's are. The runner records a migration in `_nomnom_migrations` before its first
//! statement and counts the statements that completed (`statements_done`). When a statement
//! fails, the ones before it stay applied and recorded; the next start (after the cause is
//! fixed: a full disk, a lock, an edited migration) resumes at the failed statement instead
//! of running the whole migration again. A half-applied migration whose SQL changed stops
//! start-up, since the statements already applied may no longer be the ones in the build.
//! A named lock (`GET_LOCK`) serialises workers starting together.

use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::classify::describe;
use super::status::MESSAGE_STATUS_SQL;
use crate::db::migrate::{checksum, MigrationError, MigrationReport};
use crate::model::Migration;

/// The named lock held while migrating.
const LOCK: &str = "nomnom.migrations";
/// How long a worker waits for another one's migrations, in seconds.
const LOCK_WAIT_SECONDS: u32 = 300;

fn bookkeeping(e: mysql_async::Error) -> MigrationError {
    MigrationError::Bookkeeping(describe(&e))
}

/// Splits a migration into its statements: at each `;` outside quotes and comments.
pub fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                current.push(c);
                if c == '\\' && q != '`' {
                    if let Some(next) = chars.next() {
                        current.push(next);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => {
                    quote = Some(c);
                    current.push(c);
                }
                '-' if chars.peek() == Some(&'-') => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            current.push('\n');
                            break;
                        }
                    }
                }
                ';' => {
                    let statement = current.trim();
                    if !statement.is_empty() {
                        out.push(statement.to_string());
                    }
                    current.clear();
                }
                _ => current.push(c),
            },
        }
    }
    let statement = current.trim();
    if !statement.is_empty() {
        out.push(statement.to_string());
    }
    out
}

/// Connects with a dedicated connection (the named lock dies with it whatever happens) and
/// applies `migrations`.
pub async fn apply_migrations(
    url: &str,
    migrations: &[Migration],
) -> Result<MigrationReport, MigrationError> {
    let opts = super::options(url).map_err(|e| MigrationError::Bookkeeping(e.to_string()))?;
    let connect = Conn::new(opts);
    let mut conn = match tokio::time::timeout(crate::db::CONNECT_TIMEOUT, connect).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            return Err(MigrationError::Unreachable(format!(
                "cannot connect to the database to apply migrations: {}",
                describe(&e)
            )))
        }
        Err(_) => {
            return Err(MigrationError::Unreachable(
                "cannot connect to the database to apply migrations: timed out".to_string(),
            ))
        }
    };
    let result = apply_on(&mut conn, migrations).await;
    let _ = conn.disconnect().await;
    result
}

async fn apply_on(
    conn: &mut Conn,
    migrations: &[Migration],
) -> Result<MigrationReport, MigrationError> {
    let mut previous = i64::MIN;
    for m in migrations {
        if m.version <= previous {
            return Err(MigrationError::OutOfOrder(m.version));
        }
        previous = m.version;
    }
    let locked: Option<i64> = conn
        .exec_first("SELECT GET_LOCK(?, ?)", (LOCK, LOCK_WAIT_SECONDS))
        .await
        .map_err(bookkeeping)?;
    if locked != Some(1) {
        return Err(MigrationError::Bookkeeping(format!(
            "another worker held the migration lock for {LOCK_WAIT_SECONDS} s"
        )));
    }
    conn.query_drop(
        "CREATE TABLE IF NOT EXISTS _nomnom_migrations (
             version         BIGINT PRIMARY KEY,
             name            VARCHAR(255) NOT NULL,
             checksum        VARCHAR(64) NOT NULL,
             statements_done INT NOT NULL,
             statements      INT NOT NULL,
             applied_at      DATETIME(6) NULL
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    )
    .await
    .map_err(bookkeeping)?;
    let applied: Vec<(i64, String, u32, bool)> = conn
        .query_map(
            "SELECT version, checksum, statements_done, applied_at IS NOT NULL \
             FROM _nomnom_migrations ORDER BY version",
            |(v, c, d, a): (i64, String, u32, i64)| (v, c, d, a != 0),
        )
        .await
        .map_err(bookkeeping)?;
    let mut report = MigrationReport::default();
    for m in migrations {
        let checksum = checksum(m.sql);
        let parts = statements(m.sql);
        let mut start = 0;
        if let Some((_, recorded, done, complete)) = applied.iter().find(|(v, ..)| *v == m.version)
        {
            if *recorded != checksum {
                return Err(MigrationError::ChecksumMismatch {
                    version: m.version,
                    name: m.name.to_string(),
                    applied: recorded.clone(),
                    current: checksum,
                });
            }
            if *complete {
                report.already_applied.push(m.version);
                continue;
            }
            start = *done as usize;
            tracing::warn!(
                version = m.version,
                name = m.name,
                statement = start + 1,
                "resuming a half-applied migration"
            );
        } else {
            conn.exec_drop(
                "INSERT INTO _nomnom_migrations (version, name, checksum, statements_done, statements) \
                 VALUES (?, ?, ?, 0, ?)",
                (m.version, m.name, &checksum, parts.len()),
            )
            .await
            .map_err(bookkeeping)?;
        }
        for (i, statement) in parts.iter().enumerate().skip(start) {
            if let Err(e) = conn.query_drop(statement).await {
                return Err(MigrationError::HalfApplied {
                    version: m.version,
                    name: m.name.to_string(),
                    applied: i,
                    total: parts.len(),
                    message: describe(&e),
                });
            }
            conn.exec_drop(
                "UPDATE _nomnom_migrations SET statements_done = ? WHERE version = ?",
                (i + 1, m.version),
            )
            .await
            .map_err(bookkeeping)?;
        }
        conn.exec_drop(
            "UPDATE _nomnom_migrations SET applied_at = CURRENT_TIMESTAMP(6) WHERE version = ?",
            (m.version,),
        )
        .await
        .map_err(bookkeeping)?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        report.applied.push(m.version);
    }
    for statement in statements(MESSAGE_STATUS_SQL) {
        conn.query_drop(&statement)
            .await
            .map_err(|e| MigrationError::Failed {
                version: 0,
                name: "message_status (the runtime's)".to_string(),
                message: describe(&e),
            })?;
    }
    conn.exec_drop("DO RELEASE_LOCK(?)", (LOCK,))
        .await
        .map_err(bookkeeping)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::statements;

    #[test]
    fn statements_split_at_semicolons_outside_quotes_and_comments() {
        let sql = "-- a; comment\nCREATE TABLE `a;b` (x TEXT DEFAULT 'i;j');\n\nCREATE INDEX i ON t (x) ;";
        assert_eq!(
            statements(sql),
            vec![
                "CREATE TABLE `a;b` (x TEXT DEFAULT 'i;j')".to_string(),
                "CREATE INDEX i ON t (x)".to_string()
            ]
        );
    }
}
