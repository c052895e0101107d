//! The `nomnom` binary: exit codes and output of `check`, `init` and `generate`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nomnom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nomnom"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the nomnom binary runs")
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .display()
        .to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_accepts_the_examples() {
    for example in ["examples/tpch", "examples/web-analytics/nomnom.yaml"] {
        let out = nomnom(&["check", &repo(example)]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("valid"), "{}", text(&out.stdout));
    }
}

#[test]
fn check_reports_every_problem_and_exits_1() {
    let out = nomnom(&[
        "check",
        &repo("crates/nomnom-spec/tests/invalid/unknown-field-key"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("unknown key `nulable`"), "{err}");
    assert!(err.contains("did you mean `nullable`?"), "{err}");
    assert!(err.contains("unknown key `feilds`"), "{err}");
    assert!(err.contains("nomnom.yaml:10:29"), "{err}");
    assert!(err.contains("2 errors"), "{err}");
    assert!(!err.contains('\u{1b}'), "colours with NO_COLOR set");
}

#[test]
fn usage_errors_exit_2() {
    let missing = nomnom(&["check", "/definitely/not/here"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("/definitely/not/here does not exist"));
    let empty_dir = scratch("empty-dir");
    fs::create_dir_all(&empty_dir).unwrap();
    let no_model = nomnom(&["check", &empty_dir.display().to_string()]);
    assert_eq!(no_model.status.code(), Some(2));
    assert!(
        text(&no_model.stderr).contains("nomnom.yaml"),
        "{}",
        text(&no_model.stderr)
    );
    assert_eq!(nomnom(&[]).status.code(), Some(2));
    assert_eq!(nomnom(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        nomnom(&["generate", &repo("examples/tpch")]).status.code(),
        Some(2)
    );
    assert_eq!(nomnom(&["--help"]).status.code(), Some(0));
    let _ = fs::remove_dir_all(&empty_dir);
}

#[test]
fn init_writes_a_valid_model_and_never_overwrites() {
    let dir = scratch("init");
    let d = dir.display().to_string();
    let first = nomnom(&["init", &d]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let written = fs::read_to_string(dir.join("nomnom.yaml")).unwrap();
    assert_eq!(nomnom(&["check", &d]).status.code(), Some(0));

    fs::write(dir.join("nomnom.yaml"), "project: mine\n").unwrap();
    let second = nomnom(&["init", &d]);
    assert_eq!(second.status.code(), Some(1));
    assert!(text(&second.stderr).contains("already exists"));
    assert_eq!(
        fs::read_to_string(dir.join("nomnom.yaml")).unwrap(),
        "project: mine\n"
    );
    assert!(written.contains("project: cli-init\n"), "{written}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn init_names_the_project_after_its_folder() {
    let parent = scratch("init-named");
    for (folder, project) in [
        ("my-pipeline", "my-pipeline"),
        ("Web Events 2", "web-events-2"),
    ] {
        let dir = parent.join(folder);
        let d = dir.display().to_string();
        let out = nomnom(&["init", &d]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let written = fs::read_to_string(dir.join("nomnom.yaml")).expect("model written");
        assert!(
            written.contains(&format!("\nproject: {project}\n")),
            "{written}"
        );
        assert_eq!(nomnom(&["check", &d]).status.code(), Some(0), "{folder}");
    }
    // `nomnom init .` names it after the current folder.
    let here = parent.join("here_folder");
    fs::create_dir_all(&here).expect("mkdir");
    let out = Command::new(env!("CARGO_BIN_EXE_nomnom"))
        .args(["init", "."])
        .current_dir(&here)
        .output()
        .expect("the nomnom binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = fs::read_to_string(here.join("nomnom.yaml")).expect("model written");
    assert!(written.contains("\nproject: here_folder\n"), "{written}");
    let _ = fs::remove_dir_all(&parent);
}

#[test]
fn generate_writes_a_manifest_and_refuses_invalid_models() {
    let dir = scratch("generate");
    let out = dir.join("out").display().to_string();
    let ok = nomnom(&["generate", &repo("examples/tpch"), "--output", &out]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(dir.join("out/.nomnom-manifest").is_file());
    let again = nomnom(&["generate", &repo("examples/tpch"), "--output", &out]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again.stdout).contains("0 files written"),
        "{}",
        text(&again.stdout)
    );

    let bad = nomnom(&[
        "generate",
        &repo("crates/nomnom-spec/tests/invalid/unknown-type"),
        "--output",
        &dir.join("bad").display().to_string(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        !dir.join("bad").exists(),
        "an invalid model produced output"
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn warnings_are_printed_but_the_model_is_valid() {
    let dir = scratch("warnings");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("nomnom.yaml"),
        "project: p\nentities:\n  A:\n    fields:\n      a: {type: string, json: k}\n      b: {type: string, json: k}\n",
    )
    .unwrap();
    let out = nomnom(&["check", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(err.contains("nomnom::shared_source"), "{err}");
    assert!(err.contains("read the same JSON value"), "{err}");
    assert!(
        text(&out.stdout).contains("1 warning"),
        "{}",
        text(&out.stdout)
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn the_readme_model_example_is_valid() {
    let readme = fs::read_to_string(repo("README.md")).expect("README.md");
    let start = readme
        .find("```yaml\n")
        .expect("a yaml example in the README")
        + 8;
    let end = start + readme[start..].find("```").expect("the example ends");
    let dir = scratch("readme");
    fs::create_dir_all(&dir).expect("scratch folder");
    fs::write(dir.join("nomnom.yaml"), &readme[start..end]).expect("write model");
    let out = nomnom(&["check", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let _ = fs::remove_dir_all(&dir);
}
