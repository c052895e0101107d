//! `nomnom import`: a project of the first nomnom (its `nomnom.yaml` with `transforms.rust`,
//! and one `entities/*.yaml` per entity) turned into a model of ours.
//!
//! - [`source`] parses the first nomnom's YAML with nomnom's own located reader, so every
//!   warning names its file and line;
//! - [`first`] reads the first nomnom's format out of it;
//! - [`map`] maps it onto the model language ([`transforms`] for user transforms, [`types`] for
//!   types), warning about everything it cannot carry;
//! - [`emit`] writes the result as a readable, commented `nomnom.yaml`.

pub mod emit;
pub mod first;
pub mod map;
pub mod source;
pub mod transforms;
pub mod types;
pub mod warning;

#[cfg(test)]
mod tests;

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};

pub use warning::Warning;

use source::Doc;

/// A project of the first nomnom, imported.
#[derive(Debug)]
pub struct Imported {
    /// The model's text (`nomnom.yaml`).
    pub yaml: String,
    /// The model, before rendering.
    pub model: emit::Model,
    /// What could not be carried exactly, in file order.
    pub warnings: Vec<Warning>,
}

/// Why a project could not be imported: each error is one line.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The folder does not exist or is not a folder.
    #[error("{} is not a folder", .0.display())]
    NotAFolder(PathBuf),
    /// The folder holds no `nomnom.yaml`.
    #[error("{} holds no nomnom.yaml: not a project of the first nomnom", .0.display())]
    NoProject(PathBuf),
    /// A file could not be read or understood; one line per file.
    #[error("{}", .0.join("\n"))]
    Unreadable(Vec<String>),
}

/// Reads the first nomnom's project in `dir` and maps it onto the model language.
pub fn import_dir(dir: &Path) -> Result<Imported, ImportError> {
    if !dir.is_dir() {
        return Err(ImportError::NotAFolder(dir.to_path_buf()));
    }
    if !dir.join("nomnom.yaml").is_file() {
        return Err(ImportError::NoProject(dir.to_path_buf()));
    }
    let mut errors = Vec::new();
    let project_text = read_text(dir, "nomnom.yaml", &mut errors);
    let entity_dir = project_text
        .as_deref()
        .and_then(|t| Doc::parse("nomnom.yaml", t.to_string()).ok())
        .map(|doc| first::read_project(&doc).entity_dir)
        .unwrap_or_else(|| "entities".into());
    let mut names = match std::fs::read_dir(dir.join(&entity_dir)) {
        Ok(list) => list
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
            .collect::<Vec<_>>(),
        Err(e) => {
            errors.push(format!("{entity_dir}/: cannot read the entity folder: {e}"));
            Vec::new()
        }
    };
    names.sort();
    let mut entity_files = Vec::new();
    for name in names {
        let rel = format!("{entity_dir}/{name}");
        if let Some(text) = read_text(dir, &rel, &mut errors) {
            entity_files.push((rel, text));
        }
    }
    let folder = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "imported".into());
    import_with(
        project_text.as_deref().unwrap_or(""),
        &entity_files,
        &folder,
        errors,
    )
}

/// Imports a project given as texts: `nomnom.yaml`'s, and each entity file's with its path
/// relative to the project folder (`entities/order.yaml`), in the order to read them.
/// `folder` names the project when `nomnom.yaml` does not.
pub fn import_texts(
    project: &str,
    entity_files: &[(String, String)],
    folder: &str,
) -> Result<Imported, ImportError> {
    import_with(project, entity_files, folder, Vec::new())
}

/// [`import_texts`], after `errors` found while reading the files: every file is still read,
/// so that all errors are reported at once.
fn import_with(
    project: &str,
    entity_files: &[(String, String)],
    folder: &str,
    mut errors: Vec<String>,
) -> Result<Imported, ImportError> {
    let project = match Doc::parse("nomnom.yaml", project.to_string()) {
        Ok(doc) => first::read_project(&doc),
        Err(e) => {
            errors.push(e);
            first::FirstProject::default()
        }
    };
    let mut entities: Vec<first::FirstEntity> = Vec::new();
    for (rel, text) in entity_files {
        let doc = match Doc::parse(rel, text.clone()) {
            Ok(doc) => doc,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match first::read_entity(&doc) {
            Ok(e) => match entities.iter().find(|o| o.name == e.name) {
                Some(other) => errors.push(format!(
                    "{}: entity `{}` is defined again (first at {})",
                    e.at, e.name, other.at
                )),
                None => entities.push(e),
            },
            Err(e) => errors.push(e),
        }
    }
    if entities.is_empty() && errors.is_empty() {
        errors.push(format!(
            "{}/: no entity files (*.yaml) to import",
            project.entity_dir
        ));
    }
    if !errors.is_empty() {
        // In file order, nomnom.yaml first (each file has at most one error).
        errors.sort_by_key(|e| (!e.starts_with("nomnom.yaml"), e.clone()));
        return Err(ImportError::Unreadable(errors));
    }
    let mapped = map::map(&project, &entities, folder);
    Ok(Imported {
        yaml: emit::render(&mapped.model),
        model: mapped.model,
        warnings: mapped.warnings,
    })
}

fn read_text(dir: &Path, rel: &str, errors: &mut Vec<String>) -> Option<String> {
    match std::fs::read(dir.join(rel)) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                errors.push(format!("{rel}: cannot read: not UTF-8 text"));
                None
            }
        },
        Err(e) => {
            errors.push(format!("{rel}: cannot read: {e}"));
            None
        }
    }
}

/// Why the imported model was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A model is already there: it is never overwritten.
    #[error("{} already exists; nomnom import never overwrites a model", .0.display())]
    Exists(PathBuf),
    /// The file system refused.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The path being written.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

/// Writes `yaml` as `<model_dir>/nomnom.yaml`, creating the folder; an existing model is never
/// overwritten (the file is created exclusively, so not even a race replaces one).
pub fn write_model(model_dir: &Path, yaml: &str) -> Result<PathBuf, WriteError> {
    let path = model_dir.join(nomnom_spec::MODEL_FILE);
    if path.exists() {
        return Err(WriteError::Exists(path));
    }
    let io = |source| WriteError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(model_dir).map_err(io)?;
    let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(WriteError::Exists(path))
        }
        Err(e) => return Err(io(e)),
    };
    file.write_all(yaml.as_bytes()).map_err(io)?;
    Ok(path)
}
