//! Computed fields, `store: false` and user transforms in the model IR of valid models, and
//! the rules around them that the golden diagnostics do not pin down one by one (which
//! diagnostic does *not* appear matters as much as which does).

use nomnom_spec::expr::ValueType;
use nomnom_spec::model::{Expected, FieldSource, Literal, Project, ScalarType};
use nomnom_spec::Diagnostic;

fn load(yaml: &str) -> Project {
    match nomnom_spec::load_str(yaml, "nomnom.yaml") {
        Ok(l) => l.project,
        Err(d) => panic!("{}", d.render_plain()),
    }
}

/// Every diagnostic of `yaml`, errors and warnings, in file order.
fn diagnostics(yaml: &str) -> Vec<Diagnostic> {
    match nomnom_spec::load_str(yaml, "nomnom.yaml") {
        Ok(l) => l.warnings.items,
        Err(d) => d.items,
    }
}

fn codes(yaml: &str) -> Vec<(&'static str, usize, usize)> {
    diagnostics(yaml)
        .iter()
        .map(|d| (d.code, d.line, d.column))
        .collect()
}

/// Wraps field lines into a one-entity model (`Order`) after `transforms` (YAML lines of
/// the top-level `transforms:` section, or empty).
fn model(transforms: &str, fields: &str) -> String {
    let fields: String = fields.lines().map(|l| format!("      {l}\n")).collect();
    let transforms = if transforms.is_empty() {
        String::new()
    } else {
        let body: String = transforms.lines().map(|l| format!("  {l}\n")).collect();
        format!("transforms:\n{body}")
    };
    format!("project: shop\n{transforms}entities:\n  Order:\n    fields:\n{fields}")
}

#[test]
fn computed_fields_come_after_the_fields_they_read() {
    // Written in the reverse of the order they can be computed in.
    let p = load(&model(
        "",
        "label: {type: string, compute: \"concat(code, ' ', name)\"}\n\
         name: {type: string, compute: \"upper(code)\"}\n\
         code: {type: string, compute: \"trim(raw)\"}\n\
         raw: {type: string, store: false}\n\
         tag: {type: string, compute: \"lower(raw)\"}\n\
         total: decimal",
    ));
    let order = &p.entities[0];
    let computed: Vec<&str> = order
        .computed_in_order()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(computed, ["code", "name", "label", "tag"]);
    // The property itself: each computed field after every computed field it reads.
    for (i, field) in order.computed_in_order().iter().enumerate() {
        let FieldSource::Compute(c) = &field.source else {
            panic!("{} is not computed", field.name)
        };
        for r in &c.computed.references {
            if let Some(j) = computed.iter().position(|n| *n == r.name) {
                assert!(j < i, "`{}` reads `{}`, computed later", field.name, r.name);
            }
        }
    }
    // Fields read from the message are not computed.
    assert!(!computed.contains(&"raw") && !computed.contains(&"total"));
}

#[test]
fn the_source_of_a_computed_field_holds_its_text() {
    let p = load(&model(
        "",
        "raw_id: {type: string, json: id, store: false}\n\
         order_id: {type: string, compute: \"upper(trim(raw_id))\", max_length: 20}",
    ));
    let f = p.entities[0].field("order_id").unwrap();
    let FieldSource::Compute(c) = &f.source else {
        panic!("not computed: {:?}", f.source)
    };
    assert_eq!(c.text, "upper(trim(raw_id))");
    let reads: Vec<&str> = c
        .computed
        .references
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(reads, ["raw_id"]);
    assert_eq!(c.computed.typed.ty, ValueType::required(ScalarType::String));
    // Constraints stay on the field and apply to the computed value.
    assert_eq!(f.max_length, Some(20));
    assert!(f.stored);
    // A quoted expression with YAML escapes holds its decoded text.
    let p = load(&model(
        "",
        "a: string\nb: {type: string, compute: \"concat(a, '\\\"')\"}",
    ));
    let FieldSource::Compute(c) = &p.entities[0].field("b").unwrap().source else {
        panic!("not computed")
    };
    assert_eq!(c.text, "concat(a, '\"')");
}

#[test]
fn a_field_with_store_false_has_no_column() {
    let p = load(
        "project: shop\nentities:\n  Order:\n    key: [order_id]\n    fields:\n      \
         raw_id: {type: string, json: id, store: false}\n      \
         order_id: {type: string, compute: \"upper(raw_id)\"}\n      \
         helper: {type: string?, compute: \"lower(raw_id)\", store: false}\n      \
         kept: {type: string?, store: true}\n      \
         lines: list<Line>\n  Line:\n    fields:\n      n: integer\n",
    );
    let order = &p.entities[0];
    let columns: Vec<&str> = order.columns().map(|f| f.name.as_str()).collect();
    assert_eq!(columns, ["order_id", "kept"]);
    assert!(!order.field("raw_id").unwrap().stored);
    assert!(!order.field("helper").unwrap().stored);
    // Unstored fields are still fields: read, validated, and readable by expressions.
    assert_eq!(order.fields.len(), 5);
    assert_eq!(
        order.field("raw_id").unwrap().source,
        FieldSource::Key("id".into())
    );
    let computed: Vec<&str> = order
        .computed_in_order()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(computed, ["order_id", "helper"]);
}

