//! A batch's rows in columnar form.
//!
//! Every entity's rows are held as one `Vec` per column ([`Column`]) beside the hidden
//! columns ([`HiddenColumns`]: `_id`, `_message_id`, `_version`, `_parent_id`, and the
//! bookkeeping that keeps one row per key). The `Entity` derive generates the per-table
//! struct; everything it does with those columns is here:
//! - of two rows with one key in the same batch, the newer one is kept (see
//!   [`super::version`]), and a root record superseded by a newer one with the same key is
//!   dropped with every row below it;
//! - the rows are written set-based by [`super::write::write_table`].

use std::collections::HashMap;
use std::future::Future;

use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::row_ids::row_id;
use super::version::{FieldVersion, RowVersion, Superseded};
use super::write::BatchWrite;
use super::writer::RowWriter;
use crate::json::escape_pointer_token;

/// The rows of one entity (and, nested, of every entity below it) for one batch. Generated
/// by the `Entity` derive.
pub trait Rows: Default + std::fmt::Debug + Send + Sync + 'static {
    /// The entity whose rows these are.
    type Entity;

    /// Adds `record`'s row at `at`, and the rows of its children; does nothing when a newer
    /// row with the same key is already in the batch.
    fn push(&mut self, at: RowAt<'_>, record: &Self::Entity);

    /// Removes every row of root record `slot` (superseded by a newer one), here and below.
    fn drop_root(&mut self, slot: usize);

    /// How many rows, here and below.
    fn row_count(&self) -> usize;

    /// Writes these rows and then those below them (`parent`: what the parent table's write
    /// left, `None` for a root entity), through the database's [`RowWriter`]; adds to `out`
    /// the rows written and the messages whose rows were not applied.
    fn write<'a, W: RowWriter>(
        &'a self,
        writer: &'a mut W,
        parent: Option<&'a W::Written>,
        out: &'a mut BatchWrite,
    ) -> impl Future<Output = Result<(), W::Error>> + Send + 'a;
}

/// Where a row sits: its root record's slot in the batch, its message and that message's
/// acceptance order, its parent row, its JSON pointer in the message, its identity within
/// the batch and its proposed `_id`.
#[derive(Debug, Clone, Copy)]
pub struct RowAt<'a> {
    root: usize,
    message_id: Uuid,
    accepted: Uuid,
    parent_id: Option<Uuid>,
    path: &'a str,
    key: Uuid,
    id: Uuid,
}

impl RowAt<'static> {
    /// The root record of message `message_id` (accepted in the order `accepted`, its
    /// envelope's version), in root slot `root`; `key` is its key's identity
    /// ([`super::row_ids::key_id`]), `None` when the entity has no key.
    pub fn root(
        root: usize,
        message_id: Uuid,
        accepted: Uuid,
        key: Option<Uuid>,
    ) -> RowAt<'static> {
        let id = row_id(message_id, "");
        RowAt {
            root,
            message_id,
            accepted,
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
            accepted: self.accepted,
            parent_id: Some(self.id),
            path,
            key: key.unwrap_or(id),
            id,
        }
    }

    /// This row's version, given its entity's version field.
    fn version(&self, field: Option<FieldVersion>) -> RowVersion {
        RowVersion {
            field,
            accepted: self.accepted,
        }
    }
}

/// A root record's place in the batch, from [`RootSlots::begin`].
#[derive(Debug, Clone, Copy)]
pub enum RootPlace {
    /// The record's rows go in at `at`; `superseded` is the slot of an older record with the
    /// same key, whose rows the caller drops from every table.
    Newest {
        /// Where its row sits.
        at: RowAt<'static>,
        /// The older record it replaces.
        superseded: Option<usize>,
    },
    /// A newer record with the same key is already in the batch: this one adds nothing.
    Older,
}

/// The root records of a batch: which slot currently owns each identity (a root's key, or
/// its `_id` when keyless) and with which version, so that the newest record with a key
/// supersedes the others with every row below them, whatever their order in the batch.
#[derive(Debug, Default)]
pub struct RootSlots {
    owners: HashMap<Uuid, Owner>,
    next: usize,
    superseded: Vec<Superseded>,
}

#[derive(Debug, Clone, Copy)]
struct Owner {
    slot: usize,
    message_id: Uuid,
    version: RowVersion,
}

