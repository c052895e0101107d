//! `nomnom test <model>`: the loop a model author lives in. Generates the model into a work
//! folder under the build cache, compiles it, runs the tests of its user transforms (a failing
//! one reported at its line in the model), then runs every example beside the model
//! (`examples/<name>.json`) through validation and derivation — no NATS, no PostgreSQL — and
//! compares the rows with `examples/<name>.rows.json`, printing what differs.

mod cargo;
mod compare;
mod examples;

use std::path::{Path, PathBuf};

use nomnom_spec::model::Project;
use serde_json::Value;

pub use cargo::target_dir;
pub use examples::{root_for, Example};

/// What a run found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub transform_tests: usize,
    pub transform_failures: usize,
    pub examples: usize,
    pub example_failures: usize,
}

impl Summary {
    /// `true` when everything passed.
    pub fn passed(&self) -> bool {
        self.transform_failures == 0 && self.example_failures == 0
    }
}

/// Why a run could not complete (as opposed to tests that failed).
#[derive(Debug)]
pub enum RunError {
    /// The generated project does not compile (the compiler's output follows).
    Build(String),
    /// Anything else: generating, writing, running Cargo.
    Other(String),
}

/// Runs the tests of `project`, loaded from `model` (its file); prints each result as it
/// comes.
pub fn run(project: &Project, model: &Path) -> Result<Summary, RunError> {
    let model_dir = model.parent().unwrap_or(Path::new("."));
    let model_name = model.file_name().map_or_else(
        || "nomnom.yaml".into(),
        |f| f.to_string_lossy().into_owned(),
    );
    let examples = examples::find(&model_dir.join("examples"), project).map_err(RunError::Other)?;
    let work = work_dir(project);
    let tree = nomnom_codegen::generate(project)
        .map_err(|e| RunError::Other(format!("cannot generate `{}`: {e}", project.name)))?;
    crate::writer::write_tree(&tree, &work).map_err(|e| RunError::Other(e.to_string()))?;
    println!("{}: generated into {}", model.display(), work.display());

    let mut summary = Summary::default();
    if !project.transforms.is_empty() {
        transform_tests(project, &work, &model_name, &mut summary)?;
    }
    if examples.is_empty() {
        println!("no examples: add examples/<name>.json beside the model, with the rows it must become in examples/<name>.rows.json");
    } else {
        run_examples(project, &work, &examples, &mut summary)?;
    }
    Ok(summary)
}

/// Where the model is generated: `<build cache>/nomnom-test/<project>`.
fn work_dir(project: &Project) -> PathBuf {
    target_dir().join("nomnom-test").join(&project.name)
}

fn transform_tests(
    project: &Project,
    work: &Path,
    model_name: &str,
    summary: &mut Summary,
) -> Result<(), RunError> {
    println!("compiling the transforms and their tests…");
    let out = cargo::cargo(
        work,
        &[
            "test",
            "--lib",
            "transforms::tests::",
            "--",
            "--test-threads=1",
        ],
    )
    .map_err(RunError::Other)?;
    let outcomes = cargo::test_outcomes(&out.stdout, "transforms::tests::");
    if !out.success && outcomes.is_empty() {
        return Err(RunError::Build(out.stderr));
    }
    for t in &project.transforms {
        for test in &t.tests {
            let name = format!("{}_line_{}", t.name, test.line);
            summary.transform_tests += 1;
            match outcomes.iter().find(|o| o.name == name) {
                Some(o) if o.failure.is_none() => {}
                Some(o) => {
                    summary.transform_failures += 1;
                    println!(
                        "{model_name}:{}: FAILED: a test of transform `{}`\n{}",
                        test.line,
                        t.name,
                        indent(o.failure.as_deref().unwrap_or(""))
                    );
                }
                None => {
                    summary.transform_failures += 1;
                    println!(
                        "{model_name}:{}: the test of transform `{}` did not run",
                        test.line, t.name
                    );
                }
            }
        }
    }
    println!(
        "transforms: {} test{}, {} failed",
        summary.transform_tests,
        if summary.transform_tests == 1 {
            ""
        } else {
            "s"
        },
        summary.transform_failures
    );
    Ok(())
}

fn run_examples(
    project: &Project,
    work: &Path,
    examples: &[Example],
    summary: &mut Summary,
) -> Result<(), RunError> {
    println!("compiling the preview of examples…");
    let mut args: Vec<String> = vec![
        "run".into(),
        "--quiet".into(),
        "--example".into(),
        "preview".into(),
        "--".into(),
    ];
    let mut ran: Vec<&Example> = Vec::new();
    for example in examples {
        summary.examples += 1;
        match &example.entity {
            Ok(entity) => {
                args.push(entity.clone());
                args.push(example.message.display().to_string());
                ran.push(example);
            }
            Err(why) => {
                summary.example_failures += 1;
                let file = example
                    .message
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned());
                println!("examples/{}: FAILED: {why}", file.unwrap_or_default());
            }
        }
    }
    if ran.is_empty() {
        return Ok(());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = cargo::cargo(work, &refs).map_err(RunError::Other)?;
    if !out.success {
        return Err(RunError::Build(out.stderr));
    }
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    for (example, actual) in ran.iter().zip(&lines) {
        let shown = format!(
            "examples/{}",
            example
                .message
                .file_name()
                .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
        );
        let Some(expected_path) = &example.expected else {
            summary.example_failures += 1;
            println!(
                "{shown}: FAILED: no examples/{}.rows.json; it became:\n{}",
                example.name,
                indent(&pretty(
                    actual
                        .get("rows")
                        .or(actual.get("rejected"))
                        .unwrap_or(actual)
                ))
            );
            continue;
        };
        let expected = match std::fs::read_to_string(expected_path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                summary.example_failures += 1;
                println!(
                    "examples/{}.rows.json: FAILED: not readable JSON: {e}",
                    example.name
                );
                continue;
            }
        };
        let found = compare::differences(project, actual, &expected);
        if found.is_empty() {
            println!("{shown}: ok");
        } else {
            summary.example_failures += 1;
            println!("{shown}: FAILED:\n{}", indent(&found.join("\n")));
        }
    }
    if lines.len() < ran.len() {
        return Err(RunError::Other(format!(
            "the preview printed {} result(s) for {} example(s):\n{}",
            lines.len(),
            ran.len(),
            out.stderr
        )));
    }
    Ok(())
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
