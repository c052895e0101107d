//! A transform's signature: its ordered `args` (`- name: type`) and the types of its
//! arguments and result.

use super::check_name;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::ValueType;
use crate::field;
use crate::model::ScalarType;
use crate::suggest;
use crate::yaml::{Kind, Node, Span};

/// `args: [- name: type, ...]`.
pub(super) fn params(
    transform: &str,
    node: &Node,
    diags: &mut Diagnostics,
) -> Option<Vec<(String, ValueType)>> {
    let help = "write one `- name: type` per argument, in order";
    let items = match &node.kind {
        Kind::Seq(items) => items.as_slice(),
        Kind::Null => &[],
        _ => {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_shape",
                    node.span,
                    format!("`args` of transform `{transform}` must be a list"),
                )
                .label("not a list")
                .help(help),
            );
            return None;
        }
    };
    let mut out: Vec<(String, ValueType)> = Vec::new();
    let mut ok = true;
    for item in items {
        let pair = match &item.kind {
            Kind::Map(entries) if entries.len() == 1 => match &entries[0] {
                (
                    Node {
                        kind: Kind::Str(n),
                        span: ns,
                    },
                    value,
                ) => Some((n.clone(), *ns, value)),
                _ => None,
            },
            _ => None,
        };
        let Some((name, name_span, value)) = pair else {
            diags.push(argument_shape(transform, item, help));
            ok = false;
            continue;
        };
        ok &= check_name(&name, name_span, "argument", diags);
        if out.iter().any(|(n, _)| *n == name) {
            diags.push(
                Diagnostic::error(
                    "nomnom::duplicate_key",
                    name_span,
                    format!("transform `{transform}` has two arguments named `{name}`"),
                )
                .label("repeated")
                .help("rename one of them"),
            );
            ok = false;
            continue;
        }
        let Kind::Str(ty) = &value.kind else {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_shape",
                    if value.span.len == 0 {
                        name_span
                    } else {
                        value.span
                    },
                    format!("argument `{name}` of transform `{transform}` has no type"),
                )
                .label("expected a type")
                .help(format!(
                    "write `- {name}: string` (or another scalar type; `?` for nullable)"
                )),
            );
            ok = false;
            continue;
        };
        let what = format!("argument `{name}` of transform `{transform}`");
        match value_type(ty, value.span, &what, diags) {
            Some(vt) => out.push((name, vt)),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// An item of `args` that is not a one-entry mapping `name: type`.
pub(super) fn argument_shape(transform: &str, item: &Node, help: &str) -> Diagnostic {
    let error = |message: String| {
        Diagnostic::error("nomnom::invalid_shape", item.span, message)
            .label("expected `name: type`")
    };
    match &item.kind {
        Kind::Str(name) => error(format!(
            "argument `{name}` of transform `{transform}` has no type"
        ))
        .help(format!(
            "write `- {name}: string` (or another scalar type; `?` for nullable)"
        )),
        Kind::Map(entries) if entries.len() > 1 => {
            let names: Vec<String> = entries
                .iter()
                .map(|(k, v)| match (&k.kind, &v.kind) {
                    (Kind::Str(k), Kind::Str(v)) => format!("`- {k}: {v}`"),
                    (Kind::Str(k), _) => format!("`- {k}: <type>`"),
                    _ => "`- name: type`".to_string(),
                })
                .collect();
            error(format!(
                "an argument of transform `{transform}` declares {} names",
                entries.len()
            ))
            .help(format!(
                "write each argument as an item of its own: {}",
                names.join(", then ")
            ))
        }
        _ => error(format!(
            "an argument of transform `{transform}` is not `name: type`"
        ))
        .help(help),
    }
}

/// `string`, `decimal?`: a scalar type, nullable with `?`; `what` names its place.
pub(super) fn value_type(
    text: &str,
    span: Span,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<ValueType> {
    let trimmed = text.trim();
    let (base, nullable) = match trimmed.strip_suffix('?') {
        Some(b) => (b.trim_end(), true),
        None => (trimmed, false),
    };
    if let Some(ty) = ScalarType::from_name(base) {
        return Some(ValueType { ty, nullable });
    }
    let names: Vec<&str> = ScalarType::ALL.iter().map(|(_, n)| *n).collect();
    let help = if base.starts_with("list") {
        "transforms take and return single values; a list has no value".to_string()
    } else if let Some(ours) = field::type_alias(base) {
        format!("did you mean `{ours}`?")
    } else if let Some(near) = suggest::nearest(base, names.iter().copied()) {
        format!("did you mean `{near}`?")
    } else {
        format!("the types are {}; add `?` for nullable", names.join(", "))
    };
    diags.push(
        Diagnostic::error(
            "nomnom::unknown_type",
            span,
            format!("unknown type `{base}` for {what}"),
        )
        .label("unknown type")
        .help(help),
    );
    None
}
