//! The set-based write of a batch's rows, table by table from the roots down: each table in
//! one statement, arrays bound as parameters ([`write_table`]). The children of a keyed
//! parent written again are deleted first and point at the `_id` the parent really has; the
//! rows below a parent whose update was skipped (a newer version of it was stored) are left
//! out, at every depth.

use std::borrow::Cow;
use std::collections::HashSet;

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Error, Transaction};
use uuid::Uuid;

use super::row_ids::StoredIds;
use super::rows::HiddenColumns;
use super::table::Table;
use super::version::Superseded;

/// What writing a batch did: the rows written over all tables, and the messages whose rows
/// were not applied because a newer version of them was stored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchWrite {
    /// Rows inserted or updated.
    pub rows: u64,
    /// Rows not applied, with their message.
    pub superseded: Vec<Superseded>,
    /// Rows inserted or updated per table, in the order the tables were written.
    pub tables: Vec<(&'static str, u64)>,
}

impl BatchWrite {
    /// Adds `rows` written to `table`.
    pub(crate) fn add(&mut self, table: &'static str, rows: u64) {
        self.rows += rows;
        match self.tables.iter_mut().find(|(name, _)| *name == table) {
            Some((_, n)) => *n += rows,
            None => self.tables.push((table, rows)),
        }
    }
}

/// What a table's rows hang from, for [`write_table`].
#[derive(Debug, Clone, Copy)]
pub enum ParentRows<'a> {
    /// Nothing: a root entity.
    Root,
    /// The rows of the parent table, as written.
    Table(&'a Written),
}

/// What writing one table left for the tables below it.
#[derive(Debug, Default)]
pub struct Written {
    /// For a keyed table with children: the `_id`s its written rows have now (their old
    /// children are replaced), and the proposed ids that were stored under another id.
    replaced: Option<(Vec<Uuid>, StoredIds)>,
    /// The proposed ids of rows that were not written, whose children are left out too.
    left_out: HashSet<Uuid>,
}

impl Written {
    /// How the children of these rows find them.
    pub fn as_parent(&self) -> ParentRows<'_> {
        ParentRows::Table(self)
    }
}

/// The `_parent_id` of each row: borrowed when every parent was written under its proposed
/// id, with holes (`NULL`, not inserted) under parents that were left out.
enum ParentIds<'a> {
    Plain(Cow<'a, [Uuid]>),
    Holes(Vec<Option<Uuid>>),
}

impl ParentIds<'_> {
    fn as_param(&self) -> &(dyn ToSql + Sync) {
        match self {
            ParentIds::Plain(Cow::Borrowed(ids)) => ids,
            ParentIds::Plain(Cow::Owned(ids)) => ids,
            ParentIds::Holes(ids) => ids,
        }
    }
}

/// Resolves the rows' parent ids against what the parent table wrote, deleting the old
/// children of re-written keyed parents; returns them with the rows left out here.
async fn parent_ids<'h>(
    tx: &Transaction<'_>,
    table: &Table,
    hidden: &'h HiddenColumns,
    parent: ParentRows<'_>,
) -> Result<(ParentIds<'h>, HashSet<Uuid>), Error> {
    let ParentRows::Table(parent) = parent else {
        return Ok((ParentIds::Plain(Cow::Borrowed(&[])), HashSet::new()));
    };
    let resolved = match &parent.replaced {
        Some((written, stored)) => {
            if !written.is_empty() {
                let delete = &table.statements().delete_children;
                tx.execute_typed(delete, &[(&written, Type::UUID_ARRAY)])
                    .await?;
            }
            stored.resolve(&hidden.parent_id)
        }
        None => Cow::Borrowed(hidden.parent_id.as_slice()),
    };
    if parent.left_out.is_empty() {
        return Ok((ParentIds::Plain(resolved), HashSet::new()));
    }
    let mut left_out = HashSet::new();
    let ids = hidden
        .parent_id
        .iter()
        .zip(resolved.iter())
        .zip(&hidden.id)
        .map(|((proposed, resolved), id)| {
            if parent.left_out.contains(proposed) {
                left_out.insert(*id);
                None
            } else {
                Some(*resolved)
            }
        })
        .collect();
    Ok((ParentIds::Holes(ids), left_out))
}

