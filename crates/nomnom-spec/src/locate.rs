//! Where an entity or a field of a valid model is written, for diagnostics about the model
//! that are found after loading it (a change between two models, say).

use crate::diagnostic::Diagnostics;
use crate::raw::{self, RawProject};
use crate::yaml::{self, Span};

/// The written places of a model's entities and fields.
#[derive(Debug)]
pub struct Locator {
    raw: RawProject,
}

impl Locator {
    /// Reads the shape of the model `source` (any problems are ignored: the model is
    /// expected to have been loaded already).
    pub fn new(source: &str) -> Locator {
        let mut scratch = Diagnostics::new("", source);
        let raw = match yaml::parse(source) {
            Ok(root) => raw::read(&root, &mut scratch),
            Err(_) => RawProject::default(),
        };
        Locator { raw }
    }

    /// The `entities:` key (where a change about no written entity is reported).
    pub fn entities(&self) -> Span {
        self.raw
            .entries
            .get("entities")
            .map(|e| e.key)
            .unwrap_or(self.raw.span)
    }

    /// Where entity `name` is written.
    pub fn entity(&self, name: &str) -> Option<Span> {
        self.raw
            .entities
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.name_span)
    }

    /// A key of entity `name` (`key`, `table`), or else the entity.
    pub fn entity_key(&self, name: &str, key: &str) -> Option<Span> {
        let entity = self.raw.entities.iter().find(|e| e.name == name)?;
        Some(
            entity
                .entries
                .get(key)
                .map(|e| e.key)
                .unwrap_or(entity.name_span),
        )
    }

    /// Where field `field` of entity `entity` is written.
    pub fn field(&self, entity: &str, field: &str) -> Option<Span> {
        self.raw
            .entities
            .iter()
            .find(|e| e.name == entity)?
            .fields
            .iter()
            .find(|f| f.name == field)
            .map(|f| f.name_span)
    }

    /// A key of a field (`max_length`, `enum`), or else the field.
    pub fn field_key(&self, entity: &str, field: &str, key: &str) -> Option<Span> {
        let f = self
            .raw
            .entities
            .iter()
            .find(|e| e.name == entity)?
            .fields
            .iter()
            .find(|f| f.name == field)?;
        Some(f.entries.get(key).map(|e| e.key).unwrap_or(f.name_span))
    }
}
