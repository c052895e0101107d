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
//! Migrations once emitted never change their bytes: [`generate_with`] takes the migrations
//! already written and adds the next one that [`evolve`] plans from the model's snapshot;
//! [`check_migrations`] compares a new tree with what is already on disk and refuses a
//! changed migration.

mod cargo;
mod database;
mod deploy;
mod emit;
mod error;
pub mod evolve;
mod helm;
mod literal;
mod observability;
mod openapi;
mod readme;
mod runtime;
mod rust;
mod sql;
mod sql_mysql;
mod tree;
pub mod types;
mod yaml;

pub use helm::{chart_files, CHART_MANAGED_ENV};

pub use database::{Database, DATABASE_FILE};
pub use error::GenerateError;
pub use sql::INITIAL_MIGRATION;
pub use tree::FileTree;

use nomnom_spec::model::Project;

/// Generates the whole project for `project`, as a new project: its first migration
/// creates every table, and its snapshot is model version 1.
pub fn generate(project: &Project) -> Result<FileTree, GenerateError> {
    generate_for(project, Database::Postgresql)
}

/// [`generate`] for `database`.
pub fn generate_for(project: &Project, database: Database) -> Result<FileTree, GenerateError> {
    let migrations = vec![(
        INITIAL_MIGRATION.to_string(),
        database.initial_migration(project)?,
    )];
    generate_with_database(
        project,
        &migrations,
        &evolve::Snapshot::of(project, 1),
        database,
    )
}

/// The first migration of `project` (`migrations/0001_initial.sql`'s text).
pub fn initial_migration(project: &Project) -> Result<String, GenerateError> {
    sql::initial_migration(project)
}

/// Generates the project for `project` with the given migrations (`(path, text)`, paths
/// `migrations/NNNN_<name>.sql`, in version order: those already in the output folder,
/// kept byte for byte, and the new one, if any) and the snapshot of the model they lead to.
pub fn generate_with(
    project: &Project,
    migrations: &[(String, String)],
    snapshot: &evolve::Snapshot,
) -> Result<FileTree, GenerateError> {
    generate_with_database(project, migrations, snapshot, Database::Postgresql)
}

/// [`generate_with`] for `database` (the migrations are in its dialect); a project for
/// another database than PostgreSQL records it in [`DATABASE_FILE`].
pub fn generate_with_database(
    project: &Project,
    migrations: &[(String, String)],
    snapshot: &evolve::Snapshot,
    database: Database,
) -> Result<FileTree, GenerateError> {
    check_type_names(project)?;
    let mut tree = FileTree::default();
    cargo::files(project, &mut tree);
    runtime::files(&mut tree);
    let names: Vec<String> = migrations
        .iter()
        .map(|(path, _)| path.trim_start_matches("migrations/").to_string())
        .collect();
    rust::files(project, &names, database, &mut tree)?;
    for (path, text) in migrations {
        tree.insert(path.clone(), text.clone());
    }
    tree.insert(evolve::SNAPSHOT_PATH, snapshot.to_text());
    if database.is_mysql() {
        tree.insert(DATABASE_FILE, format!("{database}\n"));
    }
    tree.insert("openapi.json", openapi::document(project));
    deploy::files(project, database, &mut tree);
    observability::files(project, &mut tree);
    tree.insert("README.md", readme::readme(project));
    for (path, contents) in chart_files(project, database) {
        tree.insert(path, contents);
    }
    Ok(tree)
}

/// Refuses to replace a migration that was already emitted with different bytes.
///
/// `existing` yields the `(path, contents)` of the `migrations/` files already in the output
/// folder. A migration, once applied somewhere, must never change; the CLI passes those files
/// back to [`generate_with`] unchanged and adds the next one, so this is the last guard
/// before anything is written.
pub fn check_migrations<'a>(
    existing: impl IntoIterator<Item = (&'a str, &'a str)>,
    new: &FileTree,
) -> Result<(), GenerateError> {
    for (path, old) in existing {
        if let Some(fresh) = new.get(path) {
            if fresh != old {
                return Err(GenerateError(format!(
                    "{path} was already generated and would change; migrations never change once \
                     emitted (a model change is written as the next migration): nothing was \
                     written"
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
