//! The nomnom command line: `check`, `generate`, `diff`, `test`, `init`, `import`, `key`.
//!
//! Exit status: 0 success, 1 invalid model or refused operation, 2 usage error (bad
//! arguments, unreadable input).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nomnom::evolve::{self as evolution, Refused};
use nomnom::{api_key, import, model_test, starter, writer};
use nomnom_spec::{Diagnostics, LoadError, Loaded};

/// Generate a NATS JetStream → PostgreSQL ingestion pipeline from a YAML model.
#[derive(Debug, Parser)]
#[command(name = "nomnom", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a model and print every problem found.
    Check {
        /// A `nomnom.yaml`, or a folder holding one.
        path: PathBuf,
    },
    /// Generate the ingestion service for a model.
    ///
    /// Into a folder generated before, from a changed model: the migrations already there
    /// are kept as they are, and the next one (migrations/NNNN_<what changed>.sql) is
    /// written from the difference between the model and the snapshot of the model last
    /// generated (migrations/model.snapshot.json). Destructive changes (a field or entity
    /// removed, a type changed, a narrower length or range, a changed key) are refused, and
    /// nothing is written, unless --allow-destructive is given.
    #[command(verbatim_doc_comment)]
    Generate {
        /// A `nomnom.yaml`, or a folder holding one.
        path: PathBuf,
        /// The folder to write the generated project into.
        #[arg(short, long)]
        output: PathBuf,
        /// Write destructive changes too, each with its statements and a comment on the data
        /// it discards.
        #[arg(long)]
        allow_destructive: bool,
        /// The database the worker writes to: postgresql, mysql or mariadb (default
        /// postgresql; a folder generated before keeps the one it was generated for).
        #[arg(long, value_parser = ["postgresql", "mysql", "mariadb"])]
        database: Option<String>,
    },
    /// Print the migration plan from one model to another (each change, additive or
    /// destructive, and the SQL), writing nothing.
    Diff {
        /// The old model: a `nomnom.yaml`, a folder holding one, or a generated project
        /// folder (its `migrations/model.snapshot.json` is used).
        old: PathBuf,
        /// The new model: a `nomnom.yaml`, or a folder holding one.
        new: PathBuf,
    },
    /// Compile the model's user transforms and run their tests, then run every example
    /// beside the model (`examples/<name>.json`) through validation and derivation, without
    /// NATS or PostgreSQL, and compare the rows with `examples/<name>.rows.json`.
    Test {
        /// A `nomnom.yaml`, or a folder holding one.
        path: PathBuf,
    },
    /// Write a starter `nomnom.yaml` into a folder, its project named after the folder (never
    /// overwrites one).
    Init {
        /// The folder to create the model in.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Import a project of the first nomnom (scie-nz/nomnom) as a model.
    ///
    /// Reads DIR/nomnom.yaml (its `transforms.rust`) and the entity files (entities/*.yaml, or
    /// the folder `paths.config_dir` names), and writes OUTPUT/nomnom.yaml: roots and
    /// reference entities become roots, `repeated_for` a `list<...>` field of the parent,
    /// `copy_field` from the parent `from: parent.<field>`, `json_get_*` / `extract_field` a
    /// read of that JSON key, `conformant_table` the table and `unicity_fields` the key; other
    /// transforms are carried over as user transforms. Whatever cannot be carried exactly is a
    /// warning printed as `file:line: message` and written as a comment in the model; no field
    /// is left out. An existing OUTPUT/nomnom.yaml is never overwritten.
    #[command(verbatim_doc_comment)]
    Import {
        /// The first nomnom's project folder (holding its nomnom.yaml).
        dir: PathBuf,
        /// The folder to write the imported nomnom.yaml into (created if missing).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Print a new random API key (first line) and the line to add for it to the API's
    /// API_KEYS_FILE (second line). Only the line is stored; the key is shown this once.
    Key {
        /// The key's name: logged with each request it lets in, and its rate-limit bucket.
        name: String,
        /// What it may do: `ingest` (POST /ingest/*), `status` (GET /ingest/status/*), or
        /// both joined with `+`.
        #[arg(long, default_value = "ingest")]
        scopes: String,
    },
}

const OK: u8 = 0;
const FAILED: u8 = 1;
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { USAGE } else { OK });
        }
    };
    ExitCode::from(match cli.command {
        Command::Check { path } => check(&path),
        Command::Generate {
            path,
            output,
            allow_destructive,
            database,
        } => generate(&path, &output, allow_destructive, database.as_deref()),
        Command::Diff { old, new } => diff(&old, &new),
        Command::Test { path } => test(&path),
        Command::Init { dir } => init(&dir),
        Command::Import { dir, output } => import_project(&dir, &output),
        Command::Key { name, scopes } => key(&name, &scopes),
    })
}

