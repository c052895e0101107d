//! Golden migrations for every kind of model change: each folder of `tests/evolve/` holds an
//! old and a new model; the migration planned from the first to the second is compared with
//! its `migration.sql` (`UPDATE_SNAPSHOTS=1` rewrites them; review every diff). Whether each
//! change is additive or destructive is asserted here; `nomnom-e2e`'s `migrations` test
//! applies every one of these migrations to PostgreSQL over rows of the old schema.

use std::path::{Path, PathBuf};

use nomnom_codegen::evolve::{plan, Postgres, Snapshot};
use nomnom_spec::model::Project;

/// The cases whose plan holds a destructive change (refused without `--allow-destructive`).
const DESTRUCTIVE: &[&str] = &[
    "add_required_field",
    "change_key",
    "change_type",
    "drop_entity",
    "drop_field",
    "drop_key",
    "move_entity",
    "narrow_enum",
    "narrow_max_length",
    "narrow_min",
    "require_without_default",
];

/// The cases after which messages queued under the old model may be refused.
const BREAKS_QUEUED: &[&str] = &[
    "add_required_child_list",
    "add_required_field",
    "change_type",
    "narrow_enum",
    "narrow_max_length",
    "narrow_min",
    "relax_pattern",
    "require_without_default",
];

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/evolve");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/evolve")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

fn model(path: &Path) -> Project {
    let text = std::fs::read_to_string(path).expect("model");
    match nomnom_spec::load_str(&text, &path.display().to_string()) {
        Ok(loaded) => loaded.project,
        Err(d) => panic!("{}", d.render(false, 100)),
    }
}

#[test]
fn every_kind_of_change_has_its_golden_migration() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut mismatches = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 20, "the cases are there");
    for case in &cases {
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let old = Snapshot::of(&model(&case.join("old.yaml")), 1);
        let new = model(&case.join("new.yaml"));
        let plan = plan(&old, &new, 2, &Postgres)
            .expect("a plan")
            .unwrap_or_else(|| panic!("{name}: no change found"));
        assert!(
            plan.path.starts_with("migrations/0002_") && plan.path.ends_with(".sql"),
            "{name}: {}",
            plan.path
        );
        assert_eq!(
            plan.destructive().next().is_some(),
            DESTRUCTIVE.contains(&name.as_str()),
            "{name}: destructive? {:#?}",
            plan.changes
        );
        assert_eq!(
            !plan.breaks_queued().is_empty(),
            BREAKS_QUEUED.contains(&name.as_str()),
            "{name}: breaks queued messages? {:?}",
            plan.breaks_queued()
        );
        let golden = case.join("migration.sql");
        let text = format!("-- file: {}\n{}", plan.path, plan.sql);
        if update {
            std::fs::write(&golden, &text).expect("write golden");
        } else if std::fs::read_to_string(&golden).ok().as_deref() != Some(text.as_str()) {
            mismatches.push(name);
        }
    }
    assert!(
        mismatches.is_empty(),
        "migrations differ from their golden files (UPDATE_SNAPSHOTS=1 to accept): {mismatches:?}"
    );
}

#[test]
fn the_same_model_plans_nothing_and_a_rename_continues_the_old_column() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/evolve/rename_field");
    let old = model(&case.join("old.yaml"));
    let new = model(&case.join("new.yaml"));
    let snapshot = Snapshot::of(&old, 1);
    assert!(plan(&snapshot, &old, 2, &Postgres).expect("plan").is_none());
    // Once applied, the renamed model is its own baseline: `renamed_from` left in the model
    // plans nothing more.
    let after = Snapshot::of(&new, 2);
    assert!(plan(&after, &new, 3, &Postgres).expect("plan").is_none());
    assert!(!after.to_text().contains("renamed_from"));
    let read = Snapshot::parse(&after.to_text()).expect("parse");
    assert_eq!(read.to_text(), after.to_text());
}
