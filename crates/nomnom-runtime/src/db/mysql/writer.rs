//! The MySQL and MariaDB [`RowWriter`]: each table's rows in multi-row `INSERT … ON
//! DUPLICATE KEY UPDATE` statements ([`super::statements`]), never a statement per row.
//!
//! A statement carries at most [`MAX_PARAMS`] parameters (the protocol's limit is 65,535)
//! and about [`PACKET_BUDGET`] bytes of values, well under the default `max_allowed_packet`
//! (16 MiB on MariaDB, 64 MiB on MySQL 8). Keyed rows go in an order every worker shares, so
//! concurrent workers take their gap and record locks in the same order; a deadlock that
//! still happens is retried like any transient failure ([`super::classify`]).

use std::collections::{HashMap, HashSet};

use mysql_async::prelude::Queryable;
use mysql_async::{Params, Transaction, Value};
use uuid::Uuid;

use super::statements;
use super::value::{uuid_from, MysqlValue};
use crate::db::rows::HiddenColumns;
use crate::db::table::Table;
use crate::db::values::ColumnValues;
use crate::db::version::Superseded;
use crate::db::write::BatchWrite;
use crate::db::writer::RowWriter;

/// Parameters bound by one statement at most.
pub const MAX_PARAMS: usize = 60_000;
/// Bytes of values sent by one statement, about.
pub const PACKET_BUDGET: usize = 4 << 20;

/// Writes in the batch's transaction.
pub struct Mysql<'c, 't> {
    tx: &'c mut Transaction<'t>,
}

impl<'c, 't> Mysql<'c, 't> {
    /// Writes in `tx`.
    pub fn new(tx: &'c mut Transaction<'t>) -> Self {
        Mysql { tx }
    }
}

/// What writing a table left for the tables below it.
#[derive(Debug, Default)]
pub struct Written {
    /// For a keyed table with children: the proposed ids stored under another `_id` (their
    /// key was stored before), and the `_id`s the written rows have now.
    replaced: Option<(HashMap<Uuid, Uuid>, Vec<Uuid>)>,
    /// Proposed ids of rows not written, whose children are left out too.
    left_out: HashSet<Uuid>,
}

impl RowWriter for Mysql<'_, '_> {
    type Error = mysql_async::Error;
    type Written = Written;

    async fn write_table<'a>(
        &'a mut self,
        table: &'static Table,
        hidden: &'a HiddenColumns,
        parent: Option<&'a Written>,
        columns: &'a [&'a dyn ColumnValues],
        out: &'a mut BatchWrite,
    ) -> Result<Written, mysql_async::Error> {
        write_table(self.tx, table, hidden, parent, columns, out).await
    }
}

/// A value's share of a statement's packet.
fn size(value: &Value) -> usize {
    match value {
        Value::Bytes(bytes) => bytes.len() + 9,
        _ => 12,
    }
}

/// Runs `sql(rows)` over `rows`, each row's parameters from `row_params`, in as few
/// statements as the limits allow.
async fn in_chunks<F>(
    tx: &mut Transaction<'_>,
    rows: Vec<Vec<Value>>,
    sql: F,
) -> Result<Vec<mysql_async::Row>, mysql_async::Error>
where
    F: Fn(usize) -> String,
{
    let mut answered = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let mut count = 0;
    let mut bytes = 0;
    let mut rows = rows.into_iter().peekable();
    while let Some(row) = rows.next() {
        bytes += row.iter().map(size).sum::<usize>();
        params.extend(row);
        count += 1;
        let full = rows.peek().is_none_or(|next| {
            params.len() + next.len() > MAX_PARAMS
                || bytes + next.iter().map(size).sum::<usize>() > PACKET_BUDGET
        });
        if full {
            let statement = sql(count);
            let params = Params::Positional(std::mem::take(&mut params));
            answered.extend(tx.exec::<mysql_async::Row, _, _>(statement, params).await?);
            count = 0;
            bytes = 0;
        }
    }
    Ok(answered)
}

/// A total order on rows' keys that every worker computes alike.
fn order_key(values: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for value in values {
        match value {
            Value::NULL => out.push(0),
            Value::Bytes(bytes) => {
                out.push(1);
                out.extend_from_slice(bytes);
            }
            Value::Int(n) => {
                out.push(2);
                out.extend_from_slice(&(*n as u64 ^ (1 << 63)).to_be_bytes());
            }
            other => {
                out.push(3);
                out.extend_from_slice(format!("{other:?}").as_bytes());
            }
        }
        out.push(0xff);
    }
    out
}

