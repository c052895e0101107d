//! A batch's rows in columnar form, and their set-based write.
//!
//! Every entity's rows are held as one `Vec` per column ([`Column`]) beside the hidden
//! columns ([`HiddenColumns`]: `_id`, `_message_id`, `_parent_id`, and the bookkeeping that
//! keeps one row per key). The `Entity` derive generates the per-table struct; everything it
//! does with those columns is here:
//! - a keyed row pushed again in the same batch replaces the earlier one (last wins), and a
//!   root record superseded by a later one with the same identity is dropped with every row
//!   below it;
//! - each table is written with one statement, arrays bound as parameters
//!   ([`write_table`]); the children of a keyed parent written again are deleted first, and
//!   point at the `_id` the parent really has.

use std::collections::HashMap;
use std::future::Future;

use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Error, Transaction};
use uuid::Uuid;

use super::row_ids::{row_id, StoredIds};
use super::table::Table;
use crate::json::escape_pointer_token;

/// The rows of one entity (and, nested, of every entity below it) for one batch. Generated
/// by the `Entity` derive.
pub trait Rows: Default + std::fmt::Debug + Send + Sync + 'static {
    /// The entity whose rows these are.
    type Entity;

    /// Adds `record`'s row at `at`, and the rows of its children.
    fn push(&mut self, at: RowAt<'_>, record: &Self::Entity);

    /// Removes every row of root record `slot` (superseded by a later one), here and below.
    fn drop_root(&mut self, slot: usize);

    /// How many rows, here and below.
    fn row_count(&self) -> usize;

    /// Writes these rows and then those below them; returns the rows written.
    fn write<'a>(
        &'a self,
        tx: &'a Transaction<'a>,
        parent: ParentRows<'a>,
    ) -> impl Future<Output = Result<u64, Error>> + Send + 'a;
}

/// Where a row sits: its root record's slot in the batch, its message, its parent row, its
/// JSON pointer in the message, its identity within the batch and its proposed `_id`.
#[derive(Debug, Clone, Copy)]
pub struct RowAt<'a> {
    root: usize,
    message_id: Uuid,
    parent_id: Option<Uuid>,
    path: &'a str,
    key: Uuid,
    id: Uuid,
}

impl RowAt<'static> {
    /// The root record of message `message_id`, in root slot `root`; `key` is its key's
    /// identity ([`super::row_ids::key_id`]), `None` when the entity has no key.
    pub fn root(root: usize, message_id: Uuid, key: Option<Uuid>) -> RowAt<'static> {
        let id = row_id(message_id, "");
        RowAt {
            root,
            message_id,
            parent_id: None,
            path: "",
            key: key.unwrap_or(id),
            id,
        }
    }
}

impl<'a> RowAt<'a> {
    /// The pointer of item `index` of this row's list at `list` (a JSON key, or a pointer
    /// starting with `/`): `/line_items/3`.
    pub fn child_path(&self, list: &str, index: usize) -> String {
        if list.starts_with('/') {
            format!("{}{list}/{index}", self.path)
        } else {
            format!("{}/{}/{index}", self.path, escape_pointer_token(list))
        }
    }

    /// The child row at `path` (from [`RowAt::child_path`]) whose key identity is `key`.
    pub fn child<'p>(&self, path: &'p str, key: Option<Uuid>) -> RowAt<'p> {
        let id = row_id(self.message_id, path);
        RowAt {
            root: self.root,
            message_id: self.message_id,
            parent_id: Some(self.id),
            path,
            key: key.unwrap_or(id),
            id,
        }
    }
}

/// The root records of a batch: which slot currently owns each identity (a root's key, or
/// its `_id` when keyless), so that a later record with the same key supersedes the earlier
/// one with every row below it.
#[derive(Debug, Default)]
pub struct RootSlots {
    owners: HashMap<Uuid, usize>,
    next: usize,
}

impl RootSlots {
    /// Starts the root record of message `message_id` whose key identity is `key` (`None`
    /// when keyless). Returns where its row sits and the slot it supersedes, whose rows the
    /// caller drops from every table.
    pub fn begin(
        &mut self,
        message_id: Uuid,
        key: Option<Uuid>,
    ) -> (RowAt<'static>, Option<usize>) {
        let at = RowAt::root(self.next, message_id, key);
        self.next += 1;
        let previous = self.owners.insert(at.key, at.root);
        (at, previous)
    }
}

