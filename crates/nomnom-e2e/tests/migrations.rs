//! Every golden migration of `crates/nomnom-codegen/tests/evolve/` (one folder per kind of
//! model change), written by the real CLI and applied to PostgreSQL: `nomnom generate` the
//! old model into a folder, apply its `0001_initial.sql` to a database of its own, insert the
//! case's rows, `nomnom generate --allow-destructive` the new model into the same folder, check
//! that the written `0002_*.sql` is the golden one, apply it in a transaction as the worker
//! does, and run the case's `check.sql` (a query that must answer true, or `-- fails: <text>`:
//! the migration must fail, with PostgreSQL's message containing the text, and be rolled back).
//! The same cases for a MariaDB project: the MySQL dialect's next migration applies and leaves
//! the schema a fresh install of the new model has.

use std::path::{Path, PathBuf};
use std::process::Command;

use nomnom_testkit::project::{nomnom_cli, workspace_root};
use nomnom_testkit::TestDatabase;

fn cases() -> Vec<PathBuf> {
    let dir = workspace_root().join("crates/nomnom-codegen/tests/evolve");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `nomnom generate <model> -o <out> [extra]`; panics with its output on failure.
fn generate(cli: &Path, model: &Path, out: &Path, extra: &[&str]) {
    let output = Command::new(cli)
        .arg("generate")
        .arg(model)
        .arg("--output")
        .arg(out)
        .args(extra)
        .output()
        .expect("running nomnom");
    assert!(
        output.status.success(),
        "nomnom generate {}: {}{}",
        model.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The one migration file of `dir` whose name starts with `prefix`.
fn migration(dir: &Path, prefix: &str) -> (String, String) {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir.join("migrations"))
        .expect("migrations")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {prefix}* migration in {}",
        dir.display()
    );
    let path = found.remove(0);
    let name = format!(
        "migrations/{}",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    (name, read(&path))
}

fn db_message(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| e.to_string())
}

#[tokio::test]
async fn every_golden_migration_applies_to_postgresql_over_existing_rows() {
    let cli = nomnom_cli(false);
    let cases = cases();
    assert!(cases.len() >= 20, "the cases are there");
    for case in &cases {
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let out = tempfile::tempdir().expect("a folder");
        let dir = out.path().join("project");
        let model_dir = out.path().join("model");
        std::fs::create_dir_all(&model_dir).expect("model folder");
        std::fs::copy(case.join("old.yaml"), model_dir.join("nomnom.yaml")).expect("old model");
        generate(&cli, &model_dir, &dir, &[]);
        let (_, initial) = migration(&dir, "0001_");

        std::fs::copy(case.join("new.yaml"), model_dir.join("nomnom.yaml")).expect("new model");
        generate(&cli, &model_dir, &dir, &["--allow-destructive"]);
        let (path, sql) = migration(&dir, "0002_");
        let golden = read(&case.join("migration.sql"));
        assert_eq!(
            format!("-- file: {path}\n{sql}"),
            golden,
            "{name}: the CLI wrote the golden migration"
        );
        assert_eq!(
            read(&dir.join("migrations/0001_initial.sql")),
            initial,
            "{name}: 0001 untouched"
        );

        let db = TestDatabase::create_shared().await;
        let mut pg = db.client().await;
        pg.batch_execute(&initial)
            .await
            .unwrap_or_else(|e| panic!("{name}: initial migration: {}", db_message(&e)));
        pg.batch_execute(&read(&case.join("rows.sql")))
            .await
            .unwrap_or_else(|e| panic!("{name}: rows: {}", db_message(&e)));
        let check = read(&case.join("check.sql"));
        let tx = pg.transaction().await.expect("a transaction");
        let applied = tx.batch_execute(&sql).await;
        match check.strip_prefix("-- fails:") {
            Some(expected) => {
                let e = applied.expect_err(&format!("{name}: the migration must fail"));
                let message = db_message(&e);
                assert!(
                    message.contains(expected.trim()),
                    "{name}: the failure says {:?}, got {message:?}",
                    expected.trim()
                );
                drop(tx);
                // Rolled back: the old schema and rows are as they were.
                let rows: i64 = pg
                    .query_one("SELECT count(*) FROM patient", &[])
                    .await
                    .expect("count")
                    .get(0);
                assert_eq!(rows, 2, "{name}: rolled back");
            }
            None => {
                applied.unwrap_or_else(|e| panic!("{name}: migration: {}", db_message(&e)));
                tx.commit().await.expect("commit");
                let ok: bool = pg
                    .query_one(check.trim(), &[])
                    .await
                    .unwrap_or_else(|e| panic!("{name}: check: {}", db_message(&e)))
                    .get(0);
                assert!(ok, "{name}: {check}");
            }
        }
    }
}

/// The columns and indexes of a MariaDB database, one line each, sorted: what a migration
/// must leave as a fresh install of the new model would. Column defaults are left out: a
/// field added with a model default keeps it as the column's default (existing rows got it
/// that way, as on PostgreSQL), which a fresh install has no need for; the worker writes
/// every column.
async fn mysql_schema(conn: &mut mysql_async::Conn, database: &str) -> Vec<String> {
    use mysql_async::prelude::Queryable;
    let columns: Vec<(String, String, String, String)> = conn
        .exec(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?",
            (database,),
        )
        .await
        .expect("columns");
    let indexes: Vec<(String, String, u32, String, u32)> = conn
        .exec(
            "SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?",
            (database,),
        )
        .await
        .expect("indexes");
    // A rule is a column's constraint in a fresh install and a table's after a migration on
    // MariaDB: compared by what it checks.
    let rules: Vec<(String, String)> = conn
        .exec(
            "SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = ?",
            (database,),
        )
        .await
        .expect("rules");
    let mut out: Vec<String> = columns
        .into_iter()
        .map(|(table, column, kind, nullable)| {
            format!("column {table}.{column} {kind} nullable={nullable}")
        })
        .chain(
            indexes
                .into_iter()
                .map(|(table, index, seq, column, non_unique)| {
                    format!("index {table}.{index} #{seq} {column} non_unique={non_unique}")
                }),
        )
        .chain(
            rules
                .into_iter()
                .map(|(table, clause)| format!("check {table} {clause}")),
        )
        .collect();
    out.sort();
    out
}

/// The MySQL dialect of every golden case: the CLI writes the next migration for a MariaDB
/// project too, it applies to the old schema, and it leaves the schema (columns with their
/// types and nullability, indexes, and rules) exactly as a fresh install of the new model.
#[tokio::test]
async fn every_golden_migration_applies_to_mariadb_and_leaves_the_new_models_schema() {
    use mysql_async::prelude::Queryable;
    let cli = nomnom_cli(false);
    let cases = cases();
    assert!(cases.len() >= 20, "the cases are there");
    for case in &cases {
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let out = tempfile::tempdir().expect("a folder");
        let dir = out.path().join("project");
        let fresh = out.path().join("fresh");
        let model_dir = out.path().join("model");
        std::fs::create_dir_all(&model_dir).expect("model folder");
        let mariadb = ["--database", "mariadb"];
        std::fs::copy(case.join("old.yaml"), model_dir.join("nomnom.yaml")).expect("old model");
        generate(&cli, &model_dir, &dir, &mariadb);
        let (_, initial) = migration(&dir, "0001_");
        std::fs::copy(case.join("new.yaml"), model_dir.join("nomnom.yaml")).expect("new model");
        generate(
            &cli,
            &model_dir,
            &dir,
            &["--database", "mariadb", "--allow-destructive"],
        );
        let (_, next) = migration(&dir, "0002_");
        generate(&cli, &model_dir, &fresh, &mariadb);
        let (_, fresh_initial) = migration(&fresh, "0001_");

        let migrated = nomnom_testkit::MysqlTestDatabase::create_shared().await;
        let mut conn = migrated.conn().await;
        conn.query_drop(&initial)
            .await
            .unwrap_or_else(|e| panic!("{name}: initial migration: {e}"));
        conn.query_drop(&next)
            .await
            .unwrap_or_else(|e| panic!("{name}: migration: {e}\n{next}"));
        let installed = nomnom_testkit::MysqlTestDatabase::create_shared().await;
        let mut fresh_conn = installed.conn().await;
        fresh_conn
            .query_drop(&fresh_initial)
            .await
            .unwrap_or_else(|e| panic!("{name}: fresh install: {e}"));

        let after = mysql_schema(&mut conn, migrated.name()).await;
        let expected = mysql_schema(&mut fresh_conn, installed.name()).await;
        assert!(!expected.is_empty(), "{name}: the fresh schema has tables");
        let missing: Vec<&String> = expected.iter().filter(|l| !after.contains(l)).collect();
        let extra: Vec<&String> = after.iter().filter(|l| !expected.contains(l)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: the migrated schema differs from a fresh install of the new model\n\
             missing: {missing:#?}\nextra: {extra:#?}\n{next}"
        );
        conn.disconnect().await.expect("disconnect");
        fresh_conn.disconnect().await.expect("disconnect");
    }
}
