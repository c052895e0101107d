//! Deployment files: `.env.example` (from the runtime's `ENV_VARS`), a multi-stage
//! `Dockerfile`, `.dockerignore`, and `docker-compose.nats.yml` (built as data, emitted by
//! [`crate::yaml`]).

use nomnom_spec::model::Project;
use nomnom_spec::names;
use serde_json::{json, Map, Value};

use crate::emit::hash_header;
use crate::tree::FileTree;

/// The runtime's list of environment variables, included from its source so the two can
/// never drift apart.
#[allow(dead_code)]
pub mod env {
    include!("../../nomnom-runtime/src/config/variables.rs");
}

use env::{ReadBy, ENV_VARS};

/// `.env.example`: every variable with its default and meaning.
pub fn env_example() -> String {
    let mut out = hash_header();
    out.push_str("# Every environment variable the generated binaries read, with its default.\n");
    for var in ENV_VARS {
        let by = match var.read_by {
            ReadBy::Api => "ingestion-api",
            ReadBy::Worker => "worker",
            ReadBy::Both => "ingestion-api and worker",
        };
        out.push_str(&format!(
            "\n# {} (read by {by}{})\n",
            var.doc,
            if var.secret { "; secret" } else { "" }
        ));
        if var.default.is_empty() {
            out.push_str(&format!("# {}=\n", var.name));
        } else {
            out.push_str(&format!("{}={}\n", var.name, var.default));
        }
    }
    out
}

/// The Dockerfile: build both binaries, then a small non-root runtime image.
pub fn dockerfile(project: &Project) -> String {
    let mut out = hash_header();
    out.push_str(&format!(
        "# Image of the `{}` ingestion service: both binaries, run as a non-root user.\n\
         FROM rust:1.89-slim-bookworm AS build\n\
         WORKDIR /src\n\
         COPY . .\n\
         RUN cargo build --release --bins\n\
         \n\
         FROM gcr.io/distroless/cc-debian12:nonroot\n\
         COPY --from=build /src/target/release/ingestion-api /src/target/release/worker /usr/local/bin/\n\
         USER nonroot:nonroot\n\
         EXPOSE 8080 8081\n\
         ENTRYPOINT [\"/usr/local/bin/ingestion-api\"]\n",
        project.name
    ));
    out
}

fn environment(read_by: ReadBy, database: &str) -> Value {
    let mut env = Map::new();
    for var in ENV_VARS {
        let reads = var.read_by == read_by || var.read_by == ReadBy::Both;
        if !reads || var.default.is_empty() {
            continue;
        }
        let value = match var.name {
            "NATS_URL" => "nats://nats:4222".to_string(),
            "DATABASE_URL" => format!("postgres://postgres:postgres@postgres:5432/{database}"),
            _ => var.default.to_string(),
        };
        env.insert(var.name.to_string(), Value::String(value));
    }
    Value::Object(env)
}

