//! The checked form of an expression: each node with its type and nullability, each
//! argument with the conversion it needs. Generated code is written from it.

use std::ops::Range;

use super::functions::Function;
use super::types::{Coercion, ValueType};
use crate::model::ScalarType;

/// A checked expression node.
#[derive(Debug, Clone, PartialEq)]
pub struct Typed {
    /// What the node is, with its checked arguments.
    pub kind: TypedKind,
    /// The node's own type and nullability (before any conversion its caller applies).
    pub ty: ValueType,
    /// Byte range within the expression text.
    pub range: Range<usize>,
}

/// The forms of a checked node.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedKind {
    /// A call of a built-in function.
    Builtin {
        /// Its entry in the function table.
        function: &'static Function,
        /// Its arguments, in order.
        args: Vec<TypedArg>,
    },
    /// A call of a user transform.
    Transform {
        /// The transform's name.
        name: String,
        /// Its arguments, in order.
        args: Vec<TypedArg>,
    },
    /// A field of the entity.
    Field(String),
    /// A string literal's value.
    String(String),
    /// An integer literal.
    Integer(i64),
    /// A decimal literal, exactly as written.
    Decimal(String),
}

/// An argument of a call, with the conversion it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedArg {
    /// The argument itself.
    pub value: Typed,
    /// How it becomes the type the parameter takes.
    pub coercion: Coercion,
    /// The type the parameter takes (for a shared type, the resolved common type).
    pub ty: ScalarType,
}

impl Typed {
    /// Calls `visit` on this node and every node below it, parents first, in written order.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Typed)) {
        visit(self);
        if let TypedKind::Builtin { args, .. } | TypedKind::Transform { args, .. } = &self.kind {
            for arg in args {
                arg.value.walk(visit);
            }
        }
    }

    /// The user transforms the expression calls, in written order (each once).
    pub fn transforms(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        self.walk(&mut |t| {
            if let TypedKind::Transform { name, .. } = &t.kind {
                if !out.contains(&name.as_str()) {
                    out.push(name);
                }
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{check, parse::parse, Env, Origin};

    #[test]
    fn walks_and_lists_transforms() {
        let env = Env::new()
            .with_field("a", ScalarType::String, false)
            .with_transform(
                "f",
                &[("s", ValueType::required(ScalarType::String))],
                ValueType::required(ScalarType::String),
            );
        let expr = parse("concat(f(a), upper(f(f('x'))))").unwrap();
        let typed = check(&expr, &env, Origin::At(0)).unwrap();
        assert_eq!(typed.transforms(), ["f"]);
        let mut count = 0;
        typed.walk(&mut |_| count += 1);
        assert_eq!(count, 7);
    }
}
