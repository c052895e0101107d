//! `nomnom generate` into a folder generated before, from a changed model, and `nomnom diff`:
//! the next migration is written and no emitted one changes; a destructive change is refused
//! with a located diagnostic and leaves the folder exactly as it was, unless
//! `--allow-destructive`; a folder generated before snapshots existed is given its baseline
//! only when its migration is the model's own.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nomnom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nomnom"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the nomnom binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch folder with `model/nomnom.yaml` holding the tpch example.
struct Scratch {
    dir: PathBuf,
    model: String,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("evolve-{name}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("model")).expect("model folder");
        let model = fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tpch/nomnom.yaml"),
        )
        .expect("tpch model");
        let scratch = Scratch { dir, model };
        scratch.write_model(&scratch.model.clone());
        scratch
    }

    fn write_model(&self, text: &str) {
        fs::write(self.dir.join("model/nomnom.yaml"), text).expect("write model");
    }

    /// The tpch model with `from` replaced by `to`.
    fn changed(&self, from: &str, to: &str) -> String {
        assert!(self.model.contains(from), "{from:?} is in the model");
        self.model.replace(from, to)
    }

    fn model_dir(&self) -> String {
        self.dir.join("model").display().to_string()
    }

    fn out(&self) -> String {
        self.dir.join("out").display().to_string()
    }

    fn generate(&self, extra: &[&str]) -> Output {
        let (model, out) = (self.model_dir(), self.out());
        let mut args = vec!["generate", model.as_str(), "--output", out.as_str()];
        args.extend(extra);
        nomnom(&args)
    }

    /// Every file of the output folder with its bytes.
    fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in fs::read_dir(dir).expect("read_dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.insert(path.clone(), fs::read(&path).expect("read"));
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.dir.join("out"), &mut out);
        out
    }

    fn migrations(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.dir.join("out/migrations"))
            .expect("migrations")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_changed_model_gets_the_next_migration_and_no_emitted_one_changes() {
    let s = Scratch::new("additive");
    let first = s.generate(&[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let initial = fs::read(s.dir.join("out/migrations/0001_initial.sql")).expect("0001");
    assert_eq!(s.migrations(), ["0001_initial.sql", "model.snapshot.json"]);

    // Unchanged: nothing new, nothing rewritten.
    let again = s.generate(&[]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).contains("0 files written"),
        "{}",
        text(&again.stdout)
    );

    s.write_model(&s.changed(
        "      clerk: string?\n",
        "      clerk: string?\n      region: {type: string, default: EU}\n",
    ));
    let second = s.generate(&[]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let stdout = text(&second.stdout);
    assert!(
        stdout.contains("migrations/0002_add_orders_region.sql: 1 change since model version 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("new field `Order.region` with default \"EU\""),
        "{stdout}"
    );
    assert_eq!(
        s.migrations(),
        [
            "0001_initial.sql",
            "0002_add_orders_region.sql",
            "model.snapshot.json"
        ]
    );
    assert_eq!(
        fs::read(s.dir.join("out/migrations/0001_initial.sql")).expect("0001"),
        initial,
        "the emitted migration is untouched"
    );
    let sql =
        fs::read_to_string(s.dir.join("out/migrations/0002_add_orders_region.sql")).expect("0002");
    assert!(
        sql.contains("ALTER TABLE orders ADD COLUMN region TEXT DEFAULT 'EU' NOT NULL;"),
        "{sql}"
    );
    let model_rs = fs::read_to_string(s.dir.join("out/src/model.rs")).expect("model.rs");
    assert!(
        model_rs.contains("migrations(\"0001_initial.sql\", \"0002_add_orders_region.sql\")"),
        "{model_rs}"
    );
    let snapshot =
        fs::read_to_string(s.dir.join("out/migrations/model.snapshot.json")).expect("snapshot");
    assert!(snapshot.contains("\"model_version\": 2"), "{snapshot}");
}

#[test]
fn a_destructive_change_is_refused_with_its_place_and_the_output_is_untouched() {
    let s = Scratch::new("destructive");
    let first = s.generate(&[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let before = s.files();

    // `clerk` removed and `comment` changed type: two destructive changes.
    let changed = s.changed("      clerk: string?\n", "").replace(
        "      comment: {type: string, nullable: true, max_length: 200}\n",
        "      comment: integer?\n",
    );
    assert!(
        changed.contains("comment: integer?"),
        "the order's comment changes type"
    );
    s.write_model(&changed);
    let refused = s.generate(&[]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stdout));
    let err = text(&refused.stderr);
    assert!(err.contains("nomnom::destructive_change"), "{err}");
    assert!(err.contains("field `Order.clerk` removed"), "{err}");
    assert!(
        err.contains("discards every value of column orders.clerk"),
        "{err}"
    );
    assert!(
        err.contains("field `Order.comment` changed type: string → integer"),
        "{err}"
    );
    let line = changed
        .lines()
        .position(|l| l.contains("comment: integer?"))
        .expect("the changed line")
        + 1;
    assert!(
        err.contains(&format!("nomnom.yaml:{line}:")),
        "located at line {line}: {err}"
    );
    assert!(
        err.contains("2 destructive changes refused; nothing was written"),
        "{err}"
    );
    assert_eq!(s.files(), before, "the output folder is exactly as it was");

    // With --allow-destructive the migration is written, spelled out.
    let allowed = s.generate(&["--allow-destructive"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stderr));
    let name = s
        .migrations()
        .into_iter()
        .find(|m| m.starts_with("0002_"))
        .expect("0002 written");
    let sql = fs::read_to_string(s.dir.join("out/migrations").join(name)).expect("0002");
    assert!(
        sql.contains("ALTER TABLE orders DROP COLUMN clerk;"),
        "{sql}"
    );
    assert!(
        sql.contains("-- DESTRUCTIVE: discards every value of column orders.clerk."),
        "{sql}"
    );
    assert!(sql.contains("TYPE BIGINT USING comment::BIGINT"), "{sql}");
}

#[test]
fn diff_prints_the_plan_and_writes_nothing() {
    let s = Scratch::new("diff");
    let old = s.dir.join("old.yaml");
    fs::write(&old, &s.model).expect("old model");
    s.write_model(&s.changed(
        "      clerk: string?\n",
        "      clerk: string?\n      channel: string\n",
    ));
    let before = fs::read_dir(&s.dir).expect("dir").count();
    let out = nomnom(&["diff", &old.display().to_string(), &s.model_dir()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("1 change (0 additive, 1 destructive):"),
        "{stdout}"
    );
    assert!(
        stdout.contains("new required field `Order.channel` without a default"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Messages queued under the old model: some will be refused"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ALTER TABLE orders ADD COLUMN channel TEXT NOT NULL;"),
        "{stdout}"
    );
    let err = text(&out.stderr);
    assert!(err.contains("nomnom::destructive_change"), "{err}");
    assert_eq!(
        fs::read_dir(&s.dir).expect("dir").count(),
        before,
        "nothing written"
    );
    // The same model: no change.
    let same = nomnom(&[
        "diff",
        &old.display().to_string(),
        &old.display().to_string(),
    ]);
    assert_eq!(same.status.code(), Some(0));
    assert!(text(&same.stdout).contains("no change to the database schema"));
}

#[test]
fn a_folder_without_a_snapshot_gets_one_only_when_its_migration_is_the_models() {
    let s = Scratch::new("baseline");
    let first = s.generate(&[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let snapshot = s.dir.join("out/migrations/model.snapshot.json");
    // As generated before snapshots existed.
    fs::remove_file(&snapshot).expect("remove the snapshot");
    let baseline = s.generate(&[]);
    assert_eq!(
        baseline.status.code(),
        Some(0),
        "{}",
        text(&baseline.stderr)
    );
    assert!(
        text(&baseline.stdout).contains("recorded this model"),
        "{}",
        text(&baseline.stdout)
    );
    assert!(snapshot.exists());

    // Without a snapshot and with a changed model, which schema the database holds is unknown.
    fs::remove_file(&snapshot).expect("remove the snapshot");
    let before = s.files();
    s.write_model(&s.changed(
        "      clerk: string?\n",
        "      clerk: string?\n      region: string?\n",
    ));
    let refused = s.generate(&[]);
    assert_eq!(refused.status.code(), Some(1));
    let err = text(&refused.stderr);
    assert!(err.contains("model.snapshot.json is missing"), "{err}");
    assert!(err.contains("Generate once more from the model"), "{err}");
    assert_eq!(s.files(), before, "nothing written");
}
