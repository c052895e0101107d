//! Golden snapshots of the rendered diagnostics for every invalid model in `tests/invalid/`.
//!
//! Each case folder holds a `nomnom.yaml` and `expected.txt`: the diagnostics rendered
//! without colours, with the file named relative to the case folder. Run with
//! `UPDATE_SNAPSHOTS=1` to rewrite the snapshots, then review them like code.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

fn cases() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/invalid");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .expect("tests/invalid exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("nomnom.yaml").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn invalid_models_match_their_snapshots() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    let mut codes = BTreeSet::new();
    let cases = cases();
    assert!(cases.len() >= 25, "only {} cases found", cases.len());
    for dir in &cases {
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = fs::read(dir.join("nomnom.yaml")).unwrap();
        let diags = match nomnom_spec::load_bytes(&bytes, "nomnom.yaml") {
            Ok(_) => {
                failures.push(format!("{case}: loaded without error"));
                continue;
            }
            Err(d) => d,
        };
        assert!(diags.has_errors(), "{case}: no error");
        for d in &diags.items {
            assert!(d.line >= 1 && d.column >= 1, "{case}: unlocated {d:?}");
            assert!(!d.label.is_empty(), "{case}: no label on {d:?}");
            assert!(d.help.is_some(), "{case}: no hint on {d:?}");
            assert!(
                !d.message.contains('\n'),
                "{case}: message of several lines {d:?}"
            );
            codes.insert(d.code);
        }
        let rendered = diags.render_plain();
        let expected_path = dir.join("expected.txt");
        if update {
            fs::write(&expected_path, &rendered).unwrap();
            continue;
        }
        match fs::read_to_string(&expected_path) {
            Ok(expected) if expected == rendered => {}
            Ok(expected) => failures.push(format!(
                "{case}: diagnostics differ from expected.txt\n--- expected\n{expected}\n--- actual\n{rendered}"
            )),
            Err(_) => failures.push(format!("{case}: no expected.txt (run with UPDATE_SNAPSHOTS=1)")),
        }
    }
    for code in [
        "nomnom::yaml",
        "nomnom::unknown_key",
        "nomnom::unknown_type",
        "nomnom::undefined_entity",
        "nomnom::no_parent",
        "nomnom::unknown_parent_field",
        "nomnom::from_type_mismatch",
        "nomnom::invalid_key",
        "nomnom::duplicate_table",
        "nomnom::containment_cycle",
        "nomnom::two_parents",
        "nomnom::no_root",
        "nomnom::value_type_mismatch",
        "nomnom::invalid_default",
        "nomnom::empty_range",
        "nomnom::not_applicable",
        "nomnom::invalid_pattern",
        "nomnom::name_collision",
        "nomnom::invalid_project_name",
        "nomnom::invalid_entity_name",
        "nomnom::name_too_long",
        "nomnom::reserved_name",
        "nomnom::duplicate_enum_value",
        // Computed fields and user transforms.
        "nomnom::expression_syntax",
        "nomnom::unknown_function",
        "nomnom::unknown_field",
        "nomnom::list_in_expression",
        "nomnom::wrong_arity",
        "nomnom::argument_type",
        "nomnom::invalid_argument",
        "nomnom::literal_required",
        "nomnom::invalid_regex",
        "nomnom::invalid_format",
        "nomnom::compute_type_mismatch",
        "nomnom::compute_cycle",
        "nomnom::conflict",
        "nomnom::invalid_key",
        "nomnom::invalid_version",
        "nomnom::invalid_value",
        "nomnom::invalid_name",
        "nomnom::invalid_shape",
        "nomnom::missing_key",
        // HL7 v2.
        "nomnom::unknown_format",
        "nomnom::format_on_child",
        "nomnom::invalid_hl7_path",
        "nomnom::hl7_in_json_entity",
        "nomnom::hl7_missing_source",
        "nomnom::hl7_segment_scope",
    ] {
        assert!(codes.contains(code), "no invalid case exercises {code}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