/// One column of a batch.
#[derive(Debug)]
pub struct Column<T>(Vec<T>);

impl<T> Default for Column<T> {
    fn default() -> Self {
        Column(Vec::new())
    }
}

impl<T: ToSql + Sync> Column<T> {
    /// Sets the value of the row in `slot` (from [`HiddenColumns::push`]), or appends it when
    /// the row is new.
    pub fn put(&mut self, slot: Option<usize>, value: T) {
        match slot {
            Some(i) => self.0[i] = value,
            None => self.0.push(value),
        }
    }

    /// Keeps the values whose `keep` flag is set.
    pub fn retain(&mut self, keep: &[bool]) {
        let mut flags = keep.iter();
        self.0.retain(|_| flags.next().copied().unwrap_or(false));
    }

    /// The values, to bind as an array parameter.
    pub fn as_param(&self) -> &(dyn ToSql + Sync) {
        &self.0
    }

    /// The values, in row order.
    pub fn values(&self) -> &[T] {
        &self.0
    }
}

/// The hidden columns of a table's rows, and what keeps one row per identity.
#[derive(Debug, Default)]
pub struct HiddenColumns {
    /// Identity → position, for last-wins deduplication.
    index: HashMap<Uuid, usize>,
    /// The root record slot each row came from.
    root: Vec<usize>,
    /// Each row's identity within the batch.
    key: Vec<Uuid>,
    /// `_id` (proposed).
    id: Vec<Uuid>,
    /// `_message_id`.
    message_id: Vec<Uuid>,
    /// `_parent_id`: the containing row (its proposed `_id`); empty for a root entity.
    parent_id: Vec<Uuid>,
}

impl HiddenColumns {
    /// Records the row at `at`. Returns the slot of an earlier row with the same identity,
    /// which the caller's columns overwrite; `None` when the row is new and appended.
    pub fn push(&mut self, at: &RowAt<'_>) -> Option<usize> {
        let slot = self.index.get(&at.key).copied();
        if slot.is_none() {
            self.index.insert(at.key, self.key.len());
        }
        put(&mut self.root, slot, at.root);
        put(&mut self.key, slot, at.key);
        put(&mut self.id, slot, at.id);
        put(&mut self.message_id, slot, at.message_id);
        if let Some(parent_id) = at.parent_id {
            put(&mut self.parent_id, slot, parent_id);
        }
        slot
    }

    /// Removes the rows of root record `slot`; returns which rows to keep in every other
    /// column, `None` when the root had no row here.
    pub fn drop_root(&mut self, slot: usize) -> Option<Vec<bool>> {
        if !self.root.contains(&slot) {
            return None;
        }
        let keep: Vec<bool> = self.root.iter().map(|r| *r != slot).collect();
        retain(&mut self.root, &keep);
        retain(&mut self.key, &keep);
        retain(&mut self.id, &keep);
        retain(&mut self.message_id, &keep);
        retain(&mut self.parent_id, &keep);
        self.index = self.key.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        Some(keep)
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// The proposed `_id` of each row.
    pub fn ids(&self) -> &[Uuid] {
        &self.id
    }
}

fn put<T>(column: &mut Vec<T>, slot: Option<usize>, value: T) {
    match slot {
        Some(i) => column[i] = value,
        None => column.push(value),
    }
}

fn retain<T>(column: &mut Vec<T>, keep: &[bool]) {
    let mut flags = keep.iter();
    column.retain(|_| flags.next().copied().unwrap_or(false));
}

/// What a table's rows hang from, for [`write_table`].
#[derive(Debug, Clone, Copy)]
pub enum ParentRows<'a> {
    /// Nothing: a root entity.
    Root,
    /// A keyless parent: its rows keep the `_id`s proposed for them.
    Keyless,
    /// A keyed parent: `written` are the stored `_id`s of its rows in this batch (their old
    /// children are replaced), `stored` maps proposed ids to stored ones.
    Keyed {
        /// The `_id`s the parent rows have now.
        written: &'a [Uuid],
        /// Proposed → stored `_id`, where they differ.
        stored: &'a StoredIds,
    },
}

