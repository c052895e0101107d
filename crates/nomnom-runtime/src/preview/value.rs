//! [`PreviewValue`]: a column's value as the JSON a preview shows.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{Number, Value};
use uuid::Uuid;

use crate::json::Json;

/// A column's value as JSON (see the [module](super) for the forms).
pub trait PreviewValue {
    /// The value as JSON.
    fn preview(&self) -> Value;
}

impl PreviewValue for String {
    fn preview(&self) -> Value {
        Value::String(self.clone())
    }
}

impl PreviewValue for i64 {
    fn preview(&self) -> Value {
        Value::Number((*self).into())
    }
}

impl PreviewValue for f64 {
    /// Non-finite floats, which JSON has no number for, as PostgreSQL writes them (`NaN`,
    /// `Infinity`, `-Infinity`).
    fn preview(&self) -> Value {
        match Number::from_f64(*self) {
            Some(n) => Value::Number(n),
            None if self.is_nan() => Value::String("NaN".into()),
            None if *self > 0.0 => Value::String("Infinity".into()),
            None => Value::String("-Infinity".into()),
        }
    }
}

impl PreviewValue for bool {
    fn preview(&self) -> Value {
        Value::Bool(*self)
    }
}

impl PreviewValue for Decimal {
    fn preview(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl PreviewValue for NaiveDate {
    fn preview(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl PreviewValue for DateTime<Utc> {
    fn preview(&self) -> Value {
        Value::String(self.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl PreviewValue for Uuid {
    fn preview(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl PreviewValue for Json {
    /// The value itself (its exact text read back; `null` if it could not be, which a stored
    /// value never is).
    fn preview(&self) -> Value {
        serde_json::from_str(self.as_str()).unwrap_or(Value::Null)
    }
}

impl<T: PreviewValue> PreviewValue for Option<T> {
    fn preview(&self) -> Value {
        self.as_ref().map_or(Value::Null, PreviewValue::preview)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_take_their_documented_forms() {
        assert_eq!("a".to_string().preview(), json!("a"));
        assert_eq!(7i64.preview(), json!(7));
        assert_eq!(0.5f64.preview(), json!(0.5));
        assert_eq!(f64::NAN.preview(), json!("NaN"));
        assert_eq!(f64::NEG_INFINITY.preview(), json!("-Infinity"));
        assert_eq!(Decimal::new(720, 2).preview(), json!("7.20"));
        let day = NaiveDate::from_ymd_opt(2024, 2, 3).unwrap();
        assert_eq!(day.preview(), json!("2024-02-03"));
        let at = day.and_hms_micro_opt(14, 30, 0, 250).unwrap().and_utc();
        assert_eq!(at.preview(), json!("2024-02-03T14:30:00.000250Z"));
        assert_eq!(
            day.and_hms_opt(1, 2, 3).unwrap().and_utc().preview(),
            json!("2024-02-03T01:02:03Z")
        );
        assert_eq!(
            Json::parse(r#"{"k": [1, 2.50]}"#).unwrap().preview(),
            json!({"k": [1, 2.50]})
        );
        assert_eq!(None::<i64>.preview(), json!(null));
        assert_eq!(Some(true).preview(), json!(true));
    }
}
