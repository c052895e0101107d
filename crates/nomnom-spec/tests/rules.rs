//! One small model per rule of `nomnom check`: the rule fires with its code at the right
//! place, and legal models (including reserved words as field names) load into the model.

use nomnom_spec::model::{FieldSource, FieldType, Literal, ScalarType};

/// Wraps field lines into a one-entity model (`Order`).
fn fields(lines: &str) -> String {
    let body: String = lines.lines().map(|l| format!("      {l}\n")).collect();
    format!("project: shop\nentities:\n  Order:\n    fields:\n{body}")
}

/// The (code, line, column) of every error of `yaml`.
fn errors(yaml: &str) -> Vec<(&'static str, usize, usize)> {
    match nomnom_spec::load_str(yaml, "nomnom.yaml") {
        Ok(_) => Vec::new(),
        Err(d) => d
            .items
            .iter()
            .filter(|d| d.severity == nomnom_spec::Severity::Error)
            .map(|d| (d.code, d.line, d.column))
            .collect(),
    }
}

fn assert_error(yaml: &str, code: &str, line: usize, column: usize) {
    let found = errors(yaml);
    assert!(
        found.contains(&(code, line, column)),
        "expected {code} at {line}:{column}, found {found:?} in\n{yaml}"
    );
}

fn load(yaml: &str) -> nomnom_spec::model::Project {
    match nomnom_spec::load_str(yaml, "nomnom.yaml") {
        Ok(l) => l.project,
        Err(d) => panic!("{}", d.render_plain()),
    }
}

#[test]
fn yaml_syntax() {
    assert_error("project: [a\n", "nomnom::yaml", 1, 10);
    assert_error("a: 1\na: 2\n", "nomnom::yaml", 2, 1);
}

#[test]
fn unknown_keys_suggest_the_nearest() {
    let yaml = fields("id: {type: string, nulable: true}");
    assert_error(&yaml, "nomnom::unknown_key", 5, 26);
    let d = nomnom_spec::load_str(&yaml, "x").unwrap_err();
    assert_eq!(d.items[0].help.as_deref(), Some("did you mean `nullable`?"));
    assert_error("project: p\nentitys: {}\n", "nomnom::unknown_key", 2, 1);
    assert_error(
        "project: p\nentities:\n  A:\n    tabel: a\n    fields: {x: string}\n",
        "nomnom::unknown_key",
        4,
        5,
    );
}

#[test]
fn unknown_types_suggest_the_nearest() {
    let yaml = fields("id: strng\nn: int\nt: datetime?");
    assert_error(&yaml, "nomnom::unknown_type", 5, 11);
    assert_error(&yaml, "nomnom::unknown_type", 6, 10);
    assert_error(&yaml, "nomnom::unknown_type", 7, 10);
    let d = nomnom_spec::load_str(&yaml, "x").unwrap_err();
    let helps: Vec<_> = d.items.iter().filter_map(|d| d.help.clone()).collect();
    assert_eq!(
        helps,
        [
            "did you mean `string`?",
            "did you mean `integer`?",
            "did you mean `timestamp`?"
        ]
    );
}

#[test]
fn list_of_undefined_entity() {
    assert_error(
        &fields("id: string\nitems: list<Item>"),
        "nomnom::undefined_entity",
        6,
        14,
    );
}

#[test]
fn from_parent_rules() {
    assert_error(
        &fields("id: {type: string, from: parent.id}"),
        "nomnom::no_parent",
        5,
        32,
    );
    let model = |child_field: &str| {
        format!(
            "project: p\nentities:\n  A:\n    fields:\n      k: integer\n      n: string?\n      bs: list<B>\n  B:\n    fields:\n      {child_field}\n"
        )
    };
    assert_error(
        &model("k: {type: integer, from: parent.kk}"),
        "nomnom::unknown_parent_field",
        10,
        32,
    );
    assert_error(
        &model("k: {type: string, from: parent.k}"),
        "nomnom::from_type_mismatch",
        10,
        31,
    );
    assert_error(
        &model("n: {type: string, from: parent.n}"),
        "nomnom::from_type_mismatch",
        10,
        31,
    );
    assert_error(
        &model("b: {type: string, from: parent.bs}"),
        "nomnom::from_type_mismatch",
        10,
        31,
    );
    assert_error(
        &model("b: {type: string, from: bs}"),
        "nomnom::invalid_from",
        10,
        31,
    );
    let p = load(&model("k: {type: integer, from: parent.k}"));
    let b = p.entity("B").unwrap();
    assert_eq!(
        b.field("k").unwrap().source,
        FieldSource::Parent("k".into())
    );
    assert_eq!(b.parent.as_ref().unwrap().field, "bs");
}

