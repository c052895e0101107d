//! `transforms:`: user functions in Rust that computed fields call like built-ins. Each has a
//! `doc`, ordered `args` (`- name: type`), `returns` (a type, `?` for nullable), a `rust`
//! body evaluating to `Result<T, String>`, and `tests` (`{args: [...], returns: value}` or
//! `{args: [...], error: "text"}`). Names, types and every test value are checked here; the
//! body is Rust, checked when the generated crate compiles (`nomnom test` does that).

mod cases;
mod keys;
mod params;

use cases::tests;
use keys::{keys, text_expected};
use params::{params, value_type};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{functions, Env, Transform, TransformParam, ValueType};
use crate::model::UserTransform;
use crate::names;
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
