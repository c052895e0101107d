//! Tests of locating an expression in its YAML file and of checking a computed field.

use super::*;
use crate::yaml::{self, Kind, Node};
use ScalarType::*;

/// The value node of `compute:` in a one-line document.
fn compute_node(source: &str) -> Node {
    let Kind::Map(entries) = yaml::parse(source).unwrap().kind else {
        panic!("not a map")
    };
    entries.into_iter().next().unwrap().1
}

fn origin(source: &str) -> (Origin, std::string::String) {
    let node = compute_node(source);
    let Kind::Str(value) = &node.kind else {
        panic!("not a string: {node:?}")
    };
    (Origin::of_scalar(source, node.span, value), value.clone())
}

#[test]
fn locates_plain_and_quoted_scalars() {
    let src = "compute: upper(code)\n";
    assert_eq!(origin(src).0, Origin::At(9));
    let src = "compute: \"upper(code)\"\n";
    assert_eq!(origin(src).0, Origin::At(10));
    let src = "compute: 'upper(code)'\n";
    assert_eq!(origin(src).0, Origin::At(10));
    let src = "compute: {type: string}\nx: \"concat(a, 'b')\"   # note\n";
    let Kind::Map(entries) = yaml::parse(src).unwrap().kind else {
        panic!()
    };
    let node = &entries[1].1;
    let Kind::Str(value) = &node.kind else {
        panic!()
    };
    assert_eq!(Origin::of_scalar(src, node.span, value), Origin::At(28));
}

#[test]
fn escaped_scalars_point_at_the_whole_scalar() {
    // YAML's own escapes change the text: `''` in a single-quoted scalar, `\"` in a double one.
    for src in [
        "compute: 'concat(a, ''-'', b)'\n",
        "compute: \"concat(a, \\\"-\\\")\"\n",
    ] {
        let node = compute_node(src);
        let (o, _) = origin(src);
        assert_eq!(o, Origin::Scalar(node.span), "{src}");
        assert_eq!(o.span(3..5), node.span);
    }
}

#[test]
fn maps_ranges_to_file_spans() {
    assert_eq!(Origin::At(10).span(6..10), Span { offset: 16, len: 4 });
    assert_eq!(Origin::At(0).span(3..3), Span { offset: 3, len: 0 });
    // A span of unknown length: the value is found from the offset.
    let src = "x: \"upper(a)\" y";
    assert_eq!(
        Origin::of_scalar(src, Span { offset: 3, len: 0 }, "upper(a)"),
        Origin::At(4)
    );
}

fn env() -> Env {
    Env::new()
        .with_field("code", String, false)
        .with_field("qty", Integer, true)
        .with_field("price", Decimal, false)
}

#[test]
fn computed_values_fit_their_field() {
    let ok = |declared, text: &str| {
        check_computed("f", declared, text, Origin::At(0), &env())
            .unwrap_or_else(|d| panic!("{text}: {d:#?}"))
    };
    let c = ok(Decimal, "to_decimal(trim(code))");
    assert_eq!(c.coercion, Coercion::None);
    assert_eq!(c.typed.ty, ValueType::required(Decimal));
    assert_eq!(c.references.len(), 1);
    assert_eq!(c.references[0].name, "code");
    assert_eq!(ok(Decimal, "qty").coercion, Coercion::ToDecimal);
    assert!(ok(Decimal, "qty").typed.ty.nullable);
    assert_eq!(ok(Float, "qty").coercion, Coercion::ToFloat);
    assert_eq!(ok(Float, "0.5").coercion, Coercion::ToFloat);
    assert_eq!(ok(String, "price").coercion, Coercion::ToText);
    assert_eq!(ok(Integer, "-3").coercion, Coercion::None);
}

#[test]
fn computed_values_that_do_not_fit() {
    let err = |declared, text: &str| {
        let mut d = check_computed("total", declared, text, Origin::At(5), &env()).expect_err(text);
        assert_eq!(d.len(), 1, "{d:#?}");
        d.remove(0)
    };
    let d = err(Integer, "upper(code)");
    assert_eq!(d.code, "nomnom::compute_type_mismatch");
    assert_eq!((d.offset, d.len), (5, 11));
    assert_eq!(
        d.message,
        "field `total` is declared integer but its expression computes a string"
    );
    assert_eq!(d.label, "string, not an integer");
    assert_eq!(
        d.help.as_deref(),
        Some("convert text with `to_integer(…)`; or declare `total` as `string`")
    );
    assert_eq!(err(Float, "price").label, "decimal, not a float");
    assert_eq!(err(Integer, "1.0").label, "decimal, not an integer");
    assert_eq!(
        err(Date, "code")
            .help
            .as_deref()
            .map(|h| h.contains("parse_date")),
        Some(true)
    );
    // Syntax and type errors come first, located.
    let d = err(String, "upper(code");
    assert_eq!(
        (d.code, d.offset, d.len),
        ("nomnom::expression_syntax", 10, 1)
    );
    let d = err(String, "upper(cod)");
    assert_eq!((d.code, d.offset, d.len), ("nomnom::unknown_field", 11, 3));
}
