//! The rows the worker writes for a batch of TPC-H orders on MySQL and MariaDB, held as the
//! runtime holds them (its table descriptors, hidden columns and typed columns), so the same
//! batch can go through the runtime's own writer or out as `LOAD DATA` text.
//!
//! The tables' columns and their kinds are read from `information_schema`, not assumed (the
//! generated migrations say what they are); only the TPC-H model's shape is written down
//! here: which table holds what, its key, and what is copied from the parent
//! ([`MysqlTableSpec`]).

use chrono::{DateTime, NaiveDate, Utc};
use mysql_async::prelude::Queryable;
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use nomnom_runtime::db::rows::{Column as Values, HiddenColumns, Place, RowAt};
use nomnom_runtime::db::table::{Column, ColumnKind, Table};
use nomnom_runtime::db::values::ColumnValues;

use crate::BenchError;

/// Where a table's rows come from in a posted TPC-H order, and its key.
#[derive(Debug, Clone, Copy)]
pub struct MysqlTableSpec {
    /// The table.
    pub table: &'static str,
    /// The entity's key columns.
    pub key: &'static [&'static str],
    /// Columns copied from the enclosing record (`from: parent.<field>`).
    pub from_parent: &'static [&'static str],
    /// Whether its rows sit below another table's.
    pub has_parent: bool,
    /// Whether rows of another table sit below its rows.
    pub has_children: bool,
}

/// `Order` → `orders`.
pub const ORDERS: MysqlTableSpec = MysqlTableSpec {
    table: "orders",
    key: &["order_key"],
    from_parent: &[],
    has_parent: false,
    has_children: true,
};

/// `OrderLineItem` → `order_line_items`.
pub const LINE_ITEMS: MysqlTableSpec = MysqlTableSpec {
    table: "order_line_items",
    key: &["order_key", "line_number"],
    from_parent: &["order_key"],
    has_parent: true,
    has_children: false,
};

/// The JSON array of an order holding its line items.
const LINE_ITEMS_FIELD: &str = "line_items";

/// The kind of a model column from its `information_schema.COLUMNS.DATA_TYPE`.
pub fn kind_of(data_type: &str) -> Option<ColumnKind> {
    Some(match data_type.to_ascii_lowercase().as_str() {
        "varchar" | "char" | "text" | "mediumtext" | "longtext" | "tinytext" => ColumnKind::Text,
        "bigint" | "int" | "smallint" | "mediumint" => ColumnKind::Integer,
        "double" | "float" => ColumnKind::Float,
        "decimal" => ColumnKind::Decimal,
        "tinyint" => ColumnKind::Boolean,
        "date" => ColumnKind::Date,
        "datetime" | "timestamp" => ColumnKind::Timestamp,
        "binary" => ColumnKind::Uuid,
        _ => return None,
    })
}

/// The runtime's descriptor of `spec`'s table, its model columns read from the database
/// (the hidden ones, `_`-prefixed, are the runtime's to name). The descriptor lives for the
/// rest of the program, as the derive's statics do: a stage makes two.
pub async fn table(
    conn: &mut mysql_async::Conn,
    spec: MysqlTableSpec,
) -> Result<&'static Table, BenchError> {
    let rows: Vec<(String, String)> = conn
        .exec(
            "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            (spec.table,),
        )
        .await
        .map_err(|e| BenchError::Mysql(format!("columns of {}: {e}", spec.table)))?;
    let mut columns = Vec::new();
    for (name, data_type) in rows.into_iter().filter(|(n, _)| !n.starts_with('_')) {
        let kind = kind_of(&data_type).ok_or_else(|| {
            BenchError::Data(format!(
                "{}.{name}: column type {data_type} is not supported",
                spec.table
            ))
        })?;
        columns.push(Column {
            name: Box::leak(name.into_boxed_str()),
            kind,
        });
    }
    if columns.is_empty() {
        return Err(BenchError::Data(format!(
            "table {} has no columns (migrated?)",
            spec.table
        )));
    }
    Ok(Box::leak(Box::new(Table::new(
        spec.table,
        Box::leak(columns.into_boxed_slice()),
        spec.key,
        None,
        spec.has_parent,
        spec.has_children,
    ))))
}

