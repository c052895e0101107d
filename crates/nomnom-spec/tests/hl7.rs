//! The rules of HL7 v2 models (`format: hl7v2`, `hl7:` paths and segment lists): each fires
//! with its code at the wrong part of the text, and legal models load into the model.

use nomnom_spec::model::{FieldSource, FieldType, Format, Literal, Project, ScalarType};
use nomnom_spec::Severity;

/// An ORU-like model: `Report` (the root, HL7 v2) contains `Order` (one per OBR), which
/// contains `Result` (the OBX segments of its OBR); each takes extra field lines.
fn model(report: &str, order: &str, result: &str) -> String {
    let lines = |extra: &str| -> String {
        extra
            .lines()
            .map(|l| format!("      {l}\n"))
            .collect::<String>()
    };
    format!(
        "project: lab\nentities:\n  Report:\n    format: hl7v2\n    key: [control_id]\n    fields:\n      control_id: {{type: string, hl7: MSH-10}}\n      orders: {{type: list<Order>, hl7: OBR}}\n{}  Order:\n    key: [control_id, set_id]\n    fields:\n      control_id: {{type: string, from: parent.control_id}}\n      set_id: {{type: integer, hl7: OBR-1}}\n      results: {{type: list<Result>, hl7: OBX}}\n{}  Result:\n    key: [control_id, set_id]\n    fields:\n      control_id: {{type: string, from: parent.control_id}}\n      set_id: {{type: integer, hl7: OBX-1}}\n{}",
        lines(report),
        lines(order),
        lines(result)
    )
}

/// The (code, line, column) of every diagnostic of `severity` for `yaml`.
fn found(yaml: &str, severity: Severity) -> Vec<(&'static str, usize, usize)> {
    let items = match nomnom_spec::load_str(yaml, "nomnom.yaml") {
        Ok(l) => l.warnings.items,
        Err(d) => d.items,
    };
    items
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| (d.code, d.line, d.column))
        .collect()
}