/// `docker-compose.nats.yml` as data.
pub fn compose_value(project: &Project) -> Value {
    let database = names::snake_case(&project.name);
    let healthy = json!({
        "nats": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"}
    });
    json!({
        "name": names::k8s_name(&project.name),
        "services": {
            "nats": {
                "image": "nats:2.10-alpine",
                "command": ["-js", "-sd", "/data", "-m", "8222"],
                "ports": ["4222:4222", "8222:8222"],
                "volumes": ["nats-data:/data"],
                "healthcheck": {
                    "test": ["CMD", "wget", "-q", "-O", "-", "http://localhost:8222/healthz?js-enabled-only=true"],
                    "interval": "5s", "timeout": "3s", "retries": 10
                }
            },
            "postgres": {
                "image": "postgres:16-alpine",
                "environment": {"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "postgres", "POSTGRES_DB": database},
                "ports": ["5432:5432"],
                "volumes": ["postgres-data:/var/lib/postgresql/data"],
                "healthcheck": {
                    "test": ["CMD", "pg_isready", "-U", "postgres", "-d", database],
                    "interval": "5s", "timeout": "3s", "retries": 10
                }
            },
            "ingestion-api": {
                "build": ".",
                "entrypoint": ["/usr/local/bin/ingestion-api"],
                "environment": environment(ReadBy::Api, &database),
                "ports": ["8080:8080"],
                "depends_on": healthy.clone(),
                "restart": "unless-stopped"
            },
            "worker": {
                "build": ".",
                "entrypoint": ["/usr/local/bin/worker"],
                "environment": environment(ReadBy::Worker, &database),
                "ports": ["8081:8081"],
                "depends_on": healthy,
                "restart": "unless-stopped"
            }
        },
        "volumes": {"nats-data": {}, "postgres-data": {}}
    })
}

/// Adds the deployment files.
pub fn files(project: &Project, tree: &mut FileTree) {
    tree.insert(".env.example", env_example());
    tree.insert("Dockerfile", dockerfile(project));
    tree.insert(".dockerignore", format!("{}target\n.env\n", hash_header()));
    let mut compose = hash_header();
    compose.push_str(
        "# Local stack: NATS (JetStream) and PostgreSQL 16, the ingestion API and the worker.\n",
    );
    compose.push_str(&crate::yaml::to_yaml(&compose_value(project)));
    tree.insert("docker-compose.nats.yml", compose);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_example_lists_every_variable() {
        let text = env_example();
        for var in ENV_VARS {
            assert!(
                text.contains(&format!("{}=", var.name)),
                "{} missing",
                var.name
            );
        }
        assert!(text.contains("NATS_STREAM=MESSAGES\n"));
        assert!(text.contains("# NATS_TOKEN=\n"));
    }

    fn project() -> Project {
        Project {
            name: "shop-events".into(),
            entities: vec![],
            transforms: vec![],
        }
    }

    #[test]
    fn compose_runs_both_binaries_after_healthy_dependencies() {
        let compose = compose_value(&project());
        let services = &compose["services"];
        assert_eq!(
            services["nats"]["command"],
            json!(["-js", "-sd", "/data", "-m", "8222"])
        );
        assert!(services["nats"]["ports"]
            .as_array()
            .is_some_and(|p| p.contains(&json!("8222:8222"))));
        assert_eq!(services["postgres"]["image"], "postgres:16-alpine");
        for dep in ["nats", "postgres"] {
            assert!(
                services[dep]["healthcheck"]["test"].is_array(),
                "{dep} has no health check"
            );
        }
        for (service, read_by) in [("ingestion-api", ReadBy::Api), ("worker", ReadBy::Worker)] {
            let s = &services[service];
            assert_eq!(s["depends_on"]["nats"]["condition"], "service_healthy");
            assert_eq!(s["depends_on"]["postgres"]["condition"], "service_healthy");
            let env = s["environment"].as_object().expect("environment");
            for var in ENV_VARS {
                let reads = var.read_by == read_by || var.read_by == ReadBy::Both;
                if reads && !var.default.is_empty() {
                    assert!(env.contains_key(var.name), "{service} lacks {}", var.name);
                } else {
                    assert!(
                        !env.contains_key(var.name),
                        "{service} sets {} it does not read",
                        var.name
                    );
                }
            }
            assert_eq!(env["NATS_URL"], "nats://nats:4222");
            assert_eq!(
                env["DATABASE_URL"],
                "postgres://postgres:postgres@postgres:5432/shop_events"
            );
        }
        assert_eq!(services["ingestion-api"]["ports"], json!(["8080:8080"]));
    }

    #[test]
    fn dockerfile_is_multi_stage_and_non_root() {
        let text = dockerfile(&project());
        assert_eq!(text.matches("FROM ").count(), 2);
        assert!(text.contains("USER nonroot"));
        assert!(text.contains("/src/target/release/ingestion-api /src/target/release/worker"));
    }
}
