//! Reading the mappings of a transform and of its tests (known keys, the names other tools
//! use pointed to ours) and the spans their diagnostics mark.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::raw::list;
use crate::suggest;
use crate::yaml::{Kind, Node, Span};

/// Where a node is written, whole: a flow collection (`[...]`, `{...}`) from its opening to
/// its closing bracket (the parser locates only its first character).
pub(super) fn extent(node: &Node, source: &str) -> Span {
    let last_end = match &node.kind {
        Kind::Seq(items) => items.last().map(|i| end_of(extent(i, source))),
        Kind::Map(entries) => entries
            .last()
            .map(|(k, v)| end_of(extent(k, source)).max(end_of(extent(v, source)))),
        _ => return node.span,
    };
    let close = match source
        .get(node.span.offset..)
        .and_then(|r| r.chars().next())
    {
        Some('[') => ']',
        Some('{') => '}',
        // A block collection ends with its last item.
        _ => {
            return last_end.map_or(node.span, |end| Span {
                offset: node.span.offset,
                len: end.saturating_sub(node.span.offset),
            })
        }
    };
    let from = last_end.unwrap_or(node.span.offset + 1);
    match source.get(from..).and_then(|r| r.find(close)) {
        Some(i) => Span {
            offset: node.span.offset,
            len: from + i + 1 - node.span.offset,
        },
        None => node.span,
    }
}

pub(super) fn end_of(span: Span) -> usize {
    span.offset + span.len
}

pub(super) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The entries of a mapping whose keys are among `known`.
pub(super) struct Keys<'n> {
    /// Each known key: its name, where it is written, its value.
    pub(super) known: Vec<(&'static str, Span, &'n Node)>,
    /// `true` when some key was unknown (and reported).
    pub(super) unknown: bool,
    /// The known keys the unknown ones were taken for (a typo, another tool's word): such a
    /// key is not reported missing as well.
    misspelt: Vec<&'static str>,
}

impl Keys<'_> {
    /// `true` when an unknown key was taken for `key`.
    pub(super) fn meant(&self, key: &str) -> bool {
        self.misspelt.contains(&key)
    }
}

/// The entries of a mapping whose keys must be among `known`, reporting the others (with
/// the key meant when it is a typo or one of `aliases`).
pub(super) fn keys<'n>(
    node: &'n Node,
    known: &[&'static str],
    aliases: &[(&str, &'static str)],
    context: &str,
    diags: &mut Diagnostics,
) -> Option<Keys<'n>> {
    let Kind::Map(entries) = &node.kind else {
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_shape",
                node.span,
                format!("{context} must be a mapping"),
            )
            .label("expected a mapping")
            .help(format!("{context} takes the keys {}", list(known))),
        );
        return None;
    };
    let mut out = Keys {
        known: Vec::new(),
        unknown: false,
        misspelt: Vec::new(),
    };
    for (k, v) in entries {
        let key = match &k.kind {
            Kind::Str(s) => s.as_str(),
            _ => "",
        };
        if let Some(&name) = known.iter().find(|&&n| n == key) {
            out.known.push((name, k.span, v));
            continue;
        }
        out.unknown = true;
        let meant = suggest::nearest(key, known.iter().copied()).or_else(|| {
            aliases
                .iter()
                .find(|(alias, _)| alias.eq_ignore_ascii_case(key))
                .map(|(_, ours)| *ours)
        });
        out.misspelt.extend(meant);
        let help = match meant {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("{context} takes the keys {}", list(known)),
        };
        diags.push(
            Diagnostic::error(
                "nomnom::unknown_key",
                k.span,
                format!("unknown key `{key}` in {context}"),
            )
            .label("unknown key")
            .help(help),
        );
    }
    Some(out)
}

/// `key: value` where the value must be text; points at the value, or at the key when the
/// value is empty.
pub(super) fn text_expected(key: &str, key_span: Span, value_span: Span) -> Diagnostic {
    Diagnostic::error(
        "nomnom::invalid_value",
        if value_span.len == 0 {
            key_span
        } else {
            value_span
        },
        format!("`{key}` must be text"),
    )
    .label("expected text")
    .help("quote the value")
}