/// What writing one table left for the tables below it.
#[derive(Debug, Default)]
pub struct Written {
    rows: u64,
    keyed: Option<(Vec<Uuid>, StoredIds)>,
}

impl Written {
    /// The rows written.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// How the children of these rows find them.
    pub fn as_parent(&self) -> ParentRows<'_> {
        match &self.keyed {
            Some((written, stored)) => ParentRows::Keyed { written, stored },
            None => ParentRows::Keyless,
        }
    }
}

/// Writes one table's rows in one statement: `columns` are the model's columns in the order
/// of `table.columns`. Deletes the old children of re-ingested keyed parents first.
pub async fn write_table(
    tx: &Transaction<'_>,
    table: &'static Table,
    hidden: &HiddenColumns,
    parent: ParentRows<'_>,
    columns: &[&(dyn ToSql + Sync)],
) -> Result<Written, Error> {
    let statements = table.statements();
    let resolved;
    let parent_ids: &[Uuid] = match parent {
        ParentRows::Keyed { written, stored } => {
            if !written.is_empty() {
                tx.execute_typed(&statements.delete_children, &[(&written, Type::UUID_ARRAY)])
                    .await?;
            }
            resolved = stored.resolve(&hidden.parent_id);
            &resolved
        }
        ParentRows::Root | ParentRows::Keyless => &hidden.parent_id,
    };
    if hidden.is_empty() {
        return Ok(Written {
            rows: 0,
            keyed: table
                .returns_stored_ids()
                .then(|| (Vec::new(), StoredIds::default())),
        });
    }
    let mut params: Vec<(&(dyn ToSql + Sync), Type)> = Vec::with_capacity(columns.len() + 3);
    params.push((&hidden.id, Type::UUID_ARRAY));
    params.push((&hidden.message_id, Type::UUID_ARRAY));
    if table.has_parent {
        params.push((&parent_ids, Type::UUID_ARRAY));
    }
    for (values, column) in columns.iter().zip(table.columns) {
        params.push((*values, column.kind.array_type()));
    }
    if !table.returns_stored_ids() {
        let rows = tx.execute_typed(&statements.insert, &params).await?;
        return Ok(Written { rows, keyed: None });
    }
    let answered = tx.query_typed(&statements.insert, &params).await?;
    let stored = StoredIds::from_rows(&answered)?;
    let written = stored.resolve(&hidden.id).into_owned();
    Ok(Written {
        rows: stored.rows(),
        keyed: Some((written, stored)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::row_ids::key_id;

    #[test]
    fn a_key_pushed_again_replaces_its_row_and_a_dropped_root_takes_its_rows() {
        let mut hidden = HiddenColumns::default();
        let mut values = Column::default();
        let (m1, m2) = (Uuid::now_v7(), Uuid::now_v7());
        let k = Some(key_id("t", &[&"a"]));
        let first = RowAt::root(0, m1, k);
        let slot = hidden.push(&first);
        values.put(slot, 1i64);
        let other = RowAt::root(1, m1, Some(key_id("t", &[&"b"])));
        let slot = hidden.push(&other);
        values.put(slot, 2);
        let again = RowAt::root(2, m2, k);
        let slot = hidden.push(&again);
        assert_eq!(slot, Some(0));
        values.put(slot, 3);
        assert_eq!(values.values(), &[3, 2]);
        assert_eq!(hidden.ids(), &[row_id(m2, ""), row_id(m1, "")]);

        let keep = hidden.drop_root(1).expect("root 1 has a row");
        values.retain(&keep);
        assert_eq!(values.values(), &[3]);
        assert!(hidden.drop_root(1).is_none());
        assert_eq!(hidden.len(), 1);
    }

    #[test]
    fn children_are_placed_by_pointer_and_point_at_their_parent() {
        let message = Uuid::now_v7();
        let root = RowAt::root(0, message, None);
        let path = root.child_path("line~items", 2);
        assert_eq!(path, "/line~0items/2");
        let pointer = root.child_path("/a/b", 0);
        assert_eq!(pointer, "/a/b/0");
        let child = root.child(&path, None);
        assert_eq!(child.parent_id, Some(row_id(message, "")));
        assert_eq!(child.id, row_id(message, "/line~0items/2"));
        assert_eq!(child.key, child.id, "a keyless row is its own identity");
    }
}
