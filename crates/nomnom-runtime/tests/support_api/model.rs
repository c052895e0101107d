//! A hand-written model with two root entities, validated with `serde_json`, standing in for
//! generated code.

use nomnom_runtime::json::SyntaxError;
use nomnom_runtime::model::{FieldError, Migration, Model, Rejection, RowBatch};
use serde_json::Value;
use uuid::Uuid;

/// Roots `Order` (`order_key` string, `total` number >= 0, optional `items` of `{qty >= 1}`)
/// and `Customer` (`name` string). An order whose key is [`PANICKING_KEY`] makes validation
/// panic, standing in for a bug in generated code.
pub struct ShopModel;

/// One root, `Event` (`kind` string): the entity may be left out.
pub struct EventModel;

/// Rows are not written by these tests.
#[derive(Default)]
pub struct NoRows;

impl RowBatch for NoRows {
    fn row_count(&self) -> usize {
        0
    }

    async fn write<'a, W: nomnom_runtime::db::writer::RowWriter>(
        &'a self,
        _writer: &'a mut W,
    ) -> Result<nomnom_runtime::db::write::BatchWrite, W::Error> {
        Ok(Default::default())
    }
}

/// The `order_key` whose validation panics.
pub const PANICKING_KEY: &str = "panic-in-validation";

/// The OpenAPI document the test model serves.
pub const SHOP_OPENAPI: &str =
    r#"{"openapi":"3.1.0","info":{"title":"shop","version":"1"},"paths":{}}"#;

impl Model for ShopModel {
    const PROJECT: &'static str = "shop";
    const ROOT_ENTITIES: &'static [&'static str] = &["Order", "Customer"];
    const OPENAPI_JSON: &'static str = SHOP_OPENAPI;
    const MIGRATIONS: &'static [Migration] = &[];
    type Record = Value;
    type Batch = NoRows;

    fn is_hl7(_entity: &str) -> bool {
        false
    }

    fn validate(entity: &str, body: &[u8]) -> Result<Value, Rejection> {
        let value = parse(body)?;
        let mut errors = Vec::new();
        match entity {
            "Order" => {
                if value.get("order_key").and_then(Value::as_str) == Some(PANICKING_KEY) {
                    panic!("validation bug triggered on purpose");
                }
                require_string(&value, "order_key", &mut errors);
                match value.get("total") {
                    None => errors.push(error("/total", "required", "total is required")),
                    Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f < 0.0) => {
                        errors.push(error("/total", "min", "total must be at least 0"))
                    }
                    Some(Value::Number(_)) => {}
                    Some(_) => errors.push(error("/total", "type", "total must be a number")),
                }
                if let Some(items) = value.get("items") {
                    match items.as_array() {
                        None => errors.push(error("/items", "type", "items must be an array")),
                        Some(items) => {
                            for (i, item) in items.iter().enumerate() {
                                let qty = item.get("qty").and_then(Value::as_i64);
                                if qty.is_none_or(|q| q < 1) {
                                    errors.push(error(
                                        &format!("/items/{i}/qty"),
                                        "min",
                                        "qty must be an integer of at least 1",
                                    ));
                                }
                            }
                        }
                    }
                }
            }
            "Customer" => require_string(&value, "name", &mut errors),
            _ => return Err(Rejection::UnknownEntity),
        }
        if errors.is_empty() {
            Ok(value)
        } else {
            Err(Rejection::Invalid(errors))
        }
    }

    fn add_to_batch(_batch: &mut NoRows, _message_id: Uuid, _version: Uuid, _record: &Value) {}

    /// Like its batches, it has no rows.
    fn preview(_record: &Value) -> nomnom_runtime::preview::Tables {
        nomnom_runtime::preview::Tables::default()
    }
}

impl Model for EventModel {
    const PROJECT: &'static str = "events";
    const ROOT_ENTITIES: &'static [&'static str] = &["Event"];
    const OPENAPI_JSON: &'static str = "{}";
    const MIGRATIONS: &'static [Migration] = &[];
    type Record = Value;
    type Batch = NoRows;

    fn is_hl7(_entity: &str) -> bool {
        false
    }

    fn validate(entity: &str, body: &[u8]) -> Result<Value, Rejection> {
        if entity != "Event" {
            return Err(Rejection::UnknownEntity);
        }
        let value = parse(body)?;
        let mut errors = Vec::new();
        require_string(&value, "kind", &mut errors);
        if errors.is_empty() {
            Ok(value)
        } else {
            Err(Rejection::Invalid(errors))
        }
    }

    fn add_to_batch(_batch: &mut NoRows, _message_id: Uuid, _version: Uuid, _record: &Value) {}

    /// Like its batches, it has no rows.
    fn preview(_record: &Value) -> nomnom_runtime::preview::Tables {
        nomnom_runtime::preview::Tables::default()
    }
}

fn parse(body: &[u8]) -> Result<Value, Rejection> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Rejection::Malformed(SyntaxError {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    })?;
    if !value.is_object() {
        return Err(Rejection::Malformed(SyntaxError {
            line: 1,
            column: 1,
            message: "expected a JSON object".into(),
        }));
    }
    Ok(value)
}

fn require_string(value: &Value, field: &str, errors: &mut Vec<FieldError>) {
    match value.get(field) {
        None | Some(Value::Null) => errors.push(error(
            &format!("/{field}"),
            "required",
            &format!("{field} is required"),
        )),
        Some(Value::String(_)) => {}
        Some(_) => errors.push(error(
            &format!("/{field}"),
            "type",
            &format!("{field} must be a string"),
        )),
    }
}

fn error(path: &str, rule: &'static str, message: &str) -> FieldError {
    FieldError {
        path: path.to_owned(),
        rule,
        message: message.to_owned(),
    }
}
