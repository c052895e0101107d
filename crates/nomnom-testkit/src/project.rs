//! Generated projects built once: `nomnom generate` an example (or another model) into a
//! fixed folder of the shared build cache, `cargo build` it there (one target directory for
//! every generated project, so dependencies compile once and reruns are warm), and copy its
//! two binaries aside, since every generated project names them `ingestion-api` and `worker`.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The shared target directory: `NOMNOM_TARGET_DIR`, else `~/.cache/nomnom/target`.
pub fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("NOMNOM_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
    PathBuf::from(home).join(".cache/nomnom/target")
}

/// The nomnom workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A generated, built project.
#[derive(Debug, Clone)]
pub struct GeneratedProject {
    /// The generated project folder.
    pub dir: PathBuf,
    /// Folder holding this project's `ingestion-api` and `worker`.
    pub bin_dir: PathBuf,
}

impl GeneratedProject {
    /// Path of the `ingestion-api` binary.
    pub fn api_binary(&self) -> PathBuf {
        self.bin_dir.join("ingestion-api")
    }

    /// Path of the `worker` binary.
    pub fn worker_binary(&self) -> PathBuf {
        self.bin_dir.join("worker")
    }
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: could not start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds the nomnom CLI (once per process) and returns its path.
pub fn nomnom_cli(release: bool) -> PathBuf {
    static BUILT: Mutex<BTreeMap<bool, PathBuf>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(path) = built.get(&release) {
        return path.clone();
    }
    let mut cmd = Command::new(env!("CARGO"));
    cmd.arg("build")
        .arg("--quiet")
        .arg("-p")
        .arg("nomnom")
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", target_dir());
    if release {
        cmd.arg("--release");
    }
    run(&mut cmd, "building the nomnom CLI");
    let path = target_dir()
        .join(if release { "release" } else { "debug" })
        .join("nomnom");
    built.insert(release, path.clone());
    path
}

/// Generates `examples/<example>` and builds it (debug, or release for benchmarks), once per
/// process; across processes a file lock keeps builds and binary copies from interleaving.
pub fn build_example(example: &str, release: bool) -> GeneratedProject {
    build_model(
        example,
        &workspace_root().join("examples").join(example),
        release,
    )
}

/// Generates the model in `model_dir` (a folder holding `nomnom.yaml`) and builds it as
/// [`build_example`] does, under `name`: the folder of its project and of its binaries in
/// the shared target directory, so `name` must be unique among the models built there.
pub fn build_model(name: &str, model_dir: &Path, release: bool) -> GeneratedProject {
    build_model_with(name, model_dir, release, &[])
}

/// Generates `examples/<example>` for `database` (`postgresql`, `mysql` or `mariadb`) and
/// builds it as [`build_example`] does, as `<example>` for PostgreSQL and
/// `<example>-<database>` for the others.
pub fn build_example_for(example: &str, database: &str, release: bool) -> GeneratedProject {
    let dir = workspace_root().join("examples").join(example);
    if database == "postgresql" {
        return build_model(example, &dir, release);
    }
    build_model_with(
        &format!("{example}-{database}"),
        &dir,
        release,
        &["--database", database],
    )
}

/// [`build_model`] with `extra` arguments for `nomnom generate`.
pub fn build_model_with(
    name: &str,
    model_dir: &Path,
    release: bool,
    extra: &[&str],
) -> GeneratedProject {
    static CACHE: OnceLock<Mutex<BTreeMap<(String, bool), GeneratedProject>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(BTreeMap::new()));
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(project) = cache.get(&(name.to_string(), release)) {
        return project.clone();
    }

    let target = target_dir();
    std::fs::create_dir_all(&target).expect("creating the shared target directory");
    let lock = File::create(target.join(".nomnom-testkit.lock")).expect("creating the build lock");
    lock.lock().expect("taking the build lock");

