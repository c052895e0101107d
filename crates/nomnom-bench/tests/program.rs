//! The benchmark program run as a user runs it, in smoke mode.

use std::path::Path;
use std::process::Command;

use nomnom_bench::variant::Variant;

/// Runs the program in smoke mode, with the binaries of each model given in `bin_dirs`
/// (nothing is built then), and those of tpch for MySQL in `mysql_bin_dir`.
fn run_smoke(
    out: &Path,
    bin_dirs: &[(Variant, &Path)],
    mysql_bin_dir: Option<&Path>,
) -> (std::process::ExitStatus, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nomnom-bench"));
    cmd.arg("--smoke").arg("--out").arg(out);
    for (variant, dir) in bin_dirs {
        cmd.env(variant.bin_dir_variable(), dir);
    }
    if let Some(dir) = mysql_bin_dir {
        cmd.env(nomnom_bench::project::MYSQL_BIN_DIR, dir);
    }
    let output = cmd.output().expect("running nomnom-bench");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status, stderr)
}

fn results(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("results.json")).expect("results.json");
    serde_json::from_str(&text).expect("results.json is JSON")
}

fn assert_report_files(out: &Path) {
    let md = std::fs::read_to_string(out.join("results.md")).expect("results.md");
    assert!(md.starts_with("# nomnom benchmark results"));
    assert!(md.contains("Smoke run"));
    for chart in ["throughput.svg", "p99.svg", "worker.svg"] {
        let svg = std::fs::read_to_string(out.join(chart)).expect(chart);
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{chart}"
        );
    }
}

/// Without the generated binaries the program still measures the publish limit, writes its
/// report, states what it skipped and why, and (being a smoke run) exits non-zero.
#[test]
fn smoke_without_generated_binaries_measures_the_publish_limit_and_says_what_it_skipped() {
    let out = tempfile::tempdir().expect("temp dir");
    let empty = tempfile::tempdir().expect("temp dir");
    let (status, stderr) = run_smoke(out.path(), &[(Variant::Plain, empty.path())], None);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("smoke run incomplete"), "{stderr}");
    let r = results(out.path());
    assert_eq!(r["smoke"], true);
    let publish = r["publish"].as_array().expect("publish runs");
    assert_eq!(
        publish.len(),
        6,
        "four closed-loop levels, one pipelined run, and the same with a Nats-Msg-Id on each"
    );
    for run in publish {
        assert!(run["messages"].as_u64().unwrap() > 0, "{run}");
        assert_eq!(run["errors"], 0, "{run}");
    }
    assert_eq!(publish[4]["pipelined"], true);
    assert_eq!(publish[4]["keyed"], false);
    assert_eq!(publish[5]["pipelined"], true);
    assert_eq!(publish[5]["keyed"], true);
    assert!(r["api"].as_array().unwrap().is_empty());
    let skipped = r["skipped"].as_array().expect("skipped");
    assert!(
        skipped[0]
            .as_str()
            .unwrap()
            .contains("ingestion-api is missing"),
        "{skipped:?}"
    );
    assert!(r["machine"]["cores"].as_u64().unwrap() >= 1);
    assert!(r["durability"]["postgres_fsync"].is_string());
    assert!(!r["goals"].as_array().unwrap().is_empty());
    assert_report_files(out.path());
}