impl RootSlots {
    /// Places the root record of message `message_id`, accepted in the order `accepted`,
    /// whose key identity is `key` (`None` when keyless) and whose version field holds
    /// `field`, in `table`. Of two records with one key the newer is kept and the other's
    /// message is recorded as superseded (see [`RootSlots::superseded`]).
    pub fn begin(
        &mut self,
        table: &'static str,
        message_id: Uuid,
        accepted: Uuid,
        key: Option<Uuid>,
        field: Option<FieldVersion>,
    ) -> RootPlace {
        let at = RowAt::root(self.next, message_id, accepted, key);
        self.next += 1;
        let owner = Owner {
            slot: at.root,
            message_id,
            version: at.version(field),
        };
        let previous = match self.owners.get(&at.key) {
            Some(current) if current.version > owner.version => {
                self.note(table, message_id, current.message_id);
                return RootPlace::Older;
            }
            Some(current) => {
                let current = *current;
                self.note(table, current.message_id, message_id);
                Some(current.slot)
            }
            None => None,
        };
        self.owners.insert(at.key, owner);
        RootPlace::Newest {
            at,
            superseded: previous,
        }
    }

    /// Records that `older`'s row in `table` gives way to `newer`'s. A message redelivered
    /// within one batch is its own newer version: nothing is noted.
    fn note(&mut self, table: &'static str, older: Uuid, newer: Uuid) {
        if older != newer {
            self.superseded.push(Superseded {
                message_id: older,
                table,
            });
        }
    }

    /// The messages whose root record gave way to a newer one in this batch.
    pub fn superseded(&self) -> &[Superseded] {
        &self.superseded
    }
}

/// Where a row's values go in each column, from [`HiddenColumns::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// After the others: the row is new.
    Append,
    /// Over an older row with the same key, at this position.
    Replace(usize),
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
    /// Puts the value of a row at `place` (from [`HiddenColumns::push`]).
    pub fn put(&mut self, place: Place, value: T) {
        put(&mut self.0, place, value);
    }

    /// Keeps the values whose `keep` flag is set.
    pub fn retain(&mut self, keep: &[bool]) {
        retain(&mut self.0, keep);
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
    /// Identity → position, to keep the newest row of each key.
    index: HashMap<Uuid, usize>,
    /// The root record slot each row came from.
    pub(super) root: Vec<usize>,
    /// Each row's identity within the batch.
    key: Vec<Uuid>,
    /// Each row's version, compared when a key comes again.
    version: Vec<RowVersion>,
    /// `_id` (proposed).
    pub(super) id: Vec<Uuid>,
    /// `_message_id`.
    pub(super) message_id: Vec<Uuid>,
    /// `_version`: the acceptance order of each row's message.
    pub(super) accepted: Vec<Uuid>,
    /// `_parent_id`: the containing row (its proposed `_id`); empty for a root entity.
    pub(super) parent_id: Vec<Uuid>,
    /// Proposed `_id`s of rows a newer row with the same key replaced in this batch: the
    /// rows below them are not written.
    pub(super) replaced: Vec<Uuid>,
}

