//! Target `hl7_message`: an HL7 v2 message read as a root record of the `hl7-lab` example's
//! model ([`crate::entities`]), as the API and the MLLP listener validate one, then its rows as JSON.
//!
//! Whatever the bytes, the answer is a record with one order per OBR segment and one result
//! per OBX of that order's group, every child holding its parent's key, whose rows come out
//! as JSON; or `NotHl7` exactly when the parser refuses the bytes; or the failing fields, at
//! least one, each with its path and rule.

use nomnom_runtime::hl7::{Message, Path, SegmentId};
use nomnom_runtime::model::{read_root, Entity, Rejection};
use nomnom_runtime::preview::Tables;
use serde_json::Value;

use crate::entities::LabReport;
use crate::json_message::check_field_errors;
use crate::Outcome;

/// Fragments HL7 v2 and the model give meaning to, for mutators to insert.
pub const TOKENS: &[&str] = &[
    "|",
    "^",
    "~",
    "\\",
    "&",
    "#",
    "\r",
    "\n",
    "\r\n",
    "\"\"",
    "MSH|^~\\&|",
    "MSH|",
    "MSH",
    "BHS|^~\\&|",
    "FHS|^~\\&|",
    "BTS|1",
    "FTS|1",
    "PID|",
    "PV1|",
    "OBR|",
    "OBX|",
    "ORC|",
    "NTE|",
    "OBR|1|||GLU",
    "OBX|1|NM|a||5.4",
    "ORU^R01",
    "\\F\\",
    "\\S\\",
    "\\T\\",
    "\\R\\",
    "\\E\\",
    "\\X",
    "\\XC3A9\\",
    "\\XFF\\",
    "\\.br\\",
    "\\H\\",
    "é",
    "日本",
    "\u{feff}",
    "\0",
    "20240101",
    "20240501143000+0200",
    "2024050114",
    "+0500",
    "-1400",
    ".1234",
    "99991231235959.9999",
    "0",
    "-",
    "+",
    ".",
    "1e5",
    "3.9-5.5",
    "<200",
    "NM",
    "ST",
    "2.5.1",
    "P",
    "F",
    "[2]",
];

/// Reads `bytes` as a `LabReport` message and checks the answer.
pub fn run(bytes: &[u8]) -> Outcome {
    let parsed = Message::parse_bytes(bytes);
    match read_root::<LabReport>(bytes) {
        Ok(report) => {
            let message = parsed.expect("a record from bytes the parser refuses");
            check_record(&message, &report);
            Outcome::Accepted
        }
        Err(Rejection::NotHl7(sentence)) => {
            let error = parsed.expect_err("NotHl7 for a message the parser reads");
            assert_eq!(sentence, error.to_string());
            assert!(error.offset() <= bytes.len(), "{error:?}");
            Outcome::Refused("not-hl7")
        }
        Err(Rejection::Invalid(errors)) => {
            assert!(parsed.is_ok(), "field errors for bytes the parser refuses");
            // Each located at an HL7 path (`OBX[2]-5`), a computed field at its place in the
            // record (`/orders/0/results/1/numeric_value`), or at the message.
            check_field_errors(&errors, |path| {
                path.is_empty() || path.starts_with('/') || Path::parse(path).is_ok()
            });
            Outcome::Refused("invalid")
        }
        Err(other) => panic!("an HL7 entity refused with {other:?}"),
    }
}

fn check_record(message: &Message<'_>, report: &LabReport) {
    assert!(!report.control_id.is_empty());
    assert!(report.control_id.chars().count() <= 199);
    assert_eq!(
        (report.message_code.as_str(), report.trigger_event.as_str()),
        ("ORU", "R01")
    );
    assert!(["P", "T", "D"].contains(&report.processing_id.as_str()));
    assert!(report.patient_id.chars().count() <= 20);
    let obr = SegmentId::parse("OBR").expect("a segment id");
    assert_eq!(
        report.orders.len(),
        message.segments_of(obr).count(),
        "an order per OBR"
    );
    let mut results = 0;
    for order in &report.orders {
        assert_eq!(order.control_id, report.control_id);
        assert!(order.set_id >= 1);
        for result in &order.results {
            assert_eq!(result.control_id, report.control_id);
            assert_eq!(result.order_set_id, order.set_id);
            assert!(result.set_id >= 1);
            if result.value_type != "NM" {
                assert_eq!(
                    result.numeric_value, None,
                    "a number from a {}",
                    result.value_type
                );
            }
            assert_eq!(
                result.reference_low.is_some(),
                result.reference_high.is_some()
            );
        }
        results += order.results.len();
    }
    let mut tables = Tables::default();
    Entity::preview(report, &mut tables);
    let rows = tables.to_json();
    let count = |table: &str| {
        rows.get(table)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    };
    assert_eq!(count("lab_reports"), 1);
    assert_eq!(count("lab_orders"), report.orders.len());
    assert_eq!(count("lab_results"), results);
    assert!(
        rows["lab_reports"][0].get("message_code").is_none(),
        "a field not stored was stored"
    );
    let text = serde_json::to_string(&rows).expect("rows serialize");
    assert!(
        nomnom_runtime::json::parse(text.as_bytes()).is_ok(),
        "{text}"
    );
}
