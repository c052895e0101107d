//! The shipped examples load without errors or warnings, into the model they describe.

use std::path::PathBuf;

use nomnom_spec::model::{
    Entity, FieldSource, FieldType, Format, Hl7Path, Literal, Project, ScalarType,
};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

fn load(name: &str) -> nomnom_spec::Loaded {
    match nomnom_spec::load(&example(name)) {
        Ok(loaded) => loaded,
        Err(nomnom_spec::LoadError::Invalid(d)) => panic!("{}", d.render_plain()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn tpch_loads_as_written() {
    let loaded = load("tpch");
    assert!(
        loaded.warnings.items.is_empty(),
        "{}",
        loaded.warnings.render_plain()
    );
    let p = loaded.project;
    assert_eq!(p.name, "tpch");
    let names: Vec<&str> = p.entities.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Order", "OrderLineItem"]);
    let order = p.entity("Order").unwrap();
    assert_eq!(order.table, "orders");
    assert_eq!(order.key, ["order_key"]);
    assert!(order.parent.is_none());
    let status = order.field("order_status").unwrap();
    assert_eq!(
        status.enum_values,
        Some(vec![
            Literal::String("O".into()),
            Literal::String("F".into()),
            Literal::String("P".into())
        ])
    );
    let comment = order.field("comment").unwrap();
    assert!(comment.nullable);
    assert_eq!(comment.max_length, Some(200));
    assert_eq!(
        order.field("line_items").unwrap().ty,
        FieldType::List("OrderLineItem".into())
    );
    let item = p.entity("OrderLineItem").unwrap();
    let parent = item.parent.as_ref().unwrap();
    assert_eq!(
        (parent.entity.as_str(), parent.field.as_str()),
        ("Order", "line_items")
    );
    assert_eq!(
        item.field("order_key").unwrap().source,
        FieldSource::Parent("order_key".into())
    );
    let discount = item.field("discount").unwrap();
    assert_eq!(discount.ty, FieldType::Scalar(ScalarType::Float));
    assert_eq!(discount.min, Some(Literal::Number("0".into())));
    assert_eq!(discount.max, Some(Literal::Number("1".into())));
    assert_eq!(p.roots().count(), 1);
}

#[test]
fn web_analytics_loads() {
    let loaded = load("web-analytics");
    assert!(
        loaded.warnings.items.is_empty(),
        "{}",
        loaded.warnings.render_plain()
    );
    let p = loaded.project;
    let roots: Vec<&str> = p.roots().map(|e| e.name.as_str()).collect();
    assert_eq!(roots, ["PageView", "Session", "ClientError"]);
    let view = p.entity("PageView").unwrap();
    assert_eq!(
        view.field("session_id").unwrap().source,
        FieldSource::Key("sessionId".into())
    );
    assert_eq!(
        view.field("screen_width").unwrap().source,
        FieldSource::Pointer(vec!["client".into(), "screen".into(), "width".into()])
    );
    assert_eq!(
        view.field("is_bot").unwrap().default,
        Some(Literal::Bool(false))
    );
    assert_eq!(
        view.field("score").unwrap().max,
        Some(Literal::Number("100.5".into()))
    );
    // Keywords are legal field names.
    for keyword in ["type", "order", "select"] {
        assert!(view.field(keyword).is_some(), "{keyword}");
    }
    let hit = p.entity("ElementHit").unwrap();
    assert!(hit.key.is_empty());
    assert_eq!(hit.parent.as_ref().unwrap().entity, "Interaction");
    assert_eq!(
        hit.field("view_id").unwrap().source,
        FieldSource::Parent("view_id".into())
    );
    let interaction = p.entity("Interaction").unwrap();
    assert_eq!(interaction.parent.as_ref().unwrap().entity, "PageView");
    let session = p.entity("Session").unwrap();
    assert_eq!(session.version.as_deref(), Some("revision"));
    assert_eq!(p.entity("PageView").unwrap().version, None);
    assert_eq!(
        session.field("attributes").unwrap().default,
        Some(Literal::Json(serde_json::json!({"source": "direct"})))
    );
    let types: Vec<ScalarType> = p
        .entities
        .iter()
        .flat_map(|e| e.columns())
        .filter_map(|f| match f.ty {
            FieldType::Scalar(s) => Some(s),
            FieldType::List(_) => None,
        })
        .collect();
    // Every scalar type but `float`, which tpch uses.
    for (t, _) in ScalarType::ALL
        .into_iter()
        .filter(|(t, _)| *t != ScalarType::Float)
    {
        assert!(types.contains(&t), "{t:?} not used");
    }
}

#[test]
fn lab_results_loads() {
    let loaded = load("lab-results");
    assert!(
        loaded.warnings.items.is_empty(),
        "{}",
        loaded.warnings.render_plain()
    );
    let p = loaded.project;
    let names: Vec<&str> = p.transforms.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["normalize_mrn", "flag_abnormal"]);
    let result = p.entity("LabResult").unwrap();
    let columns: Vec<&str> = result.columns().map(|f| f.name.as_str()).collect();
    assert_eq!(
        columns,
        [
            "report_id",
            "code",
            "test_name",
            "value",
            "unit",
            "low",
            "high",
            "abnormal",
            "label"
        ]
    );
    let computed: Vec<&str> = result
        .computed_in_order()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        computed,
        [
            "code",
            "test_name",
            "value",
            "low",
            "high",
            "abnormal",
            "label"
        ]
    );
    assert_eq!(result.key, ["report_id", "code"]);
}

#[test]
fn hl7_lab_loads() {
    let loaded = load("hl7-lab");
    assert!(
        loaded.warnings.items.is_empty(),
        "{}",
        loaded.warnings.render_plain()
    );
    let p = loaded.project;
    let roots: Vec<&str> = p.roots().map(|e| e.name.as_str()).collect();
    assert_eq!(roots, ["LabReport"]);
    let report = p.entity("LabReport").unwrap();
    let order = p.entity("LabOrder").unwrap();
    let result = p.entity("LabResult").unwrap();
    for e in [report, order, result] {
        assert_eq!(e.format, Format::Hl7v2, "{}", e.name);
        assert!(e.is_hl7());
    }
    assert_eq!(report.segment, None);
    assert_eq!(order.segment.as_deref(), Some("OBR"));
    assert_eq!(result.segment.as_deref(), Some("OBX"));
    assert_eq!(
        report.field("orders").unwrap().source,
        FieldSource::Hl7Segment("OBR".into())
    );
    assert_eq!(
        order.field("results").unwrap().source,
        FieldSource::Hl7Segment("OBX".into())
    );
    let path = |e: &Entity, f: &str| match &e.field(f).unwrap().source {
        FieldSource::Hl7(p) => p.clone(),
        other => panic!("{}.{f}: {other:?}", e.name),
    };
    let numbers = |p: &Hl7Path| {
        (
            p.segment.clone(),
            p.occurrence,
            p.field,
            p.repetition,
            p.component,
            p.subcomponent,
        )
    };
    assert_eq!(
        numbers(&path(report, "control_id")),
        ("MSH".into(), 1, 10, 1, 1, 1)
    );
    assert_eq!(
        numbers(&path(report, "alternate_patient_id")),
        ("PID".into(), 1, 3, 2, 1, 1)
    );
    assert_eq!(
        numbers(&path(report, "patient_id_authority")),
        ("PID".into(), 1, 3, 1, 4, 1)
    );
    assert_eq!(path(report, "patient_id_authority").text, "PID-3.4.1");
    assert_eq!(
        numbers(&path(order, "test_code")),
        ("OBR".into(), 1, 4, 1, 1, 1)
    );
    assert_eq!(
        report.field("patient_id_type").unwrap().default,
        Some(Literal::String("MR".into()))
    );
    assert!(!report.field("message_code").unwrap().stored);
    assert_eq!(
        order.field("control_id").unwrap().source,
        FieldSource::Parent("control_id".into())
    );
    let computed: Vec<&str> = result
        .computed_in_order()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        computed,
        ["numeric_value", "reference_low", "reference_high"]
    );
    assert_eq!(result.key, ["control_id", "order_set_id", "set_id"]);
    // Every scalar of an HL7 entity reads a path, copies its parent's value or is computed.
    for e in &p.entities {
        for f in &e.fields {
            assert!(
                matches!(
                    (&f.ty, &f.source),
                    (
                        FieldType::Scalar(_),
                        FieldSource::Hl7(_) | FieldSource::Parent(_) | FieldSource::Compute(_)
                    ) | (FieldType::List(_), FieldSource::Hl7Segment(_))
                ),
                "{}.{}: {:?}",
                e.name,
                f.name,
                f.source
            );
        }
    }
}

