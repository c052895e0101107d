//! Three ways to write one batch's rows ([`BatchRows`]) into MariaDB, each in one
//! transaction:
//!
//! - [`Strategy::LoadData`], the limit: `LOAD DATA LOCAL INFILE` straight into the real
//!   tables, as binary `COPY` is PostgreSQL's. It inserts and cannot upsert.
//! - [`Strategy::InsertUpsert`]: the runtime's own writer
//!   ([`nomnom_runtime::db::mysql::writer`]), as the worker runs it: multi-row `INSERT … ON
//!   DUPLICATE KEY UPDATE` within the parameter limit and the packet budget, the stored ids
//!   of the orders read back, the children of the written orders deleted, then the children.
//! - [`Strategy::StagingUpsert`]: the same work through staging tables: `LOAD DATA LOCAL
//!   INFILE` into a temporary table, then one `INSERT … SELECT … ON DUPLICATE KEY UPDATE`
//!   with the runtime's own assignments (the same version guard), the stored ids read back
//!   by a join, the written orders' children deleted by a join.

use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Transaction, TxOpts};
use serde::Serialize;

use nomnom_runtime::db::mysql::writer::Mysql;
use nomnom_runtime::db::mysql::{quoted, statements};
use nomnom_runtime::db::table::Table;
use nomnom_runtime::db::write::BatchWrite;
use nomnom_runtime::db::writer::RowWriter;

use super::rows::{BatchRows, TableRows, ORDERS};
use super::Infiles;
use crate::BenchError;

/// A way of writing a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// `LOAD DATA LOCAL INFILE` into the real tables (insert only): the limit.
    LoadData,
    /// The runtime's multi-row `INSERT … ON DUPLICATE KEY UPDATE`.
    InsertUpsert,
    /// `LOAD DATA LOCAL INFILE` into temporary tables, then `INSERT … SELECT … ON
    /// DUPLICATE KEY UPDATE`.
    StagingUpsert,
}

impl Strategy {
    /// All three, in running order.
    pub const ALL: [Strategy; 3] = [
        Strategy::LoadData,
        Strategy::InsertUpsert,
        Strategy::StagingUpsert,
    ];

    /// Its name in the results.
    pub fn label(self) -> &'static str {
        match self {
            Strategy::LoadData => "LOAD DATA LOCAL INFILE (insert only)",
            Strategy::InsertUpsert => "multi-row INSERT … ON DUPLICATE KEY UPDATE (the runtime's)",
            Strategy::StagingUpsert => {
                "LOAD DATA into a staging table + INSERT … SELECT … ON DUPLICATE KEY UPDATE"
            }
        }
    }
}

fn my(what: &str) -> impl Fn(mysql_async::Error) -> BenchError + '_ {
    move |e| BenchError::Mysql(format!("{what}: {e}"))
}

/// The staging table of `table`.
fn staging(table: &Table) -> String {
    quoted(&format!("stage_{}", table.name))
}

/// Every column a batch writes into `rows`' table: hidden, then the model's.
fn column_names(rows: &TableRows) -> Vec<String> {
    let mut names: Vec<String> = rows.hidden_names().into_iter().map(quoted).collect();
    names.extend(rows.table.columns.iter().map(|c| quoted(c.name)));
    names
}

/// Creates the temporary staging tables of [`Strategy::StagingUpsert`] on `conn` (once per
/// connection): the written columns of each table, without its indexes.
pub async fn create_staging(
    conn: &mut mysql_async::Conn,
    rows: &BatchRows,
) -> Result<(), BenchError> {
    for table in [&rows.orders, &rows.line_items] {
        let sql = format!(
            "CREATE TEMPORARY TABLE {} AS SELECT {} FROM {} WHERE FALSE",
            staging(table.table),
            column_names(table).join(", "),
            quoted(table.table.name)
        );
        conn.query_drop(&sql).await.map_err(my("staging table"))?;
    }
    Ok(())
}

/// Writes `rows` in one transaction the way `strategy` does; returns the rows written and the
/// time from `BEGIN` to the end of `COMMIT`.
pub async fn write(
    strategy: Strategy,
    conn: &mut mysql_async::Conn,
    infiles: &Infiles,
    rows: &BatchRows,
) -> Result<(u64, Duration), BenchError> {
    let start = Instant::now();
    let mut tx = conn
        .start_transaction(TxOpts::default())
        .await
        .map_err(my("BEGIN"))?;
    let written = match strategy {
        Strategy::LoadData => load_data(&mut tx, infiles, rows).await?,
        Strategy::InsertUpsert => insert_upsert(&mut tx, rows).await?,
        Strategy::StagingUpsert => staging_upsert(&mut tx, infiles, rows).await?,
    };
    tx.commit().await.map_err(my("COMMIT"))?;
    Ok((written, start.elapsed()))
}

/// Loads `rows` into `into` through `LOAD DATA LOCAL INFILE`; the rows loaded.
async fn load(
    tx: &mut Transaction<'_>,
    infiles: &Infiles,
    rows: &TableRows,
    into: &str,
) -> Result<u64, BenchError> {
    let name = format!("{}.tsv", rows.table.name);
    infiles.put(&name, rows.load_text());
    tx.query_drop(rows.load_statement(&name, into))
        .await
        .map_err(my("LOAD DATA LOCAL INFILE"))?;
    Ok(tx.affected_rows())
}

