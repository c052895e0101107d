//! The MariaDB stages (issue 21): `copy-mysql`, MariaDB's own write limit on the rows the
//! worker writes (`LOAD DATA LOCAL INFILE` into the real tables) beside the two set-based
//! upserts a worker could use ([`strategies`]), and `worker-mysql`, the generated tpch worker
//! on MariaDB draining a pre-filled stream ([`drain`]).
//!
//! The server measured is `NOMNOM_TEST_MYSQL_URL` (the machine's shared MariaDB by
//! default; `scripts/bench-sized-postgres.sh` starts a private one sized for the machine and
//! names it there). It must allow `LOCAL INFILE` (`local_infile=1`, MariaDB's default).

pub mod drain;
pub mod limit;
pub mod load_text;
pub mod rows;
pub mod stage;
pub mod strategies;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use mysql_async::prelude::{GlobalHandler, Queryable};
use mysql_async::{InfileData, LocalInfileError, OptsBuilder};
use serde::Serialize;

use crate::BenchError;

/// The MariaDB (or MySQL) server the stages measure: a URL of an existing database on it.
pub fn admin_url() -> String {
    nomnom_testkit::mysql_database::shared_mysql_url()
}

/// What `LOAD DATA LOCAL INFILE '<name>'` reads: data put under a name before the statement
/// runs, taken (once) when the server asks for it. The program never reads a file of the
/// disk this way.
#[derive(Clone, Default)]
pub struct Infiles(Arc<Mutex<HashMap<String, Bytes>>>);

impl Infiles {
    /// Puts `data` under `name` for the next `LOAD DATA LOCAL INFILE '<name>'`.
    pub fn put(&self, name: &str, data: Vec<u8>) {
        if let Ok(mut files) = self.0.lock() {
            files.insert(name.to_owned(), Bytes::from(data));
        }
    }
}

impl GlobalHandler for Infiles {
    fn handle(&self, file_name: &[u8]) -> BoxFuture<'static, Result<InfileData, LocalInfileError>> {
        let name = String::from_utf8_lossy(file_name).into_owned();
        let data = self.0.lock().ok().and_then(|mut files| files.remove(&name));
        Box::pin(async move {
            let data = data.ok_or_else(|| {
                LocalInfileError::OtherError(
                    format!("no data was put under the name {name:?}").into(),
                )
            })?;
            let stream: InfileData = futures_util::stream::once(async move { Ok(data) }).boxed();
            Ok(stream)
        })
    }
}

/// A connection to `url` set up as the runtime sets up the worker's (strict mode, UTC,
/// utf8mb4), whose `LOAD DATA LOCAL INFILE` statements read `infiles`.
pub async fn connect(url: &str, infiles: &Infiles) -> Result<mysql_async::Conn, BenchError> {
    let opts = nomnom_runtime::db::mysql::options(url)
        .map_err(|e| BenchError::Mysql(format!("{url}: {e}")))?;
    let opts = OptsBuilder::from_opts(opts).local_infile_handler(Some(infiles.clone()));
    mysql_async::Conn::new(opts)
        .await
        .map_err(|e| BenchError::Mysql(format!("connecting to {url}: {e}")))
}

/// The server's version and the settings the figures depend on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MariadbSettings {
    /// `@@version`.
    pub version: String,
    /// `innodb_buffer_pool_size`, bytes.
    pub innodb_buffer_pool_size: u64,
    /// `innodb_log_file_size`, bytes.
    pub innodb_log_file_size: u64,
    /// `innodb_flush_log_at_trx_commit` (1: the log is flushed at every commit).
    pub innodb_flush_log_at_trx_commit: u64,
    /// `max_allowed_packet`, bytes.
    pub max_allowed_packet: u64,
    /// `local_infile`.
    pub local_infile: bool,
}

impl MariadbSettings {
    /// Reads them from the server of `url` (a URL of an existing database on it).
    pub async fn of_server(url: &str) -> Result<MariadbSettings, BenchError> {
        let mut conn = connect(url, &Infiles::default()).await?;
        let settings = MariadbSettings::read(&mut conn).await;
        let _ = conn.disconnect().await;
        settings
    }

    /// Reads them from `conn`'s server.
    pub async fn read(conn: &mut mysql_async::Conn) -> Result<MariadbSettings, BenchError> {
        type Row = (String, u64, u64, u64, u64, u64);
        let row: Option<Row> = conn
            .query_first(
                "SELECT @@version, @@innodb_buffer_pool_size, @@innodb_log_file_size, \
                 @@innodb_flush_log_at_trx_commit, @@max_allowed_packet, @@local_infile",
            )
            .await
            .map_err(|e| BenchError::Mysql(format!("reading the server's settings: {e}")))?;
        let (version, pool, log, flush, packet, infile) =
            row.ok_or_else(|| BenchError::Mysql("the server's settings: no row".into()))?;
        Ok(MariadbSettings {
            version,
            innodb_buffer_pool_size: pool,
            innodb_log_file_size: log,
            innodb_flush_log_at_trx_commit: flush,
            max_allowed_packet: packet,
            local_infile: infile == 1,
        })
    }
}

/// Rows in each table of `tables` and the `persisted` statuses, on MySQL: the root
/// table's rows, the other tables' rows, and the statuses.
pub async fn landed(
    conn: &mut mysql_async::Conn,
    tables: &[&str],
) -> Result<(u64, u64, u64), BenchError> {
    let root = count(conn, &format!("SELECT count(*) FROM `{}`", tables[0])).await?;
    let mut children = 0;
    for table in &tables[1..] {
        children += count(conn, &format!("SELECT count(*) FROM `{table}`")).await?;
    }
    let persisted = count(
        conn,
        "SELECT count(*) FROM message_status WHERE status = 'persisted'",
    )
    .await?;
    Ok((root, children, persisted))
}

/// The single number `sql` answers.
pub async fn count(conn: &mut mysql_async::Conn, sql: &str) -> Result<u64, BenchError> {
    let n: Option<u64> = conn
        .query_first(sql)
        .await
        .map_err(|e| BenchError::Mysql(format!("{sql}: {e}")))?;
    Ok(n.unwrap_or(0))
}
