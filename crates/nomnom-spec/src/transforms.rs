//! `transforms:`: user functions in Rust that computed fields call like built-ins. Each has a
//! `doc`, ordered `args` (`- name: type`), `returns` (a type, `?` for nullable), a `rust`
//! body evaluating to `Result<T, String>`, and `tests` (`{args: [...], returns: value}` or
//! `{args: [...], error: "text"}`). Names, types and every test value are checked here; the
//! body is Rust, checked when the generated crate compiles (`nomnom test` does that).

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{functions, Env, Transform, TransformParam, ValueType};
use crate::literal::literal_for;
use crate::model::{Expected, Literal, ScalarType, TransformTest, UserTransform};
use crate::names;
use crate::raw::list;
use crate::suggest;
use crate::yaml::{Kind, Node, Span};

/// Keys of one transform.
const TRANSFORM_KEYS: &[&str] = &["doc", "args", "returns", "rust", "tests"];
/// Keys of one test.
const TEST_KEYS: &[&str] = &["args", "returns", "error"];

/// Reads and checks the `transforms:` section.
pub fn check(node: Option<&Node>, source: &str, diags: &mut Diagnostics) -> Vec<UserTransform> {
    let Some(node) = node else {
        return Vec::new();
    };
    let entries = match &node.kind {
        Kind::Null => return Vec::new(),
        Kind::Map(entries) => entries,
        _ => {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_shape",
                    node.span,
                    "`transforms` must be a mapping of function names to definitions",
                )
                .label("not a mapping")
                .help("write one `name: {doc, args, returns, rust, tests}` per function"),
            );
            return Vec::new();
        }
    };
    let mut out: Vec<UserTransform> = Vec::new();
    for (key, value) in entries {
        let Kind::Str(name) = &key.kind else {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_name",
                    key.span,
                    "transform names must be text",
                )
                .label("not a name")
                .help("name the function in snake_case, for example `normalize_phone`"),
            );
            continue;
        };
        let legal = check_name(name, key.span, "transform", diags);
        if functions::builtin(name).is_some() {
            diags.push(
                Diagnostic::error(
                    "nomnom::reserved_name",
                    key.span,
                    format!("`{name}` is a built-in function"),
                )
                .label("shadows the built-in")
                .help("give the transform another name"),
            );
            continue;
        }
        if out.iter().any(|t| &t.name == name) {
            continue; // duplicate keys are a YAML error, reported by the loader
        }
        if let Some(t) = transform(name, value, key.span, source, diags) {
            if legal {
                out.push(t);
            }
        }
    }
    out
}

/// The signatures of `transforms`, as expressions see them.
pub fn env(transforms: &[UserTransform]) -> Env {
    let mut env = Env::new();
    for t in transforms {
        let params = t
            .params
            .iter()
            .map(|(name, ty)| TransformParam {
                name: name.clone(),
                ty: *ty,
            })
            .collect();
        env.transforms.insert(
            t.name.clone(),
            Transform {
                params,
                returns: t.returns,
            },
        );
    }
    env
}

/// `true` when `name` is a snake_case Rust identifier; reports it otherwise.
fn check_name(name: &str, span: Span, what: &str, diags: &mut Diagnostics) -> bool {
    let snake = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if snake && !names::is_rust_keyword(name) {
        return true;
    }
    let suggestion = names::snake_case(name);
    diags.push(
        Diagnostic::error(
            "nomnom::invalid_name",
            span,
            format!("{what} name `{name}` is not a snake_case Rust identifier"),
        )
        .label(if snake {
            "a Rust keyword"
        } else {
            "not snake_case"
        })
        .help(if snake {
            format!("rename it, for example `{name}_value`")
        } else {
            format!("write lower-case ASCII letters, digits and `_`, for example `{suggestion}`")
        }),
    );
    false
}

fn transform(
    name: &str,
    node: &Node,
    name_span: Span,
    source: &str,
    diags: &mut Diagnostics,
) -> Option<UserTransform> {
    let context = format!("transform `{name}`");
    let entries = keys(node, TRANSFORM_KEYS, &context, diags)?;
    let get = |key: &str| entries.iter().find(|(k, _, _)| *k == key);
    let doc = match get("doc") {
        Some((
            _,
            _,
            Node {
                kind: Kind::Str(d), ..
            },
        )) => Some(d.clone()),
        Some((_, _, other)) => {
            diags.push(text_expected("doc", other.span));
            None
        }
        None => None,
    };
    let params = match get("args") {
        Some((_, _, args)) => params(name, args, diags)?,
        None => Vec::new(),
    };
    let returns = match get("returns") {
        Some((
            _,
            _,
            Node {
                kind: Kind::Str(t),
                span,
            },
        )) => value_type(t, *span, "return", diags)?,
        Some((_, _, other)) => {
            diags.push(text_expected("returns", other.span));
            return None;
        }
        None => {
            diags.push(
                Diagnostic::error(
                    "nomnom::missing_key",
                    name_span,
                    format!("{context} has no `returns`"),
                )
                .label("`returns` missing")
                .help(
                    "say what it returns: `returns: string`, or `string?` when it may return null",
                ),
            );
            return None;
        }
    };
    let (rust, rust_line) = match get("rust") {
        Some((
            _,
            _,
            Node {
                kind: Kind::Str(body),
                span,
            },
        )) if !body.trim().is_empty() => {
            // A block scalar (`rust: |`) starts on the line after its indicator.
            let block = source
                .get(span.offset..)
                .is_some_and(|s| s.starts_with(['|', '>']));
            (
                body.clone(),
                line_of(source, span.offset) + usize::from(block),
            )
        }
        found => {
            let span = found.map_or(name_span, |(_, key, _)| *key);
            diags.push(
                Diagnostic::error(
                    "nomnom::missing_key",
                    span,
                    format!("{context} has no `rust` body"),
                )
                .label("no body")
                .help("write the function's body under `rust: |`; it evaluates to `Ok(value)` or `Err(message)`"),
            );
            return None;
        }
    };
    let tests = match get("tests") {
        Some((_, _, node)) => tests(name, &params, returns, node, source, diags)?,
        None => Vec::new(),
    };
    Some(UserTransform {
        name: name.to_string(),
        doc,
        params,
        returns,
        rust,
        rust_line,
        tests,
    })
}

