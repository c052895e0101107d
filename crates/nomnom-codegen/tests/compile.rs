//! Compiles each generated example as its own Cargo project, with warnings denied and
//! clippy clean, then runs a test file written into it (`tests/generated/<example>.rs`, with
//! what they share in `tests/generated/support.rs`):
//! the generated validation on valid and invalid messages, and the generated SQL against
//! the local PostgreSQL (its own database per test).
//!
//! Every project shares one target directory, `NOMNOM_TARGET_DIR` (default
//! `$HOME/.cache/nomnom/target`), so dependencies build once. The project folders are kept
//! under Cargo's test temporary directory for inspection after a failure.

mod fixtures;

use std::path::{Path, PathBuf};
use std::process::Command;

use nomnom_codegen::{generate, generate_for, Database};
use nomnom_spec::model::Project;

fn shared_target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("NOMNOM_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache/nomnom/target")
}

/// Writes the generated tree (plus the example's check file and the workspace's lockfile, so
/// dependency versions match the ones nomnom itself is tested with) to a fresh folder.
fn write_project(project: &Project, checks: &str) -> PathBuf {
    let dir = write_tree(project, Database::Postgresql);
    std::fs::create_dir_all(dir.join("tests/support")).expect("mkdir tests");
    std::fs::write(dir.join("tests/checks.rs"), checks).expect("write checks");
    std::fs::write(
        dir.join("tests/support/mod.rs"),
        include_str!("generated/support.rs"),
    )
    .expect("write the checks' support");
    dir
}

/// Writes the project generated for `database` (and the workspace's lockfile) to a fresh
/// folder.
fn write_tree(project: &Project, database: Database) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("generated")
        .join(format!("{}-{database}", project.name));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("clear old project");
    }
    let tree = if database == Database::Postgresql {
        generate(project)
    } else {
        generate_for(project, database)
    }
    .expect("generate");
    for (path, contents) in tree.iter() {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, contents).expect("write");
    }
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    std::fs::copy(lock, dir.join("Cargo.lock")).expect("copy lockfile");
    dir
}

/// A project generated for MySQL compiles with warnings denied and is clippy clean (its
/// rows are written end to end by nomnom-e2e's suites against MariaDB).
#[test]
fn web_analytics_for_mysql_compiles_and_lints() {
    let dir = write_tree(&fixtures::web_analytics(), Database::Mysql);
    let model = std::fs::read_to_string(dir.join("src/model.rs")).expect("model.rs");
    assert!(
        model.contains("database = \"mysql\""),
        "the model names its database"
    );
    cargo(&dir, &["build", "--all-targets"]);
    cargo(&dir, &["clippy", "--all-targets", "--", "-D", "warnings"]);
}

fn cargo(dir: &Path, args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("RUSTFLAGS", "-D warnings")
        .env_remove("CARGO_MAKEFLAGS")
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "`cargo {}` failed in {}:\n{}\n{}",
        args.join(" "),
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Builds, lints and runs the checks of `project`; returns its folder.
fn build_lint_and_check(project: &Project, checks: &str) -> PathBuf {
    let dir = write_project(project, checks);
    cargo(&dir, &["build", "--all-targets"]);
    cargo(&dir, &["clippy", "--all-targets", "--", "-D", "warnings"]);
    cargo(
        &dir,
        &["test", "--test", "checks", "--", "--test-threads=1"],
    );
    dir
}

#[test]
fn tpch_compiles_lints_and_passes_its_checks() {
    build_lint_and_check(&fixtures::tpch(), include_str!("generated/tpch.rs"));
}

#[test]
fn web_analytics_compiles_lints_and_passes_its_checks() {
    build_lint_and_check(
        &fixtures::web_analytics(),
        include_str!("generated/web_analytics.rs"),
    );
}

#[test]
fn lab_results_compiles_lints_and_passes_its_checks() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab-results");
    let project = match nomnom_spec::load(&path) {
        Ok(loaded) => loaded.project,
        Err(e) => panic!("the lab-results example does not load: {e}"),
    };
    let dir = build_lint_and_check(&project, include_str!("generated/lab_results.rs"));
    // The tests of its user transforms, generated into `src/transforms.rs`.
    cargo(&dir, &["test", "--lib", "transforms::"]);
}

#[test]
fn adversarial_names_compile_lint_and_pass_their_checks() {
    let yaml = include_str!("fixtures/adversarial.yaml");
    let project = match nomnom_spec::load_str(yaml, "adversarial.yaml") {
        Ok(loaded) => loaded.project,
        Err(e) => panic!("the adversarial model does not load: {e:?}"),
    };
    build_lint_and_check(&project, include_str!("generated/edge_cases.rs"));
}
