//! MySQL and MariaDB for the worker, beside PostgreSQL: the same schema and guarantees
//! through the `mysql_async` driver. The differences that bite:
//!
//! - no `UNNEST` and no `RETURNING` on an upsert: rows go in multi-row `INSERT … ON
//!   DUPLICATE KEY UPDATE` statements within the parameter limit and a packet budget, in
//!   row counts that are powers of two so each statement text is prepared once per
//!   connection ([`chunked`]), and what the batch's keys hold is read back by `SELECT`s
//!   ([`writer`]);
//! - `ON DUPLICATE KEY UPDATE` fires on *any* unique key and has no `WHERE`: the generated
//!   tables have exactly one unique key besides `_id` (the entity's key), and the version
//!   guard sits in every assignment ([`statements`]);
//! - InnoDB's REPEATABLE READ locks gaps, and batches in flight at once deadlock on them:
//!   every transaction runs READ COMMITTED, as PostgreSQL's do ([`SESSION_ISOLATION`]);
//!   rows go in a shared key order, and a deadlock (1213) or lock wait timeout (1205) that
//!   still happens is retried ([`classify`]);
//! - DDL commits implicitly, so a migration cannot be rolled back: the runner records each
//!   statement of a migration as it completes and resumes a half-applied migration at the
//!   statement that failed ([`migrate`]);
//! - strings compare byte for byte (`utf8mb4_bin`), as PostgreSQL's do, and every session
//!   runs in strict mode in UTC ([`SESSION_SETUP`]).

pub mod chunked;
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

/// The isolation of every transaction: PostgreSQL's default, READ COMMITTED. InnoDB's
/// default, REPEATABLE READ, locks the gaps its searches pass through: a batch deleting the
/// children of orders new to the table locks the gap at the end of the `_parent_id` index,
/// where the next batch's children go, and two batches in flight at once (a worker's
/// `WORKER_CONCURRENCY`, or two workers) each wait for the other's gap. Every read the writer
/// makes follows its own writes, and the newest-wins guard is evaluated on the locked
/// current row, so nothing relies on a repeatable snapshot.
pub const SESSION_ISOLATION: &str = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";

/// A MySQL identifier, always in backticks (reserved words and mixed case stay intact).
pub fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Prepared statements a connection keeps, unless the URL says (`stmt_cache_size`): a
/// batch's multi-row statements come in a few shapes per table ([`chunked`]), and one
/// evicted is prepared again by the next batch that needs it.
pub const STATEMENT_CACHE: usize = 256;

/// The connection options of `url` (`mysql://user:password@host:port/database`): the
/// session set up on every connection ([`SESSION_SETUP`], [`SESSION_ISOLATION`]), and
/// connections given back to the pool as they are, unless the URL says
/// (`reset_connection`).
///
/// `mysql_async` resets a connection given back by default (`COM_RESET_CONNECTION`): that
/// drops its prepared statements, so every batch would prepare its statements again, and
/// the session's settings, run again only because they are `setup` commands. The runtime
/// leaves no state on a connection it gives back: a transaction not committed is rolled
/// back, and the one connection that changes a setting (a status maintenance round) is
/// reset when given back.
pub fn options(url: &str) -> Result<Opts, mysql_async::UrlError> {
    let opts = Opts::from_url(url)?;
    let cache = if url.contains("stmt_cache_size=") {
        opts.stmt_cache_size()
    } else {
        STATEMENT_CACHE
    };
    let pool = if url.contains("reset_connection=") {
        opts.pool_opts().clone()
    } else {
        opts.pool_opts().clone().with_reset_connection(false)
    };
    Ok(OptsBuilder::from_opts(opts)
        .setup(vec![
            SESSION_SETUP.to_string(),
            SESSION_ISOLATION.to_string(),
        ])
        .tcp_nodelay(true)
        .stmt_cache_size(cache)
        .pool_opts(pool)
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
        assert_eq!(opts.stmt_cache_size(), STATEMENT_CACHE);
        assert!(!opts.pool_opts().reset_connection());
        let own = options("mysql://root@127.0.0.1:3306/test?stmt_cache_size=8").expect("valid");
        assert_eq!(own.stmt_cache_size(), 8);
        let reset =
            options("mysql://root@127.0.0.1:3306/test?reset_connection=true").expect("valid");
        assert!(reset.pool_opts().reset_connection());
    }
}
