//! The first nomnom's loop, built against the generated `examples/tpch` model (the debug
//! build the end-to-end tests share), drains a stream into PostgreSQL with every row and
//! status in place, at no more than ten messages per 100 ms pause.

use nomnom_bench::first_loop::binary;
use nomnom_bench::project::Project;
use nomnom_bench::variant::Variant;
use nomnom_bench::worker_bench::{self, Drain, Loop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_nomnoms_loop_persists_everything_ten_messages_per_pause() {
    let built = nomnom_testkit::project::build_example("tpch", false);
    binary::build(&built.dir, false, &built.bin_dir).expect("building first-nomnom-loop");
    let project = Project::prebuilt(&built.bin_dir).expect("the generated binaries");
    assert!(project.first_loop.is_ok(), "{:?}", project.first_loop);
    let logs = tempfile::tempdir().expect("temp dir");
    let drain = Drain {
        processes: 1,
        messages: 60,
        looping: Loop::FirstNomnom,
        seed: 15,
        variant: Variant::Plain,
        digest_rows: false,
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
    assert!(run.verified, "every order, line item and status: {run:?}");
    assert_eq!(run.messages, 60);
    assert!(run.rows > 60, "orders and their line items: {run:?}");
    assert_eq!((run.mode.as_str(), run.batch_size), ("legacy-baseline", 10));
    // Six fetches of ten with a 100 ms sleep after each: the last is handled at least five
    // sleeps after the first (less the 20 ms the drain polls at).
    assert!(run.seconds >= 0.45, "{run:?}");
}
