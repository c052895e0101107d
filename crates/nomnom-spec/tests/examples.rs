//! The shipped examples load without errors or warnings, into the model they describe.

use std::path::PathBuf;

use nomnom_spec::model::{FieldSource, FieldType, Literal, ScalarType};

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