/// `nomnom key`: the key and its line on stdout, what to do with them on stderr.
fn key(name: &str, scopes: &str) -> u8 {
    match api_key::new_key(name, scopes) {
        Ok((key, line)) => {
            println!("{key}");
            println!("{line}");
            eprintln!(
                "Add the second line to API_KEYS_FILE (the API picks it up within a second, or at \
                 once on SIGHUP) and give the first to the client, which sends it as \
                 `Authorization: Bearer <key>` or `X-API-Key: <key>`. To revoke it, delete the \
                 line."
            );
            OK
        }
        Err(e) => {
            eprintln!("nomnom key: {e}");
            USAGE
        }
    }
}

/// Whether to colour diagnostics: only on a terminal, and never with `NO_COLOR` set.
fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w: &usize| w >= 40)
        .unwrap_or(100)
}

fn print_diagnostics(d: &Diagnostics) {
    if !d.items.is_empty() {
        eprint!("{}", d.render(colour(), width()));
    }
}

/// Loads a model, printing its diagnostics; `Err` carries the exit status.
fn load(path: &Path) -> Result<Loaded, u8> {
    if !path.exists() {
        eprintln!("nomnom: {} does not exist", path.display());
        return Err(USAGE);
    }
    match nomnom_spec::load(path) {
        Ok(loaded) => {
            print_diagnostics(&loaded.warnings);
            Ok(loaded)
        }
        Err(LoadError::Invalid(d)) => {
            print_diagnostics(&d);
            let errors = d.error_count();
            let warnings = d.items.len() - errors;
            eprintln!(
                "\n{}: {errors} error{}{}",
                d.file,
                if errors == 1 { "" } else { "s" },
                match warnings {
                    0 => String::new(),
                    1 => ", 1 warning".to_string(),
                    n => format!(", {n} warnings"),
                }
            );
            Err(FAILED)
        }
        Err(e @ LoadError::Io { .. }) => {
            eprintln!("nomnom: {e}");
            Err(USAGE)
        }
    }
}

fn check(path: &Path) -> u8 {
    match load(path) {
        Ok(loaded) => {
            let p = &loaded.project;
            println!(
                "{}: valid: project `{}`, {} entit{} ({} root{}), {} warning{}",
                loaded.warnings.file,
                p.name,
                p.entities.len(),
                if p.entities.len() == 1 { "y" } else { "ies" },
                p.roots().count(),
                if p.roots().count() == 1 { "" } else { "s" },
                loaded.warnings.items.len(),
                if loaded.warnings.items.len() == 1 {
                    ""
                } else {
                    "s"
                },
            );
            OK
        }
        Err(code) => code,
    }
}

