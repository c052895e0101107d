//! The one place that vendors the runtime into a generated project: a copy of
//! `crates/nomnom-runtime` at `runtime/` (its manifest without `[dev-dependencies]`, every
//! file of `src/`, and its derive crate at `runtime/derive/`), embedded at build time by
//! `build.rs`.

use crate::emit::HEADER;
use crate::tree::FileTree;

include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));

/// Removes the `[dev-dependencies]` table (and any `[dev-dependencies.x]` tables).
pub fn strip_dev_dependencies(manifest: &str) -> String {
    let mut out = String::with_capacity(manifest.len());
    let mut skipping = false;
    for line in manifest.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            skipping = trimmed.starts_with("[dev-dependencies");
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Adds the vendored runtime to `tree`.
pub fn files(tree: &mut FileTree) {
    tree.insert(
        "runtime/Cargo.toml",
        format!("# {HEADER}\n{}", strip_dev_dependencies(RUNTIME_MANIFEST)),
    );
    for (path, contents) in RUNTIME_FILES {
        let text = if path.ends_with(".rs") {
            format!("// {HEADER}\n{contents}")
        } else if path.ends_with(".sql") {
            format!("-- {HEADER}\n{contents}")
        } else if path.ends_with(".toml") {
            format!("# {HEADER}\n{contents}")
        } else {
            (*contents).to_string()
        };
        tree.insert(format!("runtime/{path}"), text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_dependencies_are_dropped_and_the_rest_kept() {
        let manifest = "[package]\nname = \"x\"\n\n[dependencies]\na = \"1\"\n\n[dev-dependencies]\nb = \"1\"\n\n[lints.rust]\nunsafe_code = \"forbid\"\n";
        assert_eq!(
            strip_dev_dependencies(manifest),
            "[package]\nname = \"x\"\n\n[dependencies]\na = \"1\"\n\n[lints.rust]\nunsafe_code = \"forbid\"\n"
        );
    }

    #[test]
    fn every_runtime_source_is_embedded() {
        let paths: Vec<&str> = RUNTIME_FILES.iter().map(|(p, _)| *p).collect();
        for needed in [
            "src/lib.rs",
            "src/model/mod.rs",
            "src/json/mod.rs",
            "src/status/message_status.sql",
            "derive/Cargo.toml",
            "derive/src/lib.rs",
        ] {
            assert!(paths.contains(&needed), "{needed} missing from {paths:?}");
        }
        assert!(!strip_dev_dependencies(RUNTIME_MANIFEST).contains("dev-dependencies"));
    }
}
