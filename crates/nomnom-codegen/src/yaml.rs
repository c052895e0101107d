//! A tiny YAML emitter for data built as `serde_json::Value` (block style; strings always
//! double-quoted, which YAML reads exactly as JSON strings). Enough for compose files, with
//! no YAML library and no string pasting.

use serde_json::Value;

/// Renders `value` (an object at the top) as a YAML document.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    block(value, 0, &mut out);
    out
}

fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if bare {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(_) => Some(v.to_string()),
        Value::Array(a) if a.is_empty() => Some("[]".into()),
        Value::Object(o) if o.is_empty() => Some("{}".into()),
        _ => None,
    }
}

fn block(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                match scalar(val) {
                    Some(s) => out.push_str(&format!("{pad}{}: {s}\n", key(k))),
                    None => {
                        out.push_str(&format!("{pad}{}:\n", key(k)));
                        block(val, indent + 2, out);
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match scalar(item) {
                    Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                    None => {
                        let mut inner = String::new();
                        block(item, indent + 2, &mut inner);
                        // The item's first line starts with its "- " marker.
                        let rest = inner.get(indent + 2..).unwrap_or("");
                        out.push_str(&format!("{pad}- {rest}"));
                    }
                }
            }
        }
        other => {
            if let Some(s) = scalar(other) {
                out.push_str(&format!("{pad}{s}\n"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_maps_lists_and_scalars() {
        let v = json!({
            "services": {"db": {"image": "postgres:16", "ports": ["5432:5432"], "env": {}}},
            "list": [{"a": 1, "b": [true, null]}, "x"],
            "odd key": "v: \"q\""
        });
        assert_eq!(
            to_yaml(&v),
            "list:\n  - a: 1\n    b:\n      - true\n      - null\n  - \"x\"\n\"odd key\": \"v: \\\"q\\\"\"\nservices:\n  db:\n    env: {}\n    image: \"postgres:16\"\n    ports:\n      - \"5432:5432\"\n"
        );
    }
}
