//! Deployment files: `.env.example` (from the runtime's `ENV_VARS`), a multi-stage
//! `Dockerfile`, `.dockerignore`, and `docker-compose.nats.yml` (built as data, emitted by
//! [`crate::yaml`]).

use nomnom_spec::model::Project;
use nomnom_spec::names;
use serde_json::{json, Map, Value};

use crate::database::Database;
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
#[cfg(test)]
pub fn env_example() -> String {
    env_example_for(Database::Postgresql, "")
}

/// `.env.example` of a project generated for `database`.
pub fn env_example_for(database: Database, project: &str) -> String {
    let mut out = hash_header();
    out.push_str("# Every environment variable the generated binaries read, with its default.\n");
    if database.is_mysql() {
        out.push_str(&format!(
            "# This project was generated for {database} (nomnom generate --database {database}): \
             DATABASE_URL must be a mysql:// URL.\n"
        ));
    }
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
        if var.name == "DATABASE_URL" && database.is_mysql() {
            out.push_str(&format!("{}={}\n", var.name, database.example_url(project)));
        } else if var.default.is_empty() {
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

fn environment(read_by: ReadBy, database: &str, server: Database) -> Value {
    let mut env = Map::new();
    for var in ENV_VARS {
        let reads = var.read_by == read_by || var.read_by == ReadBy::Both;
        if !reads || var.default.is_empty() {
            continue;
        }
        let value = match var.name {
            "NATS_URL" => "nats://nats:4222".to_string(),
            "DATABASE_URL" if server.is_mysql() => {
                format!("mysql://nomnom:nomnom@{server}:3306/{database}")
            }
            "DATABASE_URL" => format!("postgres://postgres:postgres@postgres:5432/{database}"),
            _ => var.default.to_string(),
        };
        env.insert(var.name.to_string(), Value::String(value));
    }
    Value::Object(env)
}

/// `docker-compose.nats.yml` as data.
#[cfg(test)]
pub fn compose_value(project: &Project) -> Value {
    compose_value_for(project, Database::Postgresql)
}

/// The database service of the local stack, by name.
fn database_service(server: Database, database: &str) -> (&'static str, Value) {
    match server {
        Database::Postgresql => (
            "postgres",
            json!({
                "image": "postgres:16-alpine",
                "environment": {"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "postgres", "POSTGRES_DB": database},
                "ports": ["5432:5432"],
                "volumes": ["postgres-data:/var/lib/postgresql/data"],
                "healthcheck": {
                    "test": ["CMD", "pg_isready", "-U", "postgres", "-d", database],
                    "interval": "5s", "timeout": "3s", "retries": 10
                }
            }),
        ),
        Database::Mysql => (
            "mysql",
            json!({
                "image": "mysql:8.4",
                "command": ["--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin"],
                "environment": {"MYSQL_ROOT_PASSWORD": "nomnom", "MYSQL_DATABASE": database, "MYSQL_USER": "nomnom", "MYSQL_PASSWORD": "nomnom"},
                "ports": ["3306:3306"],
                "volumes": ["mysql-data:/var/lib/mysql"],
                "healthcheck": {
                    "test": ["CMD", "mysqladmin", "ping", "-h", "127.0.0.1", "-unomnom", "-pnomnom"],
                    "interval": "5s", "timeout": "3s", "retries": 20
                }
            }),
        ),
        Database::Mariadb => (
            "mariadb",
            json!({
                "image": "mariadb:10.11",
                "command": ["--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin"],
                "environment": {"MARIADB_ROOT_PASSWORD": "nomnom", "MARIADB_DATABASE": database, "MARIADB_USER": "nomnom", "MARIADB_PASSWORD": "nomnom"},
                "ports": ["3306:3306"],
                "volumes": ["mariadb-data:/var/lib/mysql"],
                "healthcheck": {
                    "test": ["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"],
                    "interval": "5s", "timeout": "3s", "retries": 20
                }
            }),
        ),
    }
}

/// `docker-compose.nats.yml` as data, for `server`.
pub fn compose_value_for(project: &Project, server: Database) -> Value {
    let database = names::snake_case(&project.name);
    let (db_name, db_service) = database_service(server, &database);
    let healthy = json!({
        "nats": {"condition": "service_healthy"},
        db_name: {"condition": "service_healthy"}
    });
    let mut services = json!({
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
        "ingestion-api": {
            "build": ".",
            "entrypoint": ["/usr/local/bin/ingestion-api"],
            "environment": environment(ReadBy::Api, &database, server),
            "ports": ["8080:8080"],
            "depends_on": healthy.clone(),
            "restart": "unless-stopped"
        },
        "worker": {
            "build": ".",
            "entrypoint": ["/usr/local/bin/worker"],
            "environment": environment(ReadBy::Worker, &database, server),
            "ports": ["8081:8081"],
            "depends_on": healthy,
            "restart": "unless-stopped"
        }
    });
    if let Some(map) = services.as_object_mut() {
        map.insert(db_name.to_string(), db_service);
    }
    let mut volumes = Map::new();
    volumes.insert("nats-data".to_string(), json!({}));
    volumes.insert(format!("{db_name}-data"), json!({}));
    json!({
        "name": names::k8s_name(&project.name),
        "services": services,
        "volumes": volumes
    })
}

/// Adds the deployment files.
pub fn files(project: &Project, database: Database, tree: &mut FileTree) {
    tree.insert(
        ".env.example",
        env_example_for(database, &names::snake_case(&project.name)),
    );
    tree.insert("Dockerfile", dockerfile(project));
    tree.insert(".dockerignore", format!("{}target\n.env\n", hash_header()));
    let mut compose = hash_header();
    let server = match database {
        Database::Postgresql => "PostgreSQL 16",
        Database::Mysql => "MySQL 8.4",
        Database::Mariadb => "MariaDB 10.11",
    };
    compose.push_str(&format!(
        "# Local stack: NATS (JetStream) and {server}, the ingestion API and the worker.\n"
    ));
    compose.push_str(&crate::yaml::to_yaml(&compose_value_for(project, database)));
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
