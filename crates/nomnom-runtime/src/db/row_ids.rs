//! The hidden `_id` of every generated table's rows, and the identity of a keyed row within
//! one batch.
//!
//! The worker proposes each row's `_id` from its message: [`row_id`] keeps the message id's
//! UUIDv7 timestamp in its first 48 bits and fills the rest from a hash of the message id and
//! the row's position in the body. So
//! - a redelivered message proposes the same ids, and its keyless rows are never duplicated;
//! - rows of consecutive messages get neighbouring ids, so the `_id` and `_parent_id` indexes
//!   grow at their right edge. Ids hashed from the key alone put every insert on a random page
//!   of those B-trees, and once the indexes outgrow PostgreSQL's buffers each batch dirties
//!   hundreds of pages, each written in full to the WAL after every checkpoint
//!   (`scripts/probe-id-locality.sh` measures both).
//!
//! A keyed row keeps the `_id` it was first written with: writing its key again updates the
//! row in place. The upsert of a keyed table with children returns each row's stored id
//! next to the proposed one, and [`StoredIds`] ties the children to the row that is really
//! there.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::{Display, Write as _};

use tokio_postgres::Row;
use uuid::Uuid;

/// The `_id` proposed for the row at `path` (a JSON pointer, `""` for the root record) of
/// message `message_id`: time-ordered like a UUIDv7 when the message id is one (the API
/// makes them so), a plain UUIDv5 hash otherwise (message ids derived from an
/// `Idempotency-Key` carry no time).
pub fn row_id(message_id: Uuid, path: &str) -> Uuid {
    let hashed = Uuid::new_v5(&message_id, path.as_bytes());
    if message_id.get_version_num() != 7 {
        return hashed;
    }
    let mut bytes = *hashed.as_bytes();
    bytes[..6].copy_from_slice(&message_id.as_bytes()[..6]);
    bytes[6] = (bytes[6] & 0x0f) | 0x70; // version 7
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
    Uuid::from_bytes(bytes)
}

/// Namespace of [`key_id`].
const KEY_NAMESPACE: Uuid = Uuid::from_u128(0x6e6f_6d6e_6f6d_5f6b_6579_5f6e_616d_6573);

/// The identity of a keyed row within one batch: a hash of its table and key values, so two
/// records with one key meet and the later wins. Never stored.
pub fn key_id(table: &str, parts: &[&dyn Display]) -> Uuid {
    let mut name = String::from(table);
    for part in parts {
        name.push('\0');
        let _ = write!(name, "{part}");
    }
    Uuid::new_v5(&KEY_NAMESPACE, name.as_bytes())
}

/// The `_id`s a keyed table kept where they differ from the ids proposed for its rows (the
/// key was stored before, by another message).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StoredIds {
    replaced: HashMap<Uuid, Uuid>,
    rows: u64,
}

impl StoredIds {
    /// Reads the rows of an upsert that returns `(proposed _id, stored _id)`, one per row
    /// written.
    pub fn from_rows(rows: &[Row]) -> Result<StoredIds, tokio_postgres::Error> {
        let mut pairs = Vec::with_capacity(rows.len());
        for row in rows {
            pairs.push((row.try_get::<_, Uuid>(0)?, row.try_get::<_, Uuid>(1)?));
        }
        Ok(StoredIds::from_pairs(pairs))
    }

    /// From `(proposed, stored)` pairs, one per row written.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Uuid, Uuid)>) -> StoredIds {
        let mut ids = StoredIds::default();
        for (proposed, stored) in pairs {
            ids.rows += 1;
            if proposed != stored {
                ids.replaced.insert(proposed, stored);
            }
        }
        ids
    }

    /// How many rows the upsert wrote.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// `ids` with every proposed id replaced by the id stored for it; borrowed when every
    /// row was new.
    pub fn resolve<'a>(&self, ids: &'a [Uuid]) -> Cow<'a, [Uuid]> {
        if self.replaced.is_empty() {
            return Cow::Borrowed(ids);
        }
        Cow::Owned(
            ids.iter()
                .map(|id| self.replaced.get(id).copied().unwrap_or(*id))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_ids_are_deterministic_and_distinct_per_position() {
        let message = Uuid::now_v7();
        assert_eq!(row_id(message, "/items/0"), row_id(message, "/items/0"));
        assert_ne!(row_id(message, "/items/0"), row_id(message, "/items/1"));
        assert_ne!(row_id(message, ""), row_id(Uuid::now_v7(), ""));
    }

    #[test]
    fn row_ids_of_a_time_ordered_message_keep_its_time() {
        let message = Uuid::now_v7();
        let id = row_id(message, "/line_items/3");
        assert_eq!(id.get_version_num(), 7);
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(id.get_timestamp(), message.get_timestamp());
        // Rows of a later message sort after rows of an earlier one.
        let earlier = Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, 1_000, 0));
        let later = Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, 1_001, 0));
        for (a, b) in [("", ""), ("/z", "/a"), ("/a/9", "")] {
            assert!(row_id(earlier, a) < row_id(later, b), "{a} vs {b}");
        }
    }

    #[test]
    fn row_ids_of_other_messages_are_plain_hashes() {
        let keyed = Uuid::new_v5(&Uuid::NAMESPACE_OID, b"idempotency key");
        let id = row_id(keyed, "");
        assert_eq!(id, Uuid::new_v5(&keyed, b""));
        assert_eq!(id.get_version_num(), 5);
    }

    #[test]
    fn key_ids_depend_on_the_table_and_every_part() {
        let a = key_id("t", &[&"O-1", &1]);
        assert_eq!(a, key_id("t", &[&"O-1", &1]));
        assert_ne!(a, key_id("t", &[&"O-1", &2]));
        assert_ne!(a, key_id("u", &[&"O-1", &1]));
        assert_ne!(key_id("t", &[&"O-1", &12]), key_id("t", &[&"O-11", &2]));
    }

    #[test]
    fn stored_ids_replace_only_what_differs() {
        let (a, b, c, stored_b) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::new_v4(),
        );
        let none = StoredIds::from_pairs([(a, a), (c, c)]);
        assert_eq!(none.rows(), 2);
        assert!(matches!(none.resolve(&[a, c]), Cow::Borrowed(_)));
        let some = StoredIds::from_pairs([(a, a), (b, stored_b), (c, c)]);
        assert_eq!(some.rows(), 3);
        assert_eq!(
            some.resolve(&[b, a, b, c]).as_ref(),
            &[stored_b, a, stored_b, c]
        );
    }
}