/// The whole program against the generated `examples/tpch` pipeline. The smoke run checks
/// that every stage still works, not how fast: it uses the debug build the end-to-end tests
/// share (built once by the testkit in the shared target directory), so the suite does not
/// compile every dependency a second time in release mode. A real run builds in release.
#[test]
fn smoke_run_of_the_whole_pipeline_completes_every_stage() {
    let out = tempfile::tempdir().expect("temp dir");
    let project = nomnom_testkit::project::build_example("tpch", false);
    nomnom_bench::first_loop::binary::build(&project.dir, false, &project.bin_dir)
        .expect("building the first nomnom's loop");
    let debug_build = |variant: Variant| {
        nomnom_testkit::project::build_model(variant.project_name(), &variant.model_dir(), false)
    };
    let others = [Variant::Computed, Variant::LabJson, Variant::LabHl7].map(debug_build);
    let mut bin_dirs = vec![(Variant::Plain, project.bin_dir.as_path())];
    for (variant, built) in [Variant::Computed, Variant::LabJson, Variant::LabHl7]
        .into_iter()
        .zip(&others)
    {
        bin_dirs.push((variant, built.bin_dir.as_path()));
    }
    let mysql = nomnom_testkit::project::build_example_for("tpch", "mysql", false);
    let (status, stderr) = run_smoke(out.path(), &bin_dirs, Some(&mysql.bin_dir));
    assert!(status.success(), "{stderr}");
    let r = results(out.path());
    assert_eq!(r["api"].as_array().unwrap().len(), 4);
    assert!(r["api"][0]["accepted"].as_u64().unwrap() > 0);
    let floor = &r["minimal_handler"];
    assert!(floor["accepted"].as_u64().unwrap() > 0, "{floor}");
    assert_eq!(floor["errors"], 0, "{floor}");
    assert!(r["copy"]["rows"].as_u64().unwrap() > 0);
    let workers = r["workers"].as_array().unwrap();
    assert_eq!(workers.len(), 3);
    assert!(workers.iter().all(|w| w["verified"] == true));
    let e2e = r["end_to_end"].as_array().unwrap();
    assert_eq!(e2e.len(), 2, "single messages, then batches");
    assert_eq!(e2e[0]["posting"], "single");
    assert_eq!(
        e2e[1]["posting"]["batch"]["lines"], 100,
        "smoke-sized batches"
    );
    // Whether a rate held is a figure, not a check that the program works: each way of
    // posting searched, ran its sustained attempts, and every message of its latency run
    // was persisted.
    for run in e2e {
        assert!(!run["steps"].as_array().unwrap().is_empty(), "{run}");
        let sustain = run["sustain"].as_array().unwrap();
        assert!(!sustain.is_empty(), "{run}");
        assert!(
            sustain
                .iter()
                .all(|s| s["accepted_rate"].as_f64().unwrap() > 0.0 && s["errors"] == 0),
            "{run}"
        );
        assert!(run["persisted"].as_u64().unwrap() > 0, "{run}");
        assert_eq!(run["persisted"], run["accepted"], "{run}");
    }
    assert!(r["memory"]["api_peak_kib"].as_u64().unwrap() > 0);
    // Both forms of each pair under each of its loads, the drains' rows alike.
    let single = serde_json::json!({"single": {"concurrency": 64}});
    let batch = serde_json::json!({"batch": {"lines": 1000}});
    let mllp = serde_json::json!({"mllp": {"connections": 64}});
    let drain = serde_json::json!({"drain": {"processes": 1}});
    for (pair, loads) in [
        ("computed", vec![&single, &batch, &drain]),
        ("hl7", vec![&single, &batch, &mllp, &drain]),
        ("metrics", vec![&single, &batch, &drain]),
        ("telemetry", vec![&single, &batch, &drain]),
    ] {
        let cost = &r[pair];
        let comparisons = cost["comparisons"].as_array().unwrap();
        let ran: Vec<&serde_json::Value> = comparisons.iter().map(|c| &c["load"]).collect();
        assert_eq!(ran, loads, "{pair}: {cost}");
        for c in comparisons {
            for form in ["baseline", "candidate"] {
                assert!(c[form]["messages"].as_u64().unwrap() > 0, "{pair}: {c}");
                assert_eq!(c[form]["errors"], 0, "{pair}: {c}");
            }
        }
        assert_eq!(
            cost["same_rows_by_round"],
            serde_json::json!([true]),
            "{pair}"
        );
    }
    // The API open and keyed, single messages at c=64: every request of both accepted
    // (no 401 or 429 from the keyed API, whose key and rate limit were configured).
    let keys = &r["api_keys"];
    let comparisons = keys["comparisons"].as_array().unwrap();
    assert_eq!(comparisons.len(), 1, "{keys}");
    assert_eq!(comparisons[0]["load"], single, "{keys}");
    for form in ["baseline", "candidate"] {
        assert!(
            comparisons[0][form]["messages"].as_u64().unwrap() > 0,
            "{keys}"
        );
        assert_eq!(comparisons[0][form]["errors"], 0, "{keys}");
    }
    assert_eq!(keys["goal"], serde_json::json!({"rate_at_least": 0.97}));
    assert!(
        comparisons[0]["rate_ratio"].as_f64().unwrap() > 0.0,
        "{keys}"
    );
    let logs = out.path().join("logs");
    let keyed_api_log = std::fs::read_dir(&logs)
        .expect("the logs folder")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("api-keys-"))
        .count();
    assert_eq!(keyed_api_log, 1, "the keys file the keyed API read");
    // MariaDB: the same rows written the three ways, each database holding all of them,
    // and the MySQL worker's drain verified and measured against LOAD DATA.
    let writes = &r["copy_mysql"];
    let ways: Vec<&serde_json::Value> = writes["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| &w["strategy"])
        .collect();
    assert_eq!(
        ways,
        ["load-data", "insert-upsert", "staging-upsert"],
        "{writes}"
    );
    let rows = writes["rows"].as_u64().unwrap();
    assert!(rows > writes["messages"].as_u64().unwrap(), "{writes}");
    for way in writes["runs"].as_array().unwrap() {
        assert_eq!(way["verified"], true, "{way}");
        assert_eq!(way["rows"].as_u64(), Some(rows), "{way}");
        assert!(way["ratio_to_load_data"].as_f64().unwrap() > 0.0, "{way}");
    }
    assert_eq!(r["mariadb"]["local_infile"], true);
    let worker = &r["worker_mysql"];
    assert_eq!(worker["verified"], true, "{worker}");
    assert!(worker["ratio_to_copy"].as_f64().unwrap() > 0.0, "{worker}");
    let md = std::fs::read_to_string(out.path().join("results.md")).expect("results.md");
    assert!(
        md.contains("## MariaDB: write limit and set-based upserts"),
        "{md}"
    );
    assert!(md.contains("## MariaDB: the worker draining"), "{md}");
    assert!(
        md.contains("## API keys and a rate limit: rate against the open API"),
        "{md}"
    );
    assert!(md.contains("## Computed fields: cost per message"), "{md}");
    assert!(
        md.contains("## Metrics: rate against the same binaries with metrics off"),
        "{md}"
    );
    assert!(
        md.contains("## Metrics and traces: rate against the same binaries with both off"),
        "{md}"
    );
    // What recording costs per message, timed in-process: every piece measured.
    let recording = &r["recording"];
    for piece in [
        "api_metrics_ns_per_message",
        "api_metrics_ns_per_request",
        "worker_metrics_ns_per_message",
        "worker_trace_ns_per_message",
    ] {
        assert!(
            recording[piece].as_f64().unwrap() > 0.0,
            "{piece}: {recording}"
        );
    }
    assert!(
        md.contains("## Recording metrics and carrying trace context, per message"),
        "{md}"
    );
    assert!(md.contains("## HL7 v2: rate and cost per message"), "{md}");
    assert_report_files(out.path());
}

