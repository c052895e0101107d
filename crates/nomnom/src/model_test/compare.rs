//! What an example became against what it must become, as a list of readable differences.
//!
//! Rows compare table by table, row by row in order, column by column, each value by its
//! column's type: decimals by value (`7.2`, `"7.20"` and `7.20` are equal), timestamps by
//! instant (`2024-02-03T15:30:00+01:00` equals `2024-02-03T14:30:00Z`), floats as numbers,
//! the rest as JSON. Refusals compare the `path` and `rule` of each error, and its `message`
//! when the expected error gives one.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use nomnom_spec::model::{FieldType, Project, ScalarType};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// The differences between `actual` (a line of the `preview` program) and `expected` (the
/// example's `.rows.json`); empty when they agree.
pub fn differences(project: &Project, actual: &Value, expected: &Value) -> Vec<String> {
    if let Some(error) = actual.get("error").and_then(Value::as_str) {
        return vec![error.to_string()];
    }
    match (actual.get("rows"), expected.get("rejected")) {
        (Some(rows), None) => rows_differences(project, rows, expected),
        (Some(_), Some(_)) => vec!["expected it to be refused, but it was accepted".to_string()],
        (None, Some(want)) => rejection_differences(actual.get("rejected"), want),
        (None, None) => {
            let mut out = vec!["expected rows, but it was refused:".to_string()];
            out.extend(errors_list(actual.get("rejected")));
            out
        }
    }
}

fn errors_list(errors: Option<&Value>) -> Vec<String> {
    errors
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "  {} ({}): {}",
                e["path"].as_str().unwrap_or("?"),
                e["rule"].as_str().unwrap_or("?"),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn rows_differences(project: &Project, actual: &Value, expected: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let (Some(actual), Some(expected)) = (actual.as_object(), expected.as_object()) else {
        return vec![
            "the expected rows must be an object of table names to lists of rows".to_string(),
        ];
    };
    for (table, want) in expected {
        let Some(got) = actual.get(table) else {
            out.push(format!(
                "{table}: expected {} row(s), got none",
                count(want)
            ));
            continue;
        };
        let (Some(want), Some(got)) = (want.as_array(), got.as_array()) else {
            out.push(format!("{table}: the expected rows must be a list"));
            continue;
        };
        if want.len() != got.len() {
            out.push(format!(
                "{table}: expected {} row(s), got {}",
                want.len(),
                got.len()
            ));
        }
        for (i, (w, g)) in want.iter().zip(got).enumerate() {
            let (Some(w), Some(g)) = (w.as_object(), g.as_object()) else {
                out.push(format!("{table}[{i}]: the expected row must be an object"));
                continue;
            };
            row_differences(project, &format!("{table}[{i}]"), table, w, g, &mut out);
        }
        for (i, extra) in got.iter().enumerate().skip(want.len()) {
            out.push(format!("{table}[{i}]: not expected: {extra}"));
        }
    }
    for (table, got) in actual {
        if !expected.contains_key(table) {
            out.push(format!(
                "{table}: got {} row(s), none expected: {}",
                count(got),
                got
            ));
        }
    }
    out
}

fn row_differences(
    project: &Project,
    at: &str,
    table: &str,
    want: &Map<String, Value>,
    got: &Map<String, Value>,
    out: &mut Vec<String>,
) {
    for (column, w) in want {
        match got.get(column) {
            None => out.push(format!("{at}.{column}: no such column")),
            Some(g) if !same(column_type(project, table, column), w, g) => {
                out.push(format!("{at}.{column}: expected {w}, got {g}"))
            }
            Some(_) => {}
        }
    }
    for (column, g) in got {
        if !want.contains_key(column) {
            out.push(format!("{at}.{column}: not in the expected row (got {g})"));
        }
    }
}

fn count(rows: &Value) -> usize {
    rows.as_array().map_or(0, Vec::len)
}

/// The type of `table.column` in the model.
fn column_type(project: &Project, table: &str, column: &str) -> Option<ScalarType> {
    let entity = project.entities.iter().find(|e| e.table == table)?;
    let field = entity.field(column)?;
    match project.column_kind(entity, field) {
        Some((ty, _)) => Some(ty),
        None => match field.ty {
            FieldType::Scalar(ty) => Some(ty),
            FieldType::List(_) => None,
        },
    }
}

/// Whether two values of a column of type `ty` are equal.
fn same(ty: Option<ScalarType>, want: &Value, got: &Value) -> bool {
    if want == got {
        return true;
    }
    match ty {
        Some(ScalarType::Decimal) => {
            matches!((decimal(want), decimal(got)), (Some(a), Some(b)) if a == b)
        }
        Some(ScalarType::Timestamp) => {
            matches!((instant(want), instant(got)), (Some(a), Some(b)) if a == b)
        }
        Some(ScalarType::Float | ScalarType::Integer) => {
            matches!((want.as_f64(), got.as_f64()), (Some(a), Some(b)) if a == b)
        }
        _ => false,
    }
}

fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => Decimal::from_str_exact(s.trim()).ok(),
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        _ => None,
    }
}

