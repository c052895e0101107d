//! A digest of what a drain stored: for each table, its row count and the sum of a 64-bit
//! hash of every row's model columns (those not starting with `_`: the hidden ids, versions
//! and times differ from run to run). Order does not matter, and nothing is sorted, so it
//! costs one pass over each table. Two drains of the same messages through two forms of
//! a model (a [`crate::variant::Pair`]) must store the same digest.

use crate::BenchError;

/// `orders 1000 rows Σ… / order_line_items 4012 rows Σ…`: the digest of `tables`.
pub async fn digest(
    client: &tokio_postgres::Client,
    tables: &[&str],
) -> Result<String, BenchError> {
    let mut parts = Vec::with_capacity(tables.len());
    for table in tables {
        let sql = digest_sql(table, &model_columns(client, table).await?);
        let row = client
            .query_one(&sql, &[])
            .await
            .map_err(|e| BenchError::Postgres(format!("{sql}: {e}")))?;
        parts.push(format!(
            "{table} {} rows Σ{}",
            row.get::<_, i64>(0),
            row.get::<_, String>(1)
        ));
    }
    Ok(parts.join(" / "))
}

/// The columns of `table` that the model declares, in table order.
async fn model_columns(
    client: &tokio_postgres::Client,
    table: &str,
) -> Result<Vec<String>, BenchError> {
    let rows = client
        .query(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 \
               AND left(column_name, 1) <> '_' \
             ORDER BY ordinal_position",
            &[&table],
        )
        .await
        .map_err(|e| BenchError::Postgres(format!("columns of {table}: {e}")))?;
    let columns: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    if columns.is_empty() {
        return Err(BenchError::Postgres(format!(
            "{table} has no model columns"
        )));
    }
    Ok(columns)
}

/// The query of one table's digest: its row count and the sum of its rows' hashes, as text.
fn digest_sql(table: &str, columns: &[String]) -> String {
    let quoted: Vec<String> = columns.iter().map(|c| quote(c)).collect();
    format!(
        "SELECT count(*), coalesce(sum(hashtextextended(ROW({})::text, 0)), 0)::text FROM {}",
        quoted.join(", "),
        quote(table)
    )
}

/// An SQL identifier, quoted.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_hashes_each_row_of_the_model_columns_and_sums_without_sorting() {
        let sql = digest_sql("orders", &["order_key".into(), "total\"price".into()]);
        assert_eq!(
            sql,
            "SELECT count(*), coalesce(sum(hashtextextended(ROW(\"order_key\", \
             \"total\"\"price\")::text, 0)), 0)::text FROM \"orders\""
        );
    }
}
