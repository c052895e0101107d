//! What the `Entity` derive implements for each entity of a model: reading it from a JSON
//! object, its table, its identity and version within a batch, and how children take values
//! from their parent (`from: parent.x`).

use crate::db::rows::Rows;
use crate::db::table::Table;
use crate::db::version::FieldVersion;
use crate::hl7::{Message, Segment};
use crate::json::Object;
use crate::model::{FieldError, RecordAt};

/// An entity of the model: a struct whose fields are its columns and its lists of children.
pub trait Entity: Sized + Send + Sync + 'static {
    /// Its table.
    fn table() -> &'static Table;
    /// Its rows (and those of every entity below it) for one batch.
    type Rows: Rows<Entity = Self>;

    /// `true` when the entity's records are read from HL7 v2 messages (`format: hl7v2`).
    const HL7: bool = false;

    /// Reads one record from the JSON object at `path` (a JSON pointer, `""` for the body),
    /// recording every field error; `None` when any field failed.
    fn read(object: &Object<'_>, path: &str, errors: &mut Vec<FieldError>) -> Option<Self>;

    /// Reads one record from an HL7 v2 message: the whole message for a root (`row` is
    /// `None`), or one segment row of it, recording every field error; `None` when any field
    /// failed. Entities read from JSON refuse.
    fn read_hl7(
        message: &Message<'_>,
        row: Option<&Segment<'_>>,
        errors: &mut Vec<FieldError>,
    ) -> Option<Self> {
        let _ = (message, row);
        errors.push(FieldError {
            path: String::new(),
            rule: "format",
            message: "this entity is read from JSON, not HL7 v2".to_string(),
        });
        None
    }

    /// The identity of this record's row within a batch: a hash of its table and key
    /// (the newer of two rows with the same key replaces the other); `None` for an entity
    /// without a key.
    fn key_id(&self) -> Option<uuid::Uuid>;

    /// The value of the entity's version field (`version:` in the model), compared before
    /// the order in which messages were accepted; `None` when it names none.
    fn version(&self) -> Option<FieldVersion>;

    /// Completes a record once all of it was read: computes its computed fields (each after
    /// those it reads, each checked like a field read from the message), then gives every
    /// child the values it takes from this record and finishes it. `at` is where the record
    /// sits in the body; every failure is recorded in `errors`.
    fn finish(&mut self, at: &RecordAt<'_>, errors: &mut Vec<FieldError>);

    /// Adds this record's row (its stored columns), then its children's, to `tables`.
    fn preview(&self, tables: &mut crate::preview::Tables);
}

/// An entity contained in `P`: it takes its `from: parent.x` fields from its parent.
pub trait Child<P>: Entity {
    /// Copies the parent's values into this record (its computed values included).
    fn inherit(&mut self, parent: &P);
}
