//! Running Cargo in the generated copy of a model: the transforms' unit tests, and the
//! `preview` example over the model's examples. Output is captured; what the user needs of
//! it is reported by the callers.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The build cache generated projects share: `NOMNOM_TARGET_DIR`, else
/// `~/.cache/nomnom/target`.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("NOMNOM_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache/nomnom/target")
}

/// What a Cargo command printed.
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cargo <args>` in `dir` with the shared build cache.
pub fn cargo(dir: &Path, args: &[&str]) -> Result<Output, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(&cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        // A failing test's report is its assertion, not a backtrace.
        .env("RUST_BACKTRACE", "0")
        .env_remove("CARGO_MAKEFLAGS")
        .output()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    Ok(Output {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// The outcome of one unit test in libtest's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    /// The test's name without its module path (`normalize_mrn_line_22`).
    pub name: String,
    /// `None` when it passed; what it printed when it failed.
    pub failure: Option<String>,
}

/// The outcomes of the tests in libtest's standard output `stdout`, in the order they ran,
/// keeping the tests under `module` (`transforms::tests::`).
pub fn test_outcomes(stdout: &str, module: &str) -> Vec<TestOutcome> {
    let mut outcomes: Vec<TestOutcome> = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line
            .strip_prefix("test ")
            .and_then(|r| r.strip_prefix(module))
        else {
            continue;
        };
        let Some((name, result)) = rest.split_once(" ... ") else {
            continue;
        };
        outcomes.push(TestOutcome {
            name: name.to_string(),
            failure: (result.trim() != "ok").then(String::new),
        });
    }
    // The failures' output: "---- <module><name> stdout ----", then what it printed.
    let mut current: Option<usize> = None;
    for line in stdout.lines() {
        if let Some(header) = line
            .strip_prefix("---- ")
            .and_then(|h| h.strip_suffix(" stdout ----"))
        {
            let name = header.strip_prefix(module).unwrap_or(header);
            current = outcomes.iter().position(|o| o.name == name);
            continue;
        }
        if line.starts_with("failures:") || line.starts_with("test result:") {
            current = None;
            continue;
        }
        if let Some(failure) = current.and_then(|i| outcomes[i].failure.as_mut()) {
            if !line.starts_with("note: run with `RUST_BACKTRACE") {
                failure.push_str(line);
                failure.push('\n');
            }
        }
    }
    for o in &mut outcomes {
        if let Some(f) = &mut o.failure {
            *f = f.trim().to_string();
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_output_is_read_per_test() {
        let out = "\nrunning 3 tests\ntest transforms::tests::a_line_3 ... ok\n\
            test transforms::tests::b_line_9 ... FAILED\ntest other::x ... ok\n\nfailures:\n\n\
            ---- transforms::tests::b_line_9 stdout ----\n\nthread 'transforms::tests::b_line_9' panicked at src/transforms.rs:40:9:\n\
            assertion `left == right` failed: the test at nomnom.yaml:9\n  left: Ok(1)\n right: Ok(2)\n\
            note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\n\
            failures:\n    transforms::tests::b_line_9\n\ntest result: FAILED. 1 passed; 1 failed\n";
        let found = test_outcomes(out, "transforms::tests::");
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0],
            TestOutcome {
                name: "a_line_3".into(),
                failure: None
            }
        );
        assert_eq!(found[1].name, "b_line_9");
        let failure = found[1].failure.as_deref().unwrap();
        assert!(
            failure.starts_with("thread 'transforms::tests::b_line_9' panicked"),
            "{failure}"
        );
        assert!(failure.ends_with("right: Ok(2)"), "{failure}");
    }
}
