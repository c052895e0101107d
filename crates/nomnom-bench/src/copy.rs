//! The write limit: binary `COPY` of exactly the rows the worker writes for the same orders
//! (orders and their line items, with the hidden columns `_id`, `_message_id` and `_parent_id`)
//! into the same tables, created by the generated migrations.
//!
//! Column types are read from the database catalog, not assumed, so the rows follow whatever
//! DDL the generator emitted; only the TPC-H model's shape (which table holds what, the keys,
//! `order_key` copied from the parent) is written down here, in [`ORDERS`] and
//! [`LINE_ITEMS`].

use std::error::Error as StdError;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use uuid::Uuid;

use nomnom_runtime::db::row_ids::row_id;

use crate::pg_writes::{between, PgWrites};
use crate::stats::rate;
use crate::BenchError;

/// Where a table's rows come from in a posted TPC-H order.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// The table.
    pub table: &'static str,
    /// Columns copied from the enclosing record (`from: parent.<field>`).
    pub from_parent: &'static [&'static str],
}

/// `Order` → table `orders`.
pub const ORDERS: TableSpec = TableSpec {
    table: "orders",
    from_parent: &[],
};

/// `OrderLineItem` (each element of an order's `line_items`) → table `order_line_items`.
pub const LINE_ITEMS: TableSpec = TableSpec {
    table: "order_line_items",
    from_parent: &["order_key"],
};

/// The JSON array of an order holding its line items.
const LINE_ITEMS_FIELD: &str = "line_items";

/// One value of a row, typed for its column.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int8(i64),
    Int4(i32),
    Int2(i16),
    Float8(f64),
    Float4(f32),
    Numeric(Decimal),
    Date(NaiveDate),
    Timestamptz(DateTime<Utc>),
    Bool(bool),
    Uuid(Uuid),
    Json(Value),
}

impl ToSql for Cell {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Cell::Null => Ok(IsNull::Yes),
            Cell::Text(v) => v.to_sql(ty, out),
            Cell::Int8(v) => v.to_sql(ty, out),
            Cell::Int4(v) => v.to_sql(ty, out),
            Cell::Int2(v) => v.to_sql(ty, out),
            Cell::Float8(v) => v.to_sql(ty, out),
            Cell::Float4(v) => v.to_sql(ty, out),
            Cell::Numeric(v) => v.to_sql(ty, out),
            Cell::Date(v) => v.to_sql(ty, out),
            Cell::Timestamptz(v) => v.to_sql(ty, out),
            Cell::Bool(v) => v.to_sql(ty, out),
            Cell::Uuid(v) => v.to_sql(ty, out),
            Cell::Json(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Cells are made for their column's type by `cell`; each variant's own `to_sql`
        // checks again.
        true
    }

    to_sql_checked!();
}

/// A column of a table, as the catalog describes it.
#[derive(Debug, Clone)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Column type.
    pub ty: Type,
    /// `true` when the column has a default (used when it is not copied).
    pub has_default: bool,
}

/// The columns of `table`, in order.
pub async fn table_columns(
    client: &tokio_postgres::Client,
    table: &str,
) -> Result<Vec<Column>, BenchError> {
    let rows = client
        .query(
            "SELECT a.attname::text, a.atttypid, a.atthasdef FROM pg_attribute a \
             WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
            &[&table],
        )
        .await
        .map_err(|e| BenchError::Postgres(format!("columns of {table}: {e}")))?;
    rows.iter()
        .map(|r| {
            let oid: u32 = r.get(1);
            let name: String = r.get(0);
            let ty = Type::from_oid(oid)
                .ok_or_else(|| BenchError::Data(format!("{table}.{name}: unknown type {oid}")))?;
            Ok(Column {
                name,
                ty,
                has_default: r.get(2),
            })
        })
        .collect()
}