/// `scripts/bench-sized-postgres.sh` runs the program against a private PostgreSQL sized for
/// the machine (a quarter of the memory as shared buffers) and, for the MariaDB stages, a
/// private MariaDB sized alike (a quarter of the memory as the buffer pool, a 2 GB redo log,
/// the log flushed at every commit, LOCAL INFILE allowed), and removes both afterwards. One
/// run checks both, so no other run of the script makes folders while this one counts them.
#[test]
fn the_sized_postgres_script_measures_against_a_private_server_with_large_shared_buffers() {
    let out = tempfile::tempdir().expect("temp dir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let before = private_servers("nomnom-bench-");
    let output = Command::new(root.join("scripts/bench-sized-postgres.sh"))
        .args(["--smoke", "--only", "copy,copy-mysql", "--out"])
        .arg(out.path())
        .env("NOMNOM_BENCH_PROGRAM", env!("CARGO_BIN_EXE_nomnom-bench"))
        // No generated binaries needed for what is checked: the COPY stages are skipped
        // without them, and the settings are read all the same.
        .env("NOMNOM_BENCH_BIN_DIR", out.path())
        .env_remove(nomnom_bench::project::MYSQL_BIN_DIR)
        .output()
        .expect("running the script");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("private PostgreSQL on 127.0.0.1:"),
        "{stderr}"
    );
    let r = results(out.path());
    let shared_buffers = r["durability"]["postgres_shared_buffers"]
        .as_str()
        .expect("shared_buffers recorded");
    assert!(
        shared_buffers.ends_with("GB") || shared_buffers.ends_with("MB"),
        "{shared_buffers}"
    );
    assert_ne!(
        shared_buffers, "128MB",
        "the private server is sized, not Debian's default"
    );
    assert_eq!(r["durability"]["postgres_max_wal_size"], "16GB");
    assert_eq!(r["durability"]["postgres_fsync"], "on");
    assert!(stderr.contains("private MariaDB on 127.0.0.1:"), "{stderr}");
    let mariadb = &r["mariadb"];
    let pool = mariadb["innodb_buffer_pool_size"]
        .as_u64()
        .expect("the MariaDB settings recorded");
    assert!(
        pool > 128 << 20,
        "sized, not the default 128 MiB: {mariadb}"
    );
    assert_eq!(mariadb["innodb_log_file_size"], 2_u64 << 30, "{mariadb}");
    assert_eq!(mariadb["innodb_flush_log_at_trx_commit"], 1, "{mariadb}");
    assert_eq!(mariadb["local_infile"], true, "{mariadb}");
    assert_eq!(
        private_servers("nomnom-bench-"),
        before,
        "the script stops and removes its servers"
    );
}

