//! The words of the type checker's diagnostics: message, label and hint for each problem,
//! kept apart from the checking logic.

use super::env::{Binding, Env};
use super::functions::{ConstantRule, LiteralKind, TypeVar, FUNCTIONS};
use super::types;
use crate::model::ScalarType;
use crate::suggest;

/// A diagnostic's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// One line: what is wrong.
    pub message: String,
    /// Shown under the snippet.
    pub label: String,
    /// How to fix it.
    pub help: String,
}

fn text(message: String, label: impl Into<String>, help: impl Into<String>) -> Text {
    Text {
        message,
        label: label.into(),
        help: help.into(),
    }
}

/// `true` for names an expression can write: ASCII letters, digits and `_`, not starting
/// with a digit.
pub fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_function(name: &str, env: &Env) -> bool {
    FUNCTIONS.iter().any(|f| f.name == name) || env.transforms.contains_key(name)
}

/// A name that is no field of the entity.
pub fn unknown_field(name: &str, env: &Env) -> Text {
    let fields: Vec<&str> = env
        .fields
        .iter()
        .filter(|(n, b)| matches!(b, Binding::Value(_)) && is_identifier(n))
        .map(|(n, _)| n.as_str())
        .collect();
    let in_parent = env.parent.as_ref().and_then(|p| match p.fields.get(name) {
        Some(Binding::Value(ty)) => Some((p.entity.as_str(), *ty)),
        _ => None,
    });
    let help = if let Some((parent, ty)) = in_parent {
        format!(
            "`{name}` is a field of the parent `{parent}`: copy it into this entity with \
             `{name}: {{type: {}{}, from: parent.{name}, store: false}}`, then name it here",
            ty.ty.name(),
            if ty.nullable { "?" } else { "" }
        )
    } else if let Some(near) = suggest::nearest(name, fields.iter().copied()) {
        format!("did you mean `{near}`?")
    } else if is_function(name, env) {
        format!("`{name}` is a function: call it, as in `{name}(…)`")
    } else if matches!(name, "null" | "NULL") {
        "there is no null literal; `nullif(a, b)`, or `lookup` without a default, gives null"
            .to_string()
    } else if matches!(name, "true" | "false") {
        "there are no boolean literals; name a boolean field".to_string()
    } else if fields.is_empty() {
        "an expression reads the fields of its own entity".to_string()
    } else {
        let mut listed = fields
            .iter()
            .take(12)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if fields.len() > 12 {
            listed.push_str(", …");
        }
        format!("the fields this expression can read are: {listed}")
    };
    text(format!("unknown field `{name}`"), "no such field", help)
}

/// A `list<…>` field named in an expression.
pub fn list_field(name: &str, entity: &str) -> Text {
    text(
        format!("`{name}` is a list of `{entity}`, not a value"),
        "a list",
        "an expression reads the scalar fields of its own entity",
    )
}

/// A call of a function that is neither built in nor a user transform.
pub fn unknown_function(name: &str, env: &Env) -> Text {
    let names = FUNCTIONS
        .iter()
        .map(|f| f.name)
        .chain(env.transforms.keys().map(String::as_str));
    let help = if let Some(near) = suggest::nearest(name, names) {
        format!("did you mean `{near}`?")
    } else if env.fields.contains_key(name) {
        format!("`{name}` is a field: name it without `(…)`")
    } else {
        let builtins: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
        let own = if env.transforms.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = env.transforms.keys().map(String::as_str).collect();
            format!("; the model's transforms are {}", names.join(", "))
        };
        format!(
            "the built-in functions are {}{own}; declare others under `transforms:`",
            builtins.join(", ")
        )
    };
    text(
        format!("unknown function `{name}`"),
        "no such function",
        help,
    )
}

/// A parameter that must be a string literal given something else.
pub fn literal_required(function: &str, param: &str, kind: LiteralKind) -> Text {
    let help = match kind {
        LiteralKind::Regex => {
            "write the pattern in single quotes, as in `regex_capture(code, '^([A-Z]+)-', 1)`: \
             it is compiled once, when the model is checked"
        }
        LiteralKind::DateFormat => {
            "write the format in single quotes, as in `parse_date(day, '%d/%m/%Y')`: it is \
             checked with the model"
        }
        LiteralKind::TimestampFormat => {
            "write the format in single quotes, as in `parse_timestamp(at, '%Y-%m-%d %H:%M:%S')`: \
             it is checked with the model"
        }
    };
    text(
        format!("the `{param}` of `{function}` must be a string literal"),
        "not a literal",
        help,
    )
}

