//! The generated `examples/tpch` project: generated with the `nomnom` CLI, built in release
//! mode in the shared target directory, and its two binaries located.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BenchError;

/// The binaries of the generated project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Where the project was generated.
    pub dir: PathBuf,
    /// `ingestion-api`.
    pub api: PathBuf,
    /// `worker`.
    pub worker: PathBuf,
}

/// The nomnom checkout this program was built from.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| manifest.join("../.."))
}

/// `NOMNOM_TARGET_DIR`, else `$HOME/.cache/nomnom/target`: one target directory for every
/// generated project, so dependencies build once.
pub fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("NOMNOM_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
    PathBuf::from(home).join(".cache/nomnom/target")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs `cmd`, appending its output to `log`; an error names `what` and quotes the end of the
/// output.
fn run(mut cmd: Command, what: &str, log: &Path) -> Result<(), BenchError> {
    let output = cmd
        .output()
        .map_err(|e| BenchError::Project(format!("{what}: {e}")))?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let _ = std::fs::write(log, &text);
    if output.status.success() {
        return Ok(());
    }
    let tail: Vec<&str> = text.lines().rev().take(15).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(BenchError::Project(format!(
        "{what} failed ({}); see {}:\n{}",
        output.status,
        log.display(),
        tail.join("\n")
    )))
}

impl Project {
    /// The binaries in `dir` (`NOMNOM_BENCH_BIN_DIR`: use binaries built elsewhere).
    pub fn prebuilt(dir: &Path) -> Result<Project, BenchError> {
        let project = Project {
            dir: dir.to_path_buf(),
            api: dir.join("ingestion-api"),
            worker: dir.join("worker"),
        };
        for bin in [&project.api, &project.worker] {
            if !bin.is_file() {
                return Err(BenchError::Project(format!("{} is missing", bin.display())));
            }
        }
        Ok(project)
    }

    /// Generates `examples/tpch` into a folder outside the checkout and builds it in release
    /// mode; build logs go to `logs`.
    pub fn generate_and_build(logs: &Path) -> Result<Project, BenchError> {
        if let Ok(dir) = std::env::var("NOMNOM_BENCH_BIN_DIR") {
            return Project::prebuilt(Path::new(&dir));
        }
        let root = workspace_root();
        let dir = std::env::temp_dir().join("nomnom-bench-tpch");
        let mut generate = Command::new(cargo());
        generate
            .current_dir(&root)
            .args([
                "run",
                "--release",
                "--quiet",
                "-p",
                "nomnom",
                "--",
                "generate",
            ])
            .arg(root.join("examples/tpch"))
            .arg("--output")
            .arg(&dir);
        run(
            generate,
            "nomnom generate examples/tpch",
            &logs.join("generate.log"),
        )?;
        let target = target_dir();
        let mut build = Command::new(cargo());
        build
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .args(["build", "--release", "--quiet", "--manifest-path"])
            .arg(dir.join("Cargo.toml"));
        run(
            build,
            "cargo build --release of the generated project",
            &logs.join("build.log"),
        )?;
        let release = target.join("release");
        Ok(Project {
            dir,
            ..Project::prebuilt(&release)?
        })
    }
}