fn generate(path: &Path, output: &Path, allow_destructive: bool, database: Option<&str>) -> u8 {
    let loaded = match load(path) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let existing = match evolution::read_existing(output) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("nomnom: {e}");
            return FAILED;
        }
    };
    let on_disk = existing.migrations.clone();
    let recorded = if existing.migrations.is_empty() {
        None
    } else {
        // A folder with migrations and no record was generated for PostgreSQL.
        Some(
            existing
                .database
                .clone()
                .unwrap_or_else(|| "postgresql".to_string()),
        )
    };
    let recorded = recorded
        .as_deref()
        .and_then(nomnom_codegen::Database::parse);
    let chosen = database.and_then(nomnom_codegen::Database::parse);
    let database = match (recorded, chosen) {
        (Some(was), Some(now)) if was.is_mysql() != now.is_mysql() => {
            eprintln!(
                "nomnom: {} was generated for {was} and its migrations are in that dialect; it \
                 cannot switch to {now}: generate into a new folder for a new database",
                output.display()
            );
            return FAILED;
        }
        (_, Some(now)) => now,
        (Some(was), None) => was,
        (None, None) => nomnom_codegen::Database::Postgresql,
    };
    let model = &loaded.warnings;
    let prepared = match evolution::prepare(&loaded.project, existing, allow_destructive, database)
    {
        Ok(p) => p,
        Err(Refused::Destructive(plan)) => {
            let d = evolution::diagnostics(&plan, &model.file, &model.source, false);
            print_diagnostics(&d);
            let n = d.error_count();
            eprintln!(
                "\nnomnom: {n} destructive change{} refused; nothing was written to {}. \
                 `nomnom diff {} {}` shows the plan; `--allow-destructive` writes it",
                if n == 1 { "" } else { "s" },
                output.display(),
                output.display(),
                path.display()
            );
            return FAILED;
        }
        Err(Refused::Error(e)) => {
            eprintln!("nomnom: {e}");
            return FAILED;
        }
    };
    if let Some(plan) = &prepared.plan {
        print_diagnostics(&evolution::diagnostics(
            plan,
            &model.file,
            &model.source,
            true,
        ));
    }
    let tree = match nomnom_codegen::generate_with_database(
        &loaded.project,
        &prepared.migrations,
        &prepared.snapshot,
        database,
    ) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("nomnom: cannot generate `{}`: {e}", loaded.project.name);
            return FAILED;
        }
    };
    if let Err(e) = nomnom_codegen::check_migrations(
        on_disk.iter().map(|(p, c)| (p.as_str(), c.as_str())),
        &tree,
    ) {
        eprintln!("nomnom: {e}");
        return FAILED;
    }
    match writer::write_tree(&tree, output) {
        Ok(report) => {
            if let Some(plan) = &prepared.plan {
                println!(
                    "{}: {} change{} since model version {}:",
                    plan.path,
                    plan.changes.len(),
                    if plan.changes.len() == 1 { "" } else { "s" },
                    plan.from_version
                );
                for change in &plan.changes {
                    println!(
                        "  {} {}",
                        if change.is_destructive() {
                            "destructive"
                        } else {
                            "additive   "
                        },
                        change.describe()
                    );
                }
            }
            if prepared.baseline {
                println!(
                    "{}: recorded this model as the one the existing migrations create",
                    nomnom_codegen::evolve::SNAPSHOT_PATH
                );
            }
            println!(
                "{}: {} file{} written, {} unchanged, {} removed",
                output.display(),
                report.written.len(),
                if report.written.len() == 1 { "" } else { "s" },
                report.unchanged.len(),
                report.removed.len()
            );
            for kept in &report.kept_modified {
                eprintln!(
                    "nomnom: kept {kept}: no longer generated, but edited since nomnom wrote it"
                );
            }
            OK
        }
        Err(e) => {
            eprintln!("nomnom: {e}");
            FAILED
        }
    }
}