async fn write_table(
    tx: &mut Transaction<'_>,
    table: &'static Table,
    hidden: &HiddenColumns,
    parent: Option<&Written>,
    columns: &[&dyn ColumnValues],
    out: &mut BatchWrite,
) -> Result<Written, mysql_async::Error> {
    let ids = hidden.ids();
    let mut left_out: HashSet<Uuid> = HashSet::new();
    let mut parent_ids: Vec<Option<Uuid>> = vec![None; ids.len()];
    if let Some(parent) = parent {
        if let Some((_, written)) = &parent.replaced {
            if !written.is_empty() {
                let rows = written.iter().map(|id| vec![id.to_mysql()]).collect();
                in_chunks(tx, rows, |n| statements::delete_children(table, n)).await?;
            }
        }
        for (i, proposed) in hidden.parent_ids().iter().enumerate() {
            if parent.left_out.contains(proposed) {
                left_out.insert(ids[i]);
            } else {
                let stored = parent.replaced.as_ref().and_then(|(s, _)| s.get(proposed));
                parent_ids[i] = Some(*stored.unwrap_or(proposed));
            }
        }
    }
    let mut written = Written {
        replaced: table
            .returns_stored_ids()
            .then(|| (HashMap::new(), Vec::new())),
        left_out: HashSet::new(),
    };
    let key_positions: Vec<usize> = table
        .key
        .iter()
        .filter_map(|k| table.columns.iter().position(|c| c.name == *k))
        .collect();
    let mut rows: Vec<(usize, Vec<Value>)> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if left_out.contains(id) {
            continue;
        }
        let mut row = Vec::with_capacity(statements::params_per_row(table));
        row.push(id.to_mysql());
        row.push(hidden.message_ids()[i].to_mysql());
        if table.is_keyed() {
            row.push(hidden.versions()[i].to_mysql());
        }
        if table.has_parent {
            row.push(parent_ids[i].to_mysql());
        }
        row.extend(columns.iter().map(|c| c.mysql(i)));
        rows.push((i, row));
    }
    let hidden_width = statements::hidden_columns(table).len();
    if table.is_keyed() {
        rows.sort_by_cached_key(|(_, row)| {
            let key: Vec<Value> = key_positions
                .iter()
                .map(|p| row[hidden_width + p].clone())
                .collect();
            order_key(&key)
        });
    }
    let keys: Vec<(usize, Vec<Value>)> = rows
        .iter()
        .map(|(i, row)| {
            let mut key = vec![Value::UInt(*i as u64)];
            key.extend(key_positions.iter().map(|p| row[hidden_width + p].clone()));
            (*i, key)
        })
        .collect();
    let count = rows.len() as u64;
    if !rows.is_empty() {
        let rows = rows.into_iter().map(|(_, row)| row).collect();
        in_chunks(tx, rows, |n| statements::insert(table, n)).await?;
    }
    out.add(table.name, count);
    if table.is_keyed() && !keys.is_empty() {
        let keys = keys.into_iter().map(|(_, key)| key).collect();
        let stored = in_chunks(tx, keys, |n| statements::stored_under_keys(table, n)).await?;
        for row in stored {
            let n: u64 = row.get(0).unwrap_or(u64::MAX);
            let Some(i) = usize::try_from(n).ok().filter(|i| *i < ids.len()) else {
                continue;
            };
            let stored_id = row.as_ref(1).and_then(uuid_from);
            let stored_version = row.as_ref(2).and_then(uuid_from);
            if stored_version != Some(hidden.versions()[i]) {
                out.rows -= 1;
                out.superseded.push(Superseded {
                    message_id: hidden.message_ids()[i],
                    table: table.name,
                });
                left_out.insert(ids[i]);
            } else if let (Some((map, now)), Some(stored_id)) = (&mut written.replaced, stored_id) {
                if stored_id != ids[i] {
                    map.insert(ids[i], stored_id);
                }
                now.push(stored_id);
            }
        }
    }
    written.left_out = left_out;
    written
        .left_out
        .extend(hidden.replaced_ids().iter().copied());
    Ok(written)
}