/// A JSON value as a cell of type `ty` (absent and `null` are NULL).
pub fn cell(value: Option<&Value>, ty: &Type) -> Result<Cell, BenchError> {
    let value = match value {
        None | Some(Value::Null) => return Ok(Cell::Null),
        Some(v) => v,
    };
    let bad = || BenchError::Data(format!("{value} does not fit {ty}"));
    let text = || match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    Ok(match *ty {
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            Cell::Text(value.as_str().ok_or_else(bad)?.to_string())
        }
        Type::INT8 => Cell::Int8(value.as_i64().ok_or_else(bad)?),
        Type::INT4 => Cell::Int4(
            value
                .as_i64()
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(bad)?,
        ),
        Type::INT2 => Cell::Int2(
            value
                .as_i64()
                .and_then(|v| i16::try_from(v).ok())
                .ok_or_else(bad)?,
        ),
        Type::FLOAT8 => Cell::Float8(value.as_f64().ok_or_else(bad)?),
        Type::FLOAT4 => Cell::Float4(value.as_f64().ok_or_else(bad)? as f32),
        Type::NUMERIC => Cell::Numeric(
            text()
                .and_then(|t| t.parse::<Decimal>().ok())
                .ok_or_else(bad)?,
        ),
        Type::DATE => Cell::Date(
            value
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                .ok_or_else(bad)?,
        ),
        Type::TIMESTAMPTZ => Cell::Timestamptz(
            value
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .ok_or_else(bad)?
                .with_timezone(&Utc),
        ),
        Type::BOOL => Cell::Bool(value.as_bool().ok_or_else(bad)?),
        Type::UUID => Cell::Uuid(
            value
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(bad)?,
        ),
        Type::JSON | Type::JSONB => Cell::Json(value.clone()),
        _ => {
            return Err(BenchError::Data(format!(
                "column type {ty} is not supported"
            )))
        }
    })
}

/// How to fill one table: the columns copied and the `COPY` statement.
#[derive(Debug, Clone)]
pub struct TablePlan {
    /// Which table, and where its rows come from.
    pub spec: TableSpec,
    /// The columns copied, in statement order (columns with defaults and no source are
    /// left to their defaults, like `_ingested_at`).
    pub columns: Vec<Column>,
    /// `COPY <table> (<columns>) FROM STDIN (FORMAT binary)`.
    pub statement: String,
}

/// The plan for both tables of the TPC-H model.
#[derive(Debug, Clone)]
pub struct CopyPlan {
    /// `orders`.
    pub orders: TablePlan,
    /// `order_line_items`.
    pub line_items: TablePlan,
}

const HIDDEN_FILLED: [&str; 3] = ["_id", "_message_id", "_parent_id"];

