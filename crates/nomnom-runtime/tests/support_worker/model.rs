//! A small hand-written model standing in for generated code: root `Order` with child
//! `OrderItem` rows, validated with serde_json, written set-based through the runtime's `RowWriter`. The database
//! has CHECK constraints the validation does not enforce (`total >= 0`, `qty > 0`) so a
//! record can pass validation and still be refused by PostgreSQL.

use std::collections::HashMap;

use nomnom_runtime::db::row_ids::key_id;
use nomnom_runtime::db::rows::{Column as Values, HiddenColumns, RowAt};
use nomnom_runtime::db::table::{Column, ColumnKind, Table};
use nomnom_runtime::db::write::BatchWrite;
use nomnom_runtime::db::writer::RowWriter;
use nomnom_runtime::json::SyntaxError;
use nomnom_runtime::model::{FieldError, Migration, Model, Rejection, RowBatch};
use nomnom_runtime::preview::{PreviewValue, Row, Tables};
use serde_json::Value;
use uuid::Uuid;

pub struct TestModel;

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub order_key: String,
    pub total: i64,
    pub note: Option<String>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub line: i64,
    pub qty: i64,
}

pub const SCHEMA_SQL: &str = "
CREATE TABLE orders (
    _id          UUID PRIMARY KEY,
    _message_id  UUID NOT NULL,
    _version     UUID NOT NULL,
    _ingested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    order_key    TEXT NOT NULL,
    total        BIGINT NOT NULL CHECK (total >= 0),
    note         TEXT,
    UNIQUE (order_key)
);
CREATE TABLE order_items (
    _id          UUID PRIMARY KEY,
    _message_id  UUID NOT NULL,
    _parent_id   UUID NOT NULL REFERENCES orders (_id) ON DELETE CASCADE,
    _ingested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    order_key    TEXT NOT NULL,
    line         BIGINT NOT NULL,
    qty          BIGINT NOT NULL CHECK (qty > 0),
    UNIQUE (order_key, line)
);
";

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "message_status",
        sql: nomnom_runtime::status::MESSAGE_STATUS_SQL,
    },
    Migration {
        version: 2,
        name: "orders",
        sql: SCHEMA_SQL,
    },
];

fn field_error(path: &str, rule: &'static str, message: &str) -> FieldError {
    FieldError {
        path: path.to_string(),
        rule,
        message: message.to_string(),
    }
}

fn validate_order(value: &Value) -> Result<Order, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(obj) = value.as_object() else {
        return Err(vec![field_error("", "type", "expected an object")]);
    };
    let order_key = match obj.get("order_key") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => {
            errors.push(field_error(
                "/order_key",
                "type",
                "expected a non-empty string",
            ));
            String::new()
        }
        None => {
            errors.push(field_error(
                "/order_key",
                "required",
                "order_key is required",
            ));
            String::new()
        }
    };
    let total = match obj.get("total").and_then(Value::as_i64) {
        Some(n) => n,
        None => {
            errors.push(field_error("/total", "type", "expected an integer"));
            0
        }
    };
    let note = match obj.get("note") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(field_error("/note", "type", "expected a string or null"));
            None
        }
    };
    let mut items = Vec::new();
    match obj.get("items") {
        Some(Value::Array(list)) => {
            for (i, item) in list.iter().enumerate() {
                let line = item.get("line").and_then(Value::as_i64);
                let qty = item.get("qty").and_then(Value::as_i64);
                match (line, qty) {
                    (Some(line), Some(qty)) if line >= 1 => items.push(Item { line, qty }),
                    (Some(_), Some(_)) => errors.push(field_error(
                        &format!("/items/{i}/line"),
                        "min",
                        "line must be at least 1",
                    )),
                    _ => errors.push(field_error(
                        &format!("/items/{i}"),
                        "type",
                        "line and qty are integers",
                    )),
                }
            }
        }
        _ => errors.push(field_error("/items", "type", "expected an array")),
    }
    if errors.is_empty() {
        Ok(Order {
            order_key,
            total,
            note,
            items,
        })
    } else {
        Err(errors)
    }
}

/// Rows of one batch; a later record with the same key replaces an earlier one.
#[derive(Default)]
pub struct OrderBatch {
    orders: Vec<(Uuid, Order)>,
    versions: Vec<Uuid>,
    by_key: HashMap<String, usize>,
}

