//! The stages that compare two forms of a model compare like with like: `models/tpch-computed`
//! declares the same tables and columns as `examples/tpch`, `models/lab-json` the same as
//! `examples/hl7-lab`, and the same messages, posted in each form, become the same rows.

use nomnom_bench::project::Project;
use nomnom_bench::variant::{Pair, Variant};
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
fn both_forms_of_each_model_declare_the_same_tables_and_columns() {
    for pair in [Pair::COMPUTED, Pair::HL7] {
        let baseline = schema(pair.baseline);
        for table in pair.baseline.tables() {
            assert!(
                baseline.contains(&format!("CREATE TABLE {table} (")),
                "{pair:?}: {baseline}"
            );
        }
        assert_eq!(schema(pair.candidate), baseline, "{pair:?}");
    }
}

/// Both forms built in debug (the build the end-to-end tests share), each draining the same
/// messages in its own form into a fresh database.
async fn same_rows(pair: Pair, seed: u64) {
    let logs = tempfile::tempdir().expect("temp dir");
    let mut digests = Vec::new();
    for variant in pair.both() {
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
            seed,
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
            "{variant:?}: every message, row and status: {run:?}"
        );
        assert!(run.rows > 300, "{run:?}");
        digests.push(run.rows_digest.expect("a digest"));
    }
    let root = pair.baseline.tables()[0];
    assert!(
        digests[0].starts_with(&format!("{root} 300 rows Σ")),
        "{digests:?}"
    );
    assert_eq!(
        digests[0],
        digests[1],
        "the same rows in {:?}",
        pair.baseline.tables()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_orders_become_the_same_rows_with_or_without_computed_fields() {
    same_rows(Pair::COMPUTED, 23).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_lab_reports_become_the_same_rows_from_hl7_or_json() {
    same_rows(Pair::HL7, 29).await;
}