impl HiddenColumns {
    /// Records the row at `at`, whose entity's version field holds `field`. Returns where
    /// the caller puts its values: appended, or over an older row with the same identity.
    /// `None` when a newer row with that identity is already here: the row, and those below
    /// it, are left out.
    pub fn push(&mut self, at: &RowAt<'_>, field: Option<FieldVersion>) -> Option<Place> {
        let version = at.version(field);
        let place = match self.index.get(&at.key) {
            Some(&i) if self.version[i] > version => return None,
            Some(&i) => {
                if self.id[i] != at.id {
                    self.replaced.push(self.id[i]);
                }
                Place::Replace(i)
            }
            None => {
                self.index.insert(at.key, self.key.len());
                Place::Append
            }
        };
        put(&mut self.root, place, at.root);
        put(&mut self.key, place, at.key);
        put(&mut self.version, place, version);
        put(&mut self.id, place, at.id);
        put(&mut self.message_id, place, at.message_id);
        put(&mut self.accepted, place, at.accepted);
        if let Some(parent_id) = at.parent_id {
            put(&mut self.parent_id, place, parent_id);
        }
        Some(place)
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
        retain(&mut self.version, &keep);
        retain(&mut self.id, &keep);
        retain(&mut self.message_id, &keep);
        retain(&mut self.accepted, &keep);
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

    /// Each row's message.
    pub fn message_ids(&self) -> &[Uuid] {
        &self.message_id
    }

    /// Each row's version (the order its message was accepted in).
    pub fn versions(&self) -> &[Uuid] {
        &self.accepted
    }

    /// Each row's parent's proposed `_id` (empty for a root entity).
    pub fn parent_ids(&self) -> &[Uuid] {
        &self.parent_id
    }

    /// The proposed ids of rows replaced in the batch by newer ones.
    pub fn replaced_ids(&self) -> &[Uuid] {
        &self.replaced
    }
}

fn put<T>(column: &mut Vec<T>, place: Place, value: T) {
    match place {
        Place::Replace(i) => column[i] = value,
        Place::Append => column.push(value),
    }
}

fn retain<T>(column: &mut Vec<T>, keep: &[bool]) {
    let mut flags = keep.iter();
    column.retain(|_| flags.next().copied().unwrap_or(false));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::row_ids::key_id;

    #[test]
    fn a_key_pushed_again_keeps_the_newer_row_and_a_dropped_root_takes_its_rows() {
        let mut hidden = HiddenColumns::default();
        let mut values = Column::default();
        let (m1, m2) = (Uuid::now_v7(), Uuid::now_v7());
        let k = Some(key_id("t", &[&"a"]));
        let first = RowAt::root(0, m1, m1, k);
        let place = hidden.push(&first, None).expect("a new row");
        assert_eq!(place, Place::Append);
        values.put(place, 1i64);
        let other = RowAt::root(1, m1, m1, Some(key_id("t", &[&"b"])));
        values.put(hidden.push(&other, None).expect("a new row"), 2);
        let again = RowAt::root(2, m2, m2, k);
        let place = hidden.push(&again, None).expect("newer");
        assert_eq!(place, Place::Replace(0));
        values.put(place, 3);
        assert_eq!(values.values(), &[3, 2]);
        assert_eq!(hidden.ids(), &[row_id(m2, ""), row_id(m1, "")]);
        assert_eq!(
            hidden.replaced,
            [row_id(m1, "")],
            "the rows below it are left out"
        );
        // The older message's row, coming after the newer one, is left out.
        assert_eq!(hidden.push(&RowAt::root(3, m1, m1, k), None), None);
        assert_eq!(values.values(), &[3, 2]);

        let keep = hidden.drop_root(1).expect("root 1 has a row");
        values.retain(&keep);
        assert_eq!(values.values(), &[3]);
        assert!(hidden.drop_root(1).is_none());
        assert_eq!(hidden.len(), 1);
    }

    #[test]
    fn a_version_field_decides_before_the_order_of_acceptance() {
        let mut hidden = HiddenColumns::default();
        let (early, late) = (Uuid::now_v7(), Uuid::now_v7());
        let k = Some(key_id("t", &[&"a"]));
        let v = |n| Some(FieldVersion::Integer(n));
        assert!(hidden.push(&RowAt::root(0, late, late, k), v(2)).is_some());
        assert_eq!(
            hidden.push(&RowAt::root(1, early, early, k), v(1)),
            None,
            "accepted later, but its field is older"
        );
        assert_eq!(
            hidden.push(&RowAt::root(2, early, early, k), v(3)),
            Some(Place::Replace(0))
        );
        assert_eq!(hidden.message_id, [early]);
    }

    #[test]
    fn the_newest_root_record_of_a_key_wins_whatever_its_place_in_the_batch() {
        let mut slots = RootSlots::default();
        let (m1, m2, m3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let k = Some(key_id("t", &[&"a"]));
        let RootPlace::Newest { superseded, .. } = slots.begin("t", m2, m2, k, None) else {
            panic!("the first record of a key is the newest so far");
        };
        assert_eq!(superseded, None);
        // A redelivered older message, after the newer one: it adds nothing.
        assert!(matches!(
            slots.begin("t", m1, m1, k, None),
            RootPlace::Older
        ));
        let RootPlace::Newest { superseded, at } = slots.begin("t", m3, m3, k, None) else {
            panic!("a newer record supersedes");
        };
        assert_eq!(superseded, Some(0));
        assert_eq!(at.root, 2);
        let older: Vec<Uuid> = slots.superseded().iter().map(|s| s.message_id).collect();
        assert_eq!(older, [m1, m2]);
        // The same message twice in one batch (a redelivery) is not a superseded version.
        assert!(matches!(
            slots.begin("t", m3, m3, k, None),
            RootPlace::Newest {
                superseded: Some(2),
                ..
            }
        ));
        assert_eq!(slots.superseded().len(), 2);
    }

    #[test]
    fn children_are_placed_by_pointer_and_point_at_their_parent() {
        let message = Uuid::now_v7();
        let root = RowAt::root(0, message, message, None);
        let path = root.child_path("line~items", 2);
        assert_eq!(path, "/line~0items/2");
        let pointer = root.child_path("/a/b", 0);
        assert_eq!(pointer, "/a/b/0");
        let child = root.child(&path, None);
        assert_eq!(child.parent_id, Some(row_id(message, "")));
        assert_eq!(child.id, row_id(message, "/line~0items/2"));
        assert_eq!(child.key, child.id, "a keyless row is its own identity");
        assert_eq!(child.accepted, message, "a child has its message's version");
    }
}