#[test]
fn key_rules() {
    let yaml = "project: p\nentities:\n  A:\n    key: [a, b, c, a]\n    fields:\n      b: string?\n      c: list<C>\n  C:\n    fields: {x: string}\n";
    assert_error(yaml, "nomnom::invalid_key", 4, 11);
    assert_error(yaml, "nomnom::invalid_key", 4, 14);
    assert_error(yaml, "nomnom::invalid_key", 4, 17);
    assert_error(yaml, "nomnom::invalid_key", 4, 20);
    let p = load("project: p\nentities:\n  A:\n    key: id\n    fields: {id: uuid}\n");
    assert_eq!(p.entities[0].key, ["id"]);
}

#[test]
fn duplicate_tables() {
    let yaml = "project: p\nentities:\n  A:\n    table: t\n    fields: {x: string}\n  B:\n    table: t\n    fields: {x: string}\n";
    assert_error(yaml, "nomnom::duplicate_table", 7, 12);
    // The default table of `OrderLine` is `order_line`.
    let yaml = "project: p\nentities:\n  OrderLine:\n    fields: {x: string}\n  B:\n    table: order_line\n    fields: {x: string}\n";
    assert_error(yaml, "nomnom::duplicate_table", 6, 12);
    assert_error(
        "project: p\nentities:\n  A:\n    table: message_status\n    fields: {x: string}\n",
        "nomnom::reserved_name",
        4,
        12,
    );
}

#[test]
fn containment_rules() {
    let cycle = "project: p\nentities:\n  R:\n    fields: {x: string, as: list<A>}\n  A:\n    fields: {x: string, bs: list<B>}\n  B:\n    fields: {x: string, as: list<A>}\n";
    let found = errors(cycle);
    assert!(
        found.iter().any(|e| e.0 == "nomnom::containment_cycle"),
        "{found:?}"
    );
    assert!(
        found.iter().any(|e| e.0 == "nomnom::two_parents"),
        "{found:?}"
    );
    let own = "project: p\nentities:\n  A:\n    fields: {x: string, as: list<A>}\n";
    assert_error(own, "nomnom::containment_cycle", 4, 29);
    assert_error(own, "nomnom::no_root", 2, 1);
    let two = "project: p\nentities:\n  A:\n    fields: {cs: list<C>}\n  B:\n    fields: {cs: list<C>}\n  C:\n    fields: {x: string}\n";
    assert_error(two, "nomnom::two_parents", 6, 18);
}

#[test]
fn values_must_fit_their_types() {
    assert_error(
        &fields("s: {type: string, enum: [a, 1]}"),
        "nomnom::value_type_mismatch",
        5,
        35,
    );
    assert_error(
        &fields("n: {type: decimal, enum: [1, 1.0]}"),
        "nomnom::duplicate_enum_value",
        5,
        36,
    );
    assert_error(
        &fields("n: {type: integer, default: 1.5}"),
        "nomnom::value_type_mismatch",
        5,
        35,
    );
    assert_error(
        &fields("n: {type: integer, min: 5, max: 1}"),
        "nomnom::empty_range",
        5,
        31,
    );
    assert_error(
        &fields("n: {type: decimal, min: x}"),
        "nomnom::value_type_mismatch",
        5,
        31,
    );
    assert_error(
        &fields("s: {type: string, min: 1}"),
        "nomnom::not_applicable",
        5,
        25,
    );
    assert_error(
        &fields("n: {type: float, max_length: 3}"),
        "nomnom::not_applicable",
        5,
        24,
    );
    assert_error(
        &fields("s: {type: string, pattern: \"(\"}"),
        "nomnom::invalid_pattern",
        5,
        34,
    );
    assert_error(
        &fields("n: {type: integer, max: 3, default: 4}"),
        "nomnom::invalid_default",
        5,
        43,
    );
    assert_error(
        &fields("d: {type: date, default: 2023-02-29}"),
        "nomnom::value_type_mismatch",
        5,
        32,
    );
    assert_error(
        &fields("b: {type: boolean, default: 1}"),
        "nomnom::value_type_mismatch",
        5,
        35,
    );
    // A decimal constant must fit what the service holds (28 significant digits, 28 places).
    assert_error(
        &fields("n: {type: decimal, default: 0.123456789012345678901234567891}"),
        "nomnom::value_type_mismatch",
        5,
        35,
    );
    assert_error(
        &fields("n: {type: decimal, max: \"1e29\"}"),
        "nomnom::value_type_mismatch",
        5,
        31,
    );
    load(&fields("n: {type: decimal, min: 0.0000000000000000000000000001, max: 79228162514264337593543950335}"));
}

