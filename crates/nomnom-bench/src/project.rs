//! The generated project of a form of the TPC-H model ([`Variant`]): generated with the
//! `nomnom` CLI and built in release mode in the shared target directory by the testkit (the
//! same build, lock and cache every end-to-end test uses), its two binaries copied aside;
//! beside the plain model's, the first nomnom's loop built against the same model
//! ([`crate::first_loop`]).

use std::path::{Path, PathBuf};

use crate::variant::Variant;
use crate::{first_loop, BenchError};

/// The binaries of the generated project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Where the project was generated (or where the binaries were found).
    pub dir: PathBuf,
    /// `ingestion-api`.
    pub api: PathBuf,
    /// `worker`.
    pub worker: PathBuf,
    /// `first-nomnom-loop`, or why it is not there (its drain is then skipped).
    pub first_loop: Result<PathBuf, String>,
}

/// The nomnom checkout this program was built from.
pub fn workspace_root() -> PathBuf {
    nomnom_testkit::project::workspace_root()
}

impl Project {
    /// The binaries in `dir` (`NOMNOM_BENCH_BIN_DIR`: use binaries built elsewhere);
    /// `first-nomnom-loop` may be missing.
    pub fn prebuilt(dir: &Path) -> Result<Project, BenchError> {
        let first_loop = dir.join(first_loop::binary::NAME);
        let project = Project {
            dir: dir.to_path_buf(),
            api: dir.join("ingestion-api"),
            worker: dir.join("worker"),
            first_loop: if first_loop.is_file() {
                Ok(first_loop)
            } else {
                Err(format!("{} is missing", first_loop.display()))
            },
        };
        for bin in [&project.api, &project.worker] {
            if !bin.is_file() {
                return Err(BenchError::Project(format!("{} is missing", bin.display())));
            }
        }
        Ok(project)
    }

    /// Generates the model of `variant` and builds it in release mode, unless the variable
    /// [`Variant::bin_dir_variable`] names a folder holding its binaries already. With
    /// `NOMNOM_BENCH_BIN_DIR` set (nothing is to be built), every other model's binaries
    /// must be named too.
    pub fn generate_and_build(variant: Variant) -> Result<Project, BenchError> {
        let variable = variant.bin_dir_variable();
        if let Ok(dir) = std::env::var(variable) {
            return Project::prebuilt(Path::new(&dir));
        }
        if variant != Variant::Plain && std::env::var_os("NOMNOM_BENCH_BIN_DIR").is_some() {
            return Err(BenchError::Project(format!(
                "NOMNOM_BENCH_BIN_DIR is set, so nothing is built: set {variable} to the folder \
                 of the {} model's binaries",
                variant.label()
            )));
        }
        let built = run_build(move || {
            nomnom_testkit::project::build_model(variant.project_name(), &variant.model_dir(), true)
        })?;
        let first_loop = match variant {
            Variant::Plain => first_loop::binary::build(&built.dir, true, &built.bin_dir)
                .map_err(|e| e.to_string()),
            _ => Err("the first nomnom's loop runs only the plain model".into()),
        };
        Ok(Project {
            dir: built.dir.clone(),
            api: built.api_binary(),
            worker: built.worker_binary(),
            first_loop,
        })
    }

    /// `examples/tpch` generated for MySQL and MariaDB (`--database mysql`) and built in
    /// release mode, unless [`MYSQL_BIN_DIR`] names a folder holding its binaries already
    /// (required when `NOMNOM_BENCH_BIN_DIR` is set).
    pub fn generate_and_build_for_mysql() -> Result<Project, BenchError> {
        if let Ok(dir) = std::env::var(MYSQL_BIN_DIR) {
            return Project::prebuilt(Path::new(&dir));
        }
        if std::env::var_os("NOMNOM_BENCH_BIN_DIR").is_some() {
            return Err(BenchError::Project(format!(
                "NOMNOM_BENCH_BIN_DIR is set, so nothing is built: set {MYSQL_BIN_DIR} to the \
                 folder of the MySQL tpch project's binaries"
            )));
        }
        let built =
            run_build(|| nomnom_testkit::project::build_example_for("tpch", "mysql", true))?;
        Ok(Project {
            dir: built.dir.clone(),
            api: built.api_binary(),
            worker: built.worker_binary(),
            first_loop: Err("the first nomnom's loop runs only on PostgreSQL".into()),
        })
    }
}

/// The variable naming a folder that holds the `ingestion-api` and `worker` of tpch
/// generated for MySQL.
pub const MYSQL_BIN_DIR: &str = "NOMNOM_BENCH_MYSQL_BIN_DIR";

/// Runs the testkit's builder, which panics with the build's output on failure, on a thread
/// of its own, and turns a panic into this stage's error.
fn run_build<F>(build: F) -> Result<nomnom_testkit::project::GeneratedProject, BenchError>
where
    F: FnOnce() -> nomnom_testkit::project::GeneratedProject + Send + 'static,
{
    std::thread::spawn(build).join().map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the build panicked".into());
        BenchError::Project(message)
    })
}