/// Just enough ER7 reading to hold the example model against the sample message beside it
/// (the runtime's parser is the real one): segments by line, fields by `|` with MSH counted
/// from its field separator, then repetitions `~`, components `^`, subcomponents `&`; an
/// empty value is absent.
fn er7_value<'m>(segment: &'m str, path: &Hl7Path) -> Option<&'m str> {
    assert!(!path.is_encoding_field(), "{path}");
    let fields: Vec<&str> = segment.split('|').collect();
    let index = path.field as usize - usize::from(path.segment == "MSH");
    let value = fields
        .get(index)?
        .split('~')
        .nth(path.repetition as usize - 1)?
        .split('^')
        .nth(path.component as usize - 1)?
        .split('&')
        .nth(path.subcomponent as usize - 1)?;
    (!value.is_empty()).then_some(value)
}

/// A row read from a message: its entity, the index of its segment (`None` for the root)
/// and the value of each field reading a path (`None`: absent).
type Er7Row = (String, Option<usize>, Vec<(String, Option<String>)>);

/// The rows of `entity` a message gives, each the index of its segment (`None` for the
/// root), following the model's groups: a root's list takes every segment of its id, a
/// segment row's list the segments of its id after the row, up to the next segment of the
/// row's id or of an enclosing row's.
fn er7_rows(
    project: &Project,
    segments: &[&str],
    entity: &Entity,
    row: Option<usize>,
    closing: &[&str],
    out: &mut Vec<Er7Row>,
) {
    let id = |i: usize| segments[i].get(..3).unwrap_or("");
    let mut values = Vec::new();
    for f in &entity.fields {
        let FieldSource::Hl7(path) = &f.source else {
            continue;
        };
        let at = match (row, &entity.segment) {
            (Some(i), Some(own)) if *own == path.segment => Some(i),
            _ => (0..segments.len())
                .filter(|&i| id(i) == path.segment)
                .nth(path.occurrence as usize - 1),
        };
        let value = at.and_then(|i| er7_value(segments[i], path));
        values.push((f.name.clone(), value.map(str::to_string)));
    }
    out.push((entity.name.clone(), row, values));
    for f in &entity.fields {
        let (FieldType::List(child), FieldSource::Hl7Segment(seg)) = (&f.ty, &f.source) else {
            continue;
        };
        let child = project.entity(child).unwrap();
        let mut closing = closing.to_vec();
        closing.extend(entity.segment.as_deref());
        let start = row.map_or(0, |i| i + 1);
        for i in start..segments.len() {
            if row.is_some() && closing.contains(&id(i)) {
                break;
            }
            if id(i) == seg {
                er7_rows(project, segments, child, Some(i), &closing, out);
            }
        }
    }
}

