//! A transform's `tests`: `{args: [...], returns: value}` or `{args: [...], error: "text"}`,
//! every value checked against its type.

use super::keys::{extent, keys, plural, text_expected};
use super::line_of;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{types, ValueType};
use crate::literal::literal_for;
use crate::model::{Expected, Literal, ScalarType, TransformTest};
use crate::yaml::{Kind, Node, Span};

/// Keys of one test.
const TEST_KEYS: &[&str] = &["args", "returns", "error"];

/// Other words for the keys of a test.
const TEST_ALIASES: &[(&str, &str)] = &[
    ("arguments", "args"),
    ("input", "args"),
    ("inputs", "args"),
    ("expect", "returns"),
    ("expected", "returns"),
    ("result", "returns"),
    ("output", "returns"),
    ("equals", "returns"),
    ("fails", "error"),
    ("raises", "error"),
    ("err", "error"),
];

/// `tests: [{args: [...], returns: value} | {args: [...], error: "text"}]`.
pub(super) fn tests(
    transform: &str,
    params: &[(String, ValueType)],
    returns: ValueType,
    node: &Node,
    source: &str,
    diags: &mut Diagnostics,
) -> Option<Vec<TransformTest>> {
    let items = match &node.kind {
        Kind::Seq(items) => items.as_slice(),
        Kind::Null => &[],
        _ => {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_shape",
                    node.span,
                    format!("`tests` of transform `{transform}` must be a list"),
                )
                .label("not a list")
                .help("write one `- {args: [...], returns: value}` per test"),
            );
            return None;
        }
    };
    let mut out = Vec::new();
    let mut ok = true;
    for item in items {
        let context = format!("a test of transform `{transform}`");
        let Some(entries) = keys(item, TEST_KEYS, TEST_ALIASES, &context, diags) else {
            ok = false;
            continue;
        };
        ok &= !entries.unknown;
        let get = |key: &str| entries.known.iter().find(|(k, _, _)| *k == key);
        let args = match get("args").map(|e| e.2) {
            Some(
                list @ Node {
                    kind: Kind::Seq(values),
                    ..
                },
            ) => {
                if values.len() != params.len() {
                    let names = params
                        .iter()
                        .map(|(n, _)| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let (at, label) = if values.len() > params.len() {
                        let first = &values[params.len()];
                        let last = &values[values.len() - 1];
                        (
                            Span {
                                offset: first.span.offset,
                                len: (last.span.offset + last.span.len)
                                    .saturating_sub(first.span.offset),
                            },
                            plural(values.len() - params.len(), "extra value"),
                        )
                    } else {
                        (
                            extent(list, source),
                            format!("{} missing", plural(params.len() - values.len(), "value")),
                        )
                    };
                    diags.push(
                        Diagnostic::error(
                            "nomnom::wrong_arity",
                            at,
                            format!(
                                "{context} gives {}; `{transform}` takes {}",
                                plural(values.len(), "argument"),
                                params.len()
                            ),
                        )
                        .label(label)
                        .help(if params.is_empty() {
                            "the transform takes no argument: write `args: []`".to_string()
                        } else {
                            format!("give one value per argument, in order: {names}")
                        }),
                    );
                    ok = false;
                    continue;
                }
                let mut args = Vec::new();
                for (value, (name, ty)) in values.iter().zip(params) {
                    let null_help = format!(
                        "give {} value, or declare the argument `{name}: {}?`",
                        types::article(ty.ty),
                        ty.ty.name()
                    );
                    let what = format!("argument `{name}`");
                    match test_value(value, *ty, &what, &null_help, source, diags) {
                        Some(v) => args.push(v),
                        None => ok = false,
                    }
                }
                args
            }
            Some(other) => {
                diags.push(
                    Diagnostic::error(
                        "nomnom::invalid_shape",
                        other.span,
                        format!("`args` of {context} must be a list of values"),
                    )
                    .label("not a list")
                    .help("write `args: [value, ...]`, one value per argument"),
                );
                ok = false;
                continue;
            }
            None if params.is_empty() => Vec::new(),
            None => {
                if !entries.meant("args") {
                    diags.push(
                        Diagnostic::error(
                            "nomnom::missing_key",
                            extent(item, source),
                            format!("{context} has no `args`"),
                        )
                        .label("`args` missing")
                        .help("write `args: [value, ...]`, one value per argument"),
                    );
                }
                ok = false;
                continue;
            }
        };
        let expect = match (get("returns"), get("error")) {
            (Some((_, _, value)), None) => {
                let null_help = format!(
                    "write `error: <text>` for a call that must fail, or declare `returns: {}?`",
                    returns.ty.name()
                );
                match test_value(
                    value,
                    returns,
                    "the expected result",
                    &null_help,
                    source,
                    diags,
                ) {
                    Some(v) => Expected::Returns(v),
                    None => {
                        ok = false;
                        continue;
                    }
                }
            }
            (
                None,
                Some((
                    _,
                    _,
                    Node {
                        kind: Kind::Str(text),
                        ..
                    },
                )),
            ) => Expected::Error(text.clone()),
            (None, Some((_, key, other))) => {
                diags.push(text_expected("error", *key, other.span));
                ok = false;
                continue;
            }
            (Some(_), Some((_, error_key, _))) => {
                diags.push(
                    Diagnostic::error(
                        "nomnom::conflict",
                        *error_key,
                        format!("{context} has both `returns` and `error`"),
                    )
                    .label("a second outcome")
                    .help("write `returns: value` for the expected result, or `error: text` for a call that must fail, not both"),
                );
                ok = false;
                continue;
            }
            (None, None) => {
                if !entries.meant("returns") && !entries.meant("error") {
                    diags.push(
                        Diagnostic::error(
                            "nomnom::missing_key",
                            extent(item, source),
                            format!("{context} says nothing about the result"),
                        )
                        .label("no expectation")
                        .help("write `returns: value` for the expected result, or `error: text` for a call that must fail"),
                    );
                }
                ok = false;
                continue;
            }
        };
        out.push(TransformTest {
            args,
            expect,
            line: line_of(source, item.span.offset),
        });
    }
    ok.then_some(out)
}

/// A test value checked against `ty`; `null` only for a nullable type (`null_help` says
/// what to do instead).
pub(super) fn test_value(
    node: &Node,
    ty: ValueType,
    what: &str,
    null_help: &str,
    source: &str,
    diags: &mut Diagnostics,
) -> Option<Literal> {
    if node.kind == Kind::Null {
        if ty.nullable || ty.ty == ScalarType::Json {
            return Some(Literal::Null);
        }
        diags.push(
            Diagnostic::error(
                "nomnom::value_type_mismatch",
                node.span,
                format!("{what} is null, but its type {} is required", ty.ty.name()),
            )
            .label("null")
            .help(null_help),
        );
        return None;
    }
    match literal_for(node, ty.ty, source) {
        Ok(lit) => Some(lit),
        Err(m) => {
            diags.push(
                Diagnostic::error(
                    "nomnom::value_type_mismatch",
                    node.span,
                    format!("{what}: {}", m.message),
                )
                .label(format!("does not fit {}", ty.ty.name()))
                .help(m.help),
            );
            None
        }
    }
}
