//! The rows a message becomes, without NATS or PostgreSQL: what `nomnom test` compares with
//! a model's examples, and what a generated project's `preview` example prints
//! (`cargo run --example preview -- Order order.json`).
//!
//! Each table's rows hold the model's stored columns (not nomnom's own `_id`, `_message_id`,
//! `_parent_id`, `_version`), in the order the records appear in the message. Values are
//! JSON: text, dates, UUIDs and decimals (exactly, `"7.20"`) as strings, timestamps as
//! RFC 3339 in UTC with microseconds when there are any, integers, floats and booleans as
//! JSON's, `json` columns as the value itself, and null.

mod run;
mod value;

use serde_json::{Map, Value};

pub use run::run;
pub use value::PreviewValue;

/// One row: column name to value.
pub type Row = Map<String, Value>;

/// The rows of a message, table by table, tables in the order their first row appears.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tables {
    tables: Vec<(&'static str, Vec<Row>)>,
}

impl Tables {
    /// Adds a row to `table`.
    pub fn push(&mut self, table: &'static str, row: Row) {
        match self.tables.iter_mut().find(|(t, _)| *t == table) {
            Some((_, rows)) => rows.push(row),
            None => self.tables.push((table, vec![row])),
        }
    }

    /// The rows as one JSON object: `{"table": [{"column": value, …}, …], …}`.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.tables
                .iter()
                .map(|(t, rows)| {
                    let rows = rows.iter().cloned().map(Value::Object).collect();
                    (t.to_string(), Value::Array(rows))
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_keep_the_order_rows_arrive_in() {
        let mut tables = Tables::default();
        let row = |n: i64| {
            let mut r = Row::new();
            r.insert("n".into(), json!(n));
            r
        };
        tables.push("orders", row(1));
        tables.push("lines", row(2));
        tables.push("lines", row(3));
        tables.push("orders", row(4));
        assert_eq!(
            tables.to_json(),
            json!({"orders": [{"n": 1}, {"n": 4}], "lines": [{"n": 2}, {"n": 3}]})
        );
        let keys: Vec<String> = tables
            .to_json()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            keys,
            ["lines", "orders"],
            "serde_json's map sorts keys; order is not promised"
        );
    }
}
