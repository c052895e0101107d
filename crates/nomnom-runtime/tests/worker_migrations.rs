//! Migrations: applied once in order, idempotent, safe when several workers start together,
//! a changed applied migration refused, a failing one rolled back and reported.

mod support_worker;

use nomnom_runtime::db::{apply_migrations, MigrationError};
use nomnom_runtime::model::{Migration, Model};
use support_worker::{TestDb, TestModel};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once_even_when_workers_start_together() {
    let db = TestDb::create().await;
    let pg = db.pg();
    let runs = futures_util::future::join_all(
        (0..4).map(|_| apply_migrations(&pg, TestModel::MIGRATIONS)),
    )
    .await;
    let mut applied = 0;
    for run in runs {
        let report = run.expect("every concurrent run succeeds");
        applied += report.applied.len();
    }
    assert_eq!(applied, 2, "each migration applied exactly once");
    let again = apply_migrations(&db.pg(), TestModel::MIGRATIONS)
        .await
        .expect("idempotent");
    assert!(again.applied.is_empty());
    assert_eq!(again.already_applied, vec![1, 2]);
    assert_eq!(db.count("SELECT count(*) FROM _nomnom_migrations").await, 2);
    assert_eq!(
        db.count("SELECT count(*) FROM orders").await,
        0,
        "the tables exist"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_applied_migration_is_refused_and_failing_one_rolled_back() {
    let db = TestDb::create().await;
    apply_migrations(&db.pg(), TestModel::MIGRATIONS)
        .await
        .expect("first run");

    let edited = [
        TestModel::MIGRATIONS[0],
        Migration {
            version: 2,
            name: "orders",
            sql: "CREATE TABLE orders (id int);",
        },
    ];
    let err = apply_migrations(&db.pg(), &edited)
        .await
        .expect_err("checksum mismatch refused");
    assert!(
        matches!(err, MigrationError::ChecksumMismatch { version: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("add a new migration instead"));

    let broken = [
        TestModel::MIGRATIONS[0],
        TestModel::MIGRATIONS[1],
        Migration {
            version: 3,
            name: "broken",
            sql: "CREATE TABLE ok_part (id int); CREATE TABLE oops (id nosuchtype);",
        },
    ];
    let err = apply_migrations(&db.pg(), &broken)
        .await
        .expect_err("failure reported");
    assert!(
        matches!(err, MigrationError::Failed { version: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("nosuchtype"), "{err}");
    assert_eq!(
        db.count("SELECT count(*) FROM _nomnom_migrations").await,
        2,
        "not recorded"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'ok_part'")
            .await,
        0,
        "rolled back"
    );

    let unordered = [TestModel::MIGRATIONS[1], TestModel::MIGRATIONS[0]];
    assert!(matches!(
        apply_migrations(&db.pg(), &unordered).await,
        Err(MigrationError::OutOfOrder(1))
    ));
}