fn instant(v: &Value) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.as_str()?)
        .ok()
        .map(|t| t.to_utc())
}

fn rejection_differences(actual: Option<&Value>, expected: &Value) -> Vec<String> {
    let Some(actual) = actual.and_then(Value::as_array) else {
        return vec!["expected it to be refused, but it was accepted".to_string()];
    };
    let Some(expected) = expected.as_array() else {
        return vec![
            "`rejected` must list the expected errors: [{\"path\": …, \"rule\": …}]".to_string(),
        ];
    };
    let key = |e: &Value| {
        (
            e["path"].as_str().unwrap_or("").to_string(),
            e["rule"].as_str().unwrap_or("").to_string(),
        )
    };
    let mut out = Vec::new();
    for want in expected {
        let (path, rule) = key(want);
        match actual
            .iter()
            .find(|g| key(g) == (path.clone(), rule.clone()))
        {
            None => out.push(format!(
                "expected the error {path} ({rule}), which was not raised"
            )),
            Some(got) => {
                if let Some(message) = want.get("message").and_then(Value::as_str) {
                    let text = got["message"].as_str().unwrap_or("");
                    if !text.contains(message) {
                        out.push(format!(
                            "{path} ({rule}): expected a message containing {message:?}, got {text:?}"
                        ));
                    }
                }
            }
        }
    }
    for got in actual {
        let k = key(got);
        if !expected.iter().any(|w| key(w) == k) {
            out.push(format!(
                "not expected: {} ({}): {}",
                k.0,
                k.1,
                got["message"].as_str().unwrap_or("")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn project() -> Project {
        nomnom_spec::load_str(
            "project: p\nentities:\n  Order:\n    table: orders\n    fields:\n      id: string\n      total: decimal\n      at: timestamp\n      n: integer?\n",
            "nomnom.yaml",
        )
        .unwrap()
        .project
    }

    #[test]
    fn values_compare_by_their_column_type() {
        let p = project();
        let got = json!({"rows": {"orders": [{"id": "a", "total": "7.20", "at": "2024-02-03T14:30:00Z", "n": null}]}});
        let want = json!({"orders": [{"id": "a", "total": 7.2, "at": "2024-02-03T15:30:00+01:00", "n": null}]});
        assert_eq!(differences(&p, &got, &want), Vec::<String>::new());
        let want = json!({"orders": [{"id": "b", "total": "7.3", "at": "2024-02-03T14:30:00Z"}]});
        assert_eq!(
            differences(&p, &got, &want),
            [
                "orders[0].id: expected \"b\", got \"a\"",
                "orders[0].total: expected \"7.3\", got \"7.20\"",
                "orders[0].n: not in the expected row (got null)",
            ]
        );
    }

    #[test]
    fn missing_and_extra_rows_and_tables_are_named() {
        let p = project();
        let row = json!({"id": "a", "total": "1", "at": "2024-01-01T00:00:00Z", "n": 1});
        let got = json!({"rows": {"orders": [row.clone(), row.clone()]}});
        let want = json!({"orders": [row.clone()], "lines": []});
        let found = differences(&p, &got, &want);
        // Tables in name order (JSON objects are read sorted).
        assert_eq!(found[0], "lines: expected 0 row(s), got none");
        assert_eq!(found[1], "orders: expected 1 row(s), got 2");
        assert!(
            found[2].starts_with("orders[1]: not expected: {"),
            "{found:?}"
        );
    }

    #[test]
    fn refusals_compare_paths_rules_and_messages() {
        let p = project();
        let got = json!({"rejected": [
            {"path": "/total", "rule": "compute", "message": "cannot be computed: to_decimal: \"x\""},
            {"path": "/id", "rule": "required", "message": "is required"}
        ]});
        let want =
            json!({"rejected": [{"path": "/total", "rule": "compute", "message": "to_decimal"}]});
        assert_eq!(
            differences(&p, &got, &want),
            ["not expected: /id (required): is required"]
        );
        let want = json!({"orders": []});
        let found = differences(&p, &got, &want);
        assert_eq!(found[0], "expected rows, but it was refused:");
        assert_eq!(found.len(), 3);
        let accepted = json!({"rows": {}});
        assert_eq!(
            differences(&p, &accepted, &json!({"rejected": []})),
            ["expected it to be refused, but it was accepted"]
        );
    }
}