/// One model column of a batch, typed as the derive types it.
#[derive(Debug)]
pub enum TypedColumn {
    Text(Values<Option<String>>),
    Integer(Values<Option<i64>>),
    Float(Values<Option<f64>>),
    Decimal(Values<Option<Decimal>>),
    Boolean(Values<Option<bool>>),
    Date(Values<Option<NaiveDate>>),
    Timestamp(Values<Option<DateTime<Utc>>>),
    Uuid(Values<Option<Uuid>>),
}

impl TypedColumn {
    fn new(kind: ColumnKind) -> Result<TypedColumn, BenchError> {
        Ok(match kind {
            ColumnKind::Text => TypedColumn::Text(Values::default()),
            ColumnKind::Integer => TypedColumn::Integer(Values::default()),
            ColumnKind::Float => TypedColumn::Float(Values::default()),
            ColumnKind::Decimal => TypedColumn::Decimal(Values::default()),
            ColumnKind::Boolean => TypedColumn::Boolean(Values::default()),
            ColumnKind::Date => TypedColumn::Date(Values::default()),
            ColumnKind::Timestamp => TypedColumn::Timestamp(Values::default()),
            ColumnKind::Uuid => TypedColumn::Uuid(Values::default()),
            ColumnKind::Json => {
                return Err(BenchError::Data("json columns are not supported".into()))
            }
        })
    }

    /// Puts `value` (absent and `null` are NULL) at `place`.
    fn put(&mut self, place: Place, value: Option<&Value>) -> Result<(), BenchError> {
        let value = value.filter(|v| !v.is_null());
        let bad = || BenchError::Data(format!("{value:?} does not fit its column"));
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        macro_rules! put {
            ($column:expr, $parse:expr) => {{
                let parsed = match value {
                    None => None,
                    Some(v) => Some($parse(v).ok_or_else(bad)?),
                };
                $column.put(place, parsed);
            }};
        }
        match self {
            TypedColumn::Text(c) => put!(c, |v: &Value| v.as_str().map(str::to_owned)),
            TypedColumn::Integer(c) => put!(c, |v: &Value| v.as_i64()),
            TypedColumn::Float(c) => put!(c, |v: &Value| v.as_f64()),
            TypedColumn::Decimal(c) => {
                put!(c, |v: &Value| text(v)
                    .and_then(|t| t.parse::<Decimal>().ok()))
            }
            TypedColumn::Boolean(c) => put!(c, |v: &Value| v.as_bool()),
            TypedColumn::Date(c) => put!(c, |v: &Value| v
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())),
            TypedColumn::Timestamp(c) => put!(c, |v: &Value| v
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))),
            TypedColumn::Uuid(c) => {
                put!(c, |v: &Value| v
                    .as_str()
                    .and_then(|s| Uuid::parse_str(s).ok()))
            }
        }
        Ok(())
    }

    /// The column as the runtime's writer takes it.
    pub fn values(&self) -> &dyn ColumnValues {
        match self {
            TypedColumn::Text(c) => c,
            TypedColumn::Integer(c) => c,
            TypedColumn::Float(c) => c,
            TypedColumn::Decimal(c) => c,
            TypedColumn::Boolean(c) => c,
            TypedColumn::Date(c) => c,
            TypedColumn::Timestamp(c) => c,
            TypedColumn::Uuid(c) => c,
        }
    }
}

/// One table's rows of a batch.
#[derive(Debug)]
pub struct TableRows {
    /// The table.
    pub table: &'static Table,
    /// `_id`, `_message_id`, `_version`, `_parent_id`.
    pub hidden: HiddenColumns,
    /// The model columns, in the order of `table.columns`.
    pub columns: Vec<TypedColumn>,
    spec: MysqlTableSpec,
}

