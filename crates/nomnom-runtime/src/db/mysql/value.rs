//! How each type of the model's type table is bound for MySQL and MariaDB: `uuid` as the 16
//! bytes of a `BINARY(16)`, `timestamp` as a `DATETIME(6)` in UTC, `decimal` as its exact
//! text (the server rounds nothing that fits the column's `DECIMAL(p,s)`), `json` as its
//! text, `date` as a `DATE`.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use mysql_async::Value;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::json::Json;

/// A value MySQL binds.
pub trait MysqlValue {
    /// The value as a MySQL parameter.
    fn to_mysql(&self) -> Value;
}

impl MysqlValue for String {
    fn to_mysql(&self) -> Value {
        Value::Bytes(self.as_bytes().to_vec())
    }
}

impl MysqlValue for i64 {
    fn to_mysql(&self) -> Value {
        Value::Int(*self)
    }
}

impl MysqlValue for f64 {
    fn to_mysql(&self) -> Value {
        Value::Double(*self)
    }
}

impl MysqlValue for bool {
    fn to_mysql(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}

impl MysqlValue for Decimal {
    fn to_mysql(&self) -> Value {
        Value::Bytes(self.to_string().into_bytes())
    }
}

impl MysqlValue for NaiveDate {
    fn to_mysql(&self) -> Value {
        date_value(*self, 0, 0, 0, 0)
    }
}

impl MysqlValue for DateTime<Utc> {
    fn to_mysql(&self) -> Value {
        let t = self.time();
        // A leap second (nanosecond >= 1e9) is clamped to the last microsecond of its second.
        let micros = (t.nanosecond() / 1_000).min(999_999);
        date_value(self.date_naive(), t.hour(), t.minute(), t.second(), micros)
    }
}

impl MysqlValue for Uuid {
    fn to_mysql(&self) -> Value {
        Value::Bytes(self.as_bytes().to_vec())
    }
}

impl MysqlValue for Json {
    fn to_mysql(&self) -> Value {
        Value::Bytes(self.as_str().as_bytes().to_vec())
    }
}

impl<T: MysqlValue> MysqlValue for Option<T> {
    fn to_mysql(&self) -> Value {
        match self {
            Some(value) => value.to_mysql(),
            None => Value::NULL,
        }
    }
}

fn date_value(date: NaiveDate, hour: u32, minute: u32, second: u32, micros: u32) -> Value {
    // Years outside 0..=9999 are refused by the API's limits before they get here.
    Value::Date(
        u16::try_from(date.year()).unwrap_or(0),
        date.month() as u8,
        date.day() as u8,
        hour as u8,
        minute as u8,
        second as u8,
        micros,
    )
}

/// Reads a `BINARY(16)` column back as a UUID.
pub fn uuid_from(value: &Value) -> Option<Uuid> {
    match value {
        Value::Bytes(bytes) => Uuid::from_slice(bytes).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_keep_microseconds_in_utc_and_options_bind_null() {
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 1, 2, 3).unwrap()
            + chrono::Duration::microseconds(456_789);
        assert_eq!(at.to_mysql(), Value::Date(2026, 12, 6, 1, 2, 3, 456_789));
        assert_eq!(None::<i64>.to_mysql(), Value::NULL);
        assert_eq!(Some(true).to_mysql(), Value::Int(1));
        let id = Uuid::now_v7();
        assert_eq!(uuid_from(&id.to_mysql()), Some(id));
        assert_eq!(
            "12.500".parse::<Decimal>().unwrap().to_mysql(),
            Value::Bytes(b"12.500".to_vec())
        );
    }
}