async fn load_data(
    tx: &mut Transaction<'_>,
    infiles: &Infiles,
    rows: &BatchRows,
) -> Result<u64, BenchError> {
    let mut written = 0;
    for table in [&rows.orders, &rows.line_items] {
        written += load(tx, infiles, table, &quoted(table.table.name)).await?;
    }
    Ok(written)
}

async fn insert_upsert(tx: &mut Transaction<'_>, rows: &BatchRows) -> Result<u64, BenchError> {
    let mut out = BatchWrite::default();
    let mut writer = Mysql::new(tx);
    let (orders, items) = (&rows.orders, &rows.line_items);
    let parent = writer
        .write_table(
            orders.table,
            &orders.hidden,
            None,
            &orders.values(),
            &mut out,
        )
        .await
        .map_err(my("the runtime's writer, orders"))?;
    writer
        .write_table(
            items.table,
            &items.hidden,
            Some(&parent),
            &items.values(),
            &mut out,
        )
        .await
        .map_err(my("the runtime's writer, line items"))?;
    Ok(out.rows)
}

/// `INSERT INTO t (…) SELECT … FROM <staging> ON DUPLICATE KEY UPDATE <the runtime's
/// assignments>`. The staging columns are renamed in a derived table, so the assignments'
/// unqualified names can only mean the target's columns.
fn upsert_from_staging(rows: &TableRows) -> String {
    let names = column_names(rows);
    let renamed: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{n} AS c{i}"))
        .collect();
    let runtime = statements::insert(rows.table, 1);
    let assignments = runtime
        .find(" ON DUPLICATE KEY UPDATE ")
        .map_or("", |at| &runtime[at..]);
    format!(
        "INSERT INTO {} ({}) SELECT * FROM (SELECT {} FROM {}) AS s{assignments}",
        quoted(rows.table.name),
        names.join(", "),
        renamed.join(", "),
        staging(rows.table)
    )
}

async fn staging_upsert(
    tx: &mut Transaction<'_>,
    infiles: &Infiles,
    rows: &BatchRows,
) -> Result<u64, BenchError> {
    let (orders, items) = (&rows.orders, &rows.line_items);
    let (target, stage) = (quoted(orders.table.name), staging(orders.table));
    let on_key: Vec<String> = ORDERS
        .key
        .iter()
        .map(|k| format!("t.{0} = s.{0}", quoted(k)))
        .collect();
    let on_key = on_key.join(" AND ");
    load(tx, infiles, orders, &stage).await?;
    tx.query_drop(upsert_from_staging(orders))
        .await
        .map_err(my("orders from staging"))?;
    let mut written = tx.affected_rows();
    // The ids stored under the batch's keys, as the runtime reads them back.
    let stored: Vec<mysql_async::Row> = tx
        .query(format!(
            "SELECT s._id, t._id, t._version FROM {stage} AS s JOIN {target} AS t ON {on_key}"
        ))
        .await
        .map_err(my("stored ids"))?;
    if stored.len() != orders.len() {
        return Err(BenchError::Mysql(format!(
            "{} orders staged, {} found under their keys",
            orders.len(),
            stored.len()
        )));
    }
    // The children of the orders written go before theirs come.
    tx.query_drop(format!(
        "DELETE c FROM {} AS c JOIN {target} AS t ON c._parent_id = t._id JOIN {stage} AS s \
         ON {on_key}",
        quoted(items.table.name)
    ))
    .await
    .map_err(my("children of written orders"))?;
    load(tx, infiles, items, &staging(items.table)).await?;
    tx.query_drop(upsert_from_staging(items))
        .await
        .map_err(my("line items from staging"))?;
    written += tx.affected_rows();
    for table in [orders, items] {
        tx.query_drop(format!("DELETE FROM {}", staging(table.table)))
            .await
            .map_err(my("emptying a staging table"))?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nomnom_runtime::db::table::{Column, ColumnKind};

    static COLUMNS: [Column; 2] = [
        Column {
            name: "order_key",
            kind: ColumnKind::Text,
        },
        Column {
            name: "clerk",
            kind: ColumnKind::Text,
        },
    ];
    static TABLE: Table = Table::new("orders", &COLUMNS, &["order_key"], None, false, true);

    #[test]
    fn the_staging_upsert_renames_its_columns_and_keeps_the_runtimes_guard() {
        let rows = BatchRows::of((&TABLE, &TABLE), &[]).unwrap();
        let sql = upsert_from_staging(&rows.orders);
        assert!(
            sql.starts_with(
                "INSERT INTO `orders` (`_id`, `_message_id`, `_version`, `order_key`, `clerk`) \
                 SELECT * FROM (SELECT `_id` AS c0, `_message_id` AS c1, `_version` AS c2, \
                 `order_key` AS c3, `clerk` AS c4 FROM `stage_orders`) AS s ON DUPLICATE KEY \
                 UPDATE "
            ),
            "{sql}"
        );
        let runtime = statements::insert(&TABLE, 1);
        assert!(sql.ends_with(&runtime[runtime.find(" ON DUPLICATE").unwrap()..]));
        assert!(
            sql.contains("`clerk` = IF(_version <= VALUES(_version), VALUES(`clerk`), `clerk`)")
        );
    }
}
