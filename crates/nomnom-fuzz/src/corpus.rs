//! The committed inputs of each target: `fuzz/corpus/<target>/` (seeds: valid inputs and edge
//! cases) and `fuzz/regressions/<target>/` (inputs that once broke an invariant).

use std::path::{Path, PathBuf};

use crate::Outcome;

/// The names of the targets, as `fuzz/Cargo.toml` names its binaries.
pub const TARGETS: &[&str] = &["model_loader", "json_message", "hl7_message", "mllp_frames"];

/// The repository's `fuzz/` folder.
pub fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// One committed input.
#[derive(Debug, Clone)]
pub struct Input {
    /// Its file, for messages.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl Input {
    /// The file's name.
    pub fn name(&self) -> &str {
        self.path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    }
}

/// Every file of `fuzz/<kind>/<target>/` (`kind` is `corpus` or `regressions`), sorted by
/// name; none when the folder does not exist.
pub fn inputs(kind: &str, target: &str) -> std::io::Result<Vec<Input>> {
    let dir = fuzz_dir().join(kind).join(target);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.is_file() {
            let bytes = std::fs::read(&path)?;
            out.push(Input { path, bytes });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Runs `run` on every committed input of `target` (its corpus, then its regressions), and
/// answers each input's outcome. An input whose name starts with `ok-` must be accepted, one
/// whose name starts with `refused-` refused; a panic names the file it came from.
pub fn replay(target: &str, run: fn(&[u8]) -> Outcome) -> Vec<(Input, Outcome)> {
    let mut out = Vec::new();
    for kind in ["corpus", "regressions"] {
        let inputs = inputs(kind, target).unwrap_or_else(|e| panic!("fuzz/{kind}/{target}: {e}"));
        for input in inputs {
            let outcome = match std::panic::catch_unwind(|| run(&input.bytes)) {
                Ok(outcome) => outcome,
                Err(panic) => {
                    eprintln!("{target}: {} broke an invariant", input.path.display());
                    std::panic::resume_unwind(panic)
                }
            };
            if input.name().starts_with("ok-") {
                assert!(
                    outcome.is_accepted(),
                    "{}: {outcome:?}",
                    input.path.display()
                );
            }
            if input.name().starts_with("refused-") {
                assert!(!outcome.is_accepted(), "{}: accepted", input.path.display());
            }
            out.push((input, outcome));
        }
    }
    out
}

/// The bytes of every committed input of `target`, the seeds of a mutation loop.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    ["corpus", "regressions"]
        .iter()
        .flat_map(|kind| {
            inputs(kind, target).unwrap_or_else(|e| panic!("fuzz/{kind}/{target}: {e}"))
        })
        .map(|input| input.bytes)
        .collect()
}
