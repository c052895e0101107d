//! The computed-fields stages compare like with like: `models/tpch-computed` declares the
//! same tables and columns as `examples/tpch`, and the same orders, posted in the computed
//! model's raw form, become the same rows.

use nomnom_bench::project::Project;
use nomnom_bench::rows_digest;
use nomnom_bench::variant::Variant;
use nomnom_bench::worker_bench::{self, Drain, Loop};

/// The schema `nomnom generate` writes for `variant`, without its comment lines (the first
/// names the project).
fn schema(variant: Variant) -> String {
    let out = tempfile::tempdir().expect("temp dir");
    let generated = std::process::Command::new(nomnom_testkit::project::nomnom_cli(false))
        .arg("generate")
        .arg(variant.model_dir())
        .arg("--output")
        .arg(out.path())
        .output()
        .expect("running nomnom generate");
    assert!(generated.status.success(), "{variant:?}: {generated:?}");
    std::fs::read_to_string(out.path().join("migrations/0001_initial.sql"))
        .expect("the initial migration")
        .lines()
        .filter(|line| !line.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_computed_model_declares_the_same_tables_and_columns_as_examples_tpch() {
    let plain = schema(Variant::Plain);
    assert!(plain.contains("CREATE TABLE order_line_items"), "{plain}");
    assert_eq!(schema(Variant::Computed), plain);
}

/// Both models built in debug (the build the end-to-end tests share), each draining the
/// same orders in its own form into a fresh database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_orders_become_the_same_rows_through_either_model() {
    let logs = tempfile::tempdir().expect("temp dir");
    let mut digests = Vec::new();
    for variant in Variant::BOTH {
        let built = nomnom_testkit::project::build_model(
            variant.project_name(),
            &variant.model_dir(),
            false,
        );
        let project = Project::prebuilt(&built.bin_dir).expect("the generated binaries");
        let drain = Drain {
            processes: 1,
            messages: 300,
            looping: Loop::Worker,
            seed: 23,
            variant,
            digest_rows: true,
        };
        let run = worker_bench::drain(
            &project,
            &nomnom_testkit::shared_nats_url(),
            &nomnom_testkit::shared_database_url(),
            &drain,
            logs.path(),
        )
        .await
        .expect("the drain");
        assert!(
            run.verified,
            "{variant:?}: every order, item and status: {run:?}"
        );
        assert!(run.rows > 300, "{run:?}");
        digests.push(run.rows_digest.expect("a digest"));
    }
    assert!(digests[0].starts_with("orders 300 rows Σ"), "{digests:?}");
    assert_eq!(
        digests[0],
        digests[1],
        "the same rows in {:?}",
        rows_digest::TABLES
    );
}