const ORDER_COLUMNS: &[Column] = &[
    Column {
        name: "order_key",
        kind: ColumnKind::Text,
    },
    Column {
        name: "total",
        kind: ColumnKind::Integer,
    },
    Column {
        name: "note",
        kind: ColumnKind::Text,
    },
];
const ITEM_COLUMNS: &[Column] = &[
    Column {
        name: "order_key",
        kind: ColumnKind::Text,
    },
    Column {
        name: "line",
        kind: ColumnKind::Integer,
    },
    Column {
        name: "qty",
        kind: ColumnKind::Integer,
    },
];
static ORDERS: Table = Table::new("orders", ORDER_COLUMNS, &["order_key"], None, false, true);
static ITEMS: Table = Table::new("order_items", ITEM_COLUMNS, &[], None, true, false);

impl RowBatch for OrderBatch {
    fn row_count(&self) -> usize {
        self.orders.iter().map(|(_, o)| 1 + o.items.len()).sum()
    }

    async fn write<'a, W: RowWriter>(&'a self, writer: &'a mut W) -> Result<BatchWrite, W::Error> {
        let mut out = BatchWrite::default();
        let mut orders = HiddenColumns::default();
        let (mut keys, mut totals, mut notes) = (
            Values::<String>::default(),
            Values::<i64>::default(),
            Values::<Option<String>>::default(),
        );
        let mut items = HiddenColumns::default();
        let (mut item_keys, mut lines, mut qtys) = (
            Values::<String>::default(),
            Values::<i64>::default(),
            Values::<i64>::default(),
        );
        for (slot, ((message_id, order), version)) in
            self.orders.iter().zip(&self.versions).enumerate()
        {
            let key = key_id("orders", &[&order.order_key]);
            let at = RowAt::root(slot, *message_id, *version, Some(key));
            let Some(place) = orders.push(&at, None) else {
                continue;
            };
            keys.put(place, order.order_key.clone());
            totals.put(place, order.total);
            notes.put(place, order.note.clone());
            for (i, item) in order.items.iter().enumerate() {
                let path = at.child_path("items", i);
                if let Some(place) = items.push(&at.child(&path, None), None) {
                    item_keys.put(place, order.order_key.clone());
                    lines.put(place, item.line);
                    qtys.put(place, item.qty);
                }
            }
        }
        let written = writer
            .write_table(&ORDERS, &orders, None, &[&keys, &totals, &notes], &mut out)
            .await?;
        writer
            .write_table(
                &ITEMS,
                &items,
                Some(&written),
                &[&item_keys, &lines, &qtys],
                &mut out,
            )
            .await?;
        Ok(out)
    }
}

impl Model for TestModel {
    const PROJECT: &'static str = "worker-test";
    const ROOT_ENTITIES: &'static [&'static str] = &["Order"];
    const OPENAPI_JSON: &'static str = "{}";
    const MIGRATIONS: &'static [Migration] = MIGRATIONS;
    type Record = Order;
    type Batch = OrderBatch;

    fn is_hl7(_entity: &str) -> bool {
        false
    }

    fn validate(entity: &str, body: &[u8]) -> Result<Order, Rejection> {
        if entity != "Order" {
            return Err(Rejection::UnknownEntity);
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            Rejection::Malformed(SyntaxError {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })
        })?;
        validate_order(&value).map_err(Rejection::Invalid)
    }

    fn add_to_batch(batch: &mut OrderBatch, message_id: Uuid, version: Uuid, record: &Order) {
        match batch.by_key.get(&record.order_key) {
            Some(&i) => {
                batch.orders[i] = (message_id, record.clone());
                batch.versions[i] = version;
            }
            None => {
                batch
                    .by_key
                    .insert(record.order_key.clone(), batch.orders.len());
                batch.orders.push((message_id, record.clone()));
                batch.versions.push(version);
            }
        }
    }

    fn preview(record: &Order) -> Tables {
        let mut tables = Tables::default();
        let mut row = Row::new();
        row.insert("order_key".into(), record.order_key.preview());
        row.insert("total".into(), record.total.preview());
        row.insert("note".into(), record.note.preview());
        tables.push("orders", row);
        for item in &record.items {
            let mut row = Row::new();
            row.insert("order_key".into(), record.order_key.preview());
            row.insert("line".into(), item.line.preview());
            row.insert("qty".into(), item.qty.preview());
            tables.push("order_items", row);
        }
        tables
    }
}
