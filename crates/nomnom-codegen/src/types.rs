//! THE type table: every [`ScalarType`] mapped to its Rust type, its OpenAPI schema and its
//! SQL column type. Every emitter asks here; nothing else decides a type. (How a value is read
//! from JSON and bound to SQL follows from its Rust type, in the runtime and its derive.)

use nomnom_spec::model::ScalarType;
use serde_json::{json, Value};

/// The Rust type holding a non-null value: a prelude type, or a name the runtime exports
/// from `nomnom_runtime::types` (`Decimal`, `NaiveDate`, `DateTime<Utc>`, `Uuid`, `Json`).
pub fn rust_type(ty: ScalarType) -> RustType {
    match ty {
        ScalarType::String => RustType::Prelude("String"),
        ScalarType::Integer => RustType::Prelude("i64"),
        ScalarType::Float => RustType::Prelude("f64"),
        ScalarType::Decimal => RustType::Runtime("Decimal"),
        ScalarType::Boolean => RustType::Prelude("bool"),
        ScalarType::Date => RustType::Runtime("NaiveDate"),
        ScalarType::Timestamp => RustType::Timestamp,
        ScalarType::Uuid => RustType::Runtime("Uuid"),
        ScalarType::Json => RustType::Runtime("Json"),
    }
}

/// Where a column's Rust type comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RustType {
    /// Always in scope (`String`, `i64`).
    Prelude(&'static str),
    /// Exported by `nomnom_runtime::types`.
    Runtime(&'static str),
    /// `DateTime<Utc>`, both from `nomnom_runtime::types`.
    Timestamp,
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

/// The PostgreSQL column type of a field (`VARCHAR(200)` when a string has `max_length`).
///
/// Only the migrations need it: the worker binds values by the kinds the runtime knows
/// (`nomnom_runtime::db::table::ColumnKind`), and builds its statements itself.
pub fn postgres_column_type(ty: ScalarType, max_length: Option<u32>) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_one_mapping() {
        let rows: Vec<(RustType, String)> = ScalarType::ALL
            .iter()
            .map(|(t, _)| (rust_type(*t), postgres_column_type(*t, None)))
            .collect();
        assert_eq!(rows[0], (RustType::Prelude("String"), "TEXT".into()));
        assert_eq!(rows[1], (RustType::Prelude("i64"), "BIGINT".into()));
        assert_eq!(
            rows[2],
            (RustType::Prelude("f64"), "DOUBLE PRECISION".into())
        );
        assert_eq!(rows[3], (RustType::Runtime("Decimal"), "NUMERIC".into()));
        assert_eq!(rows[6], (RustType::Timestamp, "TIMESTAMPTZ".into()));
        assert_eq!(rows[8], (RustType::Runtime("Json"), "JSONB".into()));
    }

    #[test]
    fn strings_with_max_length_are_varchar() {
        assert_eq!(
            postgres_column_type(ScalarType::String, Some(200)),
            "VARCHAR(200)"
        );
        // max_length means nothing for other types.
        assert_eq!(postgres_column_type(ScalarType::Integer, Some(3)), "BIGINT");
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
