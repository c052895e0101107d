//! The seam between a batch's rows and the database they go to: [`RowWriter`] writes one
//! table's rows set-based, and each database has one implementation ([`Postgres`] here,
//! [`super::mysql::writer::Mysql`]). The derive-generated rows call only this trait.

use std::future::Future;

use tokio_postgres::types::ToSql;
use tokio_postgres::Transaction;

use super::rows::HiddenColumns;
use super::table::Table;
use super::values::ColumnValues;
use super::write::{write_table, BatchWrite, ParentRows, Written};

/// Writes the rows of one table of a batch, inside the batch's transaction.
pub trait RowWriter: Send {
    /// The database's error.
    type Error: Send;
    /// What writing a table leaves for the tables below it (stored ids, rows left out).
    type Written: Send + Sync;

    /// Writes `table`'s rows (`columns` in the order of `table.columns`) below `parent`'s
    /// (`None` for a root entity); adds to `out` the rows written and the messages whose
    /// rows a newer stored version kept out.
    fn write_table<'a>(
        &'a mut self,
        table: &'static Table,
        hidden: &'a HiddenColumns,
        parent: Option<&'a Self::Written>,
        columns: &'a [&'a dyn ColumnValues],
        out: &'a mut BatchWrite,
    ) -> impl Future<Output = Result<Self::Written, Self::Error>> + Send + 'a;
}

/// PostgreSQL: every table in one `UNNEST` statement ([`write_table`]).
pub struct Postgres<'t> {
    tx: &'t Transaction<'t>,
}

impl<'t> Postgres<'t> {
    /// Writes in `tx`.
    pub fn new(tx: &'t Transaction<'t>) -> Self {
        Postgres { tx }
    }
}

impl RowWriter for Postgres<'_> {
    type Error = tokio_postgres::Error;
    type Written = Written;

    async fn write_table<'a>(
        &'a mut self,
        table: &'static Table,
        hidden: &'a HiddenColumns,
        parent: Option<&'a Written>,
        columns: &'a [&'a dyn ColumnValues],
        out: &'a mut BatchWrite,
    ) -> Result<Written, tokio_postgres::Error> {
        let params: Vec<&(dyn ToSql + Sync)> = columns.iter().map(|c| c.pg()).collect();
        let parent = parent.map_or(ParentRows::Root, Written::as_parent);
        write_table(self.tx, table, hidden, parent, &params, out).await
    }
}
