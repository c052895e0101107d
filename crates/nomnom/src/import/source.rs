//! The first nomnom's YAML files read into located trees.
//!
//! They are parsed with nomnom's own located YAML reader ([`nomnom_spec::yaml`], serde-saphyr
//! underneath): every node keeps its byte offset, which becomes the line number of a warning,
//! and the same resource limits guard against hostile input as for our own models.

use nomnom_spec::yaml::{self, Kind, Node, Span};

use super::warning::At;

/// One YAML file of the imported project.
#[derive(Debug)]
pub struct Doc {
    /// The file, relative to the project's folder (`entities/order.yaml`).
    pub file: String,
    /// Its text.
    pub text: String,
    /// Its located tree.
    pub root: Node,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl Doc {
    /// Parses `text`; the error is one line: `file:line: invalid YAML: ...`.
    pub fn parse(file: &str, text: String) -> Result<Doc, String> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect::<Vec<_>>();
        match yaml::parse(&text) {
            Ok(root) => Ok(Doc {
                file: file.to_string(),
                text,
                root,
                line_starts,
            }),
            Err(e) => {
                let doc = Doc {
                    file: file.to_string(),
                    text: String::new(),
                    root: Node {
                        kind: Kind::Null,
                        span: Span::default(),
                    },
                    line_starts,
                };
                Err(format!(
                    "{}: invalid YAML: {}",
                    doc.at_offset(e.span.offset),
                    e.message
                ))
            }
        }
    }

    /// The location of a node.
    pub fn at(&self, node: &Node) -> At {
        self.at_offset(node.span.offset)
    }

    fn at_offset(&self, offset: usize) -> At {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        At {
            file: self.file.clone(),
            line: line.max(1),
        }
    }

    /// The text of a scalar: a string as decoded, a number exactly as written, a boolean as
    /// `true`/`false`; `None` for null and collections.
    pub fn scalar(&self, node: &Node) -> Option<String> {
        match &node.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Number(n) => Some(self.number_text(node).unwrap_or_else(|| n.clone())),
            Kind::Null | Kind::Seq(_) | Kind::Map(_) => None,
        }
    }

    /// A number's text exactly as the file writes it (`450.00` stays `450.00`).
    pub fn number_text(&self, node: &Node) -> Option<String> {
        let Span { offset, len } = node.span;
        (len > 0)
            .then(|| self.text.get(offset..offset + len))
            .flatten()
            .map(str::to_string)
    }
}

/// The entries of a mapping, or `None` for any other node.
pub fn entries(node: &Node) -> Option<&[(Node, Node)]> {
    match &node.kind {
        Kind::Map(entries) => Some(entries),
        _ => None,
    }
}

/// The items of a sequence, or `None` for any other node.
pub fn items(node: &Node) -> Option<&[Node]> {
    match &node.kind {
        Kind::Seq(items) => Some(items),
        _ => None,
    }
}

/// The name of a mapping key (string keys only; numbers and booleans by their text).
pub fn key_name(key: &Node) -> Option<String> {
    match &key.kind {
        Kind::Str(s) | Kind::Number(s) => Some(s.clone()),
        Kind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The value of `key` in a mapping, with the key node (for its location).
pub fn get<'a>(map: &'a Node, key: &str) -> Option<(&'a Node, &'a Node)> {
    entries(map)?
        .iter()
        .find(|(k, _)| key_name(k).as_deref() == Some(key))
        .map(|(k, v)| (k, v))
}

/// A string value (strings only: `name: 12` is not a name).
pub fn as_str(node: &Node) -> Option<&str> {
    match &node.kind {
        Kind::Str(s) => Some(s),
        _ => None,
    }
}

/// Whether a node is null (written `null`, `~` or left empty).
pub fn is_null(node: &Node) -> bool {
    matches!(node.kind, Kind::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_nodes_and_exact_numbers() {
        let doc = Doc::parse(
            "e.yaml",
            "a: 1\nlist:\n  - name: x\n    n: 450.00\n  - name: y\n".into(),
        )
        .expect("valid");
        let (_, list) = get(&doc.root, "list").expect("list");
        let list = items(list).expect("items");
        assert_eq!(doc.at(&list[0]).line, 3);
        assert_eq!(doc.at(&list[1]).line, 5);
        let (key, n) = get(&list[0], "n").expect("n");
        assert_eq!(doc.at(key).line, 4);
        assert_eq!(doc.scalar(n).as_deref(), Some("450.00"));
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let err = Doc::parse("entities/x.yaml", "a: 1\nb: [1, 2\n".into()).unwrap_err();
        assert!(err.starts_with("entities/x.yaml:"), "{err}");
        assert!(err.contains("invalid YAML"), "{err}");
    }
}
