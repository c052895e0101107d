//! The parsed JSON tree. Strings and numbers borrow from the body whenever they can.

use std::borrow::Cow;

/// A JSON value. Numbers keep their exact text (`"0.10"` stays `0.10`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number exactly as written in the body.
    Number(Cow<'a, str>),
    /// A string, unescaped.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// An object.
    Object(Object<'a>),
}

/// A JSON object: its members in body order (keys are unique: the parser refuses duplicates).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object<'a> {
    members: Vec<(Cow<'a, str>, Value<'a>)>,
}

impl<'a> Object<'a> {
    /// Builds an object from members; the caller guarantees unique keys.
    pub fn from_members(members: Vec<(Cow<'a, str>, Value<'a>)>) -> Self {
        Object { members }
    }

    /// The value under `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Follows already-unescaped pointer tokens through nested objects. A missing member, or
    /// a member on the way that is not an object, means "absent".
    pub fn pointer(&self, tokens: &[&str]) -> Option<&Value<'a>> {
        let (last, path) = tokens.split_last()?;
        let mut current = self;
        for token in path {
            match current.get(token) {
                Some(Value::Object(inner)) => current = inner,
                _ => return None,
            }
        }
        current.get(last)
    }

    /// The members in body order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value<'a>)> {
        self.members.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// `true` for `{}`.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

impl Value<'_> {
    /// The JSON type's name, for error messages (`a string`, `an object`).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}