/// A literal integer argument its function would reject on every message; `None` if fine.
pub fn constant(
    function: &str,
    param: &str,
    rule: ConstantRule,
    value: i64,
    groups: Option<usize>,
) -> Option<Text> {
    match rule {
        ConstantRule::NotNegative if value < 0 => Some(text(
            format!("the `{param}` of `{function}` is negative"),
            "negative",
            format!(
                "`{function}` fails on a negative `{param}` (as PostgreSQL's does); use 0 or more"
            ),
        )),
        ConstantRule::NotZero if value == 0 => Some(text(
            format!("the `{param}` of `{function}` is 0"),
            "0 is an error",
            "fields are numbered from 1; negative numbers count from the end (-1 is the last)",
        )),
        ConstantRule::CaptureGroup if value < 0 => Some(text(
            format!("the `{param}` of `{function}` is negative"),
            "no such group",
            "group 0 is the whole match; the pattern's groups are numbered from 1",
        )),
        ConstantRule::CaptureGroup => {
            let groups = groups?;
            if usize::try_from(value).is_ok_and(|v| v <= groups) {
                return None;
            }
            let help = match groups {
                0 => "the pattern has no group: group 0 is the whole match; put parentheses \
                      around the part to capture"
                    .to_string(),
                1 => "group 0 is the whole match, group 1 the pattern's only group".to_string(),
                n => format!("group 0 is the whole match, groups 1 to {n} the pattern's groups"),
            };
            Some(text(
                format!(
                    "`{function}` asks for group {value}, but the pattern has {groups} {}",
                    if groups == 1 { "group" } else { "groups" }
                ),
                "no such group",
                help,
            ))
        }
        _ => None,
    }
}

/// An argument whose type its parameter does not take.
pub fn mismatch(
    function: &str,
    param: &str,
    position: usize,
    expected: ScalarType,
    found: ScalarType,
) -> Text {
    text(
        format!(
            "argument {position} (`{param}`) of `{function}` must be {}, not {}",
            types::article(expected),
            types::article(found)
        ),
        format!("{}, not {}", found.name(), types::article(expected)),
        types::conversion_hint(found, expected),
    )
}

/// An argument whose type differs from the others sharing one type.
pub fn no_common_type(
    function: &str,
    var: TypeVar,
    position: usize,
    found: ScalarType,
    common: ScalarType,
) -> Text {
    let group = match (function, var) {
        ("lookup", TypeVar::T) => "the key and the values to match",
        ("lookup", TypeVar::V) => "the results and the default",
        _ => "its arguments",
    };
    text(
        format!(
            "argument {position} of `{function}` is {}, but {group} must share one type, here {}",
            types::article(found),
            common.name()
        ),
        format!("{}, not {}", found.name(), types::article(common)),
        types::conversion_hint(found, common),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_identifier("raw_id"));
        assert!(is_identifier("_x1"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("order-key"));
        assert!(!is_identifier(""));
    }

    #[test]
    fn unknown_field_hints() {
        let env = Env::new()
            .with_field("raw_id", ScalarType::String, false)
            .with_field("order-key", ScalarType::String, false)
            .with_list("lines", "Line");
        assert_eq!(unknown_field("raw_di", &env).help, "did you mean `raw_id`?");
        // Names an expression cannot write, and lists, are never suggested.
        assert_eq!(
            unknown_field("order_keys", &env).help,
            "the fields this expression can read are: raw_id"
        );
        assert!(unknown_field("upper", &env).help.contains("is a function"));
        assert!(unknown_field("null", &env).help.contains("no null literal"));
        assert!(unknown_field("x", &Env::new()).help.contains("own entity"));
    }

    #[test]
    fn unknown_function_hints() {
        let env = Env::new().with_field("code", ScalarType::String, false);
        assert_eq!(unknown_function("uper", &env).help, "did you mean `upper`?");
        assert_eq!(
            unknown_function("code", &env).help,
            "`code` is a field: name it without `(…)`"
        );
        assert!(unknown_function("frobnicate", &env)
            .help
            .starts_with("the built-in functions are concat,"));
    }

    #[test]
    fn constants() {
        let c = |rule, v, g| constant("f", "p", rule, v, g).map(|t| t.message);
        assert_eq!(
            c(ConstantRule::NotNegative, -1, None).as_deref(),
            Some("the `p` of `f` is negative")
        );
        assert_eq!(c(ConstantRule::NotNegative, 0, None), None);
        assert_eq!(
            c(ConstantRule::NotZero, 0, None).as_deref(),
            Some("the `p` of `f` is 0")
        );
        assert_eq!(c(ConstantRule::NotZero, -1, None), None);
        assert_eq!(c(ConstantRule::CaptureGroup, 2, Some(2)), None);
        assert_eq!(c(ConstantRule::CaptureGroup, 0, Some(0)), None);
        assert_eq!(
            c(ConstantRule::CaptureGroup, 3, Some(2)).as_deref(),
            Some("`f` asks for group 3, but the pattern has 2 groups")
        );
        assert_eq!(c(ConstantRule::CaptureGroup, 9, None), None);
        assert!(c(ConstantRule::CaptureGroup, -1, None).is_some());
    }
}
