//! The expression tree of `compute:`: what [`parse`](super::parse) builds and
//! [`check`](super::check()) types. Every node keeps the byte range it was written at within
//! the expression text, so diagnostics can point inside the YAML string.

use std::ops::Range;

/// One node of an expression, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Byte range of the whole node within the expression text (for a call: from the first
    /// letter of its name to its closing `)`; for a string: both quotes included).
    pub range: Range<usize>,
}

/// The forms an expression can take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    /// `name(arg, …)`: a built-in function or a user transform.
    Call(Call),
    /// A field of the same entity, by name.
    Field(String),
    /// `'text'`, with `''` already turned into `'`.
    String(StringLit),
    /// `42`, `-7`: fits an `i64` (the parser rejects anything larger).
    Integer(i64),
    /// `0.15`, `-3.50`: an exact decimal, kept as written so it never passes through a float.
    Decimal(String),
}

/// A function call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The function's name as written.
    pub name: String,
    /// Byte range of the name alone.
    pub name_range: Range<usize>,
    /// The arguments, in order.
    pub args: Vec<Expr>,
}

/// A string literal: its value and where each of its characters was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLit {
    /// The value, with every `''` turned into `'`.
    pub value: String,
    /// Byte offsets (within `value`) of the quotes that were written doubled, in order; lets
    /// [`StringLit::source_offset`] map a position in the value back to the expression text.
    pub doubled_quotes: Vec<usize>,
}

impl StringLit {
    /// A literal without doubled quotes.
    pub fn plain(value: impl Into<String>) -> Self {
        StringLit {
            value: value.into(),
            doubled_quotes: Vec::new(),
        }
    }

    /// The offset, counted from the literal's opening quote, at which the byte at `offset`
    /// of the value was written: 1 for the first character, plus one for every doubled
    /// quote before it.
    pub fn source_offset(&self, offset: usize) -> usize {
        1 + offset + self.doubled_quotes.iter().filter(|&&q| q < offset).count()
    }
}

impl Expr {
    /// The call, when this node is one.
    pub fn as_call(&self) -> Option<&Call> {
        match &self.kind {
            ExprKind::Call(c) => Some(c),
            _ => None,
        }
    }

    /// `true` for string, integer and decimal literals.
    pub fn is_literal(&self) -> bool {
        matches!(
            self.kind,
            ExprKind::String(_) | ExprKind::Integer(_) | ExprKind::Decimal(_)
        )
    }

    /// Calls `visit` on this node and every node below it, parents before children, in the
    /// order they were written.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Expr)) {
        visit(self);
        if let ExprKind::Call(call) = &self.kind {
            for arg in &call.args {
                arg.walk(visit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(value: &str, doubled: &[usize]) -> StringLit {
        StringLit {
            value: value.into(),
            doubled_quotes: doubled.to_vec(),
        }
    }

    #[test]
    fn maps_value_offsets_past_doubled_quotes() {
        // Written `'it''s'`: the value is `it's`, the quote at value offset 2 was doubled.
        let s = lit("it's", &[2]);
        assert_eq!(s.source_offset(0), 1); // i
        assert_eq!(s.source_offset(2), 3); // the first written quote
        assert_eq!(s.source_offset(3), 5); // s, after `''`
        assert_eq!(StringLit::plain("ab").source_offset(1), 2);
    }

    #[test]
    fn walks_in_written_order() {
        let leaf = |kind, range| Expr { kind, range };
        let tree = leaf(
            ExprKind::Call(Call {
                name: "f".into(),
                name_range: 0..1,
                args: vec![
                    leaf(ExprKind::Field("a".into()), 2..3),
                    leaf(ExprKind::Integer(1), 5..6),
                ],
            }),
            0..7,
        );
        let mut seen = Vec::new();
        tree.walk(&mut |e| seen.push(e.range.clone()));
        assert_eq!(seen, vec![0..7, 2..3, 5..6]);
        assert!(tree.as_call().is_some());
        assert!(!tree.is_literal());
        assert!(tree.as_call().unwrap().args[1].is_literal());
    }
}
