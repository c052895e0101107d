//! `transforms:`: user functions in Rust that computed fields call like built-ins. Each has a
//! `doc`, ordered `args` (`- name: type`), `returns` (a type, `?` for nullable), a `rust`
//! body evaluating to `Result<T, String>`, and `tests` (`{args: [...], returns: value}` or
//! `{args: [...], error: "text"}`). Names, types and every test value are checked here; the
//! body is Rust, checked when the generated crate compiles (`nomnom test` does that).

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{functions, types, Env, Transform, TransformParam, ValueType};
use crate::field;
use crate::literal::literal_for;
use crate::model::{Expected, Literal, ScalarType, TransformTest, UserTransform};
use crate::names;
use crate::raw::list;
use crate::suggest;
use crate::yaml::{Kind, Node, Span};

/// Keys of one transform.
const TRANSFORM_KEYS: &[&str] = &["doc", "args", "returns", "rust", "tests"];
/// Other words for the keys of a transform, as other tools spell them.
const TRANSFORM_ALIASES: &[(&str, &str)] = &[
    ("description", "doc"),
    ("docs", "doc"),
    ("arguments", "args"),
    ("params", "args"),
    ("parameters", "args"),
    ("inputs", "args"),
    ("return", "returns"),
    ("type", "returns"),
    ("output", "returns"),
    ("body", "rust"),
    ("code", "rust"),
    ("examples", "tests"),
];
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

/// The `transforms:` section, checked.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The transforms without any error, in the order written.
    pub transforms: Vec<UserTransform>,
    /// What expressions see: the signature of every transform whose name, `args` and
    /// `returns` are valid (even when its body or a test is not, so its calls are still
    /// checked), and the names of the others, whose calls are then not reported again.
    pub env: Env,
}

/// Reads and checks the `transforms:` section.
pub fn check(node: Option<&Node>, source: &str, diags: &mut Diagnostics) -> Checked {
    let mut out = Checked::default();
    let Some(node) = node else {
        return out;
    };
    let entries = match &node.kind {
        Kind::Null => return out,
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
            return out;
        }
    };
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
        if out.env.transforms.contains_key(name) || out.env.broken_transforms.contains(name) {
            continue; // duplicate keys are a YAML error, reported by the loader
        }
        let builtin = functions::builtin(name).is_some();
        let legal = if builtin {
            diags.push(
                Diagnostic::error(
                    "nomnom::reserved_name",
                    key.span,
                    format!("`{name}` is a built-in function"),
                )
                .label("shadows the built-in")
                .help(format!(
                    "give the transform another name: a call of `{name}(…)` always means the \
                     built-in"
                )),
            );
            false
        } else {
            check_name(name, key.span, "transform", diags)
        };
        let (signature, checked) = transform(name, value, key.span, source, diags);
        if builtin {
            continue; // calls mean the built-in, and are checked against it
        }
        match signature {
            Some(sig) if legal => {
                out.env.transforms.insert(name.clone(), sig);
                out.transforms.extend(checked);
            }
            _ => {
                out.env.broken_transforms.insert(name.clone());
            }
        }
    }
    out
}

/// The signatures of `transforms`, as expressions see them.
pub fn env(transforms: &[UserTransform]) -> Env {
    let mut env = Env::new();
    for t in transforms {
        env.transforms
            .insert(t.name.clone(), signature(&t.params, t.returns));
    }
    env
}

fn signature(params: &[(String, ValueType)], returns: ValueType) -> Transform {
    Transform {
        params: params
            .iter()
            .map(|(name, ty)| TransformParam {
                name: name.clone(),
                ty: *ty,
            })
            .collect(),
        returns,
    }
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

/// One transform: its signature when its `args` and `returns` are valid, and the whole
/// transform when nothing about it is wrong. Reports every problem.
fn transform(
    name: &str,
    node: &Node,
    name_span: Span,
    source: &str,
    diags: &mut Diagnostics,
) -> (Option<Transform>, Option<UserTransform>) {
    let context = format!("transform `{name}`");
    let Some(entries) = keys(node, TRANSFORM_KEYS, TRANSFORM_ALIASES, &context, diags) else {
        return (None, None);
    };
    let get = |key: &str| entries.known.iter().find(|(k, _, _)| *k == key);
    let mut ok = true;
    let doc = match get("doc") {
        Some((
            _,
            _,
            Node {
                kind: Kind::Str(d), ..
            },
        )) => Some(d.clone()),
        Some((_, key, other)) => {
            diags.push(text_expected("doc", *key, other.span));
            ok = false;
            None
        }
        None => None,
    };
    let params = match get("args") {
        Some((_, _, args)) => params(name, args, diags),
        None => Some(Vec::new()),
    };
    let returns = match get("returns") {
        Some((
            _,
            _,
            Node {
                kind: Kind::Str(t),
                span,
            },
        )) => value_type(t, *span, &format!("the result of {context}"), diags),
        Some((_, key, other)) => {
            diags.push(text_expected("returns", *key, other.span));
            None
        }
        None if entries.meant("returns") => None, // reported as a misspelt key
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
            None
        }
    };
    let body = rust_body(
        &context,
        get("rust"),
        name_span,
        entries.meant("rust"),
        source,
        diags,
    );
    let tests = match (get("tests"), &params, returns) {
        (Some((_, _, node)), Some(params), Some(returns)) => {
            tests(name, params, returns, node, source, diags)
        }
        (None, _, _) => Some(Vec::new()),
        // Tests are checked against a valid signature only.
        (Some(_), _, _) => None,
    };
    let (Some(params), Some(returns)) = (params, returns) else {
        return (None, None);
    };
    let sig = signature(&params, returns);
    let (Some((rust, rust_line)), Some(tests), true, false) = (body, tests, ok, entries.unknown)
    else {
        return (Some(sig), None);
    };
    let checked = UserTransform {
        name: name.to_string(),
        doc,
        params,
        returns,
        rust,
        rust_line,
        tests,
    };
    (Some(sig), Some(checked))
}