/// The 1-based line and column of the first `needle` in `yaml`, moved `shift` characters on.
fn at(yaml: &str, needle: &str, shift: usize) -> (usize, usize) {
    let offset = yaml
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in\n{yaml}"));
    let before = &yaml[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1 + shift;
    (line, column)
}

/// Asserts an error `code` at `needle` (moved `shift` characters on).
fn assert_error(yaml: &str, code: &str, needle: &str, shift: usize) {
    let (line, column) = at(yaml, needle, shift);
    let errors = found(yaml, Severity::Error);
    assert!(
        errors.contains(&(code, line, column)),
        "expected {code} at {line}:{column} (`{needle}`), found {errors:?} in\n{yaml}"
    );
}

/// The help of the only error of `yaml`.
fn only_error_help(yaml: &str) -> String {
    let d = nomnom_spec::load_str(yaml, "nomnom.yaml").unwrap_err();
    let errors: Vec<_> = d
        .items
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{}", d.render_plain());
    errors[0].help.clone().unwrap_or_default()
}

fn load(yaml: &str) -> Project {
    match nomnom_spec::load_str(yaml, "nomnom.yaml") {
        Ok(l) => {
            assert!(l.warnings.items.is_empty(), "{}", l.warnings.render_plain());
            l.project
        }
        Err(d) => panic!("{}\n{yaml}", d.render_plain()),
    }
}

#[test]
fn a_model_of_groups_loads_with_formats_segments_and_paths() {
    let p = load(&model(
        "patient_id: {type: string, hl7: PID-3.1, max_length: 20, pattern: \"[0-9]+\"}\n\
         id_type: {type: string, hl7: PID-3.5, default: MR, enum: [MR, SS]}\n\
         second_id: {type: string?, hl7: \"PID-3[2].1\"}\n\
         born: {type: date?, hl7: PID-7}\n\
         sent_at: {type: timestamp, hl7: MSH-7}\n\
         raw_code: {type: string, hl7: MSH-9.1, store: false}\n\
         code: {type: string, compute: \"lower(raw_code)\"}\n\
         first_value: {type: string?, hl7: OBX-5}",
        "test_code: {type: string, hl7: OBR-4.1}\n\
         patient: {type: string, hl7: PID-3.1}\n\
         first_units: {type: string?, hl7: \"OBX[1]-6\"}",
        "value: {type: decimal?, hl7: OBX-5, min: 0}\n\
         units: {type: string?, hl7: OBX-6.1}\n\
         flag: {type: boolean?, hl7: OBX-8}\n\
         ratio: {type: float?, hl7: OBX-9}\n\
         ref: {type: uuid?, hl7: OBX-21}\n\
         label: {type: string, compute: \"concat_ws(' ', value, units)\"}",
    ));
    let report = p.entity("Report").unwrap();
    let order = p.entity("Order").unwrap();
    let result = p.entity("Result").unwrap();
    assert_eq!(
        [report.format, order.format, result.format],
        [Format::Hl7v2; 3]
    );
    assert_eq!(
        [&report.segment, &order.segment, &result.segment].map(|s| s.as_deref()),
        [None, Some("OBR"), Some("OBX")]
    );
    let FieldSource::Hl7(second) = &report.field("second_id").unwrap().source else {
        panic!("second_id reads no path");
    };
    assert_eq!(
        (
            second.text.as_str(),
            second.field,
            second.repetition,
            second.component
        ),
        ("PID-3[2].1", 3, 2, 1)
    );
    let id_type = report.field("id_type").unwrap();
    assert_eq!(id_type.default, Some(Literal::String("MR".into())));
    assert_eq!(id_type.enum_values.as_ref().map(Vec::len), Some(2));
    assert_eq!(report.field("patient_id").unwrap().max_length, Some(20));
    assert!(!report.field("raw_code").unwrap().stored);
    assert!(matches!(
        report.field("code").unwrap().source,
        FieldSource::Compute(_)
    ));
    assert_eq!(
        result.field("value").unwrap().ty,
        FieldType::Scalar(ScalarType::Decimal)
    );
    assert_eq!(
        result.field("value").unwrap().min,
        Some(Literal::Number("0".into()))
    );
    assert!(matches!(
        result.field("label").unwrap().source,
        FieldSource::Compute(_)
    ));
    assert_eq!(
        order.field("results").unwrap().source,
        FieldSource::Hl7Segment("OBX".into())
    );
}

#[test]
fn json_stays_the_default_and_can_be_written() {
    let p = load(
        "project: p\nentities:\n  A:\n    fields: {x: string, bs: list<B>}\n  B:\n    fields: {y: string}\n  C:\n    format: json\n    fields: {z: {type: string, json: Z}}\n",
    );
    for e in &p.entities {
        assert_eq!(
            (e.format, e.segment.as_deref()),
            (Format::Json, None),
            "{}",
            e.name
        );
        assert!(!e.is_hl7());
    }
    assert_eq!(
        p.entity("B").unwrap().field("y").unwrap().source,
        FieldSource::Key("y".into())
    );
    // JSON and HL7 roots live side by side.
    let mixed = format!(
        "{}  Event:\n    fields:\n      id: string\n",
        model("", "", "")
    );
    let p = load(&mixed);
    assert_eq!(p.entity("Event").unwrap().format, Format::Json);
    assert_eq!(p.entity("Report").unwrap().format, Format::Hl7v2);
}

#[test]
fn paths_are_checked_where_written() {
    let y = model("a: {type: string, hl7: PID-0}", "", "");
    assert_error(&y, "nomnom::invalid_hl7_path", "PID-0", 4);
    let y = model("a: {type: string, hl7: \"PID-3.1.2.3\"}", "", "");
    assert_error(&y, "nomnom::invalid_hl7_path", "PID-3.1.2.3", 9);
    let y = model("a: {type: string, hl7: pid-3}", "", "");
    assert_error(&y, "nomnom::invalid_hl7_path", "pid-3", 0);
    assert_eq!(only_error_help(&y), "did you mean `PID-3`?");
    let y = model("a: {type: string, hl7: PID.5.1}", "", "");
    assert_error(&y, "nomnom::invalid_hl7_path", "PID.5.1", 3);
    assert_eq!(only_error_help(&y), "did you mean `PID-5.1`?");
    let y = model("a: {type: string, hl7: MSH-2.1}", "", "");
    assert_error(&y, "nomnom::invalid_hl7_path", "MSH-2.1", 5);
    let y = model("a: {type: string, hl7: \"MSH[2]-10\"}", "", "");
    assert_error(&y, "nomnom::invalid_hl7_path", "MSH[2]-10", 3);
    let y = model("a: {type: string, hl7: OBX}", "", "");
    assert_error(&y, "nomnom::invalid_hl7_path", "OBX}", 0);
    // Text written with escapes is marked as a whole.
    let y = model("a: {type: string, hl7: \"PID\\u002D0\"}", "", "");
    assert_error(&y, "nomnom::invalid_hl7_path", "\"PID", 0);
    // A list takes a segment id.
    let y = model("", "", "").replace("hl7: OBR}", "hl7: OBR-1}");
    assert_error(&y, "nomnom::invalid_hl7_path", "OBR-1}", 0);
    assert!(only_error_help(&y).starts_with("write `hl7: OBR`"));
    let y = model("", "", "").replace("hl7: OBX}", "hl7: obx}");
    assert_error(&y, "nomnom::invalid_hl7_path", "obx}", 0);
    // Not text.
    let y = model("a: {type: string, hl7: 10}", "", "");
    assert_error(&y, "nomnom::invalid_value", "hl7: 10}", 5);
}

#[test]
fn format_names_a_known_format_on_a_root() {
    let y = model("", "", "").replace("format: hl7v2", "format: HL7");
    assert_error(&y, "nomnom::unknown_format", "HL7", 0);
    assert!(only_error_help(&y).starts_with("did you mean `hl7v2`?"));
    let y = model("", "", "").replace("format: hl7v2", "format: jsno");
    assert_eq!(only_error_help(&y), "did you mean `json`?");
    let y = model("", "", "").replace("format: hl7v2", "format: 2");
    assert_error(&y, "nomnom::unknown_format", "2\n", 0);
    let y = model("", "", "").replace("  Order:\n", "  Order:\n    format: hl7v2\n");
    assert_error(
        &y,
        "nomnom::format_on_child",
        "format: hl7v2\n    key: [control_id, set_id]",
        0,
    );
    assert_eq!(
        only_error_help(&y),
        "`Order` is read from the messages of its root `Report`: remove `format` here, and set it on `Report`"
    );
}

#[test]
fn hl7_needs_an_hl7_root() {
    let y = model("", "", "").replace("    format: hl7v2\n", "");
    // One error per entity, at its first `hl7`.
    let errors = found(&y, Severity::Error);
    assert_eq!(
        errors
            .iter()
            .filter(|e| e.0 == "nomnom::hl7_in_json_entity")
            .count(),
        3,
        "{errors:?}"
    );
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_error(&y, "nomnom::hl7_in_json_entity", "hl7: MSH-10", 0);
    assert_error(&y, "nomnom::hl7_in_json_entity", "hl7: OBR-1", 0);
    let d = nomnom_spec::load_str(&y, "x").unwrap_err();
    assert_eq!(
        d.items[0].message,
        "fields `control_id` and `orders` have `hl7` paths, but `Report` is read from JSON"
    );
    assert_eq!(
        d.items[1].help.as_deref(),
        Some("`Order` is read from the JSON messages of its root `Report`: add `format: hl7v2` to `Report`, or read the values with `json:`")
    );
    // A wrong `format` is reported once, not again at every `hl7`.
    let y = model("", "", "").replace("format: hl7v2", "format: hl7v3");
    assert_eq!(found(&y, Severity::Error).len(), 1);
}

#[test]
fn hl7_entities_read_nothing_but_paths() {
    let y = model("patient: string", "", "");
    assert_error(&y, "nomnom::hl7_missing_source", "patient: string", 0);
    assert_eq!(
        only_error_help(&y),
        "read it with a path such as `hl7: PID-3.1`, or compute it with `compute:`"
    );
    let y = model("", "code: string?", "");
    assert_error(&y, "nomnom::hl7_missing_source", "code: string?", 0);
    assert!(only_error_help(&y).contains("`from: parent.<field>`"));
    let y = model("patient: {type: string, json: patientId}", "", "");
    assert_error(&y, "nomnom::not_applicable", "json: patientId", 0);
    assert_eq!(found(&y, Severity::Error).len(), 1);
    let y = model("", "", "").replace("{type: list<Order>, hl7: OBR}", "list<Order>");
    assert_error(&y, "nomnom::hl7_missing_source", "orders: list<Order>", 0);
    // Paths in an entity reached without a segment read the message: no other error.
    assert_eq!(found(&y, Severity::Error).len(), 1);
    // `from` and `compute` need no path; a broken `from` is reported once.
    let y = model("", "bad: {type: string, from: control_id}", "");
    assert_eq!(
        found(&y, Severity::Error),
        [(
            "nomnom::invalid_from",
            at(&y, "from: control_id}", 6).0,
            at(&y, "from: control_id}", 6).1
        )]
    );
}

#[test]
fn hl7_excludes_the_other_sources() {
    let y = model("a: {type: string, hl7: PID-3, json: a}", "", "");
    assert_error(&y, "nomnom::conflict", "hl7: PID-3", 0);
    let y = model(
        "",
        "c: {type: string, from: parent.control_id, hl7: MSH-10}",
        "",
    );
    assert_error(&y, "nomnom::conflict", "parent.control_id, hl7: MSH-10", 19);
    let y = model(
        "a: {type: string, compute: \"upper(control_id)\", hl7: PID-3}",
        "",
        "",
    );
    assert_error(&y, "nomnom::conflict", "hl7: PID-3}", 0);
    assert_eq!(found(&y, Severity::Error).len(), 1);
    let y = model("a: {type: json, hl7: ZPI-1}", "", "");
    assert_error(&y, "nomnom::not_applicable", "hl7: ZPI-1", 0);
    let y = model("a: {type: string, hl7: PID-3, default: x, min: 1}", "", "");
    assert_error(&y, "nomnom::not_applicable", "min: 1", 0);
}

#[test]
fn groups_read_their_own_segments() {
    // A path of the row's own segment takes no occurrence.
    let y = model("", "", "a: {type: string, hl7: \"OBX[2]-5\"}");
    assert_error(&y, "nomnom::hl7_segment_scope", "[2]-5", 0);
    // A path of an enclosing or contained group's segment would read the message's first.
    let y = model("", "", "code: {type: string, hl7: OBR-4.1}");
    assert_error(&y, "nomnom::hl7_segment_scope", "OBR-4.1", 0);
    assert_eq!(
        only_error_help(&y),
        "read `OBR-4.1` in `Order` and copy it down with `from: parent.<field>`; write `OBR[1]-4.1` to read the message's first OBR on purpose"
    );
    let y = model("", "value: {type: string?, hl7: OBX-5}", "");
    assert_error(&y, "nomnom::hl7_segment_scope", "OBX-5", 0);
    // ... the grandparent's too.
    let y = model(
        "",
        "",
        "notes: {type: list<Note>, hl7: NTE}",
    ) + "  Note:\n    fields:\n      order: {type: string, hl7: OBR-2}\n      text: {type: string, hl7: NTE-3}\n";
    assert_error(&y, "nomnom::hl7_segment_scope", "OBR-2", 0);
    assert_eq!(found(&y, Severity::Error).len(), 1);
    // A list cannot read its own entity's segment, an enclosing group's, or MSH.
    let y = model("", "again: {type: list<Again>, hl7: OBR}", "")
        + "  Again:\n    fields:\n      x: {type: string, hl7: OBR-2}\n";
    assert_error(&y, "nomnom::hl7_segment_scope", "OBR}\n  Result", 0);
    let y = model("", "", "again: {type: list<Again>, hl7: OBR}")
        + "  Again:\n    fields:\n      x: {type: string, hl7: OBR-2}\n";
    assert_error(&y, "nomnom::hl7_segment_scope", "OBR}\n  Again", 0);
    let y = model("headers: {type: list<Header>, hl7: MSH}", "", "")
        + "  Header:\n    fields:\n      x: {type: string, hl7: MSH-10}\n";
    assert_error(&y, "nomnom::hl7_segment_scope", "MSH}", 0);
}

#[test]
fn groups_may_read_the_message_on_purpose() {
    let p = load(&model(
        "first_value: {type: string?, hl7: OBX-5}\nfirst_test: {type: string?, hl7: OBR-4}",
        "first_value: {type: string?, hl7: \"OBX[1]-5\"}\npatient: {type: string, hl7: PID-3.1}",
        "test: {type: string?, hl7: \"OBR[1]-4\"}\nnote: {type: string?, hl7: NTE-3}",
    ));
    let result = p.entity("Result").unwrap();
    let FieldSource::Hl7(test) = &result.field("test").unwrap().source else {
        panic!("no path");
    };
    assert_eq!((test.segment.as_str(), test.occurrence), ("OBR", 1));
    // A nullable list is legal: no segment means no rows.
    load(&model("", "", "").replace("list<Order>", "list<Order>?"));
}

#[test]
fn equal_paths_are_a_shared_source() {
    let y = model(
        "a: {type: string, hl7: PID-3}\nb: {type: string, hl7: \"PID[1]-3[1].1.1\"}",
        "",
        "",
    );
    let warnings = found(&y, Severity::Warning);
    assert_eq!(
        warnings,
        [(
            "nomnom::shared_source",
            at(&y, "PID[1]", 0).0,
            at(&y, "PID[1]", 0).1
        )]
    );
    let y = model(
        "a: {type: string, hl7: PID-3}\nb: {type: string?, hl7: \"PID-3[2]\"}",
        "",
        "",
    );
    assert!(found(&y, Severity::Warning).is_empty());
    let y = model("more: {type: list<More>, hl7: OBR}", "", "")
        + "  More:\n    fields:\n      control_id: {type: string, from: parent.control_id}\n";
    assert_eq!(
        found(&y, Severity::Warning),
        [(
            "nomnom::shared_source",
            at(&y, "OBR}\n  Order", 0).0,
            at(&y, "OBR}\n  Order", 0).1
        )]
    );
    // A child's key without anything of its parent is still a warning in HL7 models.
    let y = model("", "", "").replace("key: [control_id, set_id]\n    fields:\n      control_id: {type: string, from: parent.control_id}\n      set_id: {type: integer, hl7: OBX-1}", "key: [set_id]\n    fields:\n      set_id: {type: integer, hl7: OBX-1}");
    assert_eq!(
        found(&y, Severity::Warning)
            .iter()
            .map(|w| w.0)
            .collect::<Vec<_>>(),
        ["nomnom::child_key_without_parent"]
    );
}