const TRANSFORMS: &str = "\
project: lab
transforms:
  flag_abnormal:
    doc: Outside the range.
    args:
      - value: decimal
      - low: decimal?
    returns: boolean?
    rust: |
      // line 10 is the first of the body
      Ok(low.map(|low| value < low))
    tests:
      - {args: [\"7.2\", \"3.5\"], returns: false}
      - {args: [\"1\", null], returns: null}
      - args: [\"1\", \"2\"]
        error: never
  shout:
    args: [{text: string}]
    returns: string
    rust: Ok(text.to_uppercase())
  answer:
    returns: integer
    rust: |-

      Ok(42)
entities:
  Result:
    fields:
      value: decimal
      low: decimal?
      abnormal: {type: boolean?, compute: \"flag_abnormal(value, low)\"}
      loud: {type: string, compute: \"shout(value)\"}
      n: {type: integer, compute: \"answer()\"}
";

#[test]
fn transforms_hold_their_signature_tests_and_lines() {
    let p = load(TRANSFORMS);
    let names: Vec<&str> = p.transforms.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["flag_abnormal", "shout", "answer"]);

    let t = &p.transforms[0];
    assert_eq!(t.doc.as_deref(), Some("Outside the range."));
    assert_eq!(
        t.params,
        [
            (
                "value".to_string(),
                ValueType::required(ScalarType::Decimal)
            ),
            ("low".to_string(), ValueType::nullable(ScalarType::Decimal)),
        ]
    );
    assert_eq!(t.returns, ValueType::nullable(ScalarType::Boolean));
    assert_eq!(t.rust_line, 10, "the first line of the body of `rust: |`");
    assert!(t.rust.starts_with("// line 10"));
    assert_eq!(t.tests.len(), 3);
    assert_eq!(
        t.tests[0].args,
        [Literal::Number("7.2".into()), Literal::Number("3.5".into())]
    );
    assert_eq!(t.tests[0].expect, Expected::Returns(Literal::Bool(false)));
    assert_eq!(t.tests[0].line, 13);
    assert_eq!(t.tests[1].args[1], Literal::Null);
    assert_eq!(t.tests[1].expect, Expected::Returns(Literal::Null));
    assert_eq!(t.tests[1].line, 14);
    assert_eq!(t.tests[2].expect, Expected::Error("never".into()));
    assert_eq!(t.tests[2].line, 15);

    // A body on the line of its key starts there.
    let shout = &p.transforms[1];
    assert_eq!(shout.rust_line, 20);
    assert!(shout.tests.is_empty() && shout.doc.is_none());
    // A transform without `args` takes none; a body starting with a blank line starts
    // there: line 2 of the body is line 25 of the file.
    let answer = &p.transforms[2];
    assert!(answer.params.is_empty());
    assert_eq!(answer.rust.trim(), "Ok(42)");
    assert_eq!(answer.rust_line, 24);

    // Calls of transforms type-check, with conversions: `value` becomes text for `shout`.
    let result = &p.entities[0];
    assert_eq!(result.computed_in_order().len(), 3);
}

#[test]
fn a_body_starting_with_a_bar_is_located_on_its_own_line() {
    // The body's first character is the block indicator's: only the indicator line's
    // shape tells them apart.
    let yaml = "project: p\ntransforms:\n  f:\n    args: [{a: integer}]\n    returns: integer\n    rust: |\n      |x: i64| x;\n      Ok(a)\nentities:\n  A:\n    fields: {x: integer}\n";
    let p = load(yaml);
    assert_eq!(p.transforms[0].rust_line, 7);
    let yaml = "project: p\ntransforms:\n  f:\n    args: [{a: integer}]\n    returns: integer\n    rust: \"|| 1; Ok(a)\"\nentities:\n  A:\n    fields: {x: integer}\n";
    assert_eq!(load(yaml).transforms[0].rust_line, 6);
}

#[test]
fn a_field_of_the_parent_gets_a_hint_to_copy_it() {
    let yaml = "project: p\nentities:\n  Order:\n    fields:\n      customer: string?\n      lines: list<Line>\n  Line:\n    fields:\n      label: {type: string, compute: \"upper(customer)\"}\n";
    let d = diagnostics(yaml);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(
        (d[0].code, d[0].line, d[0].column),
        ("nomnom::unknown_field", 9, 45)
    );
    assert_eq!(
        d[0].help.as_deref(),
        Some(
            "`customer` is a field of the parent `Order`: copy it into this entity with \
             `customer: {type: string?, from: parent.customer, store: false}`, then name it here"
        )
    );
    // Copied, it is read like any field.
    let fixed = yaml.replace(
        "      label:",
        "      customer: {type: string?, from: parent.customer, store: false}\n      label:",
    );
    load(&fixed);
}

#[test]
fn broken_definitions_are_not_reported_again_where_they_are_used() {
    // A transform whose signature is in error: its calls say nothing more.
    let yaml = model(
        "to_cents:\n  args:\n    - price: money\n  returns: integer\n  rust: Ok(1)",
        "raw: string\ncents: {type: integer, compute: \"to_cents(raw)\"}",
    );
    assert_eq!(codes(&yaml), [("nomnom::unknown_type", 5, 16)]);
    // A transform with an illegal name likewise.
    let yaml = model(
        "ToCents:\n  args:\n    - price: decimal\n  returns: integer\n  rust: Ok(1)",
        "raw: decimal\ncents: {type: integer, compute: \"ToCents(raw)\"}",
    );
    assert_eq!(codes(&yaml), [("nomnom::invalid_name", 3, 3)]);
    // A field whose type is unknown: expressions naming it say nothing more.
    let yaml = model(
        "",
        "raw: strng\nclean: {type: string, compute: \"trim(raw)\"}",
    );
    assert_eq!(codes(&yaml), [("nomnom::unknown_type", 5, 12)]);
}

#[test]
fn calls_of_a_transform_with_a_bad_test_are_still_checked() {
    let yaml = model(
        "cents:\n  args:\n    - price: decimal\n  returns: integer\n  rust: Ok(1)\n  tests:\n    - {args: [x], returns: 1}",
        "raw: boolean\ncents: {type: integer, compute: \"cents(raw)\"}",
    );
    assert_eq!(
        codes(&yaml),
        [
            ("nomnom::value_type_mismatch", 9, 17),
            ("nomnom::argument_type", 14, 46)
        ]
    );
}

#[test]
fn a_computed_field_is_not_read_from_the_message() {
    // `day` is computed, even though its expression is in error: it shares no JSON value
    // with `raw_day` (which reads the key `day`).
    let yaml = model(
        "",
        "raw_day: {type: string, json: day, store: false}\nday: {type: timestamp, compute: \"parse_date(raw_day, '%Y-%m-%d')\"}",
    );
    let found = codes(&yaml);
    assert_eq!(found, [("nomnom::compute_type_mismatch", 6, 40)]);
}

#[test]
fn a_child_key_computed_from_the_parent_takes_something_from_it() {
    let yaml = |line_id: &str| {
        format!(
            "project: p\nentities:\n  Order:\n    key: [id]\n    fields:\n      id: string\n      lines: list<Line>\n  Line:\n    key: [line_id]\n    fields:\n      order_id: {{type: string, from: parent.id, store: false}}\n      n: integer\n      line_id: {line_id}\n"
        )
    };
    // Through two computed fields.
    let reads_parent = yaml(
        "{type: string, compute: \"concat(prefix, '-', n)\"}\n      prefix: {type: string, compute: \"upper(order_id)\", store: false}",
    );
    let loaded = nomnom_spec::load_str(&reads_parent, "nomnom.yaml").unwrap();
    assert!(loaded.warnings.items.is_empty(), "{:?}", loaded.warnings);
    // A key computed from the line alone is unique across all orders: still a warning.
    let own = yaml("{type: string, compute: \"concat('L', n)\"}");
    let loaded = nomnom_spec::load_str(&own, "nomnom.yaml").unwrap();
    let warnings: Vec<_> = loaded.warnings.items.iter().map(|d| d.code).collect();
    assert_eq!(warnings, ["nomnom::child_key_without_parent"]);
}

#[test]
fn block_and_folded_expressions_are_located() {
    // A one-line block scalar holds its text verbatim: the column inside it is exact.
    let yaml = model(
        "",
        "a: string\nb:\n  type: string\n  compute: |\n    upper(a\n",
    );
    let d = diagnostics(&yaml);
    assert_eq!(
        (d[0].code, d[0].line, d[0].column),
        ("nomnom::expression_syntax", 9, 16)
    );
    assert_eq!(d[0].len, 1);
    // Folded over lines, the text differs from the file: the whole scalar is marked, up to
    // its last character (not the next line's indentation).
    let yaml = model(
        "",
        "a: string\nb:\n  type: string\n  compute: >\n    concat(a,\n      a +\n      a)\nc: string\n",
    );
    let d = diagnostics(&yaml);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(
        d[0].label.ends_with("somewhere in this expression"),
        "{d:?}"
    );
    assert_eq!((d[0].line, d[0].column), (9, 11));
    let marked = &yaml[d[0].offset..d[0].offset + d[0].len];
    assert_eq!(marked, "concat(a,\n            a +\n            a)");
}