impl TableRows {
    fn new(table: &'static Table, spec: MysqlTableSpec) -> Result<TableRows, BenchError> {
        Ok(TableRows {
            table,
            hidden: HiddenColumns::default(),
            columns: table
                .columns
                .iter()
                .map(|c| TypedColumn::new(c.kind))
                .collect::<Result<_, _>>()?,
            spec,
        })
    }

    /// Adds `record`'s row at `at` (`parent`: the enclosing record, for copied columns).
    fn push(
        &mut self,
        at: &RowAt<'_>,
        record: &Value,
        parent: Option<&Value>,
    ) -> Result<(), BenchError> {
        let Some(place) = self.hidden.push(at, None) else {
            return Ok(());
        };
        for (column, values) in self.table.columns.iter().zip(&mut self.columns) {
            let source = match parent {
                Some(p) if self.spec.from_parent.contains(&column.name) => p.get(column.name),
                _ => record.get(column.name),
            };
            values.put(place, source).map_err(|e| {
                BenchError::Data(format!("{}.{}: {e}", self.table.name, column.name))
            })?;
        }
        Ok(())
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.hidden.len()
    }

    /// `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.hidden.is_empty()
    }

    /// The model columns for the runtime's writer.
    pub fn values(&self) -> Vec<&dyn ColumnValues> {
        self.columns.iter().map(TypedColumn::values).collect()
    }

    /// The hidden columns this table has, in the runtime's bind order.
    pub fn hidden_names(&self) -> Vec<&'static str> {
        nomnom_runtime::db::mysql::statements::hidden_columns(self.table)
    }
}

/// The rows of a batch of orders over both tables, each order its own message.
#[derive(Debug)]
pub struct BatchRows {
    /// `orders`.
    pub orders: TableRows,
    /// `order_line_items`.
    pub line_items: TableRows,
}

impl BatchRows {
    /// The rows the worker writes for `orders` (JSON bodies) into `tables` (orders, line
    /// items), with the ids the runtime proposes.
    pub fn of(
        tables: (&'static Table, &'static Table),
        orders: &[bytes::Bytes],
    ) -> Result<BatchRows, BenchError> {
        let mut rows = BatchRows {
            orders: TableRows::new(tables.0, ORDERS)?,
            line_items: TableRows::new(tables.1, LINE_ITEMS)?,
        };
        for (slot, body) in orders.iter().enumerate() {
            let order: Value =
                serde_json::from_slice(body).map_err(|e| BenchError::Data(e.to_string()))?;
            let message_id = Uuid::now_v7();
            let at = RowAt::root(slot, message_id, message_id, None);
            rows.orders.push(&at, &order, None)?;
            let items = order[LINE_ITEMS_FIELD].as_array().into_iter().flatten();
            for (i, item) in items.enumerate() {
                let path = at.child_path(LINE_ITEMS_FIELD, i);
                rows.line_items
                    .push(&at.child(&path, None), item, Some(&order))?;
            }
        }
        Ok(rows)
    }

    /// Rows over both tables.
    pub fn len(&self) -> usize {
        self.orders.len() + self.line_items.len()
    }

    /// `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nomnom_runtime::db::row_ids::row_id;
    use serde_json::json;

    static ORDER_COLUMNS: [Column; 3] = [
        Column {
            name: "order_key",
            kind: ColumnKind::Text,
        },
        Column {
            name: "total_price",
            kind: ColumnKind::Decimal,
        },
        Column {
            name: "order_date",
            kind: ColumnKind::Date,
        },
    ];
    static ITEM_COLUMNS: [Column; 4] = [
        Column {
            name: "order_key",
            kind: ColumnKind::Text,
        },
        Column {
            name: "line_number",
            kind: ColumnKind::Integer,
        },
        Column {
            name: "discount",
            kind: ColumnKind::Float,
        },
        Column {
            name: "comment",
            kind: ColumnKind::Text,
        },
    ];
    static ORDERS_TABLE: Table =
        Table::new("orders", &ORDER_COLUMNS, &["order_key"], None, false, true);
    static ITEMS_TABLE: Table = Table::new(
        "order_line_items",
        &ITEM_COLUMNS,
        &["order_key", "line_number"],
        None,
        true,
        false,
    );