/// Writes one table's rows in one statement: `columns` are the model's columns in the order
/// of `table.columns`. Adds the rows written, and the messages whose rows a newer stored
/// version kept out, to `out`.
pub async fn write_table(
    tx: &Transaction<'_>,
    table: &'static Table,
    hidden: &HiddenColumns,
    parent: ParentRows<'_>,
    columns: &[&(dyn ToSql + Sync)],
    out: &mut BatchWrite,
) -> Result<Written, Error> {
    let (parent_ids, mut left_out) = parent_ids(tx, table, hidden, parent).await?;
    // Rows replaced in the batch by newer ones are not written: nor are the rows below them.
    let replaced = hidden.replaced.iter().copied();
    let mut written = Written {
        replaced: table
            .returns_stored_ids()
            .then(|| (Vec::new(), StoredIds::default())),
        left_out: HashSet::new(),
    };
    if hidden.is_empty() || left_out.len() == hidden.len() {
        written.left_out = left_out;
        written.left_out.extend(replaced);
        return Ok(written);
    }
    let mut params: Vec<(&(dyn ToSql + Sync), Type)> = Vec::with_capacity(columns.len() + 4);
    params.push((&hidden.id, Type::UUID_ARRAY));
    params.push((&hidden.message_id, Type::UUID_ARRAY));
    if table.is_keyed() {
        params.push((&hidden.accepted, Type::UUID_ARRAY));
    }
    if table.has_parent {
        params.push((parent_ids.as_param(), Type::UUID_ARRAY));
    }
    for (values, column) in columns.iter().zip(table.columns) {
        params.push((*values, column.kind.array_type()));
    }
    let insert = &table.statements().insert;
    // Every row not left out is written, unless a newer version of its key is stored.
    let expected = (hidden.len() - left_out.len()) as u64;
    if !table.returns_stored_ids() {
        let rows = tx.execute_typed(insert, &params).await?;
        out.add(table.name, rows);
        if table.is_keyed() && rows < expected {
            let skipped = superseded_rows(tx, table, hidden, columns).await?;
            for i in skipped {
                if !left_out.contains(&hidden.id[i]) {
                    note(out, table, hidden, i);
                    left_out.insert(hidden.id[i]);
                }
            }
        }
        written.left_out = left_out;
        written.left_out.extend(replaced);
        return Ok(written);
    }
    let answered = tx.query_typed(insert, &params).await?;
    let stored = StoredIds::from_rows(&answered)?;
    out.add(table.name, stored.rows());
    if stored.rows() < expected {
        let applied: HashSet<Uuid> = answered
            .iter()
            .map(|row| row.try_get::<_, Uuid>(0))
            .collect::<Result<_, _>>()?;
        for (i, id) in hidden.id.iter().enumerate() {
            if !applied.contains(id) && !left_out.contains(id) {
                note(out, table, hidden, i);
                left_out.insert(*id);
            }
        }
    }
    let ids: Vec<Uuid> = if left_out.is_empty() {
        stored.resolve(&hidden.id).into_owned()
    } else {
        let kept: Vec<Uuid> = hidden
            .id
            .iter()
            .filter(|id| !left_out.contains(*id))
            .copied()
            .collect();
        stored.resolve(&kept).into_owned()
    };
    written.replaced = Some((ids, stored));
    written.left_out = left_out;
    written.left_out.extend(replaced);
    Ok(written)
}

fn note(out: &mut BatchWrite, table: &'static Table, hidden: &HiddenColumns, row: usize) {
    out.superseded.push(Superseded {
        message_id: hidden.message_id[row],
        table: table.name,
    });
}

/// The positions of the rows of a keyed table whose key holds another version than theirs
/// after the upsert: the ones a newer stored version kept out.
async fn superseded_rows(
    tx: &Transaction<'_>,
    table: &'static Table,
    hidden: &HiddenColumns,
    columns: &[&(dyn ToSql + Sync)],
) -> Result<Vec<usize>, Error> {
    let mut params: Vec<(&(dyn ToSql + Sync), Type)> = vec![(&hidden.accepted, Type::UUID_ARRAY)];
    for key in table.key {
        if let Some((values, column)) = columns
            .iter()
            .zip(table.columns)
            .find(|(_, c)| c.name == *key)
        {
            params.push((*values, column.kind.array_type()));
        }
    }
    let rows = tx
        .query_typed(&table.statements().superseded, &params)
        .await?;
    let mut positions = Vec::with_capacity(rows.len());
    for row in rows {
        let n: i64 = row.try_get(0)?;
        if let Some(i) = usize::try_from(n - 1).ok().filter(|i| *i < hidden.len()) {
            positions.push(i);
        }
    }
    Ok(positions)
}
