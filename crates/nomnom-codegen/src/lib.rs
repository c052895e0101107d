//! The generator: [`generate`] turns a validated [`nomnom_spec::model::Project`] into an
//! in-memory [`FileTree`] (relative path → contents), deterministically ordered. Pure: no
//! disk, no processes; the CLI writes the tree.

mod helm;
mod tree;

pub use helm::{chart_files, CHART_MANAGED_ENV};

pub use tree::FileTree;

use nomnom_spec::model::Project;

/// Why a project could not be generated (the model passed `nomnom check`, so this is rare).
#[derive(Debug)]
pub struct GenerateError(pub String);

impl std::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GenerateError {}

/// Generates the whole project for `project`.
pub fn generate(project: &Project) -> Result<FileTree, GenerateError> {
    let _ = project;
    Ok(FileTree::default())
}