    #[test]
    fn column_kinds_follow_the_generated_mysql_types() {
        assert_eq!(kind_of("longtext"), Some(ColumnKind::Text));
        assert_eq!(kind_of("VARCHAR"), Some(ColumnKind::Text));
        assert_eq!(kind_of("bigint"), Some(ColumnKind::Integer));
        assert_eq!(kind_of("decimal"), Some(ColumnKind::Decimal));
        assert_eq!(kind_of("double"), Some(ColumnKind::Float));
        assert_eq!(kind_of("tinyint"), Some(ColumnKind::Boolean));
        assert_eq!(kind_of("datetime"), Some(ColumnKind::Timestamp));
        assert_eq!(kind_of("binary"), Some(ColumnKind::Uuid));
        assert_eq!(kind_of("geometry"), None);
    }

    #[test]
    fn a_batch_holds_the_rows_and_ids_the_runtime_proposes_and_loads_as_escaped_text() {
        let order = json!({
            "order_key": "O-1", "total_price": "12.50", "order_date": "1995-03-15",
            "line_items": [
                {"line_number": 1, "discount": 0.05, "comment": "tab\there \\ and\nnewline"},
                {"line_number": 2, "discount": null},
            ]
        });
        let rows = BatchRows::of(
            (&ORDERS_TABLE, &ITEMS_TABLE),
            &[bytes::Bytes::from(order.to_string())],
        )
        .unwrap();
        assert_eq!(
            (rows.orders.len(), rows.line_items.len(), rows.len()),
            (1, 2, 3)
        );
        let message_id = rows.orders.hidden.message_ids()[0];
        let order_id = row_id(message_id, "");
        assert_eq!(rows.orders.hidden.ids(), [order_id]);
        assert_eq!(
            rows.line_items.hidden.ids()[1],
            row_id(message_id, "/line_items/1")
        );
        assert_eq!(rows.line_items.hidden.parent_ids(), [order_id, order_id]);

        let hex = |id: Uuid| id.simple().to_string();
        let text = String::from_utf8(rows.line_items.load_text()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let first: Vec<&str> = lines[0].split('\t').collect();
        assert_eq!(
            first,
            [
                hex(row_id(message_id, "/line_items/0")).as_str(),
                &hex(message_id),
                &hex(message_id),
                &hex(order_id),
                "O-1",
                "1",
                "0.05",
                "tab\\there \\\\ and\\nnewline",
            ]
        );
        assert!(lines[1].ends_with("\tO-1\t2\t\\N\t\\N"), "{}", lines[1]);
        let orders = String::from_utf8(rows.orders.load_text()).unwrap();
        assert!(orders.ends_with("\tO-1\t12.50\t1995-03-15\n"), "{orders}");

        let statement = rows
            .line_items
            .load_statement("items-1", "`order_line_items`");
        assert!(
            statement.starts_with("LOAD DATA LOCAL INFILE 'items-1' INTO TABLE `order_line_items`"),
            "{statement}"
        );
        assert!(statement.contains(
            "(@_id, @_message_id, @_version, @_parent_id, `order_key`, `line_number`, \
             `discount`, `comment`) SET _id = UNHEX(@_id)"
        ));
    }

    #[test]
    fn a_value_that_does_not_fit_its_column_is_refused() {
        let order = json!({"order_key": "O-1", "total_price": "lots", "order_date": "1995-03-15"});
        let err = BatchRows::of(
            (&ORDERS_TABLE, &ITEMS_TABLE),
            &[bytes::Bytes::from(order.to_string())],
        )
        .unwrap_err();
        assert!(err.to_string().contains("orders.total_price"), "{err}");
    }
}
