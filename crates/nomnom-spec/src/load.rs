//! Entry points: a model file (or a folder holding `nomnom.yaml`) to a validated project.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::Project;
use crate::yaml::{self, Span};
use crate::{check, raw};

/// The file name `nomnom check` and `nomnom generate` look for in a folder.
pub const MODEL_FILE: &str = "nomnom.yaml";

/// A model that passed every rule, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated model.
    pub project: Project,
    /// Warnings (possibly none), renderable like errors.
    pub warnings: Diagnostics,
}

/// Why a model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read (a usage error, not a model error).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The path that was tried.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The model has errors; every one is listed.
    #[error("{} has {} error(s)", .0.file, .0.error_count())]
    Invalid(Diagnostics),
}

/// `path` itself, or `path/nomnom.yaml` when `path` is a folder.
pub fn model_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(MODEL_FILE)
    } else {
        path.to_path_buf()
    }
}

/// Loads and validates the model at `path` (a file, or a folder holding `nomnom.yaml`).
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let file = model_path(path);
    let bytes = std::fs::read(&file).map_err(|source| LoadError::Io {
        path: file.clone(),
        source,
    })?;
    load_bytes(&bytes, &file.display().to_string()).map_err(LoadError::Invalid)
}

/// Validates a model given as bytes; `file` names it in diagnostics. Never panics.
pub fn load_bytes(bytes: &[u8], file: &str) -> Result<Loaded, Diagnostics> {
    match std::str::from_utf8(bytes) {
        Ok(text) => load_str(text, file),
        Err(e) => {
            let mut diags = Diagnostics::new(file, String::from_utf8_lossy(bytes).into_owned());
            let offset = String::from_utf8_lossy(&bytes[..e.valid_up_to()]).len();
            diags.push(
                Diagnostic::error(
                    "nomnom::not_utf8",
                    Span { offset, len: 1 },
                    "the model file is not valid UTF-8",
                )
                .label("invalid byte sequence")
                .help("save the file as UTF-8"),
            );
            Err(diags)
        }
    }
}

/// Validates a model given as text; `file` names it in diagnostics. Never panics.
pub fn load_str(source: &str, file: &str) -> Result<Loaded, Diagnostics> {
    let mut diags = Diagnostics::new(file, source);
    let root = match yaml::parse(source) {
        Ok(root) => root,
        Err(e) => {
            let (label, help) = if e.message.starts_with("duplicate key") {
                (
                    "repeated key",
                    "a key may appear once in a mapping: remove or rename the repetition",
                )
            } else {
                (
                    "here",
                    "fix the YAML syntax first; the model's rules are checked once it parses",
                )
            };
            diags.push(
                Diagnostic::error(
                    "nomnom::yaml",
                    e.span,
                    format!("invalid YAML: {}", e.message),
                )
                .label(label)
                .help(help),
            );
            return Err(diags);
        }
    };
    let shape = raw::read(&root, &mut diags);
    let project = check::check(&shape, source, &mut diags);
    let warnings = diags.take_warnings();
    match project {
        Some(project) if !diags.has_errors() => Ok(Loaded { project, warnings }),
        _ => {
            // Report errors and warnings together, in file order.
            diags.items.extend(warnings.items);
            diags
                .items
                .sort_by_key(|d| (d.offset, d.severity == crate::diagnostic::Severity::Warning));
            Err(diags)
        }
    }
}
