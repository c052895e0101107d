//! THE type table: every [`ScalarType`] mapped to its Rust type, its JSON reader in the
//! runtime, its OpenAPI schema and, through a [`Dialect`], its SQL column and array types.
//! Every emitter asks here; nothing else decides a type.

use nomnom_spec::model::ScalarType;
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::{json, Value};

/// The Rust type holding a non-null value (paths through `nomnom_runtime::export`).
pub fn rust_type(ty: ScalarType) -> TokenStream {
    match ty {
        ScalarType::String => quote!(String),
        ScalarType::Integer => quote!(i64),
        ScalarType::Float => quote!(f64),
        ScalarType::Decimal => quote!(::nomnom_runtime::export::rust_decimal::Decimal),
        ScalarType::Boolean => quote!(bool),
        ScalarType::Date => quote!(::nomnom_runtime::export::chrono::NaiveDate),
        ScalarType::Timestamp => {
            quote!(
                ::nomnom_runtime::export::chrono::DateTime<::nomnom_runtime::export::chrono::Utc>
            )
        }
        ScalarType::Uuid => quote!(::nomnom_runtime::export::uuid::Uuid),
        ScalarType::Json => quote!(::nomnom_runtime::json::Json),
    }
}

/// The runtime function (in `nomnom_runtime::json::field`) that reads a JSON value as `ty`.
pub fn json_reader(ty: ScalarType) -> &'static str {
    match ty {
        ScalarType::String => "string",
        ScalarType::Integer => "integer",
        ScalarType::Float => "float",
        ScalarType::Decimal => "decimal",
        ScalarType::Boolean => "boolean",
        ScalarType::Date => "date",
        ScalarType::Timestamp => "timestamp",
        ScalarType::Uuid => "uuid",
        ScalarType::Json => "json",
    }
}

/// The OpenAPI 3.1 (JSON Schema 2020-12) schema of a non-null value.
pub fn openapi_schema(ty: ScalarType) -> Value {
    match ty {
        ScalarType::String => json!({"type": "string"}),
        ScalarType::Integer => json!({"type": "integer", "format": "int64"}),
        ScalarType::Float => json!({"type": "number", "format": "double"}),
        ScalarType::Decimal => json!({
            "type": ["number", "string"],
            "format": "decimal",
            "pattern": "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$",
            "description": "Exact decimal: a JSON number or a string holding one; never rounded through a float."
        }),
        ScalarType::Boolean => json!({"type": "boolean"}),
        ScalarType::Date => json!({"type": "string", "format": "date"}),
        ScalarType::Timestamp => json!({"type": "string", "format": "date-time"}),
        ScalarType::Uuid => json!({"type": "string", "format": "uuid"}),
        ScalarType::Json => json!({}),
    }
}

/// `true` for the types `min` and `max` apply to.
pub fn is_numeric(ty: ScalarType) -> bool {
    matches!(
        ty,
        ScalarType::Integer | ScalarType::Float | ScalarType::Decimal
    )
}

/// A SQL database the generated code can target. PostgreSQL is the one implemented;
/// MySQL/MariaDB and SQLite will be further implementations.
pub trait Dialect {
    /// The column type for a field (`VARCHAR(200)` when a string has `max_length`).
    fn column_type(&self, ty: ScalarType, max_length: Option<u32>) -> String;
    /// The SQL array type a column's values are bound as (`text[]`), for `UNNEST`.
    fn array_type(&self, ty: ScalarType) -> &'static str;
    /// The `tokio_postgres::types::Type` constant naming that array type (`TEXT_ARRAY`).
    fn array_type_constant(&self, ty: ScalarType) -> &'static str;
}

/// PostgreSQL (15 and later).
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Dialect for Postgres {
    fn column_type(&self, ty: ScalarType, max_length: Option<u32>) -> String {
        match (ty, max_length) {
            (ScalarType::String, Some(n)) => format!("VARCHAR({n})"),
            (ScalarType::String, None) => "TEXT".into(),
            (ScalarType::Integer, _) => "BIGINT".into(),
            (ScalarType::Float, _) => "DOUBLE PRECISION".into(),
            (ScalarType::Decimal, _) => "NUMERIC".into(),
            (ScalarType::Boolean, _) => "BOOLEAN".into(),
            (ScalarType::Date, _) => "DATE".into(),
            (ScalarType::Timestamp, _) => "TIMESTAMPTZ".into(),
            (ScalarType::Uuid, _) => "UUID".into(),
            (ScalarType::Json, _) => "JSONB".into(),
        }
    }

    fn array_type(&self, ty: ScalarType) -> &'static str {
        match ty {
            ScalarType::String => "text[]",
            ScalarType::Integer => "int8[]",
            ScalarType::Float => "float8[]",
            ScalarType::Decimal => "numeric[]",
            ScalarType::Boolean => "bool[]",
            ScalarType::Date => "date[]",
            ScalarType::Timestamp => "timestamptz[]",
            ScalarType::Uuid => "uuid[]",
            ScalarType::Json => "jsonb[]",
        }
    }

    fn array_type_constant(&self, ty: ScalarType) -> &'static str {
        match ty {
            ScalarType::String => "TEXT_ARRAY",
            ScalarType::Integer => "INT8_ARRAY",
            ScalarType::Float => "FLOAT8_ARRAY",
            ScalarType::Decimal => "NUMERIC_ARRAY",
            ScalarType::Boolean => "BOOL_ARRAY",
            ScalarType::Date => "DATE_ARRAY",
            ScalarType::Timestamp => "TIMESTAMPTZ_ARRAY",
            ScalarType::Uuid => "UUID_ARRAY",
            ScalarType::Json => "JSONB_ARRAY",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_one_mapping() {
        let pg = Postgres;
        let rows: Vec<(String, String, &str, &str)> = ScalarType::ALL
            .iter()
            .map(|(t, _)| {
                (
                    rust_type(*t).to_string(),
                    pg.column_type(*t, None),
                    pg.array_type(*t),
                    json_reader(*t),
                )
            })
            .collect();
        assert_eq!(
            rows[0],
            ("String".into(), "TEXT".into(), "text[]", "string")
        );
        assert_eq!(
            rows[1],
            ("i64".into(), "BIGINT".into(), "int8[]", "integer")
        );
        assert_eq!(
            rows[2],
            ("f64".into(), "DOUBLE PRECISION".into(), "float8[]", "float")
        );
        assert_eq!(rows[3].1, "NUMERIC");
        assert!(rows[3].0.ends_with("Decimal"));
        assert_eq!(rows[8].1, "JSONB");
    }

    #[test]
    fn strings_with_max_length_are_varchar() {
        assert_eq!(
            Postgres.column_type(ScalarType::String, Some(200)),
            "VARCHAR(200)"
        );
        // max_length means nothing for other types.
        assert_eq!(Postgres.column_type(ScalarType::Integer, Some(3)), "BIGINT");
    }

    #[test]
    fn array_types_and_constants_agree() {
        for (t, _) in ScalarType::ALL {
            let name = Postgres.array_type(t).trim_end_matches("[]").to_uppercase();
            assert_eq!(format!("{name}_ARRAY"), Postgres.array_type_constant(t));
        }
    }

    #[test]
    fn decimals_are_numbers_or_strings_in_openapi() {
        assert_eq!(
            openapi_schema(ScalarType::Decimal)["type"],
            json!(["number", "string"])
        );
        assert_eq!(openapi_schema(ScalarType::Integer)["format"], "int64");
        assert_eq!(openapi_schema(ScalarType::Json), json!({}));
    }
}