    let dir = target.join("nomnom-projects").join(name);
    let cli = nomnom_cli(release);
    let generate = || {
        let mut cmd = Command::new(&cli);
        cmd.arg("generate")
            .arg(model_dir)
            .arg("--output")
            .arg(&dir)
            .args(extra);
        cmd
    };
    // Every test creates a database of its own, so the folder's migrations are never applied
    // anywhere that lasts: when the model changed in a way the CLI refuses (a destructive
    // change), they are generated anew; an additive change adds the next migration.
    // Unchanged, they are kept as they are: the model's derive reads them, so rewriting them
    // would rebuild the project every time.
    if !generate().output().is_ok_and(|o| o.status.success()) {
        let migrations = dir.join("migrations");
        if migrations.exists() {
            std::fs::remove_dir_all(&migrations).expect("removing the test folder's migrations");
        }
        run(
            &mut generate(),
            &format!("nomnom generate {}", model_dir.display()),
        );
    }
    stamp_version(&dir, name);
    let (dir, bin_dir) = build_project(dir, name, release);
    let _ = lock.unlock();

    let project = GeneratedProject { dir, bin_dir };
    cache.insert((name.to_string(), release), project.clone());
    project
}

/// Gives the generated package in `dir` a version of its own, `0.1.0+<name>`. Cargo tells
/// packages apart by name, version and path relative to their workspace, so two projects of
/// one model (tpch for PostgreSQL and for MariaDB, both package `tpch` at `.`) would share
/// their artifacts in the shared target directory, and the second build would find the
/// first's binaries up to date and reuse them.
fn stamp_version(dir: &Path, name: &str) {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("the generated Cargo.toml");
    let stamped = text.replacen(
        "version = \"0.1.0\"",
        &format!("version = \"0.1.0+{name}\""),
        1,
    );
    if stamped != text {
        std::fs::write(&manifest, stamped).expect("writing the generated Cargo.toml");
    }
}

/// Builds the generated project in `dir` in the shared target directory and copies its two
/// binaries to `nomnom-bins/<bins>/<profile>`. The caller holds the build lock.
fn build_project(dir: PathBuf, bins: &str, release: bool) -> (PathBuf, PathBuf) {
    let target = target_dir();
    let profile = if release { "release" } else { "debug" };
    let name = bins;
    // The workspace's lockfile pins the same dependency versions the workspace and the
    // codegen compile test build, and `-D warnings` is the compile test's flag too: with
    // both equal, every generated project reuses the dependencies already in the cache.
    std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock"))
        .expect("copying the workspace's Cargo.lock into the generated project");
    let mut build = Command::new(env!("CARGO"));
    build
        .arg("build")
        .arg("--quiet")
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .env("RUSTFLAGS", "-D warnings");
    if release {
        build.arg("--release");
    }
    run(&mut build, &format!("cargo build of generated {name}"));

    let bin_dir = target.join("nomnom-bins").join(name).join(profile);
    std::fs::create_dir_all(&bin_dir).expect("creating the binaries folder");
    for bin in ["ingestion-api", "worker"] {
        // Copy then rename: a copy of an earlier build may still be running elsewhere, and a
        // running executable cannot be overwritten in place.
        let staged = bin_dir.join(format!(".{bin}.{}", std::process::id()));
        std::fs::copy(target.join(profile).join(bin), &staged)
            .unwrap_or_else(|e| panic!("copying {bin} of {name}: {e}"));
        std::fs::rename(&staged, bin_dir.join(bin))
            .unwrap_or_else(|e| panic!("installing {bin} of {name}: {e}"));
    }

    (dir, bin_dir)
}

/// Generates the model in `model_dir` into the project folder `dir` with `extra` arguments
/// for `nomnom generate` (the folder is kept: generating a changed model into it writes the
/// next migration) and builds it, its binaries copied to `nomnom-bins/<bins>`. Returns the
/// CLI's output when it refuses to generate.
pub fn generate_and_build(
    model_dir: &Path,
    dir: &Path,
    bins: &str,
    extra: &[&str],
) -> Result<GeneratedProject, std::process::Output> {
    let target = target_dir();
    std::fs::create_dir_all(&target).expect("creating the shared target directory");
    let lock = File::create(target.join(".nomnom-testkit.lock")).expect("creating the build lock");
    lock.lock().expect("taking the build lock");
    let output = Command::new(nomnom_cli(false))
        .arg("generate")
        .arg(model_dir)
        .arg("--output")
        .arg(dir)
        .args(extra)
        .output()
        .expect("running nomnom generate");
    if !output.status.success() {
        let _ = lock.unlock();
        return Err(output);
    }
    stamp_version(dir, bins);
    let (dir, bin_dir) = build_project(dir.to_path_buf(), bins, false);
    let _ = lock.unlock();
    Ok(GeneratedProject { dir, bin_dir })
}
