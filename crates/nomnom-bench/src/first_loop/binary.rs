//! Builds `first-nomnom-loop`: a small Cargo project beside the generated `examples/tpch`
//! (in the shared target directory) whose `main` is [`super::program`] copied verbatim,
//! compiled against the generated model and the project's vendored runtime, then installed
//! beside the project's `ingestion-api` and `worker`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BenchError;

/// The program's name, and the name of its binary in a binaries folder.
pub const NAME: &str = "first-nomnom-loop";

/// The loop's source, written into the small project.
const PROGRAM: &str = include_str!("program.rs");

/// Builds the program against the generated project in `project_dir` (release or debug,
/// the same profile and flags as the project's own build, so nothing compiles twice) and
/// installs it into `bin_dir`; returns the installed binary.
pub fn build(project_dir: &Path, release: bool, bin_dir: &Path) -> Result<PathBuf, BenchError> {
    let target = nomnom_testkit::project::target_dir();
    // The testkit regenerates the project under this lock: never build while it does.
    let lock = File::create(target.join(".nomnom-testkit.lock")).map_err(io)?;
    lock.lock().map_err(io)?;
    let dir = project_dir.with_file_name(NAME);
    write_project(project_dir, &dir)?;
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .args(["build", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .env("RUSTFLAGS", "-D warnings");
    if release {
        cargo.arg("--release");
    }
    let output = cargo.output().map_err(io)?;
    if !output.status.success() {
        return Err(BenchError::Project(format!(
            "building {NAME}: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let profile = if release { "release" } else { "debug" };
    std::fs::create_dir_all(bin_dir).map_err(io)?;
    // Copy then rename: an earlier copy may still be running, and a running executable
    // cannot be overwritten in place.
    let installed = bin_dir.join(NAME);
    let staged = bin_dir.join(format!(".{NAME}.{}", std::process::id()));
    std::fs::copy(target.join(profile).join(NAME), &staged).map_err(io)?;
    std::fs::rename(&staged, &installed).map_err(io)?;
    let _ = lock.unlock();
    Ok(installed)
}

/// Writes the small project into `dir`: a manifest depending on the generated project and
/// its vendored runtime, the workspace's lockfile (the same dependency versions, already
/// built), the loop, and a `main` naming the generated model.
fn write_project(project_dir: &Path, dir: &Path) -> Result<(), BenchError> {
    let model = model_path(project_dir)?;
    let crate_name = model
        .split("::")
        .next()
        .unwrap_or_default()
        .replace('_', "-");
    let project = project_dir.display();
    let manifest = format!(
        "[package]\nname = \"{NAME}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\n{crate_name} = {{ path = \"{project}\" }}\n\
         nomnom-runtime = {{ path = \"{project}/runtime\" }}\n\n[workspace]\n"
    );
    let main = format!(
        "//! The first nomnom's loop for the generated model (written by nomnom-bench).\n\n\
         mod program;\n\nfn main() -> std::process::ExitCode {{\n    \
         program::main::<{model}>()\n}}\n"
    );
    std::fs::create_dir_all(dir.join("src")).map_err(io)?;
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(io)?;
    std::fs::copy(
        crate::project::workspace_root().join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .map_err(io)?;
    std::fs::write(dir.join("src/program.rs"), PROGRAM).map_err(io)?;
    std::fs::write(dir.join("src/main.rs"), main).map_err(io)?;
    Ok(())
}

/// The generated model's path (`tpch::TpchModel`), as the generated worker names it.
fn model_path(project_dir: &Path) -> Result<String, BenchError> {
    let worker = project_dir.join("src/bin/worker.rs");
    let text = std::fs::read_to_string(&worker).map_err(io)?;
    model_in(&text).map(str::to_string).ok_or_else(|| {
        BenchError::Project(format!(
            "{} does not name the model as `worker::run::<Model>()`",
            worker.display()
        ))
    })
}

/// The type between `worker::run::<` and the matching `>(` of a generated worker's `main`.
fn model_in(worker_main: &str) -> Option<&str> {
    let start = worker_main.find("worker::run::<")? + "worker::run::<".len();
    let len = worker_main[start..].find(">(")?;
    Some(worker_main[start..start + len].trim()).filter(|m| !m.is_empty())
}

fn io(e: std::io::Error) -> BenchError {
    BenchError::Io(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::model_in;

    #[test]
    fn the_model_is_read_from_the_generated_worker() {
        let main = "fn main() -> ::std::process::ExitCode {\n    \
                    ::nomnom_runtime::worker::run::<tpch::TpchModel>()\n}\n";
        assert_eq!(model_in(main), Some("tpch::TpchModel"));
        assert_eq!(model_in("fn main() {}"), None);
        assert_eq!(model_in("worker::run::<>()"), None);
    }
}