#[test]
fn hl7_lab_sample_message_holds_what_the_model_reads() {
    let p = load("hl7-lab").project;
    let message = std::fs::read_to_string(example("hl7-lab/examples/oru-r01.hl7")).unwrap();
    let segments: Vec<&str> = message.lines().filter(|l| !l.is_empty()).collect();
    let mut rows = Vec::new();
    er7_rows(
        &p,
        &segments,
        p.entity("LabReport").unwrap(),
        None,
        &[],
        &mut rows,
    );
    let count = |name: &str| rows.iter().filter(|(e, _, _)| e == name).count();
    assert_eq!(
        (count("LabReport"), count("LabOrder"), count("LabResult")),
        (1, 2, 5)
    );
    for (entity, row, values) in &rows {
        let e = p.entity(entity).unwrap();
        for (name, value) in values {
            let f = e.field(name).unwrap();
            let FieldType::Scalar(ty) = f.ty else {
                unreachable!()
            };
            let at = format!("{entity}.{name} (row at segment {row:?})");
            let Some(value) = value else {
                assert!(
                    f.nullable || f.default.is_some(),
                    "{at}: required but absent"
                );
                continue;
            };
            if let Some(allowed) = &f.enum_values {
                assert!(
                    allowed.contains(&Literal::String(value.clone())),
                    "{at}: {value} is not in its enum"
                );
            }
            match ty {
                ScalarType::Integer => assert!(value.parse::<i64>().is_ok(), "{at}: {value}"),
                ScalarType::Date | ScalarType::Timestamp => assert!(
                    value.len() >= 4 && value[..4].bytes().all(|b| b.is_ascii_digit()),
                    "{at}: {value}"
                ),
                _ => {}
            }
        }
    }
    let value = |entity: &str, n: usize, field: &str| -> Option<String> {
        rows.iter()
            .filter(|(e, _, _)| e == entity)
            .nth(n)
            .and_then(|(_, _, values)| values.iter().find(|(f, _)| f == field))
            .and_then(|(_, v)| v.clone())
    };
    assert_eq!(
        value("LabReport", 0, "control_id").as_deref(),
        Some("MSG00042")
    );
    assert_eq!(
        value("LabReport", 0, "sending_application").as_deref(),
        Some("LAB")
    );
    assert_eq!(
        value("LabReport", 0, "trigger_event").as_deref(),
        Some("R01")
    );
    assert_eq!(
        value("LabReport", 0, "patient_id_authority").as_deref(),
        Some("CITYHOSP")
    );
    assert_eq!(
        value("LabReport", 0, "alternate_patient_id").as_deref(),
        Some("9876543210")
    );
    assert_eq!(
        value("LabReport", 0, "attending_doctor_name").as_deref(),
        Some("Welby")
    );
    assert_eq!(
        value("LabOrder", 1, "test_code").as_deref(),
        Some("58410-2")
    );
    assert_eq!(value("LabOrder", 1, "status").as_deref(), Some("P"));
    // The third result of the first order comes after an NTE; the second order has two.
    assert_eq!(value("LabResult", 2, "value_type").as_deref(), Some("ST"));
    assert_eq!(value("LabResult", 4, "value").as_deref(), Some("<"));
    assert_eq!(
        value("LabResult", 4, "reference_range").as_deref(),
        Some("150-400")
    );
}
