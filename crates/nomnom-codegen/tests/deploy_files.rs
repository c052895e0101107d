//! The deployment files as written, parsed back the way their consumers read them: the
//! compose file as YAML, `.env.example` as dotenv lines, the Dockerfile as instructions. Each
//! is checked against what the binaries actually read (`ENV_VARS`) and serve (ports, health).

use std::collections::BTreeMap;
use std::path::Path;

use nomnom_codegen::generate;
use serde_json::Value;

include!("../../nomnom-runtime/src/config/variables.rs");

fn tpch_tree() -> nomnom_codegen::FileTree {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tpch");
    let project = nomnom_spec::load(&dir)
        .expect("examples/tpch loads")
        .project;
    generate(&project).expect("generate")
}

fn reads(var: &EnvVar, binary: ReadBy) -> bool {
    var.read_by == binary || var.read_by == ReadBy::Both
}

#[test]
fn compose_file_parses_and_wires_both_binaries_to_healthy_dependencies() {
    let tree = tpch_tree();
    let text = tree.get("docker-compose.nats.yml").expect("compose file");
    let compose: Value = serde_saphyr::from_str(text).expect("the compose file is valid YAML");
    let services = compose["services"].as_object().expect("services");
    let names: Vec<&str> = services.keys().map(String::as_str).collect();
    assert_eq!(names, ["ingestion-api", "nats", "postgres", "worker"]);

    // NATS: JetStream on, monitoring on 8222, a health check that needs JetStream.
    let nats = &services["nats"];
    let command: Vec<&str> = nats["command"]
        .as_array()
        .expect("nats command")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(command.contains(&"-js") && command.windows(2).any(|w| w == ["-m", "8222"]));
    let ports: Vec<&str> = nats["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(ports.contains(&"4222:4222") && ports.contains(&"8222:8222"));
    assert!(nats["healthcheck"]["test"]
        .to_string()
        .contains("8222/healthz"));
    assert!(services["postgres"]["image"]
        .as_str()
        .is_some_and(|i| i.starts_with("postgres:16")));
    assert!(services["postgres"]["healthcheck"]["test"]
        .to_string()
        .contains("pg_isready"));

    for (service, binary, port) in [
        ("ingestion-api", ReadBy::Api, "8080"),
        ("worker", ReadBy::Worker, "8081"),
    ] {
        let s = &services[service];
        for dependency in ["nats", "postgres"] {
            assert_eq!(
                s["depends_on"][dependency]["condition"], "service_healthy",
                "{service} waits for a healthy {dependency}"
            );
        }
        let env: BTreeMap<&str, &str> = s["environment"]
            .as_object()
            .expect("environment")
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().expect("string values")))
            .collect();
        for var in ENV_VARS
            .iter()
            .filter(|v| reads(v, binary) && !v.default.is_empty())
        {
            assert!(env.contains_key(var.name), "{service} lacks {}", var.name);
        }
        for name in env.keys() {
            let var = ENV_VARS.iter().find(|v| v.name == *name);
            assert!(
                var.is_some_and(|v| reads(v, binary)),
                "{service} sets {name}, which it does not read"
            );
        }
        assert_eq!(env["NATS_URL"], "nats://nats:4222");
        assert!(env["DATABASE_URL"].contains("@postgres:5432/"));
        if service == "ingestion-api" {
            assert_eq!(env["PORT"], port);
            assert_eq!(s["ports"][0], format!("{port}:{port}"));
        } else {
            assert_eq!(env["WORKER_HEALTH_PORT"], port);
        }
    }
}

#[test]
fn env_example_lists_every_variable_with_its_default() {
    let tree = tpch_tree();
    let text = tree.get(".env.example").expect(".env.example");
    for var in ENV_VARS {
        let set = format!("{}={}", var.name, var.default);
        let commented = format!("# {}=", var.name);
        let line = text
            .lines()
            .find(|l| l.starts_with(&set) || l.starts_with(&commented));
        assert!(
            line.is_some(),
            ".env.example lacks {} (default {:?})",
            var.name,
            var.default
        );
    }
}

#[test]
fn dockerfile_builds_both_binaries_and_runs_them_unprivileged() {
    let tree = tpch_tree();
    let text = tree.get("Dockerfile").expect("Dockerfile");
    let instructions: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let stages = instructions
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .count();
    assert!(stages >= 2, "multi-stage build");
    let user = instructions
        .iter()
        .rev()
        .find(|l| l.starts_with("USER "))
        .expect("a USER in the final stage");
    let name = user["USER ".len()..].split(':').next().unwrap_or_default();
    assert!(name != "root" && name != "0", "runs as root: {user}");
    let copy = instructions
        .iter()
        .find(|l| l.starts_with("COPY --from="))
        .expect("the binaries are copied into the final image");
    assert!(copy.contains("ingestion-api") && copy.contains("worker"));
    assert!(instructions
        .iter()
        .any(|l| l.starts_with("EXPOSE") && l.contains("8080")));
}