/// `nomnom diff`: the plan from `old` to `new`, printed.
fn diff(old: &Path, new: &Path) -> u8 {
    use nomnom_codegen::evolve::{self, Snapshot};
    let snapshot_file = old.join(evolve::SNAPSHOT_PATH);
    let old_snapshot = if old.is_dir() && snapshot_file.is_file() {
        let read = std::fs::read_to_string(&snapshot_file)
            .map_err(|e| e.to_string())
            .and_then(|t| Snapshot::parse(&t));
        match read {
            Ok(s) => s,
            Err(e) => {
                eprintln!("nomnom: {}: {e}", snapshot_file.display());
                return USAGE;
            }
        }
    } else {
        match load(old) {
            Ok(l) => Snapshot::of(&l.project, 1),
            Err(code) => return code,
        }
    };
    let loaded = match load(new) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let next = old_snapshot.model_version + 1;
    // A generated folder's SQL is in the dialect of the database it was generated for.
    let database = std::fs::read_to_string(old.join(nomnom_codegen::DATABASE_FILE))
        .ok()
        .and_then(|t| nomnom_codegen::Database::parse(&t))
        .unwrap_or_default();
    match evolve::plan(&old_snapshot, &loaded.project, next, database.dialect()) {
        Ok(None) => {
            println!("no change to the database schema");
            OK
        }
        Ok(Some(plan)) => {
            let model = &loaded.warnings;
            print_diagnostics(&evolution::diagnostics(
                &plan,
                &model.file,
                &model.source,
                false,
            ));
            print!("{}", evolution::render_plan(&plan));
            OK
        }
        Err(e) => {
            eprintln!("nomnom: {e}");
            FAILED
        }
    }
}

fn test(path: &Path) -> u8 {
    let loaded = match load(path) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let model = nomnom_spec::model_path(path);
    match model_test::run(&loaded.project, &model) {
        Ok(summary) => {
            println!(
                "\n{}: {} transform test{} ({} failed), {} example{} ({} failed)",
                model.display(),
                summary.transform_tests,
                if summary.transform_tests == 1 {
                    ""
                } else {
                    "s"
                },
                summary.transform_failures,
                summary.examples,
                if summary.examples == 1 { "" } else { "s" },
                summary.example_failures,
            );
            if summary.passed() {
                OK
            } else {
                FAILED
            }
        }
        Err(model_test::RunError::Build(output)) => {
            eprintln!("{output}");
            eprintln!(
                "nomnom: the generated project does not compile; the compiler's messages are above \
                 (a transform's body is in src/transforms.rs of the generated project)"
            );
            FAILED
        }
        Err(model_test::RunError::Other(e)) => {
            eprintln!("nomnom: {e}");
            FAILED
        }
    }
}

fn init(dir: &Path) -> u8 {
    match starter::init(dir) {
        Ok(path) => {
            println!(
                "wrote {}; check it with `nomnom check {}`",
                path.display(),
                dir.display()
            );
            OK
        }
        Err(e) => {
            eprintln!("nomnom: {e}");
            FAILED
        }
    }
}

fn import_project(dir: &Path, output: &Path) -> u8 {
    let imported = match import::import_dir(dir) {
        Ok(imported) => imported,
        Err(import::ImportError::Unreadable(errors)) => {
            for e in errors {
                eprintln!("nomnom: {}", dir.join(e).display());
            }
            return USAGE;
        }
        Err(e) => {
            eprintln!("nomnom: {e}");
            return USAGE;
        }
    };
    let path = match import::write_model(output, &imported.yaml) {
        Ok(path) => path,
        Err(e) => {
            eprintln!("nomnom: {e}");
            return FAILED;
        }
    };
    for w in &imported.warnings {
        eprintln!("warning: {}", dir.join(w.to_string()).display());
    }
    let model = &imported.model;
    println!(
        "wrote {}: project `{}`, {} entit{}, {} transform{} carried over, {} warning{}",
        path.display(),
        model.project,
        model.entities.len(),
        if model.entities.len() == 1 {
            "y"
        } else {
            "ies"
        },
        model.transforms.len(),
        if model.transforms.len() == 1 { "" } else { "s" },
        imported.warnings.len(),
        if imported.warnings.len() == 1 {
            ""
        } else {
            "s"
        },
    );
    match nomnom_spec::load(&path) {
        Ok(_) => println!("it passes `nomnom check`"),
        Err(LoadError::Invalid(d)) => println!(
            "it does not pass `nomnom check` yet ({} error{}): see `nomnom check {}`",
            d.error_count(),
            if d.error_count() == 1 { "" } else { "s" },
            output.display()
        ),
        Err(e) => println!("it could not be checked: {e}"),
    }
    OK
}