#[test]
fn identifier_collisions() {
    assert_error(
        &fields("order-key: string\norder_key: string"),
        "nomnom::name_collision",
        6,
        7,
    );
    let yaml = "project: p\nentities:\n  HTTPLog:\n    table: a\n    fields: {x: string}\n  HttpLog:\n    table: b\n    fields: {x: string}\n";
    assert_error(yaml, "nomnom::name_collision", 6, 3);
}

#[test]
fn names_rules() {
    assert_error(
        "project: 1abc\nentities:\n  A:\n    fields: {x: string}\n",
        "nomnom::invalid_project_name",
        1,
        10,
    );
    assert_error(
        "project: p\nentities:\n  order:\n    fields: {x: string}\n",
        "nomnom::invalid_entity_name",
        3,
        3,
    );
    let long = "x".repeat(64);
    assert_error(
        &fields(&format!("{long}: string")),
        "nomnom::name_too_long",
        5,
        7,
    );
    assert_error(&fields("_id: string"), "nomnom::reserved_name", 5, 7);
}

#[test]
fn reserved_words_are_legal_field_names() {
    let p = load(&fields(
        "type: string\nselect: integer\nself: boolean\norder: string\nfn: float?",
    ));
    let names: Vec<&str> = p.entities[0]
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["type", "select", "self", "order", "fn"]);
}

#[test]
fn shorthand_and_map_forms() {
    let p = load(&fields(
        "a: string?\nb: {type: integer, nullable: true, doc: The b.}\nc: {type: decimal, json: /x/a~1b~0c, default: \"1.10\", min: 0.5e-1, max: 1000000000000000000000}\nd: {type: json, default: {k: [1, 2.50]}}\ne: {type: uuid, json: eId}",
    ));
    let e = &p.entities[0];
    assert!(e.field("a").unwrap().nullable);
    let b = e.field("b").unwrap();
    assert!(b.nullable);
    assert_eq!(b.doc.as_deref(), Some("The b."));
    let c = e.field("c").unwrap();
    assert_eq!(
        c.source,
        FieldSource::Pointer(vec!["x".into(), "a/b~c".into()])
    );
    assert_eq!(c.default, Some(Literal::Number("1.10".into())));
    assert_eq!(c.min, Some(Literal::Number("0.5e-1".into())));
    assert_eq!(
        c.max,
        Some(Literal::Number("1000000000000000000000".into()))
    );
    let d = e.field("d").unwrap();
    assert_eq!(d.ty, FieldType::Scalar(ScalarType::Json));
    assert_eq!(
        d.default,
        Some(Literal::Json(serde_json::json!({"k": [1, 2.50]})))
    );
    assert_eq!(e.field("e").unwrap().source, FieldSource::Key("eId".into()));
    assert_eq!(e.table, "order");
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let yaml = "project: p\nentities:\n  A:\n    fields:\n      a: strng\n      b: {type: integer, min: x}\n      c: list<Nope>\n";
    assert_eq!(errors(yaml).len(), 3, "{:?}", errors(yaml));
}

#[test]
fn warnings_do_not_fail_the_load() {
    let loaded = nomnom_spec::load_str(
        &fields("a: {type: string, json: k}\nb: {type: string, json: k}"),
        "x",
    )
    .expect("valid");
    assert_eq!(loaded.warnings.items.len(), 1);
    assert_eq!(loaded.warnings.items[0].code, "nomnom::shared_source");
}
