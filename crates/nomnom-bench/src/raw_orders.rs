//! The generated TPC-H orders as a sender with its own formats writes them: the payloads of
//! the computed model (`models/tpch-computed`), whose computed fields turn each back into
//! exactly the columns `examples/tpch` stores for the original.
//!
//! Keys arrive padded and in lower case (`" o-7 "`, read by `upper(trim(...))`), customer
//! and part keys as bare numbers (`concat`, `concat_ws`), the order status and return flag
//! as words (`lookup`), the price as text with a decimal comma (`to_decimal(replace(...))`),
//! dates as `dd/mm/yyyy`, `yyyymmdd` or ISO (`parse_date`, `coalesce`), the priority padded
//! with an empty text for null (`nullif(trim(...), '')`). Absent and `null` optional fields
//! stay absent and `null`. Fields the model reads as they are are copied unchanged.

use serde_json::{Map, Value};

/// The order statuses as words, for `lookup(lower(status), ...)`.
const STATUSES: [(&str, &str); 3] = [("O", "Open"), ("F", "Fulfilled"), ("P", "Pending")];

/// The return flags as words, for `lookup(return_code, ...)`.
const RETURN_CODES: [(&str, &str); 3] = [("R", "returned"), ("A", "accepted"), ("N", "none")];

/// Order fields the computed model reads unchanged.
const ORDER_AS_IS: [&str; 3] = ["clerk", "ship_priority", "comment"];

/// Line item fields the computed model reads unchanged.
const ITEM_AS_IS: [&str; 6] = [
    "line_number",
    "quantity",
    "extended_price",
    "discount",
    "tax",
    "line_status",
];

/// A generated order (`nomnom_testkit::orders`) in the computed model's raw form.
pub fn raw_order(order: &Value) -> Value {
    let mut raw = Map::new();
    let field = |name: &str| order.get(name);
    map(&mut raw, "orderKey", field("order_key"), padded_lower);
    map(&mut raw, "customer", field("customer_key"), |v| {
        number_after(v, "C-")
    });
    map(&mut raw, "status", field("order_status"), |v| {
        word(v, &STATUSES)
    });
    map(&mut raw, "totalPrice", field("total_price"), decimal_comma);
    map(&mut raw, "orderDate", field("order_date"), day_month_year);
    match field("order_priority") {
        None => {}
        // `nullif(trim(priority), '')`: an empty text reads as null.
        Some(Value::Null) => {
            raw.insert("priority".into(), Value::String(String::new()));
        }
        Some(v) => {
            raw.insert("priority".into(), padded(v));
        }
    }
    copy(&mut raw, order, &ORDER_AS_IS);
    let items = order["line_items"]
        .as_array()
        .map(|items| items.iter().map(raw_line_item).collect())
        .unwrap_or_default();
    raw.insert("line_items".into(), Value::Array(items));
    Value::Object(raw)
}

/// A generated line item in the computed model's raw form.
fn raw_line_item(item: &Value) -> Value {
    let mut raw = Map::new();
    let field = |name: &str| item.get(name);
    copy(&mut raw, item, &ITEM_AS_IS);
    map(&mut raw, "part", field("part_key"), |v| {
        number_after(v, "P-")
    });
    map(&mut raw, "supplier", field("supplier_key"), padded_lower);
    map(&mut raw, "returnCode", field("return_flag"), |v| {
        word(v, &RETURN_CODES)
    });
    map(&mut raw, "shipDate", field("ship_date"), day_month_year);
    map(&mut raw, "commitDate", field("commit_date"), |v| {
        text_map(v, |d| d.replace('-', ""))
    });
    // Half the senders write the receipt date in their own format, half in ISO:
    // `coalesce(parse_date(receipt_local, ...), parse_date(receipt_iso, ...))`.
    let local = item["line_number"].as_u64().is_some_and(|n| n % 2 == 1);
    match field("receipt_date") {
        Some(date @ Value::String(_)) if local => {
            raw.insert("receiptLocal".into(), day_month_year(date));
        }
        Some(date) => {
            raw.insert("receiptDate".into(), date.clone());
        }
        None => {}
    }
    Value::Object(raw)
}

/// Inserts `f(value)` under `key` when the field is there; `null` stays `null`.
fn map(
    raw: &mut Map<String, Value>,
    key: &str,
    value: Option<&Value>,
    f: impl Fn(&Value) -> Value,
) {
    match value {
        None => {}
        Some(Value::Null) => {
            raw.insert(key.into(), Value::Null);
        }
        Some(v) => {
            raw.insert(key.into(), f(v));
        }
    }
}

/// Copies the fields `names` that are there, unchanged.
fn copy(raw: &mut Map<String, Value>, from: &Value, names: &[&str]) {
    for name in names {
        if let Some(v) = from.get(*name) {
            raw.insert((*name).into(), v.clone());
        }
    }
}

/// `f` of a text; any other value unchanged (the API then refuses it, which a run counts).
fn text_map(v: &Value, f: impl Fn(&str) -> String) -> Value {
    v.as_str()
        .map_or_else(|| v.clone(), |s| Value::String(f(s)))
}

/// `"O-7"` → `" o-7 "`.
fn padded_lower(v: &Value) -> Value {
    text_map(v, |s| format!(" {} ", s.to_lowercase()))
}

