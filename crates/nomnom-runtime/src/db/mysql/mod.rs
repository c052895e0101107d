//! MySQL and MariaDB for the worker, beside PostgreSQL: the same schema and guarantees
//! through the `mysql_async` driver. The differences that bite:
//!
//! - no `UNNEST` and no `RETURNING` on an upsert: rows go in multi-row `INSERT … ON
//!   DUPLICATE KEY UPDATE` statements within the parameter limit and a packet budget, and
//!   the ids stored under a batch's keys are read back with one `SELECT` ([`writer`]);
//! - `ON DUPLICATE KEY UPDATE` fires on *any* unique key and has no `WHERE`: the generated
//!   tables have exactly one unique key besides `_id` (the entity's key), and the version
//!   guard sits in every assignment ([`statements`]);
//! - InnoDB takes gap locks on the unique index under concurrent upserts: rows go in a
//!   shared key order, and a deadlock (1213) or lock wait timeout (1205) is retried
//!   ([`classify`]);
//! - DDL commits implicitly, so a migration cannot be rolled back: the runner records each
//!   statement of a migration as it completes and resumes a half-applied migration at the
//!   statement that failed ([`migrate`]);
//! - strings compare byte for byte (`utf8mb4_bin`), as PostgreSQL's do, and every session
//!   runs in strict mode in UTC ([`SESSION_SETUP`]).

pub mod classify;
pub mod migrate;
pub mod statements;
pub mod status;
pub mod value;
pub mod writer;

use mysql_async::{Opts, OptsBuilder, Pool};

/// What every connection runs first: strict mode (an out-of-range or too-long value is an
/// error, never a silent truncation), UTC for `CURRENT_TIMESTAMP`, utf8mb4.
pub const SESSION_SETUP: &str = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,\
NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00', \
NAMES utf8mb4 COLLATE utf8mb4_bin";

/// A MySQL identifier, always in backticks (reserved words and mixed case stay intact).
pub fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The connection options of `url` (`mysql://user:password@host:port/database`), with the
/// session set up on every connection.
pub fn options(url: &str) -> Result<Opts, mysql_async::UrlError> {
    let opts = Opts::from_url(url)?;
    Ok(OptsBuilder::from_opts(opts)
        .init(vec![SESSION_SETUP.to_string()])
        .tcp_nodelay(true)
        .into())
}

/// `Some` when `url` names MySQL or MariaDB (`mysql://` or `mariadb://`, the latter read as
/// the former), with the URL to connect with or why it is unusable.
pub fn url(url: &str) -> Option<Result<String, String>> {
    let rest = url
        .strip_prefix("mysql://")
        .or_else(|| url.strip_prefix("mariadb://"))?;
    let url = format!("mysql://{rest}");
    Some(match Opts::from_url(&url) {
        Ok(opts) if opts.db_name().is_some() => Ok(url),
        Ok(_) => Err(
            "expected mysql://user[:password]@host[:port]/database (no database named)".to_owned(),
        ),
        Err(_) => Err("expected mysql://user[:password]@host[:port]/database".to_owned()),
    })
}

/// A pool of connections to `url`.
pub fn pool(url: &str) -> Result<Pool, mysql_async::UrlError> {
    Ok(Pool::new(options(url)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_backticked_with_backticks_doubled() {
        assert_eq!(quoted("order"), "`order`");
        assert_eq!(quoted("we`ird"), "`we``ird`");
    }

    #[test]
    fn urls_are_read_and_bad_ones_refused() {
        let opts = options("mysql://root@127.0.0.1:3306/test").expect("valid");
        assert_eq!(opts.db_name(), Some("test"));
        assert!(options("postgres://x").is_err());
    }
}
