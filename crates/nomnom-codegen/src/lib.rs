//! The generator: [`generate`] turns a validated [`nomnom_spec::model::Project`] into an
//! in-memory [`FileTree`] (relative path → contents), deterministically ordered. Pure: no
//! disk, no processes; the CLI writes the tree.
//!
//! What is written, and by which module:
//! - `Cargo.toml`, `.gitignore` ([`cargo`]); `runtime/` (the vendored runtime, [`runtime`]);
//! - `src/` (Rust built with `quote!` + `syn` + `prettyplease`, [`rust`]);
//! - `migrations/` ([`sql`]); `openapi.json` ([`openapi`]);
//! - `.env.example`, `Dockerfile`, `docker-compose.nats.yml` ([`deploy`]); `README.md` ([`readme`]).
//! - `deploy/grafana/dashboard.json` and `deploy/prometheus/rules.yaml` ([`observability`]).
//!
//! Migrations once emitted never change their bytes: [`check_migrations`] compares a new
//! tree with what is already on disk and refuses a changed migration.

mod cargo;
mod deploy;
mod emit;
mod error;
mod helm;
mod literal;
mod observability;
mod openapi;
mod readme;
mod runtime;
mod rust;
mod sql;
mod tree;
pub mod types;
mod yaml;

pub use helm::{chart_files, CHART_MANAGED_ENV};

pub use error::GenerateError;
pub use sql::INITIAL_MIGRATION;
pub use tree::FileTree;

use nomnom_spec::model::Project;

/// Generates the whole project for `project`.
pub fn generate(project: &Project) -> Result<FileTree, GenerateError> {
    check_type_names(project)?;
    let mut tree = FileTree::default();
    cargo::files(project, &mut tree);
    runtime::files(&mut tree);
    rust::files(project, &mut tree)?;
    tree.insert(INITIAL_MIGRATION, sql::initial_migration(project)?);
    tree.insert("openapi.json", openapi::document(project));
    deploy::files(project, &mut tree);
    observability::files(project, &mut tree);
    tree.insert("README.md", readme::readme(project));
    for (path, contents) in chart_files(project) {
        tree.insert(path, contents);
    }
    Ok(tree)
}

/// Refuses to replace a migration that was already emitted with different bytes.
///
/// `existing` yields the `(path, contents)` of the `migrations/` files already in the output
/// folder. A migration, once applied somewhere, must never change: when the model changed in
/// a way that changes the schema, the error says so and what to do (write the next migration
/// by hand as `migrations/0002_<name>.sql`, or start over in an empty folder / database).
pub fn check_migrations<'a>(
    existing: impl IntoIterator<Item = (&'a str, &'a str)>,
    new: &FileTree,
) -> Result<(), GenerateError> {
    for (path, old) in existing {
        if let Some(fresh) = new.get(path) {
            if fresh != old {
                return Err(GenerateError(format!(
                    "{path} was already generated and would change: the model changed the database \
                     schema. Migrations never change once emitted; add the change as a new migration \
                     (migrations/0002_<name>.sql) or generate into a new folder for a new database"
                )));
            }
        }
    }
    Ok(())
}

/// Names of the Rust prelude the generated code uses unqualified; an entity may not take them.
const PRELUDE_NAMES: &[&str] = &[
    "String", "Option", "Some", "None", "Vec", "Result", "Ok", "Err", "Box",
];

fn check_type_names(project: &Project) -> Result<(), GenerateError> {
    for entity in &project.entities {
        let ty = nomnom_spec::names::rust_type(&entity.name);
        if PRELUDE_NAMES.contains(&ty.as_str()) {
            return Err(GenerateError(format!(
                "entity `{}` would shadow Rust's `{ty}` in the generated code: rename it",
                entity.name
            )));
        }
    }
    Ok(())
}