/// `rust: |`: the body and the line where it starts.
fn rust_body(
    context: &str,
    entry: Option<&(&'static str, Span, &Node)>,
    name_span: Span,
    misspelt: bool,
    source: &str,
    diags: &mut Diagnostics,
) -> Option<(String, usize)> {
    const HELP: &str = "write the function's body under `rust: |`; it evaluates to `Ok(value)` or \
                        `Err(message)`";
    let Some((_, key, value)) = entry else {
        if !misspelt {
            diags.push(
                Diagnostic::error(
                    "nomnom::missing_key",
                    name_span,
                    format!("{context} has no `rust` body"),
                )
                .label("`rust` missing")
                .help(HELP),
            );
        }
        return None;
    };
    let at = if value.span.len == 0 {
        *key
    } else {
        value.span
    };
    match &value.kind {
        Kind::Str(body) if !body.trim().is_empty() => {
            Some((body.clone(), body_line(source, value.span.offset, body)))
        }
        Kind::Str(_) | Kind::Null => {
            diags.push(
                Diagnostic::error(
                    "nomnom::missing_key",
                    at,
                    format!("the `rust` body of {context} is empty"),
                )
                .label("empty body")
                .help(HELP),
            );
            None
        }
        _ => {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_value",
                    at,
                    format!("the `rust` body of {context} must be text"),
                )
                .label("not Rust code")
                .help(HELP),
            );
            None
        }
    }
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
fn argument_shape(transform: &str, item: &Node, help: &str) -> Diagnostic {
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

/// Where a node is written, whole: a flow collection (`[...]`, `{...}`) from its opening to
/// its closing bracket (the parser locates only its first character).
fn extent(node: &Node, source: &str) -> Span {
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

fn end_of(span: Span) -> usize {
    span.offset + span.len
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
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
fn test_value(
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

/// The entries of a mapping whose keys are among `known`.
struct Keys<'n> {
    /// Each known key: its name, where it is written, its value.
    known: Vec<(&'static str, Span, &'n Node)>,
    /// `true` when some key was unknown (and reported).
    unknown: bool,
    /// The known keys the unknown ones were taken for (a typo, another tool's word): such a
    /// key is not reported missing as well.
    misspelt: Vec<&'static str>,
}

impl Keys<'_> {
    /// `true` when an unknown key was taken for `key`.
    fn meant(&self, key: &str) -> bool {
        self.misspelt.contains(&key)
    }
}

/// The entries of a mapping whose keys must be among `known`, reporting the others (with
/// the key meant when it is a typo or one of `aliases`).
fn keys<'n>(
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
fn text_expected(key: &str, key_span: Span, value_span: Span) -> Diagnostic {
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

/// The 1-based line of the file where `body`, the text of the scalar located at `offset`,
/// starts: its first line, blank or not, so that line `n` of the body is line
/// `body_line + n - 1` of the file. The parser locates a block scalar (`rust: |`) at its
/// first character of text (after any blank lines); it would be the line after the
/// indicator if it located the indicator.
fn body_line(source: &str, offset: usize, body: &str) -> usize {
    let line = line_of(source, offset);
    let at = source.get(offset..).unwrap_or("");
    let header = at.lines().next().unwrap_or("");
    let header = header.split(" #").next().unwrap_or("").trim_end();
    let indicator = header
        .strip_prefix(['|', '>'])
        .is_some_and(|rest| rest.chars().all(|c| matches!(c, '-' | '+' | '1'..='9')));
    if indicator {
        return line + 1;
    }
    let blank = body.split('\n').take_while(|l| l.trim().is_empty()).count();
    let first_word = body.split_whitespace().next().unwrap_or("");
    if blank > 0 && !first_word.is_empty() && at.starts_with(first_word) {
        line.saturating_sub(blank).max(1)
    } else {
        line
    }
}

/// The 1-based line of byte `offset` in `source`.
pub fn line_of(source: &str, offset: usize) -> usize {
    source
        .get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
}
