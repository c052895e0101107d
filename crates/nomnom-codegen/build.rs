//! Embeds the runtime crate: lists every file under `../nomnom-runtime/src` (and its
//! manifest), and its derive crate (`derive/Cargo.toml`, `derive/src`), so the generator can
//! write a vendored copy into each generated project. The list follows the runtime as it
//! grows: no hand edits.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, root, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push((rel.join("/"), path.clone()));
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(std::io::Error::other)?);
    let runtime = manifest_dir
        .join("..")
        .join("nomnom-runtime")
        .canonicalize()?;
    let mut files = Vec::new();
    for dir in ["src", "derive/src"] {
        let dir = runtime.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        collect(&dir, &runtime, &mut files)?;
    }
    for manifest in ["Cargo.toml", "derive/Cargo.toml"] {
        println!(
            "cargo:rerun-if-changed={}",
            runtime.join(manifest).display()
        );
    }
    let derive_manifest = runtime.join("derive").join("Cargo.toml");
    files.push(("derive/Cargo.toml".to_string(), derive_manifest));
    files.sort();
    let mut code = String::from(
        "/// Every file of the runtime crate's `src/` and of its derive crate, as (path in the\n/// runtime's folder, contents).\n",
    );
    code.push_str("pub const RUNTIME_FILES: &[(&str, &str)] = &[\n");
    for (rel, path) in &files {
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n/// The runtime crate's `Cargo.toml`.\n");
    code.push_str(&format!(
        "pub const RUNTIME_MANIFEST: &str = include_str!({:?});\n",
        runtime.join("Cargo.toml").display().to_string()
    ));
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(std::io::Error::other)?);
    std::fs::write(out.join("runtime_files.rs"), code)
}
