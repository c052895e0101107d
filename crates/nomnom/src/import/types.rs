//! Types of the first nomnom (entity field types and Rust types of transform signatures)
//! mapped to the model language's.

/// A field type of the first nomnom mapped to a scalar type of ours, or the reason it cannot
/// be mapped exactly (the field is then imported as `json`, which stores any value as sent).
pub fn field_type(first: &str) -> Result<&'static str, String> {
    match first.trim() {
        "String" | "str" | "Text" => Ok("string"),
        "Integer" | "Int" | "i64" => Ok("integer"),
        "Float" | "f64" | "Double" => Ok("float"),
        "Boolean" | "Bool" | "bool" => Ok("boolean"),
        "Decimal" => Ok("decimal"),
        "Date" | "NaiveDate" => Ok("date"),
        "DateTime" | "Timestamp" => Err(
            "the first nomnom's DateTime has no zone, while nomnom's `timestamp` needs RFC 3339 \
             with an offset: imported as `string` (the text as sent); change it to `timestamp` \
             if every value carries an offset"
                .into(),
        ),
        "Uuid" | "UUID" => Ok("uuid"),
        "Json" | "JSON" | "Object" | "Value" => Ok("json"),
        other if other.starts_with("List[") || other.starts_with("Vec<") => Err(format!(
            "`{other}` is a list that no entity is `repeated_for`: imported as `json` (the \
             array stored as sent)"
        )),
        other => Err(format!(
            "unknown field type `{other}`: imported as `json` (the value stored as sent); give \
             it a type of the model language"
        )),
    }
}

/// The fallback for a field type [`field_type`] refused.
pub fn fallback_type(first: &str) -> &'static str {
    if matches!(first.trim(), "DateTime" | "Timestamp") {
        "string"
    } else {
        "json"
    }
}

/// A Rust type of a transform's signature mapped to a model type: `(type, nullable)`, and a
/// note when the mapping is not exact.
pub fn rust_type(rust: &str) -> (String, bool, Option<String>) {
    let t = strip_reference(rust);
    if let Some(inner) = generic_arg(t, "Option") {
        let (ty, _, note) = rust_type(inner);
        return (ty, true, note);
    }
    let last = t.rsplit("::").next().unwrap_or(t);
    let exact = |ty: &str| (ty.to_string(), false, None);
    match last {
        "str" | "String" => exact("string"),
        "i64" => exact("integer"),
        "i8" | "i16" | "i32" | "u8" | "u16" | "u32" | "u64" | "isize" | "usize" => (
            "integer".into(),
            false,
            Some(format!(
                "`{rust}` becomes `integer`, which arrives as i64: convert it in the body"
            )),
        ),
        "f64" => exact("float"),
        "f32" => (
            "float".into(),
            false,
            Some(format!(
                "`{rust}` becomes `float`, which arrives as f64: convert it in the body"
            )),
        ),
        "bool" => exact("boolean"),
        "Decimal" => exact("decimal"),
        "NaiveDate" => exact("date"),
        "Uuid" => exact("uuid"),
        _ if last.starts_with("DateTime<") => exact("timestamp"),
        "Value" => (
            "json".into(),
            false,
            Some(format!(
                "`{rust}` has no model type: written as `json`; an expression passes fields, not \
                 whole JSON objects, so the transform must take the fields it reads"
            )),
        ),
        _ => (
            "json".into(),
            false,
            Some(format!("`{rust}` has no model type: written as `json`")),
        ),
    }
}

/// `T` of `Result<T, E>` with `E`, or `None` when `rust` is not a `Result`.
pub fn result_parts(rust: &str) -> Option<(&str, &str)> {
    let inner = generic_arg(rust.trim(), "Result")?;
    let split = top_level_comma(inner)?;
    Some((inner[..split].trim(), inner[split + 1..].trim()))
}

fn strip_reference(rust: &str) -> &str {
    let mut t = rust.trim();
    while let Some(rest) = t.strip_prefix('&') {
        t = rest.trim_start();
        if t.starts_with('\'') {
            t = t.split_once(' ').map_or("", |(_, r)| r).trim_start();
        }
        t = t.strip_prefix("mut ").unwrap_or(t).trim_start();
    }
    t
}

/// `X` of `Name<X>` (also `std::option::Option<X>`).
fn generic_arg<'a>(t: &'a str, name: &str) -> Option<&'a str> {
    let t = t.trim();
    let open = t.find('<')?;
    let head = &t[..open];
    if head.rsplit("::").next()? != name || !t.ends_with('>') {
        return None;
    }
    Some(t[open + 1..t.len() - 1].trim())
}

fn top_level_comma(t: &str) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in t.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_types() {
        assert_eq!(field_type("String"), Ok("string"));
        assert_eq!(field_type("Integer"), Ok("integer"));
        assert_eq!(field_type("Float"), Ok("float"));
        assert_eq!(field_type("Boolean"), Ok("boolean"));
        assert!(field_type("List[Object]").is_err());
        assert!(field_type("Money")
            .unwrap_err()
            .contains("unknown field type `Money`"));
        assert_eq!(fallback_type("Money"), "json");
        assert_eq!(fallback_type("DateTime"), "string");
    }

    #[test]
    fn rust_types() {
        assert_eq!(rust_type("&str"), ("string".into(), false, None));
        assert_eq!(rust_type("String"), ("string".into(), false, None));
        assert_eq!(rust_type("Option<&str>"), ("string".into(), true, None));
        assert_eq!(rust_type("i64"), ("integer".into(), false, None));
        assert_eq!(rust_type("f64"), ("float".into(), false, None));
        assert_eq!(rust_type("bool"), ("boolean".into(), false, None));
        assert_eq!(
            rust_type("std::option::Option<i64>"),
            ("integer".into(), true, None)
        );
        assert_eq!(rust_type("rust_decimal::Decimal").0, "decimal");
        let (ty, nullable, note) = rust_type("&serde_json::Value");
        assert_eq!((ty.as_str(), nullable), ("json", false));
        assert!(note.is_some());
        assert!(rust_type("usize").2.is_some());
        assert_eq!(rust_type("&'a str").0, "string");
    }

    #[test]
    fn results() {
        assert_eq!(
            result_parts("Result<Option<String>, String>"),
            Some(("Option<String>", "String"))
        );
        assert_eq!(
            result_parts("Result<HashMap<String, i64>, MyError>"),
            Some(("HashMap<String, i64>", "MyError"))
        );
        assert_eq!(result_parts("Option<String>"), None);
    }
}
