//! User transforms of `transforms.rust` carried over into the model's `transforms:` section.
//!
//! The signature is translated where the Rust types say it plainly (`&str` → `string`,
//! `Option<i64>` → `integer?`, `Result<T, String>` → `T`); the body is copied, wrapped in
//! `Ok(...)` when the function returned a bare value. Every carried transform is warned about:
//! nomnom passes strings as `&str`, decimals as `Decimal` and nullable values as `Option`, which
//! the first nomnom's code may not expect.

use super::emit::Transform;
use super::first::RustTransform;
use super::types::{result_parts, rust_type};
use super::warning::Warning;

/// A transform of the first nomnom whose name says it reads one JSON value
/// (`json_get_string`, `json_get_optional_float`, ...): fields computed by it become plain
/// reads of that JSON key, and its code is not carried.
pub fn is_json_read(name: &str) -> bool {
    name.starts_with("json_get_") || name == "extract_field"
}

/// The name a carried transform gets: its own, unless a built-in function of the expression
/// language already has it.
pub fn carried_name(name: &str) -> String {
    if nomnom_spec::expr::functions::builtin(name).is_some() {
        format!("user_{name}")
    } else {
        name.to_string()
    }
}

/// Carries one transform over; the warnings say what to review.
pub fn carry(t: &RustTransform) -> (Transform, Vec<Warning>) {
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    let name = carried_name(&t.name);
    if name != t.name {
        warnings.push(t.at.warning(format!(
            "transform `{}` has the name of a built-in function of nomnom's expressions: \
             carried over as `{name}`",
            t.name
        )));
    }
    let mut args = Vec::new();
    for (arg, rust, at) in &t.args {
        let (ty, nullable, note) = rust_type(rust);
        if let Some(note) = note {
            warnings.push(at.warning(format!("argument `{arg}` of `{}`: {note}", t.name)));
        }
        args.push((
            arg.clone(),
            format!("{ty}{}", if nullable { "?" } else { "" }),
        ));
    }
    let return_type = t.return_type.clone().unwrap_or_else(|| "String".into());
    let (value_type, wrap) = match result_parts(&return_type) {
        Some((ok, err)) => {
            if err != "String" {
                notes.push(format!(
                    "its error type `{err}` must become String (`.map_err(|e| e.to_string())`)"
                ));
            }
            (ok.to_string(), false)
        }
        None => (return_type.clone(), true),
    };
    let (ty, nullable, note) = rust_type(&value_type);
    if let Some(note) = note {
        notes.push(format!("its return type: {note}"));
    }
    let code = t.code.clone().unwrap_or_default();
    let rust = if wrap {
        notes.push(format!(
            "it returned `{return_type}`, so its body is wrapped in `Ok(...)`{}",
            if code.contains("return ") {
                "; its `return` statements must return `Ok(...)` too"
            } else {
                ""
            }
        ));
        let body = code
            .trim_end()
            .lines()
            .map(|l| {
                if l.trim().is_empty() {
                    String::new()
                } else {
                    format!("    {l}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        format!("Ok({{\n{body}\n}})\n")
    } else {
        code
    };
    if !t.imports.is_empty() {
        notes.push(format!(
            "its imports ({}) have no place in the model: write full paths in the body",
            t.imports.join(", ")
        ));
    }
    for (key, at) in &t.other_keys {
        warnings.push(at.warning(format!(
            "`{key}` of transform `{}` is not carried: the model language has no equivalent",
            t.name
        )));
    }
    let mut message = format!(
        "transform `{}` is carried over as a user transform: review its signature (nomnom passes \
         strings as &str, decimals as Decimal, nullable values as Option, and the body must \
         evaluate to Result<T, String>)",
        t.name
    );
    for note in &notes {
        message.push_str("; ");
        message.push_str(note);
    }
    warnings.insert(0, t.at.warning(message));
    let transform = Transform {
        comments: vec![format!("from nomnom.yaml:{} (transforms.rust)", t.at.line)],
        name,
        doc: t.doc.clone(),
        args,
        returns: format!("{ty}{}", if nullable { "?" } else { "" }),
        rust,
    };
    (transform, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::warning::At;

    fn at(line: usize) -> At {
        At {
            file: "nomnom.yaml".into(),
            line,
        }
    }

    #[test]
    fn a_result_returning_transform_keeps_its_body() {
        let t = RustTransform {
            name: "normalize_phone".into(),
            at: at(10),
            doc: Some("Digits of a phone number.".into()),
            args: vec![
                ("raw".into(), "&str".into(), at(13)),
                ("country".into(), "Option<String>".into(), at(15)),
            ],
            return_type: Some("Result<Option<String>, String>".into()),
            code: Some("Ok(Some(raw.to_string()))\n".into()),
            imports: vec![],
            other_keys: vec![],
        };
        let (carried, warnings) = carry(&t);
        assert_eq!(carried.name, "normalize_phone");
        assert_eq!(
            carried.args,
            vec![
                ("raw".to_string(), "string".to_string()),
                ("country".to_string(), "string?".to_string())
            ]
        );
        assert_eq!(carried.returns, "string?");
        assert_eq!(carried.rust, "Ok(Some(raw.to_string()))\n");
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, 10);
        assert!(warnings[0].message.contains("review its signature"));
    }

    #[test]
    fn a_bare_value_is_wrapped_and_json_arguments_warned() {
        let t = RustTransform {
            name: "upper".into(),
            at: at(3),
            doc: None,
            args: vec![("obj".into(), "&serde_json::Value".into(), at(5))],
            return_type: Some("i64".into()),
            code: Some("let n = 1;\nn + 1\n".into()),
            imports: vec!["regex::Regex".into()],
            other_keys: vec![],
        };
        let (carried, warnings) = carry(&t);
        assert_eq!(carried.name, "user_upper", "a built-in's name is not taken");
        assert_eq!(carried.args, vec![("obj".to_string(), "json".to_string())]);
        assert_eq!(carried.returns, "integer");
        assert_eq!(carried.rust, "Ok({\n    let n = 1;\n    n + 1\n})\n");
        let text = warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(text.contains("nomnom.yaml:3: transform `upper`"), "{text}");
        assert!(text.contains("wrapped in `Ok(...)`"), "{text}");
        assert!(text.contains("regex::Regex"), "{text}");
        assert!(text.contains("nomnom.yaml:5: argument `obj`"), "{text}");
    }
}
