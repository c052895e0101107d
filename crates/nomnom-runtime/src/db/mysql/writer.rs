//! The MySQL and MariaDB [`RowWriter`]: each table's rows in multi-row `INSERT … ON
//! DUPLICATE KEY UPDATE` statements ([`super::statements`]), never a statement per row, in
//! as few statements as the limits allow ([`super::chunked`]). Keyed rows go in an order
//! every worker shares, so concurrent workers take their gap and record locks in the same
//! order; a deadlock that still happens is retried like any transient failure
//! ([`super::classify`]).
//!
//! After a keyed table's upsert, what each key holds is read back: its `_id` (the children
//! hang under it) and its `_version` (a row whose key holds another version was superseded,
//! and its children are left out). Most rows are found under the `_id` proposed for them,
//! by the primary key: a row this message inserted, now or in an earlier delivery, keeps
//! that id, and a key has one row. Only the others, whose key was stored before under
//! another id, are looked up by their key.

use std::collections::{HashMap, HashSet};

use mysql_async::{Transaction, Value};
use uuid::Uuid;

use super::value::{uuid_from, MysqlValue};
use super::{chunked, statements};
use crate::db::rows::HiddenColumns;
use crate::db::table::Table;
use crate::db::values::ColumnValues;
use crate::db::version::Superseded;
use crate::db::write::BatchWrite;
use crate::db::writer::RowWriter;

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
                chunked::run(tx, rows, |n| statements::delete_children(table, n)).await?;
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
            let key = key_positions.iter().map(|p| row[hidden_width + p].clone());
            (*i, key.collect())
        })
        .collect();
    let count = rows.len() as u64;
    if !rows.is_empty() {
        let rows = rows.into_iter().map(|(_, row)| row).collect();
        chunked::run(tx, rows, |n| statements::insert(table, n)).await?;
    }
    out.add(table.name, count);
    if table.is_keyed() && !keys.is_empty() {
        for (i, stored) in stored_under_keys(tx, table, ids, keys).await? {
            if stored.version != Some(hidden.versions()[i]) {
                out.rows -= 1;
                out.superseded.push(Superseded {
                    message_id: hidden.message_ids()[i],
                    table: table.name,
                });
                left_out.insert(ids[i]);
            } else if let (Some((map, now)), Some(stored_id)) = (&mut written.replaced, stored.id) {
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

/// What a key of the batch holds after the upsert.
struct Stored {
    id: Option<Uuid>,
    version: Option<Uuid>,
}

/// What each written row's key holds now, by the row's index in the batch: first under the
/// proposed ids (`keys` gives each row's index and key values, in write order), then, for
/// the rows not found so, under their keys.
async fn stored_under_keys(
    tx: &mut Transaction<'_>,
    table: &'static Table,
    ids: &[Uuid],
    keys: Vec<(usize, Vec<Value>)>,
) -> Result<Vec<(usize, Stored)>, mysql_async::Error> {
    let proposed: Vec<Vec<Value>> = keys.iter().map(|(i, _)| vec![ids[*i].to_mysql()]).collect();
    let mut by_id: HashMap<Uuid, Option<Uuid>> = HashMap::with_capacity(keys.len());
    for row in chunked::run(tx, proposed, |n| statements::stored_under_ids(table, n)).await? {
        if let Some(id) = row.as_ref(0).and_then(uuid_from) {
            by_id.insert(id, row.as_ref(1).and_then(uuid_from));
        }
    }
    let mut found = Vec::with_capacity(keys.len());
    let mut elsewhere = Vec::new();
    for (i, key) in keys {
        match by_id.get(&ids[i]) {
            Some(version) => found.push((
                i,
                Stored {
                    id: Some(ids[i]),
                    version: *version,
                },
            )),
            None => {
                let mut numbered = Vec::with_capacity(key.len() + 1);
                numbered.push(Value::UInt(i as u64));
                numbered.extend(key);
                elsewhere.push(numbered);
            }
        }
    }
    if elsewhere.is_empty() {
        return Ok(found);
    }
    for row in chunked::run(tx, elsewhere, |n| statements::stored_under_keys(table, n)).await? {
        let n: u64 = row.get(0).unwrap_or(u64::MAX);
        let Some(i) = usize::try_from(n).ok().filter(|i| *i < ids.len()) else {
            continue;
        };
        found.push((
            i,
            Stored {
                id: row.as_ref(1).and_then(uuid_from),
                version: row.as_ref(2).and_then(uuid_from),
            },
        ));
    }
    Ok(found)
}
