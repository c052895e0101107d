//! What an expression can name: the fields of its entity and the user transforms. The model
//! fills an [`Env`] per entity; tests build one by hand.

use std::collections::{BTreeMap, BTreeSet};

use super::types::ValueType;
use crate::model::ScalarType;

/// What a field name stands for in an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// A scalar field (stored, input-only, copied from the parent or computed), with its
    /// declared type.
    Value(ValueType),
    /// A `list<Entity>` field: it has no single value, naming it is an error.
    List(String),
}

/// One parameter of a user transform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransformParam {
    /// Its name, for messages.
    pub name: String,
    /// Its type; `nullable`: the Rust function takes an `Option` and sees nulls.
    pub ty: ValueType,
}

/// A user transform's signature (`transforms:` in the model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    /// Its parameters, in order.
    pub params: Vec<TransformParam>,
    /// What it returns; `nullable`: it may return `None`.
    pub returns: ValueType,
}

/// The names an expression may use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// The entity's fields by name.
    pub fields: BTreeMap<String, Binding>,
    /// The user transforms by name (a built-in function of the same name wins; the model
    /// should refuse such a transform).
    pub transforms: BTreeMap<String, Transform>,
    /// Fields of the entity whose own definition is in error (an unknown type, say): naming
    /// one is not reported again.
    pub broken_fields: BTreeSet<String>,
    /// User transforms whose signature is in error: calling one is not reported again.
    pub broken_transforms: BTreeSet<String>,
    /// The entity containing this one, for hints about its fields.
    pub parent: Option<ParentScope>,
}

/// The fields of the entity containing the one an expression belongs to. An expression
/// cannot read them (a `from: parent.<field>` field copies one); diagnostics say so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParentScope {
    /// The parent entity's name.
    pub entity: String,
    /// Its fields by name.
    pub fields: BTreeMap<String, Binding>,
}

impl Env {
    /// An environment naming nothing.
    pub fn new() -> Self {
        Env::default()
    }

    /// Adds a scalar field.
    pub fn with_field(mut self, name: &str, ty: ScalarType, nullable: bool) -> Self {
        self.fields
            .insert(name.to_string(), Binding::Value(ValueType { ty, nullable }));
        self
    }

    /// Adds a `list<entity>` field.
    pub fn with_list(mut self, name: &str, entity: &str) -> Self {
        self.fields
            .insert(name.to_string(), Binding::List(entity.to_string()));
        self
    }

    /// Adds a user transform taking `params` (name and type) and returning `returns`.
    pub fn with_transform(
        mut self,
        name: &str,
        params: &[(&str, ValueType)],
        returns: ValueType,
    ) -> Self {
        let params = params
            .iter()
            .map(|(n, ty)| TransformParam {
                name: n.to_string(),
                ty: *ty,
            })
            .collect();
        self.transforms
            .insert(name.to_string(), Transform { params, returns });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_by_hand() {
        let env = Env::new()
            .with_field("a", ScalarType::String, true)
            .with_list("lines", "Line")
            .with_transform(
                "f",
                &[("x", ValueType::required(ScalarType::Integer))],
                ValueType::nullable(ScalarType::String),
            );
        assert_eq!(
            env.fields["a"],
            Binding::Value(ValueType::nullable(ScalarType::String))
        );
        assert_eq!(env.fields["lines"], Binding::List("Line".into()));
        assert_eq!(env.transforms["f"].params[0].name, "x");
        assert!(env.transforms["f"].returns.nullable);
    }
}
