//! The plan: the changes between the model last generated and the model now, with the
//! migration that applies them (its file name and text).

use nomnom_spec::model::Project;

use super::change::Change;
use super::diff::diff;
use super::snapshot::Snapshot;
use super::sql::Dialect;
use crate::error::GenerateError;

/// The longest migration name (the part after `NNNN_`).
const MAX_NAME: usize = 60;

/// What changed, and the migration that applies it.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Every change, in the order its statements run.
    pub changes: Vec<Change>,
    /// The model version the plan starts from.
    pub from_version: u32,
    /// The new model's snapshot, as of the new migration.
    pub snapshot: Snapshot,
    /// The migration's path in the project (`migrations/0002_widen_patients_name.sql`).
    pub path: String,
    /// The migration's text.
    pub sql: String,
}

impl Plan {
    /// The destructive changes (refused without `--allow-destructive`).
    pub fn destructive(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.is_destructive())
    }

    /// Why messages queued under the old model would be refused, one line per change.
    pub fn breaks_queued(&self) -> Vec<String> {
        self.changes
            .iter()
            .filter_map(Change::breaks_queued)
            .collect()
    }
}

/// The plan from `old` (the snapshot of the model last generated) to `project`, as
/// migration number `version`; `None` when the schema did not change.
pub fn plan(
    old: &Snapshot,
    project: &Project,
    version: u32,
    dialect: &dyn Dialect,
) -> Result<Option<Plan>, GenerateError> {
    let new = Snapshot::of(project, version);
    if old.same_schema(&new) {
        return Ok(None);
    }
    let changes = diff(old, &new);
    if changes.is_empty() {
        // Only the order of entities or columns changed: nothing to migrate, but the
        // snapshot records the new order.
        return Ok(None);
    }
    let name = migration_name(&changes);
    let path = format!("migrations/{version:04}_{name}.sql");
    let sql = render(old, project, version, &changes, dialect)?;
    Ok(Some(Plan {
        changes,
        from_version: old.model_version,
        snapshot: new,
        path,
        sql,
    }))
}

/// `widen_patients_name`, or `widen_patients_name_and_4_more`.
fn migration_name(changes: &[Change]) -> String {
    let mut name = changes.first().map(Change::slug).unwrap_or_default();
    name.truncate(MAX_NAME - 16);
    if changes.len() > 1 {
        name.push_str(&format!("_and_{}_more", changes.len() - 1));
    }
    name
}

fn render(
    old: &Snapshot,
    project: &Project,
    version: u32,
    changes: &[Change],
    dialect: &dyn Dialect,
) -> Result<String, GenerateError> {
    let mut out = format!(
        "-- {}\n-- Migration {version} of the `{}` model, from model version {}. Applied once; \
         never edited (changes go in a new migration).\n--\n-- Changes:\n",
        crate::emit::HEADER,
        project.name,
        old.model_version
    );
    for change in changes {
        out.push_str(&format!(
            "--   {} {}\n",
            if change.is_destructive() {
                "DESTRUCTIVE"
            } else {
                "additive   "
            },
            change.describe()
        ));
    }
    let breaks: Vec<String> = changes.iter().filter_map(Change::breaks_queued).collect();
    out.push_str("--\n-- Messages accepted under the previous model and still queued: ");
    if breaks.is_empty() {
        out.push_str("stored by the new worker.\n");
    } else {
        out.push_str("some may be refused:\n");
        for b in &breaks {
            out.push_str(&format!("--   {b}\n"));
        }
    }
    for change in changes {
        out.push_str(&format!("\n-- {}\n", change.describe()));
        if let Some(discards) = change.discards().filter(|_| change.is_destructive()) {
            out.push_str(&format!("-- DESTRUCTIVE: discards {discards}.\n"));
        }
        let statements = dialect.statements(change, project)?;
        if statements.is_empty() {
            out.push_str("-- (checked by the worker only: no statement)\n");
        }
        for s in statements {
            out.push_str(&s);
            out.push('\n');
        }
    }
    Ok(out)
}
