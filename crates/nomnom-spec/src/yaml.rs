//! A located YAML tree: every node keeps where it was written, numbers keep their exact text.
//!
//! `serde-saphyr` parses the document (with its resource budget against alias bombs) and
//! hands each node to [`Node`]'s deserializer wrapped in a `Spanned`, so semantic checks can
//! point at the exact key or value they are about.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// Where a node was written: byte range in the source, plus 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offset of the node's first character.
    pub offset: usize,
    /// Length in bytes (0 when unknown).
    pub len: usize,
}

/// One YAML node with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub kind: Kind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of YAML node the model language distinguishes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A plain scalar YAML resolved as a number; the text is filled in from the source.
    Number(String),
    /// A string scalar.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order (duplicates kept for the caller to report).
    Map(Vec<(Node, Node)>),
}

/// The parsed kind before its location is attached (what `Spanned` wraps).
struct RawKind(Kind);

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawKind;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawKind, E> {
        Ok(RawKind(Kind::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawKind, E> {
        Ok(RawKind(Kind::Number(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawKind, E> {
        Ok(RawKind(Kind::Number(v.to_string())))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawKind, E> {
        Ok(RawKind(Kind::Number(v.to_string())))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawKind, E> {
        Ok(RawKind(Kind::Number(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawKind, E> {
        Ok(RawKind(Kind::Number(v.to_string())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawKind, E> {
        Ok(RawKind(Kind::Str(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<RawKind, E> {
        Ok(RawKind(Kind::Str(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<RawKind, E> {
        Ok(RawKind(Kind::Str(String::from_utf8_lossy(v).into_owned())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<RawKind, E> {
        Ok(RawKind(Kind::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<RawKind, E> {
        Ok(RawKind(Kind::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawKind, D::Error> {
        RawKind::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<RawKind, D::Error> {
        RawKind::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawKind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawKind>>()? {
            items.push(item);
        }
        Ok(RawKind(Kind::Seq(
            items.into_iter().map(Node::from).collect(),
        )))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawKind, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<Spanned<RawKind>, Spanned<RawKind>>()? {
            entries.push((Node::from(k), Node::from(v)));
        }
        Ok(RawKind(Kind::Map(entries)))
    }
}

impl<'de> Deserialize<'de> for RawKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

impl From<Spanned<RawKind>> for Node {
    fn from(s: Spanned<RawKind>) -> Node {
        let sp = s.referenced.span();
        let to_usize = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        Node {
            kind: s.value.0,
            span: Span {
                offset: sp.byte_offset().map_or(0, to_usize),
                len: sp.byte_len().map_or(0, to_usize),
            },
        }
    }
}

/// A document that is not well-formed YAML (or exceeds the parser's resource budget).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The parser's message, without location.
    pub message: String,
    /// Where the parser stopped.
    pub span: Span,
}

/// The deepest nesting of collections a model file may use.
pub const MAX_DEPTH: usize = 24;

/// Parses `source` into a located tree.
pub fn parse(source: &str) -> Result<Node, SyntaxError> {
    // A model is a handful of levels deep; tight limits keep hostile input (deep nesting,
    // alias bombs, huge documents) from exhausting the stack or memory.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = 100_000;
    budget.max_total_scalar_bytes = 16 * 1024 * 1024;
    let options = serde_saphyr::options! {
        strict_booleans: true,
        budget: Some(budget),
    };
    match serde_saphyr::from_str_with_options::<Spanned<RawKind>>(source, options) {
        Ok(root) => Ok(Node::from(root)),
        Err(err) => Err(syntax_error(&err, source)),
    }
}

fn syntax_error(err: &serde_saphyr::Error, source: &str) -> SyntaxError {
    use serde_saphyr::MessageFormatter;
    let inner = err.without_snippet();
    let message = serde_saphyr::DefaultMessageFormatter
        .format_message(inner)
        .lines()
        .next()
        .unwrap_or("not valid YAML")
        .to_string();
    // The parser's advice about its own options means nothing to a model's author.
    let message = match message.split_once(", set DuplicateKeyPolicy") {
        Some((head, _)) => head.replace("duplicate mapping key: ", "duplicate key: "),
        None => message,
    };
    let span = match err.location() {
        Some(loc) => Span {
            offset: byte_offset_of(source, loc.line(), loc.column()),
            len: 1,
        },
        None => Span::default(),
    };
    SyntaxError { message, span }
}

/// The byte offset of 1-based `line` and character `column` in `source` (clamped).
pub fn byte_offset_of(source: &str, line: u64, column: u64) -> usize {
    let mut offset = 0;
    for _ in 1..line {
        match source[offset..].find('\n') {
            Some(i) => offset += i + 1,
            None => return source.len(),
        }
    }
    let line_text = &source[offset..];
    let line_end = line_text.find('\n').unwrap_or(line_text.len());
    let skip = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
    offset
        + line_text[..line_end]
            .char_indices()
            .nth(skip)
            .map_or(line_end, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_locations_and_number_text() {
        let src = "a: {min: 0.150, e: [Y, yes, 01]}\nb: 2024-01-01\nc:\n";
        let Kind::Map(top) = parse(src).unwrap().kind else {
            panic!("not a map")
        };
        let Kind::Map(inner) = &top[0].1.kind else {
            panic!("not a map")
        };
        let min = &inner[0].1;
        assert!(matches!(min.kind, Kind::Number(_)));
        assert_eq!(
            &src[min.span.offset..min.span.offset + min.span.len],
            "0.150"
        );
        let Kind::Seq(e) = &inner[1].1.kind else {
            panic!("not a seq")
        };
        assert_eq!(e[0].kind, Kind::Str("Y".into()));
        assert_eq!(e[1].kind, Kind::Str("yes".into()));
        assert_eq!(top[1].1.kind, Kind::Str("2024-01-01".into()));
        assert_eq!(top[2].1.kind, Kind::Null);
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = parse("a: 1\nb: [1, 2\n").unwrap_err();
        assert!(!e.message.is_empty());
        assert!(e.span.offset >= 5, "{e:?}");
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert!(e.message.contains("duplicate"), "{e:?}");
        assert_eq!(e.span.offset, 5);
    }

    #[test]
    fn offsets_from_line_and_column() {
        assert_eq!(byte_offset_of("ab\ncd", 2, 2), 4);
        assert_eq!(byte_offset_of("ab\ncd", 9, 2), 5);
        assert_eq!(byte_offset_of("é\nxy", 1, 2), 2);
    }
}
