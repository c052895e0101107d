//! Model constants (`default`, `enum`, `min`, `max`) as JSON and SQL. Numbers keep their
//! exact text, never going through a float.

use nomnom_spec::model::Literal;

/// The constant's JSON text (for defaults, read at run time through the same converters as
/// message values, and for the OpenAPI document).
pub fn to_json(lit: &Literal) -> serde_json::Value {
    match lit {
        Literal::Null => serde_json::Value::Null,
        Literal::Bool(b) => serde_json::Value::Bool(*b),
        Literal::Number(text) => text
            .parse::<serde_json::Number>()
            .map(serde_json::Value::Number)
            .unwrap_or_else(|_| serde_json::Value::String(text.clone())),
        Literal::String(s) => serde_json::Value::String(s.clone()),
        Literal::Json(v) => v.clone(),
    }
}

/// The constant as SQL (for `CHECK` constraints).
pub fn to_sql(lit: &Literal) -> String {
    match lit {
        Literal::Null => "NULL".into(),
        Literal::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Literal::Number(text) => text.clone(),
        Literal::String(s) => format!("'{}'", s.replace('\'', "''")),
        Literal::Json(v) => format!("'{}'::jsonb", v.to_string().replace('\'', "''")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_and_json_constants() {
        assert_eq!(to_sql(&Literal::String("O'K".into())), "'O''K'");
        assert_eq!(to_sql(&Literal::Number("0.15".into())), "0.15");
        assert_eq!(
            to_json(&Literal::Number("12".into())),
            serde_json::json!(12)
        );
    }
}