/// `"1-URGENT"` → `" 1-URGENT "`.
fn padded(v: &Value) -> Value {
    text_map(v, |s| format!(" {s} "))
}

/// `"C-42"` → `42`.
fn number_after(v: &Value, prefix: &str) -> Value {
    v.as_str()
        .and_then(|s| s.strip_prefix(prefix))
        .and_then(|n| n.parse::<i64>().ok())
        .map_or_else(|| v.clone(), Value::from)
}

/// A code → its word.
fn word(v: &Value, words: &[(&str, &str)]) -> Value {
    words
        .iter()
        .find(|(code, _)| v.as_str() == Some(code))
        .map_or_else(|| v.clone(), |(_, w)| Value::String((*w).into()))
}

/// A decimal (a JSON number or text) as text with a decimal comma, written as the order
/// writes it: `1234.5` → `"1234,5"`, `"1234.50"` → `"1234,50"` (the scale is the stored one).
fn decimal_comma(v: &Value) -> Value {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => return other.clone(),
    };
    Value::String(text.replace('.', ","))
}

/// `"1995-03-04"` → `"04/03/1995"`.
fn day_month_year(v: &Value) -> Value {
    text_map(v, |iso| {
        let mut parts = iso.splitn(3, '-');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(y), Some(m), Some(d)) => format!("{d}/{m}/{y}"),
            _ => iso.to_owned(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_computed_column_gets_its_input_in_the_senders_format() {
        let order = json!({
            "order_key": "O-17", "customer_key": "C-4021", "order_status": "F",
            "total_price": 1234.5, "order_date": "1995-03-04", "order_priority": "1-URGENT",
            "clerk": "Clerk#000000007", "comment": null,
            "line_items": [
                {"line_number": 1, "part_key": "P-88", "supplier_key": "S-9", "quantity": 3,
                 "extended_price": 901.25, "discount": null, "return_flag": "N",
                 "ship_date": "1996-12-31", "commit_date": "1997-01-02",
                 "receipt_date": "1997-01-05"},
                {"line_number": 2, "part_key": "P-89", "supplier_key": null, "quantity": 1,
                 "extended_price": 90.0, "tax": 0.02, "line_status": "O",
                 "receipt_date": "1997-02-01", "ship_date": null}
            ]
        });
        assert_eq!(
            raw_order(&order),
            json!({
                "orderKey": " o-17 ", "customer": 4021, "status": "Fulfilled",
                "totalPrice": "1234,5", "orderDate": "04/03/1995", "priority": " 1-URGENT ",
                "clerk": "Clerk#000000007", "comment": null,
                "line_items": [
                    {"line_number": 1, "part": 88, "supplier": " s-9 ", "quantity": 3,
                     "extended_price": 901.25, "discount": null, "returnCode": "none",
                     "shipDate": "31/12/1996", "commitDate": "19970102",
                     "receiptLocal": "05/01/1997"},
                    {"line_number": 2, "part": 89, "supplier": null, "quantity": 1,
                     "extended_price": 90.0, "tax": 0.02, "line_status": "O",
                     "receiptDate": "1997-02-01", "shipDate": null}
                ]
            })
        );
        // A price sent as text keeps its scale; a null priority becomes an empty text.
        let text_price = json!({"total_price": "10.50", "order_priority": null});
        let raw = raw_order(&text_price);
        assert_eq!(raw["totalPrice"], "10,50");
        assert_eq!(raw["priority"], "");
        assert_eq!(raw["line_items"], json!([]));
    }

    #[test]
    fn generated_orders_keep_their_line_items_and_every_optional_field_absent_or_null() {
        for order in nomnom_testkit::orders::orders(11, 1, 500) {
            let raw = raw_order(&order);
            let items = order["line_items"].as_array().unwrap();
            let raw_items = raw["line_items"].as_array().unwrap();
            assert_eq!(items.len(), raw_items.len());
            // Each input is there exactly when its column's value is (null as null).
            for (plain, input) in [("order_key", "orderKey"), ("clerk", "clerk")] {
                assert_eq!(order.get(plain).is_some(), raw.get(input).is_some());
            }
            assert_eq!(
                order["order_priority"].is_string(),
                raw["priority"].as_str().is_some_and(|p| !p.is_empty())
            );
            for (item, raw_item) in items.iter().zip(raw_items) {
                for (plain, input) in [
                    ("supplier_key", "supplier"),
                    ("return_flag", "returnCode"),
                    ("ship_date", "shipDate"),
                    ("commit_date", "commitDate"),
                ] {
                    assert_eq!(item.get(plain).is_some(), raw_item.get(input).is_some());
                    assert_eq!(item[plain].is_null(), raw_item[input].is_null());
                }
                let receipt = raw_item.get("receiptLocal").or(raw_item.get("receiptDate"));
                assert_eq!(item.get("receipt_date").is_some(), receipt.is_some());
                assert_eq!(
                    item["receipt_date"].is_null(),
                    receipt.is_none_or(Value::is_null)
                );
                assert!(raw_item["part"].is_u64(), "{raw_item}");
            }
            assert!(raw["customer"].is_u64() && raw["status"].as_str().unwrap().len() > 1);
        }
    }
}