/// `scripts/probe-foreign-key-cost.sh` writes every row in both variants, prints the CPU
/// difference, and drops its database.
#[test]
fn the_foreign_key_probe_writes_every_row_with_and_without_the_key_and_cleans_up() {
    let (database, output) = run_probe("probe-foreign-key-cost.sh", &["2", "1"], "nomnom_fk_probe");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[0].starts_with("round 1, with the foreign key: backend CPU ")
            && lines[0].contains("for 1000 orders, 4000 line items"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("round 1, without the foreign key: backend CPU "),
        "{stdout}"
    );
    let per_order = lines[2]
        .strip_prefix("foreign key: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<f64>().ok());
    assert!(per_order.is_some(), "{stdout}");
    assert!(!database_exists(&database), "{database} was dropped");
}

/// `scripts/probe-status-rewrite.sh` runs the status statements three ways per fill factor,
/// checks every row's status after each run, reports the worker's share, and drops its
/// database.
#[test]
fn the_status_probe_checks_every_row_reports_each_way_and_cleans_up() {
    let (database, output) = run_probe(
        "probe-status-rewrite.sh",
        &["2", "1", "100 70"],
        "nomnom_status_probe",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stderr.is_empty(), "no notices or errors: {stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 8, "six runs and two summaries: {stdout}");
    for (line, (ff, variant)) in lines.iter().zip([
        (100, "accepted"),
        (100, "fresh"),
        (100, "both"),
        (70, "accepted"),
        (70, "fresh"),
        (70, "both"),
    ]) {
        assert!(
            line.starts_with(&format!(
                "round 1, fill factor {ff}, {variant}: backend CPU "
            )) && line.contains("for 1000 messages"),
            "{stdout}"
        );
    }
    for (line, ff) in lines[6..].iter().zip([100, 70]) {
        // The number before each "µs".
        let rest = line
            .strip_prefix(&format!("fill factor {ff}: "))
            .unwrap_or_else(|| panic!("{stdout}"));
        let figures: Vec<f64> = rest
            .split(" µs")
            .filter_map(|chunk| chunk.rsplit(' ').next()?.parse::<f64>().ok())
            .collect();
        assert_eq!(figures.len(), 3, "three figures per fill factor: {line}");
        assert!(line.contains("heap-only"), "{line}");
    }
    assert!(!database_exists(&database), "{database} was dropped");
}

/// `scripts/probe-id-locality.sh` writes every row both ways, prints each chunk's figures and
/// a summary per way, and drops its database.
#[test]
fn the_id_locality_probe_writes_every_row_both_ways_and_cleans_up() {
    let (database, output) = run_probe("probe-id-locality.sh", &["3", "2"], "nomnom_id_probe");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        6,
        "two chunks and a summary each way: {stdout}"
    );
    for (i, way) in ["hashed", "ordered"].iter().enumerate() {
        let chunks = &lines[i * 3..i * 3 + 2];
        for (line, orders) in chunks.iter().zip(["1000", "1500"]) {
            assert!(
                line.starts_with(&format!("{way}: {orders} orders, "))
                    && line.contains(" µs per order, backend CPU ")
                    && line.ends_with(" B"),
                "{stdout}"
            );
        }
        assert!(
            lines[i * 3 + 2].starts_with(&format!("{way}: first chunk ")),
            "{stdout}"
        );
    }
    assert!(!database_exists(&database), "{database} was dropped");
}

/// Runs `scripts/<script>` with `args` to its end; returns the name of the scratch database
/// it made (`<prefix>_<its pid>`, to check that it was dropped) and what it printed.
fn run_probe(script: &str, args: &[&str], prefix: &str) -> (String, std::process::Output) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let child = Command::new(root.join("scripts").join(script))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running the probe");
    let database = format!("{prefix}_{}", child.id());
    let output = child.wait_with_output().expect("the probe's output");
    (database, output)
}

/// Whether the shared PostgreSQL has a database of that name.
fn database_exists(name: &str) -> bool {
    let output = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-Atc",
        ])
        .arg(format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
        ))
        .output()
        .expect("psql");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).trim() != "0"
}

/// The folders of private servers the script made (named from `prefix`) that still exist.
fn private_servers(prefix: &str) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir("/tmp")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(prefix))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}
