//! Target `json_message`: a JSON body read as a root record of a small but representative
//! model ([`model`]), as the API validates a posted message and the worker derives its rows.
//!
//! Whatever the bytes, the answer is a record whose children hold their parents' values and
//! whose rows come out as JSON, or a rejection: malformed JSON located at a line and column
//! (exactly when the runtime's JSON reader refuses the body), or the failing fields, at least
//! one, each with its JSON pointer and rule. The runtime's reader agrees with `serde_json`
//! on what is JSON, except that it refuses duplicate keys and accepts numbers beyond a
//! float's range.

mod computed;
pub mod model;

use nomnom_runtime::model::{read_root, Entity, FieldError, Rejection};
use nomnom_runtime::preview::Tables;
use nomnom_runtime::types::Decimal;
use serde_json::Value;

use crate::Outcome;
use model::Order;

/// Fragments JSON and the model give meaning to, for mutators to insert.
pub const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "\\udc00\\ud800",
    "\\u00e9",
    "null",
    "true",
    "false",
    "0",
    "-0",
    "1e400",
    "-1e-400",
    "0.000000000000000000000000001",
    "79228162514264337593543950336",
    "9223372036854775808",
    "-9223372036854775809",
    "1.5",
    "\"2024-02-29\"",
    "\"2024-02-30\"",
    "\"2024-05-01T14:30:00+02:00\"",
    "\"2024-05-01T14:30:00.123456789Z\"",
    "\"+275760-09-13T00:00:00Z\"",
    "\"67e55044-10b1-426f-9247-bb680e5fe0c8\"",
    "\"orderKey\":",
    "\"status\":\"O\"",
    "\"total\":",
    "\"placed_at\":",
    "\"customer\":{\"id\":\"c\"}",
    "\"lines\":[",
    "\"shipments\":[",
    "\"unitPrice\":\"1,5\"",
    "\"sku\":\"ABC-1\"",
    "\"attributes\":",
    "\"comment\":",
    "é",
    "\u{feff}",
    " ",
    "\n",
    "\t",
];

/// Reads `bytes` as an `Order` message and checks the answer.
pub fn run(bytes: &[u8]) -> Outcome {
    let syntax = nomnom_runtime::json::parse(bytes).map(|_| ());
    if syntax.is_ok() && nesting(bytes) < 100 {
        // Numbers beyond a float's range are JSON (RFC 8259 leaves their range to the
        // reader); the runtime keeps their text, serde_json refuses them.
        match serde_json::from_slice::<Value>(bytes) {
            Err(e) if !e.to_string().starts_with("number out of range") => {
                panic!("the runtime read JSON that serde_json refuses ({e})")
            }
            _ => {}
        }
    }
    if let Err(e) = &syntax {
        // The runtime refuses duplicate keys and deep nesting; anything else it refuses,
        // serde_json must refuse too.
        let strict = e.message.starts_with("duplicate key") || e.message.starts_with("nesting");
        if !strict && serde_json::from_slice::<Value>(bytes).is_ok() {
            panic!("the runtime refused JSON that serde_json reads ({e})");
        }
    }
    match read_root::<Order>(bytes) {
        Ok(order) => {
            assert!(syntax.is_ok(), "a record from a body that is not JSON");
            check_record(&order);
            Outcome::Accepted
        }
        Err(Rejection::Malformed(e)) => {
            assert_eq!(syntax, Err(e.clone()), "read_root and parse disagree");
            assert!(e.line >= 1 && e.column >= 1, "{e:?}");
            assert!(
                e.line <= 1 + bytes.iter().filter(|&&b| b == b'\n').count(),
                "{e:?}"
            );
            assert!(!e.message.is_empty());
            Outcome::Refused("syntax")
        }
        Err(Rejection::Invalid(errors)) => {
            assert!(syntax.is_ok(), "invalid fields in a body that is not JSON");
            check_field_errors(&errors, |path| path.is_empty() || path.starts_with('/'));
            Outcome::Refused("invalid")
        }
        Err(other) => panic!("a JSON entity refused with {other:?}"),
    }
}

/// At least one error, each with a rule, a sentence, and a path that `path_ok` accepts.
pub(crate) fn check_field_errors(errors: &[FieldError], path_ok: impl Fn(&str) -> bool) {
    assert!(!errors.is_empty(), "refused without a field error");
    for e in errors {
        assert!(path_ok(&e.path), "{e:?}");
        assert!(!e.rule.is_empty() && !e.message.is_empty(), "{e:?}");
    }
}

/// The deepest nesting of brackets and braces, counting those in strings too (an upper
/// bound, which is all the comparison with `serde_json`'s own limit of 128 needs).
fn nesting(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'[' || b == b'{').count()
}

fn check_record(order: &Order) {
    // Computed fields hold their expressions' values, and the model's rules hold.
    // upper() maps character by character (Unicode's simple case mapping: where the full
    // mapping is one character, that one), after trim() took the spaces off both ends.
    let raw = order.raw_order_key.trim_matches(' ');
    assert_eq!(order.order_key.chars().count(), raw.chars().count());
    for (from, to) in raw.chars().zip(order.order_key.chars()) {
        let mut full = from.to_uppercase();
        if let (Some(one), None) = (full.next(), full.next()) {
            assert_eq!(to, one, "upper({from:?})");
        }
    }
    assert!(order.raw_order_key.chars().count() <= 40);
    assert!(["O", "F", "P"].contains(&order.status.as_str()));
    assert!(order.total >= Decimal::ZERO);
    assert!(order.priority.is_none_or(|p| (0..=9).contains(&p)));
    assert!(order.discount.is_none_or(|d| (0.0..=1.0).contains(&d)));
    assert!(order
        .comment
        .as_ref()
        .is_none_or(|c| c.chars().count() <= 200));
    assert!(order
        .label
        .starts_with(&format!("{} {}", order.order_key, order.status)));
    let mut shipments = 0;
    for line in &order.lines {
        assert_eq!(
            line.order_key, order.order_key,
            "a line without its order's key"
        );
        assert!(line.line_number >= 1 && line.quantity >= 1);
        assert!(line.unit_price >= Decimal::ZERO);
        for s in &line.shipments {
            assert_eq!(s.order_key, order.order_key);
            assert_eq!(s.line_number, line.line_number);
            assert!(["ups", "dhl", "post"].contains(&s.carrier.as_str()));
        }
        shipments += line.shipments.len();
    }
    // Its rows, one per record, as the worker would write them, come out as JSON that the
    // runtime's reader reads back.
    let mut tables = Tables::default();
    Entity::preview(order, &mut tables);
    let rows = tables.to_json();
    let count = |table: &str| {
        rows.get(table)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    };
    assert_eq!(count("orders"), 1);
    assert_eq!(count("order_lines"), order.lines.len());
    assert_eq!(count("shipments"), shipments);
    let root = &rows["orders"][0];
    assert_eq!(root["order_key"], Value::String(order.order_key.clone()));
    assert!(
        root.get("raw_order_key").is_none(),
        "a field not stored was stored"
    );
    let text = serde_json::to_string(&rows).expect("rows serialize");
    assert!(
        nomnom_runtime::json::parse(text.as_bytes()).is_ok(),
        "{text}"
    );
}
