//! Newest wins: the version of a keyed row, and the record of the rows a batch did not apply
//! because a newer version of them was already stored.
//!
//! Every keyed row carries a version: the order in which the API accepted its message (the
//! envelope's time-ordered id, [`crate::envelope::MessageEnvelope::version`]), stored in the
//! hidden `_version` column. An entity may name one of its fields as its version
//! (`version: updated_at` in the model); the field then decides, and the acceptance order
//! only breaks ties between equal values. An upsert applies when the incoming version is not
//! older than the stored one, so a message redelivered after newer ones were stored (a
//! worker killed mid-batch, a dead letter replayed days later) changes nothing.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// The value of an entity's version field. One entity's values are always of one variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldVersion {
    /// An `integer` field.
    Integer(i64),
    /// A `decimal` field.
    Decimal(Decimal),
    /// A `date` field.
    Date(NaiveDate),
    /// A `timestamp` field.
    Timestamp(DateTime<Utc>),
}

impl From<i64> for FieldVersion {
    fn from(value: i64) -> Self {
        FieldVersion::Integer(value)
    }
}

impl From<Decimal> for FieldVersion {
    fn from(value: Decimal) -> Self {
        FieldVersion::Decimal(value)
    }
}

impl From<NaiveDate> for FieldVersion {
    fn from(value: NaiveDate) -> Self {
        FieldVersion::Date(value)
    }
}

impl From<DateTime<Utc>> for FieldVersion {
    fn from(value: DateTime<Utc>) -> Self {
        FieldVersion::Timestamp(value)
    }
}

/// The version of one row: its entity's version field when it names one, then the order in
/// which the API accepted its message. Compared in that order (a derived `Ord` compares the
/// fields as declared).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowVersion {
    /// The entity's version field, `None` when it names none.
    pub field: Option<FieldVersion>,
    /// The message's acceptance order (a UUIDv7).
    pub accepted: Uuid,
}

/// A message whose rows in `table` were not applied: a newer version of them was already
/// stored, or came in the same batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Superseded {
    /// The message.
    pub message_id: Uuid,
    /// The table whose row was newer.
    pub table: &'static str,
}

/// The note recorded with the `persisted` status of a message some of whose rows were not
/// applied, one per message, naming the tables in the order given.
pub fn notes(superseded: &[Superseded]) -> Vec<(Uuid, String)> {
    let mut tables: Vec<(Uuid, Vec<&'static str>)> = Vec::new();
    for s in superseded {
        match tables.iter_mut().find(|(m, _)| *m == s.message_id) {
            Some((_, names)) => {
                if !names.contains(&s.table) {
                    names.push(s.table);
                }
            }
            None => tables.push((s.message_id, vec![s.table])),
        }
    }
    tables
        .into_iter()
        .map(|(message_id, names)| (message_id, note(&names)))
        .collect()
}

fn note(tables: &[&str]) -> String {
    format!(
        "not applied: a newer version was already stored in {}; nothing was overwritten",
        tables.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_decides_and_acceptance_order_breaks_ties() {
        let (early, late) = (Uuid::now_v7(), Uuid::now_v7());
        let v = |field: i64, accepted| RowVersion {
            field: Some(FieldVersion::Integer(field)),
            accepted,
        };
        assert!(v(2, early) > v(1, late), "the field comes first");
        assert!(v(1, late) > v(1, early), "then the order of acceptance");
        let plain = |accepted| RowVersion {
            field: None,
            accepted,
        };
        assert!(plain(late) > plain(early));
        let at = |s: i64| FieldVersion::from(DateTime::from_timestamp(s, 0).expect("a time"));
        assert!(at(10) > at(9));
        assert!(FieldVersion::from(Decimal::new(15, 1)) > FieldVersion::from(Decimal::ONE));
    }

    #[test]
    fn one_note_per_message_names_each_table_once() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let notes = notes(&[
            Superseded {
                message_id: a,
                table: "orders",
            },
            Superseded {
                message_id: b,
                table: "customers",
            },
            Superseded {
                message_id: a,
                table: "orders",
            },
            Superseded {
                message_id: a,
                table: "items",
            },
        ]);
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[0].0, a);
        assert_eq!(
            notes[0].1,
            "not applied: a newer version was already stored in orders, items; nothing was overwritten"
        );
        assert!(notes[1].1.contains("in customers;"));
    }
}