fn table_plan(spec: TableSpec, all: Vec<Column>) -> Result<TablePlan, BenchError> {
    if all.is_empty() {
        return Err(BenchError::Data(format!(
            "table {} has no columns",
            spec.table
        )));
    }
    let mut columns = Vec::new();
    for column in all {
        let hidden = column.name.starts_with('_');
        if hidden && !HIDDEN_FILLED.contains(&column.name.as_str()) {
            if column.has_default {
                continue; // `_ingested_at`: the worker leaves it to its default too
            }
            return Err(BenchError::Data(format!(
                "{}.{} is a hidden column without a default that the benchmark does not know",
                spec.table, column.name
            )));
        }
        columns.push(column);
    }
    let list = columns
        .iter()
        .map(|c| format!("\"{}\"", c.name.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(", ");
    let statement = format!(
        "COPY \"{}\" ({list}) FROM STDIN (FORMAT binary)",
        spec.table
    );
    Ok(TablePlan {
        spec,
        columns,
        statement,
    })
}

impl CopyPlan {
    /// Reads both tables' columns from the database.
    pub async fn load(client: &tokio_postgres::Client) -> Result<CopyPlan, BenchError> {
        Ok(CopyPlan {
            orders: table_plan(ORDERS, table_columns(client, ORDERS.table).await?)?,
            line_items: table_plan(LINE_ITEMS, table_columns(client, LINE_ITEMS.table).await?)?,
        })
    }
}

/// The row of `record`, at `path` in message `message_id`, with the `_id` the worker
/// proposes for it (the runtime's [`row_id`]: every order here is new, so it is the id stored).
fn row(
    plan: &TablePlan,
    record: &Value,
    parent: Option<(&Value, Uuid)>,
    message_id: Uuid,
    path: &str,
) -> Result<(Uuid, Vec<Cell>), BenchError> {
    let source = |name: &str| -> Option<&Value> {
        match parent {
            Some((p, _)) if plan.spec.from_parent.contains(&name) => p.get(name),
            _ => record.get(name),
        }
    };
    let id = row_id(message_id, path);
    let cells = plan
        .columns
        .iter()
        .map(|c| match c.name.as_str() {
            "_id" => Ok(Cell::Uuid(id)),
            "_message_id" => Ok(Cell::Uuid(message_id)),
            "_parent_id" => Ok(parent.map_or(Cell::Null, |(_, pid)| Cell::Uuid(pid))),
            name => cell(source(name), &c.ty)
                .map_err(|e| BenchError::Data(format!("{}.{name}: {e}", plan.spec.table))),
        })
        .collect::<Result<Vec<Cell>, BenchError>>()?;
    Ok((id, cells))
}

/// The rows of a set of orders, ready to copy.
#[derive(Debug, Default)]
pub struct Rows {
    /// Rows of `orders`.
    pub orders: Vec<Vec<Cell>>,
    /// Rows of `order_line_items`.
    pub line_items: Vec<Vec<Cell>>,
}

impl Rows {
    /// Rows over both tables.
    pub fn len(&self) -> usize {
        self.orders.len() + self.line_items.len()
    }

    /// `true` when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The rows the worker writes for `orders` (JSON bodies), each order its own message.
pub fn rows_for(plan: &CopyPlan, orders: &[Bytes]) -> Result<Rows, BenchError> {
    let mut rows = Rows::default();
    for body in orders {
        let order: Value =
            serde_json::from_slice(body).map_err(|e| BenchError::Data(e.to_string()))?;
        let message_id = Uuid::now_v7();
        let (order_id, cells) = row(&plan.orders, &order, None, message_id, "")?;
        rows.orders.push(cells);
        let items = order[LINE_ITEMS_FIELD].as_array().into_iter().flatten();
        for (i, item) in items.enumerate() {
            let path = format!("/{LINE_ITEMS_FIELD}/{i}");
            let parent = Some((&order, order_id));
            let (_, cells) = row(&plan.line_items, item, parent, message_id, &path)?;
            rows.line_items.push(cells);
        }
    }
    Ok(rows)
}

async fn copy_table(
    tx: &tokio_postgres::Transaction<'_>,
    plan: &TablePlan,
    rows: &[Vec<Cell>],
) -> Result<u64, tokio_postgres::Error> {
    let sink = tx.copy_in(&plan.statement).await?;
    let types: Vec<Type> = plan.columns.iter().map(|c| c.ty.clone()).collect();
    let writer = BinaryCopyInWriter::new(sink, &types);
    let mut writer = std::pin::pin!(writer);
    for row in rows {
        let refs: Vec<&(dyn ToSql + Sync)> = row.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
        writer.as_mut().write(&refs).await?;
    }
    writer.as_mut().finish().await
}

/// Copies `rows` into both tables in one transaction; returns the rows written and the time
/// from `BEGIN` to the end of `COMMIT`.
pub async fn copy_rows(
    client: &mut tokio_postgres::Client,
    plan: &CopyPlan,
    rows: &Rows,
) -> Result<(u64, Duration), BenchError> {
    let pg = |e: tokio_postgres::Error| BenchError::Postgres(format!("COPY: {e}"));
    let start = Instant::now();
    let tx = client.transaction().await.map_err(pg)?;
    let mut written = copy_table(&tx, &plan.orders, &rows.orders)
        .await
        .map_err(pg)?;
    written += copy_table(&tx, &plan.line_items, &rows.line_items)
        .await
        .map_err(pg)?;
    tx.commit().await.map_err(pg)?;
    Ok((written, start.elapsed()))
}

/// The write limit measured.
#[derive(Debug, Clone, Serialize)]
pub struct CopyRun {
    /// Orders (messages) copied.
    pub messages: u64,
    /// Rows copied over both tables.
    pub rows: u64,
    /// Orders per transaction.
    pub batch_messages: usize,
    /// Time spent in the transactions, in seconds (preparing rows is not counted).
    pub seconds: f64,
    /// Rows per second.
    pub rows_per_sec: f64,
    /// Orders per second.
    pub msgs_per_sec: f64,
    /// Checkpoints and WAL PostgreSQL wrote during the copy.
    pub postgres_writes: Option<PgWrites>,
}

/// Copies `count` orders drawn from `seed` into the tables, `batch` orders per transaction
/// (each batch's rows prepared before its clock starts).
pub async fn measure(
    client: &mut tokio_postgres::Client,
    seed: u64,
    count: u64,
    batch: usize,
) -> Result<CopyRun, BenchError> {
    let plan = CopyPlan::load(client).await?;
    let chunks = count.div_ceil(crate::payloads::CHUNK).max(1);
    let (mut messages, mut rows_written, mut spent) = (0u64, 0u64, Duration::ZERO);
    let pg_before = PgWrites::read(client).await;
    for k in 0..chunks {
        let mut orders = crate::payloads::order_chunks(seed, k, 1);
        orders.truncate((count - k * crate::payloads::CHUNK) as usize);
        for part in orders.chunks(batch.max(1)) {
            let rows = rows_for(&plan, part)?;
            let (written, took) = copy_rows(client, &plan, &rows).await?;
            messages += part.len() as u64;
            rows_written += written;
            spent += took;
        }
    }
    Ok(CopyRun {
        messages,
        rows: rows_written,
        batch_messages: batch,
        seconds: spent.as_secs_f64(),
        rows_per_sec: rate(rows_written, spent),
        msgs_per_sec: rate(messages, spent),
        postgres_writes: between(pg_before, PgWrites::read(client).await),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_values_become_cells_of_their_column_type() {
        assert_eq!(cell(None, &Type::TEXT).unwrap(), Cell::Null);
        assert_eq!(cell(Some(&json!(null)), &Type::INT8).unwrap(), Cell::Null);
        assert_eq!(
            cell(Some(&json!("O-1")), &Type::TEXT).unwrap(),
            Cell::Text("O-1".into())
        );
        assert_eq!(cell(Some(&json!(7)), &Type::INT8).unwrap(), Cell::Int8(7));
        assert_eq!(cell(Some(&json!(7)), &Type::INT4).unwrap(), Cell::Int4(7));
        assert_eq!(
            cell(Some(&json!(0.05)), &Type::FLOAT8).unwrap(),
            Cell::Float8(0.05)
        );
        // Decimals arrive as numbers or strings and stay exact.
        assert_eq!(
            cell(Some(&json!("1234.50")), &Type::NUMERIC).unwrap(),
            Cell::Numeric("1234.50".parse().unwrap())
        );
        assert_eq!(
            cell(Some(&json!(99.01)), &Type::NUMERIC).unwrap(),
            Cell::Numeric("99.01".parse().unwrap())
        );
        assert_eq!(
            cell(Some(&json!("1995-03-15")), &Type::DATE).unwrap(),
            Cell::Date(NaiveDate::from_ymd_opt(1995, 3, 15).unwrap())
        );
        assert!(cell(Some(&json!("soon")), &Type::DATE).is_err());
        assert!(cell(Some(&json!(1)), &Type::TEXT).is_err());
        assert!(cell(Some(&json!(1_i64 << 40)), &Type::INT4).is_err());
    }

    #[test]
    fn rows_carry_the_ids_the_worker_proposes() {
        let column = |name: &str, ty: Type| Column {
            name: name.into(),
            ty,
            has_default: false,
        };
        let hidden = || vec![column("_id", Type::UUID), column("_message_id", Type::UUID)];
        let mut order_columns = hidden();
        order_columns.push(column("order_key", Type::TEXT));
        let mut item_columns = hidden();
        item_columns.push(column("_parent_id", Type::UUID));
        item_columns.push(column("order_key", Type::TEXT));
        item_columns.push(column("line_number", Type::INT8));
        let plan = CopyPlan {
            orders: table_plan(ORDERS, order_columns).unwrap(),
            line_items: table_plan(LINE_ITEMS, item_columns).unwrap(),
        };
        let body =
            json!({"order_key": "O-1", "line_items": [{"line_number": 1}, {"line_number": 2}]});
        let rows = rows_for(&plan, &[Bytes::from(body.to_string())]).unwrap();
        let (Cell::Uuid(order_id), Cell::Uuid(message_id)) =
            (&rows.orders[0][0], &rows.orders[0][1])
        else {
            panic!("hidden ids: {:?}", rows.orders[0]);
        };
        assert_eq!(*order_id, row_id(*message_id, ""));
        for (i, item) in rows.line_items.iter().enumerate() {
            assert_eq!(
                item[0],
                Cell::Uuid(row_id(*message_id, &format!("/line_items/{i}")))
            );
            assert_eq!(item[2], Cell::Uuid(*order_id));
            assert_eq!(item[3], Cell::Text("O-1".into()), "copied from the order");
        }
    }
}
