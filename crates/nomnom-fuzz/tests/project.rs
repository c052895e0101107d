//! The cargo-fuzz project in `fuzz/` stays in step with this crate and the workspace: a
//! binary, a target file and seeds for every target, and the same versions as the
//! workspace's lockfile for every package both lock (the targets must build what the tests
//! test).

use std::collections::{BTreeMap, BTreeSet};

use nomnom_fuzz::corpus::{fuzz_dir, inputs, TARGETS};

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `(name, version)` of a Cargo.lock.
fn locked(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut name = None;
    for line in text.lines() {
        if line == "[[package]]" {
            name = None;
        } else if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            out.entry(n)
                .or_default()
                .insert(v.trim_matches('"').to_string());
        }
    }
    out
}

#[test]
fn every_target_has_a_binary_a_file_and_seeds() {
    let manifest = read(&fuzz_dir().join("Cargo.toml"));
    for target in TARGETS {
        assert!(
            manifest.contains(&format!(
                "name = \"{target}\"\npath = \"fuzz_targets/{target}.rs\""
            )),
            "fuzz/Cargo.toml has no [[bin]] {target}"
        );
        let file = read(&fuzz_dir().join(format!("fuzz_targets/{target}.rs")));
        assert!(
            file.contains(&format!("nomnom_fuzz::{target}::run(data)")),
            "{target}.rs"
        );
        let seeds = inputs("corpus", target).unwrap();
        assert!(
            seeds.len() >= 20,
            "fuzz/corpus/{target}: {} seeds",
            seeds.len()
        );
    }
}

#[test]
fn the_fuzz_lockfile_agrees_with_the_workspace() {
    let workspace = locked(&read(&fuzz_dir().join("../Cargo.lock")));
    let fuzz = locked(&read(&fuzz_dir().join("Cargo.lock")));
    assert!(fuzz.contains_key("libfuzzer-sys") && fuzz.contains_key("nomnom-runtime"));
    for (name, versions) in &fuzz {
        if let Some(theirs) = workspace.get(name) {
            assert!(
                versions.is_subset(theirs),
                "{name} {versions:?} in fuzz/Cargo.lock, {theirs:?} in Cargo.lock: copy \
                 Cargo.lock to fuzz/ and run cargo check --manifest-path fuzz/Cargo.toml"
            );
        }
    }
}
