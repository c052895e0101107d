//! `nomnom test`: the transforms' tests and the examples of a model, run through a generated
//! copy of it (compiled in the shared build cache, `NOMNOM_TARGET_DIR`), with failures shown
//! at their line in the model and as a readable difference of rows.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nomnom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nomnom"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("RUSTFLAGS", "-D warnings")
        .output()
        .expect("the nomnom binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A model of its own (its project name unique to this test, so its work folder is too).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("model-test-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("examples")).expect("mkdir");
    dir
}

const MODEL: &str = "project: nomnom-test-visits
transforms:
  initials:
    doc: The initials of a name.
    args:
      - name: string
    returns: string
    rust: |
      Ok(name.split_whitespace().filter_map(|w| w.chars().next()).collect())
    tests:
      - {args: [\"Ada Lovelace\"], returns: \"AL\"}
      - {args: [\"Grace Brewster Hopper\"], returns: \"GH\"}
entities:
  Visit:
    table: visits
    key: [visit_id]
    fields:
      raw_id: {type: string, json: id, store: false}
      visit_id: {type: string, compute: \"upper(trim(raw_id))\"}
      patient: string
      patient_initials: {type: string, compute: \"initials(patient)\"}
      day: {type: date, compute: \"parse_date(day_text, '%d.%m.%Y')\"}
      day_text: {type: string, json: day, store: false}
";

#[test]
fn failures_point_at_the_model_and_show_what_differs() {
    let dir = scratch("visits");
    fs::write(dir.join("nomnom.yaml"), MODEL).expect("model");
    fs::write(
        dir.join("examples/visit.json"),
        r#"{"id": " v-1", "patient": "Ada Lovelace", "day": "09.12.2024"}"#,
    )
    .expect("example");
    fs::write(
        dir.join("examples/visit.rows.json"),
        r#"{"visits": [{"visit_id": "V-1", "patient": "Ada Lovelace", "patient_initials": "AL", "day": "2024-12-08"}]}"#,
    )
    .expect("rows");
    fs::write(
        dir.join("examples/visit-bad-day.json"),
        r#"{"id": "v-2", "patient": "Grace Hopper", "day": "32.01.2024"}"#,
    )
    .expect("example");

    let model = dir.display().to_string();
    let out = nomnom(&["test", &model]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    // The second transform test expects "GH" of three words: it fails, at its line.
    assert!(
        stdout.contains("nomnom.yaml:12: FAILED: a test of transform `initials`"),
        "{stdout}"
    );
    assert!(stdout.contains("right: Ok(\"GH\")"), "{stdout}");
    assert!(stdout.contains("transforms: 2 tests, 1 failed"), "{stdout}");
    // The example's day differs; the other example has no expected rows yet: what it became
    // is printed to copy.
    assert!(
        stdout.contains("examples/visit.json: FAILED:\n    visits[0].day: expected \"2024-12-08\", got \"2024-12-09\""),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "examples/visit-bad-day.json: FAILED: no examples/visit-bad-day.rows.json; it became:"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("\"rule\": \"compute\""), "{stdout}");

    // Fixed, everything passes.
    fs::write(
        dir.join("nomnom.yaml"),
        MODEL.replace("returns: \"GH\"", "returns: \"GBH\""),
    )
    .expect("model");
    fs::write(
        dir.join("examples/visit.rows.json"),
        r#"{"visits": [{"visit_id": "V-1", "patient": "Ada Lovelace", "patient_initials": "AL", "day": "2024-12-09"}]}"#,
    )
    .expect("rows");
    fs::write(
        dir.join("examples/visit-bad-day.rows.json"),
        r#"{"rejected": [{"path": "/day", "rule": "compute", "message": "parse_date"}]}"#,
    )
    .expect("rows");
    let out = nomnom(&["test", &model]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains("2 transform tests (0 failed), 2 examples (0 failed)"),
        "{stdout}"
    );
}

#[test]
fn a_transform_that_does_not_compile_is_shown_with_the_compiler_s_words() {
    let dir = scratch("broken");
    let broken = MODEL
        .replace("nomnom-test-visits", "nomnom-test-broken")
        .replace("Ok(name.split_whitespace()", "Ok(name.no_such_method()");
    fs::write(dir.join("nomnom.yaml"), broken).expect("model");
    let out = nomnom(&["test", &dir.display().to_string()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no_such_method"), "{stderr}");
    assert!(
        stderr.contains("the generated project does not compile"),
        "{stderr}"
    );
}
