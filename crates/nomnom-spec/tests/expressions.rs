//! Golden snapshot of the rendered diagnostics for bad `compute:` expressions.
//!
//! `tests/expressions/cases.yaml` holds the input fields and transforms of one entity and one
//! computed field per mistake; every expression is checked where it is written in the YAML,
//! and the diagnostics are rendered without colours into `tests/expressions/expected.txt`
//! (the renderer of `tests/diagnostics.rs`). Run with `UPDATE_SNAPSHOTS=1` to rewrite the
//! snapshot, then review it like code.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;

use nomnom_spec::expr::{self, Env, Origin, ValueType};
use nomnom_spec::model::ScalarType;
use nomnom_spec::yaml::{self, Kind, Node, Span};
use nomnom_spec::Diagnostics;

fn entries(node: &Node) -> Vec<(&str, &Node)> {
    let Kind::Map(entries) = &node.kind else {
        panic!("not a mapping: {node:?}")
    };
    entries
        .iter()
        .map(|(k, v)| match &k.kind {
            Kind::Str(s) => (s.as_str(), v),
            other => panic!("not a name: {other:?}"),
        })
        .collect()
}

fn get<'n>(node: &'n Node, key: &str) -> &'n Node {
    entries(node)
        .into_iter()
        .find(|(k, _)| *k == key)
        .unwrap_or_else(|| panic!("no `{key}` in {node:?}"))
        .1
}

fn text(node: &Node) -> &str {
    match &node.kind {
        Kind::Str(s) => s,
        other => panic!("not text: {other:?}"),
    }
}

/// `decimal`, `string?`.
fn value_type(node: &Node) -> ValueType {
    let t = text(node);
    let (name, nullable) = match t.strip_suffix('?') {
        Some(name) => (name, true),
        None => (t, false),
    };
    let ty = ScalarType::from_name(name).unwrap_or_else(|| panic!("unknown type {t}"));
    ValueType { ty, nullable }
}

#[test]
fn bad_expressions_match_their_snapshot() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/expressions");
    let source = fs::read_to_string(dir.join("cases.yaml")).unwrap();
    let root = yaml::parse(&source).unwrap();

    let mut env = Env::new();
    for (name, ty) in entries(get(&root, "fields")) {
        match text(ty)
            .strip_prefix("list<")
            .and_then(|t| t.strip_suffix('>'))
        {
            Some(entity) => env = env.with_list(name, entity),
            None => {
                let v = value_type(ty);
                env = env.with_field(name, v.ty, v.nullable);
            }
        }
    }
    for (name, t) in entries(get(&root, "transforms")) {
        let params: Vec<(&str, ValueType)> = entries(get(t, "args"))
            .into_iter()
            .map(|(n, ty)| (n, value_type(ty)))
            .collect();
        env = env.with_transform(name, &params, value_type(get(t, "returns")));
    }
    let computed = entries(get(&root, "computed"));
    for (name, field) in &computed {
        let v = value_type(get(field, "type"));
        env = env.with_field(name, v.ty, v.nullable);
    }

    let mut diags = Diagnostics::new("cases.yaml", source.clone());
    let mut deps: Vec<(String, Vec<String>)> = Vec::new();
    let mut reference_spans: BTreeMap<(String, String), Span> = BTreeMap::new();
    for (name, field) in &computed {
        let declared = value_type(get(field, "type")).ty;
        let node = get(field, "compute");
        let origin = Origin::of_scalar(&source, node.span, text(node));
        match expr::check_computed(name, declared, text(node), origin, &env) {
            Ok(c) => {
                for r in &c.references {
                    reference_spans
                        .entry((name.to_string(), r.name.clone()))
                        .or_insert(origin.span(r.range.clone()));
                }
                let refs = c.references.into_iter().map(|r| r.name).collect();
                deps.push((name.to_string(), refs));
            }
            Err(found) => found.into_iter().for_each(|d| diags.push(d)),
        }
    }
    let mut in_cycles = BTreeSet::new();
    for cycle in expr::find_cycles(&deps) {
        let at = reference_spans[&(cycle[0].clone(), cycle[1].clone())];
        diags.push(expr::cycle_diagnostic(&cycle, at));
        in_cycles.extend(cycle);
    }

    // Every case is reported (a cycle once, at its first field), inside its own expression.
    let mut codes = BTreeSet::new();
    for (name, field) in &computed {
        if in_cycles.contains(*name) {
            continue;
        }
        let span = get(field, "compute").span;
        let inside = |d: &&nomnom_spec::Diagnostic| {
            d.offset >= span.offset && d.offset + d.len <= span.offset + span.len
        };
        assert!(
            diags.items.iter().any(|d| inside(&d)),
            "{name}: no diagnostic"
        );
    }
    for d in &diags.items {
        assert!(!d.label.is_empty() && d.help.is_some(), "{d:?}");
        assert!(!d.message.contains('\n'), "{d:?}");
        codes.insert(d.code);
    }
    for code in [
        "nomnom::expression_syntax",
        "nomnom::unknown_function",
        "nomnom::unknown_field",
        "nomnom::list_in_expression",
        "nomnom::wrong_arity",
        "nomnom::argument_type",
        "nomnom::literal_required",
        "nomnom::invalid_regex",
        "nomnom::invalid_format",
        "nomnom::invalid_argument",
        "nomnom::compute_type_mismatch",
        "nomnom::compute_cycle",
    ] {
        assert!(codes.contains(code), "no case exercises {code}");
    }

    let rendered = diags.render_plain();
    let expected_path = dir.join("expected.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::write(&expected_path, &rendered).unwrap();
        return;
    }
    let expected =
        fs::read_to_string(&expected_path).expect("no expected.txt (run with UPDATE_SNAPSHOTS=1)");
    assert!(
        expected == rendered,
        "diagnostics differ from expected.txt\n--- expected\n{expected}\n--- actual\n{rendered}"
    );
}