/// `args: [- name: type, ...]`.
fn params(
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
                    Node {
                        kind: Kind::Str(t),
                        span: ts,
                    },
                ) => Some((n.clone(), *ns, t.clone(), *ts)),
                _ => None,
            },
            _ => None,
        };
        let Some((name, name_span, ty, ty_span)) = pair else {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_shape",
                    item.span,
                    format!("an argument of transform `{transform}` is not `name: type`"),
                )
                .label("expected `name: type`")
                .help(help),
            );
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
        match value_type(&ty, ty_span, "argument", diags) {
            Some(vt) => out.push((name, vt)),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `string`, `decimal?`: a scalar type, nullable with `?`.
fn value_type(text: &str, span: Span, what: &str, diags: &mut Diagnostics) -> Option<ValueType> {
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
    } else if let Some(near) = suggest::nearest(base, names.iter().copied()) {
        format!("did you mean `{near}`?")
    } else {
        format!("the types are {}; add `?` for nullable", names.join(", "))
    };
    diags.push(
        Diagnostic::error(
            "nomnom::unknown_type",
            span,
            format!("unknown {what} type `{base}`"),
        )
        .label("unknown type")
        .help(help),
    );
    None
}

/// `tests: [{args: [...], returns: value} | {args: [...], error: "text"}]`.
fn tests(
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
        let Some(entries) = keys(item, TEST_KEYS, &context, diags) else {
            ok = false;
            continue;
        };
        let get = |key: &str| entries.iter().find(|(k, _, _)| *k == key).map(|e| e.2);
        let args = match get("args") {
            Some(Node {
                kind: Kind::Seq(values),
                span,
            }) => {
                if values.len() != params.len() {
                    diags.push(
                        Diagnostic::error(
                            "nomnom::wrong_arity",
                            *span,
                            format!(
                                "{context} gives {} argument{}; `{transform}` takes {}",
                                values.len(),
                                if values.len() == 1 { "" } else { "s" },
                                params.len()
                            ),
                        )
                        .label("wrong number of arguments")
                        .help(format!(
                            "give one value per argument: {}",
                            params
                                .iter()
                                .map(|(n, _)| n.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                    ok = false;
                    continue;
                }
                let mut args = Vec::new();
                for (value, (name, ty)) in values.iter().zip(params) {
                    match test_value(value, *ty, &format!("argument `{name}`"), source, diags) {
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
                diags.push(
                    Diagnostic::error(
                        "nomnom::missing_key",
                        item.span,
                        format!("{context} has no `args`"),
                    )
                    .label("`args` missing")
                    .help("write `args: [value, ...]`, one value per argument"),
                );
                ok = false;
                continue;
            }
        };
        let expect = match (get("returns"), get("error")) {
            (Some(value), None) => {
                match test_value(value, returns, "the expected result", source, diags) {
                    Some(v) => Expected::Returns(v),
                    None => {
                        ok = false;
                        continue;
                    }
                }
            }
            (
                None,
                Some(Node {
                    kind: Kind::Str(text),
                    ..
                }),
            ) => Expected::Error(text.clone()),
            (None, Some(other)) => {
                diags.push(text_expected("error", other.span));
                ok = false;
                continue;
            }
            (returns_node, _) => {
                let both = returns_node.is_some();
                diags.push(
                    Diagnostic::error(
                        if both { "nomnom::conflict" } else { "nomnom::missing_key" },
                        item.span,
                        if both {
                            format!("{context} has both `returns` and `error`")
                        } else {
                            format!("{context} says nothing about the result")
                        },
                    )
                    .label(if both { "expects two outcomes" } else { "no expectation" })
                    .help("write `returns: value` for the expected result, or `error: text` for a call that must fail"),
                );
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

/// A test value checked against `ty`; `null` only for a nullable type.
fn test_value(
    node: &Node,
    ty: ValueType,
    what: &str,
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
            .help(format!(
                "give a {} value, or declare the type `{}?`",
                ty.ty.name(),
                ty.ty.name()
            )),
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

/// The entries of a mapping whose keys must be among `known`: key, key span, value.
fn keys<'n>(
    node: &'n Node,
    known: &[&'static str],
    context: &str,
    diags: &mut Diagnostics,
) -> Option<Vec<(&'static str, Span, &'n Node)>> {
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
    let mut out = Vec::new();
    for (k, v) in entries {
        let key = match &k.kind {
            Kind::Str(s) => s.as_str(),
            _ => "",
        };
        match known.iter().find(|&&n| n == key) {
            Some(&name) => out.push((name, k.span, v)),
            None => {
                let help = match suggest::nearest(key, known.iter().copied()) {
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
        }
    }
    Some(out)
}

fn text_expected(key: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "nomnom::invalid_value",
        span,
        format!("`{key}` must be text"),
    )
    .label("expected text")
    .help("quote the value")
}

/// The 1-based line of byte `offset` in `source`.
pub fn line_of(source: &str, offset: usize) -> usize {
    source
        .get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
}
