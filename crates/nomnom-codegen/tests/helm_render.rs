//! Renders the generated chart with a real Helm engine (Helm v4 as a library, see
//! `scripts/install-helm-engine.sh`) and checks the manifests against what the binaries read
//! and what KEDA, NATS and Kubernetes need.

mod helm;

use helm::env_vars::{ReadBy, ENV_VARS};
use helm::{container_env, env_value, Rendered};
use nomnom_codegen::Database;
use serde_json::{json, Value};

/// Renders the tpch chart with `values_files` and `set`, asserting that Helm's strict lint is
/// clean and that every object is valid against Kubernetes' OpenAPI schema (strict); the
/// KEDA ScaledObject, a custom resource, is checked field by field below instead.
fn render(case: &str, values_files: &[&str], set: Value) -> Rendered {
    render_for(Database::Postgresql, case, values_files, set)
}

/// [`render`] for the tpch project generated for `database`.
fn render_for(database: Database, case: &str, values_files: &[&str], set: Value) -> Rendered {
    let chart = helm::write_chart_for(&helm::tpch(), database, case);
    let rendered = helm::render(&chart, values_files, set);
    let problems = rendered.lint_problems();
    assert!(problems.is_empty(), "helm lint (strict): {problems:#?}");
    assert!(
        rendered.schema_errors.is_empty(),
        "invalid Kubernetes objects: {:#?}",
        rendered.schema_errors
    );
    for unknown in &rendered.schema_unknown {
        assert!(
            [
                "keda.sh/v1alpha1/ScaledObject",
                "monitoring.coreos.com/v1/ServiceMonitor",
                "monitoring.coreos.com/v1/PrometheusRule",
            ]
            .contains(&unknown.as_str()),
            "no schema for {unknown}"
        );
    }
    rendered
}

fn default_render(case: &str) -> Rendered {
    render(case, &[], json!({}))
}

/// The production values, with the keys Secret they require named.
fn production_render(case: &str) -> Rendered {
    render(
        case,
        &["values-production.yaml"],
        json!({"apiKeys": {"existingSecret": "ingest-api-keys"}}),
    )
}

/// The binaries' environment on the API Deployment, the worker Deployment and the migration Job.
fn workloads(r: &Rendered) -> Vec<(&'static str, &Value, ReadBy)> {
    vec![
        ("api", r.get("Deployment", "-api"), ReadBy::Api),
        ("worker", r.get("Deployment", "-worker"), ReadBy::Worker),
        ("migrate", r.get("Job", "-migrate"), ReadBy::Worker),
    ]
}

fn every_env_var_is_set(r: &Rendered) {
    for (what, workload, binary) in workloads(r) {
        let env = container_env(workload);
        // API_KEYS_FILE is set only when apiKeys.existingSecret names the keys' Secret
        // (api_keys_come_from_a_secret... checks it); unset, the API is open.
        for var in ENV_VARS
            .iter()
            .filter(|v| v.read_by == binary || v.read_by == ReadBy::Both)
            .filter(|v| v.name != "API_KEYS_FILE")
        {
            let entry = env.iter().find(|(n, _)| n == var.name);
            let (_, entry) = entry.unwrap_or_else(|| panic!("{what}: {} is not set", var.name));
            assert!(
                entry.get("value").is_some() || entry.get("valueFrom").is_some(),
                "{what}: {} has neither value nor valueFrom",
                var.name
            );
        }
        let mut names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
        let total = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), total, "{what}: a variable is set twice");
        for (name, _) in &env {
            assert!(
                ENV_VARS.iter().any(|v| v.name == name),
                "{what}: {name} is set but no binary reads it"
            );
        }
    }
}

#[test]
fn every_env_var_is_set_on_the_workloads_that_read_it() {
    every_env_var_is_set(&default_render("env-default"));
    every_env_var_is_set(&production_render("env-production"));
}

/// Every container of every workload, with where it is.
fn all_containers(r: &Rendered) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for kind in ["Deployment", "StatefulSet", "Job"] {
        for workload in r.all(kind) {
            let spec = &workload["spec"]["template"]["spec"];
            for list in ["containers", "initContainers"] {
                for c in spec[list].as_array().into_iter().flatten() {
                    let name = format!("{kind}/{}/{}", workload["metadata"]["name"], c["name"]);
                    out.push((name, c.clone()));
                }
            }
        }
    }
    out
}

fn no_secret_is_plain(r: &Rendered) {
    let secret_names: Vec<&str> = ENV_VARS
        .iter()
        .filter(|v| v.secret)
        .map(|v| v.name)
        .chain(["POSTGRES_PASSWORD"])
        .collect();
    let mut checked = 0;
    for (where_, container) in all_containers(r) {
        for entry in container["env"].as_array().into_iter().flatten() {
            let name = entry["name"].as_str().unwrap_or("");
            if secret_names.contains(&name) {
                assert!(
                    entry.get("value").is_none(),
                    "{where_}: {name} is a plain value"
                );
                assert!(
                    entry["valueFrom"]["secretKeyRef"]["name"].is_string(),
                    "{where_}: {name} is not read from a Secret"
                );
                checked += 1;
            }
        }
        assert!(
            container.get("envFrom").is_none(),
            "{where_}: envFrom hides where variables come from"
        );
    }
    assert!(checked >= 9, "only {checked} secret variables were found");
    for config_map in r.all("ConfigMap") {
        let mut text = config_map["data"].to_string();
        for name in &secret_names {
            // A `$NATS_TOKEN` reference reads the server's environment (from a Secret).
            text = text.replace(&format!("${name}"), "");
            assert!(!text.contains(name), "ConfigMap holds {name}");
        }
    }
}

#[test]
fn no_secret_variable_is_a_plain_value() {
    no_secret_is_plain(&default_render("secrets-default"));
    no_secret_is_plain(&production_render("secrets-production"));
    let r = render(
        "secrets-nats-auth",
        &[],
        json!({"natsAuth": {"token": "s3cr3t-token", "password": "s3cr3t-password"}}),
    );
    no_secret_is_plain(&r);
    let secret = r.get("Secret", "-nats-auth");
    assert!(secret["data"]["NATS_TOKEN"].is_string());
    for (_, text) in &r.texts {
        if !text.contains("kind: Secret") {
            assert!(!text.contains("s3cr3t"), "a credential leaked:\n{text}");
        }
    }
}

/// The single container of a workload.
fn container(workload: &Value) -> &Value {
    &workload["spec"]["template"]["spec"]["containers"][0]
}

/// The container port named `name`.
fn port(container: &Value, name: &str) -> i64 {
    container["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == name)
        .and_then(|p| p["containerPort"].as_i64())
        .unwrap_or_else(|| panic!("no port {name}"))
}

/// (path, port number) of an httpGet probe, resolving a named port.
fn probe(container: &Value, probe: &str) -> (String, i64) {
    let get = &container[probe]["httpGet"];
    let path = get["path"].as_str().unwrap_or_default().to_string();
    let port_number = match &get["port"] {
        Value::String(name) => port(container, name),
        other => other.as_i64().unwrap_or_default(),
    };
    (path, port_number)
}

#[test]
fn ports_and_probes_match_the_binaries() {
    let r = default_render("ports");
    let api = r.get("Deployment", "-api");
    let c = container(api);
    assert_eq!(c["command"], json!(["ingestion-api"]));
    assert_eq!(port(c, "http"), 8080);
    assert_eq!(env_value(&container_env(api), "PORT"), Some("8080"));
    assert_eq!(env_value(&container_env(api), "HOST"), Some("0.0.0.0"));
    assert_eq!(probe(c, "livenessProbe"), ("/health".into(), 8080));
    assert_eq!(probe(c, "readinessProbe"), ("/ready".into(), 8080));
    let service = r.get("Service", "-api");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http");
    assert_eq!(
        service["spec"]["selector"],
        api["spec"]["template"]["metadata"]["labels"]
    );

    let worker = r.get("Deployment", "-worker");
    let c = container(worker);
    assert_eq!(c["command"], json!(["worker"]));
    assert_eq!(port(c, "health"), 8081);
    assert_eq!(
        env_value(&container_env(worker), "WORKER_HEALTH_PORT"),
        Some("8081")
    );
    assert_eq!(probe(c, "livenessProbe"), ("/health".into(), 8081));
    assert_eq!(probe(c, "readinessProbe"), ("/ready".into(), 8081));

    let job = r.get("Job", "-migrate");
    assert_eq!(container(job)["args"], json!(["migrate"]));
    assert!(container(job)["resources"]["requests"].is_object());

    // Moving the API port moves the variable, the container port and the probes together.
    let moved = render("ports-moved", &[], json!({"api": {"port": 9090}}));
    let api = moved.get("Deployment", "-api");
    assert_eq!(env_value(&container_env(api), "PORT"), Some("9090"));
    assert_eq!(
        probe(container(api), "readinessProbe"),
        ("/ready".into(), 9090)
    );
}

#[test]
fn an_mllp_port_is_exposed_by_the_container_and_the_service_only_when_set() {
    let r = default_render("mllp-unset");
    let named = |ports: &Value, name: &str| {
        ports
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == name)
    };
    let api = r.get("Deployment", "-api");
    assert!(!named(&container(api)["ports"], "mllp"));
    assert!(!named(&r.get("Service", "-api")["spec"]["ports"], "mllp"));

    let r = render(
        "mllp-set",
        &[],
        json!({"config": {"api": {"MLLP_PORT": "2575"}}}),
    );
    let api = r.get("Deployment", "-api");
    assert_eq!(port(container(api), "mllp"), 2575);
    assert_eq!(env_value(&container_env(api), "MLLP_PORT"), Some("2575"));
    let service = r.get("Service", "-api");
    let mllp = service["spec"]["ports"]
        .as_array()
        .and_then(|ports| ports.iter().find(|p| p["name"] == "mllp"))
        .expect("an mllp port on the API Service");
    assert_eq!(mllp["port"], 2575);
    assert_eq!(mllp["targetPort"], "mllp");
    assert_eq!(mllp["protocol"], "TCP");
    // The HTTP port is unchanged beside it.
    assert_eq!(port(container(api), "http"), 8080);
}

#[test]
fn the_migration_job_mounts_the_workers_files_as_it_reads_the_workers_variables() {
    let r = render(
        "job-volumes",
        &[],
        json!({
            "config": {"common": {"DATABASE_CA_FILE": "/etc/nomnom/pg/ca.crt"}},
            "worker": {
                "extraVolumes": [{"name": "pg-tls", "secret": {"secretName": "pg-ca"}}],
                "extraVolumeMounts": [{"name": "pg-tls", "mountPath": "/etc/nomnom/pg", "readOnly": true}]
            }
        }),
    );
    for (kind, suffix) in [("Deployment", "-worker"), ("Job", "-migrate")] {
        let workload = r.get(kind, suffix);
        assert_eq!(
            env_value(&container_env(workload), "DATABASE_CA_FILE"),
            Some("/etc/nomnom/pg/ca.crt"),
            "{kind}"
        );
        let pod = &workload["spec"]["template"]["spec"];
        assert_eq!(pod["volumes"][0]["secret"]["secretName"], "pg-ca", "{kind}");
        assert_eq!(
            container(workload)["volumeMounts"][0]["mountPath"],
            "/etc/nomnom/pg",
            "{kind}"
        );
    }
}

#[test]
fn api_scales_on_cpu_with_an_hpa() {
    let r = default_render("hpa");
    let hpa = r.get("HorizontalPodAutoscaler", "-api");
    assert_eq!(hpa["apiVersion"], "autoscaling/v2");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], "ingest-tpch-api");
    let metric = &hpa["spec"]["metrics"][0]["resource"];
    assert_eq!(metric["name"], "cpu");
    assert_eq!(metric["target"]["type"], "Utilization");
    assert!(
        r.get("Deployment", "-api")["spec"]
            .get("replicas")
            .is_none(),
        "the HPA owns the replica count"
    );
    let api = container(r.get("Deployment", "-api"));
    assert!(
        api["resources"]["requests"]["cpu"].is_string(),
        "HPA needs a CPU request"
    );
}

/// The value of one KEDA trigger field.
fn trigger_field<'a>(trigger: &'a Value, field: &str) -> &'a str {
    trigger["metadata"][field]
        .as_str()
        .unwrap_or_else(|| panic!("trigger field {field} missing or not a string"))
}

fn keda_is_complete(r: &Rendered) {
    let so = r.get("ScaledObject", "-worker");
    assert_eq!(so["apiVersion"], "keda.sh/v1alpha1");
    let spec = &so["spec"];
    assert_eq!(spec["scaleTargetRef"]["name"], "ingest-tpch-worker");
    assert_eq!(spec["minReplicaCount"], 0);
    assert!(spec["maxReplicaCount"].as_i64().unwrap_or(0) >= 1);
    assert!(spec["pollingInterval"].as_i64().unwrap_or(0) > 0);
    assert!(spec["cooldownPeriod"].as_i64().unwrap_or(0) >= 60);
    assert!(spec["fallback"]["failureThreshold"].as_i64().unwrap_or(0) >= 1);
    assert!(spec["fallback"]["replicas"].as_i64().unwrap_or(0) >= 1);
    assert!(
        spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]
            ["stabilizationWindowSeconds"]
            .as_i64()
            .unwrap_or(0)
            > 0
    );
    let triggers = spec["triggers"].as_array().expect("triggers");
    assert_eq!(triggers.len(), 1);
    let t = &triggers[0];
    assert_eq!(t["type"], "nats-jetstream");
    // Every field of KEDA's nats-jetstream scaler: all strings.
    let worker_env = container_env(r.get("Deployment", "-worker"));
    assert_eq!(trigger_field(t, "account"), "$G");
    assert_eq!(
        Some(trigger_field(t, "stream")),
        env_value(&worker_env, "NATS_STREAM")
    );
    assert_eq!(
        Some(trigger_field(t, "consumer")),
        env_value(&worker_env, "NATS_CONSUMER")
    );
    for field in ["lagThreshold", "activationLagThreshold"] {
        let v = trigger_field(t, field);
        assert!(v.parse::<u64>().is_ok(), "{field} = {v:?} is not a count");
    }
    assert_eq!(trigger_field(t, "useHttps"), "false");
    // The monitoring endpoint is host:port of the NATS HEADLESS service, so the scaler can
    // reach each server as <pod>.<host> and find the stream leader.
    let endpoint = trigger_field(t, "natsServerMonitoringEndpoint");
    assert!(!endpoint.contains("://"), "no scheme: {endpoint}");
    let (host, port) = endpoint.rsplit_once(':').expect("host:port");
    let headless = r.get("Service", "-nats-headless");
    assert_eq!(headless["spec"]["clusterIP"], "None");
    let headless_name = headless["metadata"]["name"].as_str().unwrap_or_default();
    assert_eq!(host, format!("{headless_name}.nomnom.svc.cluster.local"));
    let monitor = headless["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "monitor")
        .expect("headless service exposes monitoring");
    assert_eq!(monitor["port"].to_string(), port);
    // ... which works only if each server's name is its pod name.
    let sts = r.get("StatefulSet", "-nats");
    assert_eq!(sts["spec"]["serviceName"], headless_name);
    let server_name = container_env(sts)
        .into_iter()
        .find(|(n, _)| n == "SERVER_NAME")
        .map(|(_, e)| e["valueFrom"]["fieldRef"]["fieldPath"].clone());
    assert_eq!(server_name, Some(json!("metadata.name")));
    assert!(nats_conf(r).contains("server_name: $SERVER_NAME"));
}

#[test]
fn keda_trigger_has_every_field_the_scaler_requires() {
    keda_is_complete(&default_render("keda-default"));
    keda_is_complete(&production_render("keda-production"));
}

/// The rendered nats.conf.
fn nats_conf(r: &Rendered) -> String {
    r.get("ConfigMap", "-nats-config")["data"]["nats.conf"]
        .as_str()
        .expect("nats.conf")
        .to_string()
}

fn stream_replicas_follow_nats(case: &str, servers: i64, expected_stream_replicas: &str) {
    let r = render(case, &[], json!({"nats": {"replicas": servers}}));
    let sts = r.get("StatefulSet", "-nats");
    assert_eq!(sts["spec"]["replicas"], servers);
    for (what, workload, _) in workloads(&r) {
        assert_eq!(
            env_value(&container_env(workload), "NATS_REPLICAS"),
            Some(expected_stream_replicas),
            "{what}"
        );
    }
    let conf = nats_conf(&r);
    let routes = conf.matches("nats://").count() as i64;
    assert_eq!(routes, servers, "one route per server:\n{conf}");
    for i in 0..servers {
        assert!(conf.contains(&format!(
            "nats://ingest-tpch-nats-{i}.ingest-tpch-nats-headless."
        )));
    }
}

#[test]
fn stream_replicas_equal_nats_servers() {
    let r = default_render("replicas-default");
    assert_eq!(r.get("StatefulSet", "-nats")["spec"]["replicas"], 3);
    assert_eq!(
        env_value(&container_env(r.get("Deployment", "-api")), "NATS_REPLICAS"),
        Some("3")
    );
    stream_replicas_follow_nats("replicas-5", 5, "5");
    // JetStream allows at most 5 stream replicas.
    stream_replicas_follow_nats("replicas-7", 7, "5");
    // A single server: no cluster block, no PDB, one stream replica.
    let single = render("replicas-1", &[], json!({"nats": {"replicas": 1}}));
    assert!(!nats_conf(&single).contains("cluster {"));
    assert!(single.all("PodDisruptionBudget").is_empty());
    assert_eq!(
        env_value(
            &container_env(single.get("Deployment", "-worker")),
            "NATS_REPLICAS"
        ),
        Some("1")
    );
}

/// Bytes in a size such as `1GB`, `60GiB`, `8192M` (NATS: M = MiB), `10Gi`.
fn bytes(size: &str) -> u64 {
    let digits: String = size.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n: u64 = digits.parse().unwrap_or_else(|_| panic!("size {size:?}"));
    let unit = &size[digits.len()..];
    n * match unit {
        "" | "B" => 1,
        "KB" => 1000,
        "MB" => 1000 * 1000,
        "GB" => 1000 * 1000 * 1000,
        "K" | "Ki" | "KiB" => 1 << 10,
        "M" | "Mi" | "MiB" => 1 << 20,
        "G" | "Gi" | "GiB" => 1 << 30,
        other => panic!("unknown unit {other:?} in {size:?}"),
    }
}

fn sizes_fit(r: &Rendered) {
    let sts = r.get("StatefulSet", "-nats");
    let pvc = &sts["spec"]["volumeClaimTemplates"][0];
    assert_eq!(pvc["metadata"]["name"], "data");
    let volume = bytes(
        pvc["spec"]["resources"]["requests"]["storage"]
            .as_str()
            .unwrap_or(""),
    );
    let conf = nats_conf(r);
    let max_file_store = conf
        .lines()
        .find_map(|l| l.trim().strip_prefix("max_file_store: "))
        .map(bytes)
        .expect("max_file_store in nats.conf");
    assert!(conf.contains("store_dir: /data"));
    assert!(
        max_file_store < volume,
        "JetStream limit must be below the volume"
    );
    let stream = env_value(
        &container_env(r.get("Deployment", "-api")),
        "NATS_MAX_BYTES",
    )
    .map(bytes)
    .expect("NATS_MAX_BYTES");
    assert!(
        stream < max_file_store,
        "stream limit {stream} must fit in JetStream storage {max_file_store}"
    );
}

#[test]
fn stream_limit_fits_jetstream_storage_which_fits_the_volume() {
    sizes_fit(&default_render("sizes-default"));
    sizes_fit(&production_render("sizes-production"));
}

#[test]
fn nats_is_a_clustered_jetstream_statefulset() {
    let r = default_render("nats");
    let sts = r.get("StatefulSet", "-nats");
    assert_eq!(sts["spec"]["podManagementPolicy"], "Parallel");
    let c = container(sts);
    assert!(c["image"].as_str().unwrap_or("").starts_with("nats:2.10"));
    assert_eq!(port(c, "client"), 4222);
    assert_eq!(port(c, "cluster"), 6222);
    assert_eq!(port(c, "monitor"), 8222);
    for p in ["startupProbe", "livenessProbe", "readinessProbe"] {
        let (path, port) = probe(c, p);
        assert!(path.starts_with("/healthz"), "{p}: {path}");
        assert_eq!(port, 8222, "{p}");
    }
    assert_eq!(probe(c, "startupProbe").0, "/healthz?js-enabled-only=true");
    let conf = nats_conf(&r);
    for needle in [
        "jetstream {",
        "cluster {",
        "listen: 0.0.0.0:6222",
        "http: 0.0.0.0:8222",
    ] {
        assert!(conf.contains(needle), "nats.conf lacks {needle}:\n{conf}");
    }
    let pdb = r.get("PodDisruptionBudget", "-nats");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        sts["spec"]["selector"]["matchLabels"]
    );
    let headless = r.get("Service", "-nats-headless");
    assert_eq!(headless["spec"]["publishNotReadyAddresses"], true);
    let client = r.get("Service", "-nats");
    assert_eq!(client["spec"]["ports"][0]["port"], 4222);
    let api_env = container_env(r.get("Deployment", "-api"));
    assert_eq!(
        env_value(&api_env, "NATS_URL"),
        Some("nats://ingest-tpch-nats.nomnom.svc.cluster.local:4222")
    );
}

#[test]
fn bundled_postgresql_has_a_volume_probes_and_enough_connections() {
    let r = default_render("postgresql");
    let sts = r.get("StatefulSet", "-postgresql");
    let c = container(sts);
    assert!(c["image"].as_str().unwrap_or("").starts_with("postgres:16"));
    for p in ["livenessProbe", "readinessProbe"] {
        let cmd = c[p]["exec"]["command"].to_string();
        assert!(cmd.contains("pg_isready"), "{p}: {cmd}");
    }
    assert!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
            .is_string()
    );
    let service = r.get("Service", "-postgresql");
    assert_eq!(service["spec"]["ports"][0]["port"], 5432);
    // Every pool at full scale, plus the migration job, fits max_connections.
    let max_connections: i64 = c["args"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|a| a.as_str()?.strip_prefix("max_connections="))
        .and_then(|n| n.parse().ok())
        .expect("max_connections argument");
    let needed = pooled_connections_at_full_scale(&r);
    assert!(
        needed < max_connections,
        "{needed} pooled connections at full scale exceed max_connections {max_connections}"
    );
    // The password reaches PostgreSQL from the same Secret as DATABASE_URL.
    let password = container_env(sts)
        .into_iter()
        .find(|(n, _)| n == "POSTGRES_PASSWORD")
        .map(|(_, e)| e["valueFrom"]["secretKeyRef"]["name"].clone());
    let secret = r.get("Secret", "ingest-tpch");
    assert_eq!(password, Some(secret["metadata"]["name"].clone()));
    assert!(secret["data"]["DATABASE_URL"].is_string());
}

#[test]
fn external_database_is_read_from_an_existing_secret() {
    let r = production_render("external-db");
    assert!(r.all("StatefulSet").iter().all(|s| !s["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .ends_with("-postgresql")));
    assert!(r.all("Secret").is_empty(), "no chart Secret is needed");
    for (what, workload, _) in workloads(&r) {
        let env = container_env(workload);
        let (_, url) = env
            .iter()
            .find(|(n, _)| n == "DATABASE_URL")
            .expect("DATABASE_URL");
        assert_eq!(
            url["valueFrom"]["secretKeyRef"],
            json!({"name": "ingest-database", "key": "DATABASE_URL"}),
            "{what}"
        );
    }
    // The URL itself may be given instead; the chart then keeps it in its own Secret.
    let r = render(
        "external-db-url",
        &[],
        json!({"postgresql": {"enabled": false},
               "externalDatabase": {"url": "postgres://app:pw@db.example:5432/tpch"}}),
    );
    let secret = r.get("Secret", "ingest-tpch");
    assert!(secret["data"]["DATABASE_URL"].is_string());
    assert!(secret["data"].get("postgres-password").is_none());
}

/// A Secret's value, decoded (by coreutils' `base64`).
fn secret_text(secret: &Value, key: &str) -> String {
    use std::io::Write;
    let encoded = secret["data"][key].as_str().expect("a data key");
    let mut child = std::process::Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run base64");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(encoded.as_bytes())
        .expect("write to base64");
    let out = child.wait_with_output().expect("base64 -d");
    assert!(out.status.success(), "base64 -d {encoded}");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The pooled connections of every process at full scale, plus the migration job's.
fn pooled_connections_at_full_scale(r: &Rendered) -> i64 {
    let pool: i64 = env_value(
        &container_env(r.get("Deployment", "-api")),
        "DATABASE_MAX_CONNECTIONS",
    )
    .and_then(|n| n.parse().ok())
    .expect("DATABASE_MAX_CONNECTIONS");
    let api_max = r.get("HorizontalPodAutoscaler", "-api")["spec"]["maxReplicas"]
        .as_i64()
        .unwrap_or(0);
    let worker_max = r.get("ScaledObject", "-worker")["spec"]["maxReplicaCount"]
        .as_i64()
        .unwrap_or(0);
    pool * (api_max + worker_max + 1)
}

#[test]
fn a_mysql_or_mariadb_project_runs_its_own_server_with_the_url_in_a_secret() {
    for (database, image) in [
        (Database::Mysql, "mysql:8.4"),
        (Database::Mariadb, "mariadb:10.11"),
    ] {
        let r = render_for(database, &format!("{database}-bundled"), &[], json!({}));
        assert!(
            r.all("StatefulSet").iter().all(|s| !s["metadata"]["name"]
                .as_str()
                .unwrap_or("")
                .ends_with("-postgresql")),
            "{database}: no PostgreSQL"
        );
        let sts = r.get("StatefulSet", "-mysql");
        let c = container(sts);
        assert_eq!(c["image"], image, "{database}");
        for p in ["startupProbe", "readinessProbe"] {
            let cmd = c[p]["exec"]["command"].to_string();
            assert!(cmd.contains("SELECT 1"), "{database} {p}: {cmd}");
        }
        assert_eq!(c["livenessProbe"]["tcpSocket"]["port"], "mysql");
        assert_eq!(r.get("Service", "-mysql")["spec"]["ports"][0]["port"], 3306);
        let max_connections: i64 = c["args"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|a| a.as_str()?.strip_prefix("--max-connections="))
            .and_then(|n| n.parse().ok())
            .expect("--max-connections argument");
        let needed = pooled_connections_at_full_scale(&r);
        assert!(
            needed < max_connections,
            "{database}: {needed} pooled connections exceed max_connections {max_connections}"
        );
        // Both passwords come from the chart's Secret, which also holds the URL of the
        // binaries' account on the bundled server.
        let secret = r.get("Secret", "ingest-tpch");
        let env = container_env(sts);
        for (variable, key) in [
            ("MYSQL_PASSWORD", "mysql-password"),
            ("MYSQL_ROOT_PASSWORD", "mysql-root-password"),
        ] {
            let (_, value) = env
                .iter()
                .find(|(n, _)| n == variable)
                .unwrap_or_else(|| panic!("{database}: {variable}"));
            assert_eq!(
                value["valueFrom"]["secretKeyRef"],
                json!({"name": secret["metadata"]["name"], "key": key}),
                "{database}"
            );
            assert_eq!(secret_text(secret, key).len(), 32, "{database}: {key}");
        }
        let password = secret_text(secret, "mysql-password");
        assert_eq!(
            secret_text(secret, "DATABASE_URL"),
            format!(
                "mysql://nomnom:{password}@ingest-tpch-mysql.nomnom.svc.cluster.local:3306/tpch"
            ),
            "{database}"
        );
        assert!(secret["data"].get("postgres-password").is_none());
    }
}

#[test]
fn a_mysql_project_in_production_reads_an_external_database_from_a_secret() {
    let r = render_for(
        Database::Mariadb,
        "mariadb-external",
        &["values-production.yaml"],
        json!({"apiKeys": {"existingSecret": "ingest-api-keys"}}),
    );
    assert!(r.all("StatefulSet").iter().all(|s| !s["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .ends_with("-mysql")));
    assert!(r.all("Secret").is_empty(), "no chart Secret is needed");
    for (what, workload, _) in workloads(&r) {
        let (_, url) = container_env(workload)
            .into_iter()
            .find(|(n, _)| n == "DATABASE_URL")
            .expect("DATABASE_URL");
        assert_eq!(
            url["valueFrom"]["secretKeyRef"],
            json!({"name": "ingest-database", "key": "DATABASE_URL"}),
            "{what}"
        );
    }
    let r = render_for(
        Database::Mysql,
        "mysql-external-url",
        &[],
        json!({"mysql": {"enabled": false},
               "externalDatabase": {"url": "mysql://app:pw@db.example:3306/tpch"}}),
    );
    let secret = r.get("Secret", "ingest-tpch");
    assert_eq!(
        secret_text(secret, "DATABASE_URL"),
        "mysql://app:pw@db.example:3306/tpch"
    );
    assert!(secret["data"].get("mysql-password").is_none());
}

#[test]
fn a_chart_refuses_the_section_of_the_other_database() {
    let chart = helm::write_chart_for(&helm::tpch(), Database::Mariadb, "mariadb-refuses-pg");
    let message = helm::try_render(&chart, &[], json!({"postgresql": {"enabled": false}}))
        .expect_err("a MariaDB project's chart has no PostgreSQL");
    assert!(message.contains("postgresql"), "{message}");
    let chart = helm::write_chart(&helm::tpch(), "pg-refuses-mysql");
    let message = helm::try_render(&chart, &[], json!({"mysql": {"enabled": true}}))
        .expect_err("a PostgreSQL project's chart has no MySQL");
    assert!(message.contains("mysql"), "{message}");
}

#[test]
fn production_example_enables_an_ingress_to_the_api() {
    let r = production_render("ingress");
    let ingress = r.get("Ingress", "-api");
    let backend = &ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
    assert_eq!(
        backend["name"],
        r.get("Service", "-api")["metadata"]["name"]
    );
    assert_eq!(backend["port"]["name"], "http");
    assert!(ingress["spec"]["tls"].is_array());
    assert!(default_render("no-ingress").all("Ingress").is_empty());
}

#[test]
fn monitoring_is_off_by_default_and_complete_in_the_production_example() {
    let default = default_render("monitoring-off");
    for kind in ["ServiceMonitor", "PrometheusRule"] {
        assert!(default.all(kind).is_empty(), "{kind} rendered by default");
    }
    assert!(default
        .all("ConfigMap")
        .iter()
        .all(|c| !c["metadata"]["name"]
            .as_str()
            .unwrap_or("")
            .ends_with("-dashboard")));

    let r = production_render("monitoring");
    // The ServiceMonitor selects the API's Service and the workers' metrics Service, by the
    // names of the ports that serve /metrics.
    let monitor = r.get("ServiceMonitor", "");
    let selector = &monitor["spec"]["selector"]["matchLabels"];
    let endpoints = monitor["spec"]["endpoints"].as_array().expect("endpoints");
    for service in [
        r.get("Service", "-api"),
        r.get("Service", "-worker-metrics"),
    ] {
        let labels = &service["metadata"]["labels"];
        for (key, value) in selector.as_object().expect("matchLabels") {
            assert_eq!(
                &labels[key], value,
                "{key} on {}",
                service["metadata"]["name"]
            );
        }
        let ports: Vec<&str> = service["spec"]["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(
            endpoints
                .iter()
                .any(|e| e["path"] == "/metrics"
                    && ports.contains(&e["port"].as_str().unwrap_or(""))),
            "no endpoint scrapes {}",
            service["metadata"]["name"]
        );
    }
    let worker_service = r.get("Service", "-worker-metrics");
    assert_eq!(worker_service["spec"]["ports"][0]["targetPort"], "health");
    assert_eq!(
        worker_service["spec"]["selector"]["app.kubernetes.io/component"],
        "worker"
    );

    // The PrometheusRule carries the generated rules file unchanged.
    let rule = r.get("PrometheusRule", "");
    let expected = nomnom_codegen::generate(&helm::tpch()).expect("generate");
    let rules_file = expected
        .get("deploy/prometheus/rules.yaml")
        .expect("rules.yaml");
    let rules: serde_json::Value = serde_saphyr::from_str(rules_file).expect("rules YAML");
    assert_eq!(
        rule["spec"], rules,
        "the PrometheusRule's spec is rules.yaml"
    );
    let annotations = &rule["spec"]["groups"][0]["rules"][1]["annotations"]["summary"];
    assert!(
        annotations
            .as_str()
            .unwrap_or("")
            .contains("{{ $labels.entity }}"),
        "Prometheus's templates pass through Helm untouched: {annotations}"
    );

    // The dashboard ConfigMap holds the generated dashboard, labelled for Grafana's sidecar.
    let dashboard = r.get("ConfigMap", "-dashboard");
    assert_eq!(dashboard["metadata"]["labels"]["grafana_dashboard"], "1");
    let data = dashboard["data"].as_object().expect("data");
    assert_eq!(data.len(), 1);
    let (key, text) = data.iter().next().expect("one dashboard");
    assert!(key.ends_with(".json"), "{key}");
    let expected_dashboard = expected
        .get("deploy/grafana/dashboard.json")
        .expect("dashboard.json");
    assert_eq!(
        text.as_str().map(str::trim_end),
        Some(expected_dashboard.trim_end())
    );
}

/// Rendered text with what changes from one render to the next (generated passwords) masked.
fn normalized(r: &Rendered) -> String {
    let mut out = String::from(
        "# Golden snapshot of the tpch chart rendered with default values (release `ingest`,\n\
         # namespace `nomnom`). UPDATE_SNAPSHOTS=1 rewrites it. Secret data is masked.\n",
    );
    for (source, text) in &r.texts {
        out.push_str(&format!("---\n# Source: {source}\n"));
        let mut in_secret_data = false;
        let mut is_secret = false;
        for line in text.lines() {
            if line == "---" {
                is_secret = false;
                in_secret_data = false;
            }
            if line == "kind: Secret" {
                is_secret = true;
            }
            if is_secret && line == "data:" {
                in_secret_data = true;
                out.push_str("data:\n");
                continue;
            }
            if in_secret_data {
                if let Some((key, _)) = line.split_once(": ").filter(|_| line.starts_with("  ")) {
                    out.push_str(&format!("{key}: \"<masked>\"\n"));
                    continue;
                }
                in_secret_data = false;
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn golden_default_manifests() {
    let r = default_render("golden");
    let actual = normalized(&r);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/helm/tpch-default.yaml");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden folder")).expect("mkdir");
        std::fs::write(&path, &actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 creates it)", path.display()));
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "rendered manifests differ from {} at line {}:\n  golden: {:?}\n  actual: {:?}\n\
             (review, then UPDATE_SNAPSHOTS=1 to accept)",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
    // The masked Secret still parses and the mask hides a real generated value.
    assert!(actual.contains("DATABASE_URL: \"<masked>\""));
}

#[test]
fn api_keys_come_from_a_secret_and_production_refuses_to_render_without_one() {
    let chart = helm::write_chart(&helm::tpch(), "api-keys-required");
    let message = helm::try_render(&chart, &["values-production.yaml"], json!({}))
        .expect_err("production values without a keys Secret must not render");
    assert!(message.contains("apiKeys.existingSecret"), "{message}");

    let open = default_render("api-keys-open");
    let api = open.get("Deployment", "-api");
    assert_eq!(env_value(&container_env(api), "API_KEYS_FILE"), None);
    assert!(api["spec"]["template"]["spec"]["volumes"].is_null());

    let r = render(
        "api-keys",
        &[],
        json!({
            "apiKeys": {"existingSecret": "ingest-api-keys", "secretKey": "keys"},
            "api": {"extraVolumes": [{"name": "extra", "emptyDir": {}}],
                    "extraVolumeMounts": [{"name": "extra", "mountPath": "/extra"}]}
        }),
    );
    let api = r.get("Deployment", "-api");
    assert_eq!(
        env_value(&container_env(api), "API_KEYS_FILE"),
        Some("/etc/nomnom/api-keys/keys")
    );
    let volumes = &api["spec"]["template"]["spec"]["volumes"];
    assert_eq!(volumes[0]["secret"]["secretName"], "ingest-api-keys");
    assert_eq!(
        volumes[1]["name"], "extra",
        "the user's volumes kept beside it"
    );
    let mounts = &container(api)["volumeMounts"];
    assert_eq!(mounts[0]["mountPath"], "/etc/nomnom/api-keys");
    assert_eq!(mounts[0]["readOnly"], true);
    assert_eq!(mounts[1]["mountPath"], "/extra");
    // The worker neither reads nor mounts it.
    let worker = r.get("Deployment", "-worker");
    assert_eq!(env_value(&container_env(worker), "API_KEYS_FILE"), None);
}

#[test]
fn setting_a_chart_managed_or_secret_variable_in_config_is_refused() {
    let plain_url = json!({"config": {"common": {"DATABASE_URL": "postgres://u:plain@db/x"}}});
    let plain_port = json!({"config": {"api": {"PORT": "9999"}}});
    // values.schema.json refuses them ...
    let chart = helm::write_chart(&helm::tpch(), "refused");
    let message = helm::try_render(&chart, &[], plain_url.clone())
        .expect_err("a plain DATABASE_URL must not render");
    assert!(message.contains("'DATABASE_URL' not allowed"), "{message}");
    let message = helm::try_render(&chart, &[], plain_port.clone()).expect_err("PORT is api.port");
    assert!(message.contains("'PORT' not allowed"), "{message}");
    // ... and so do the templates, for tools that skip schema validation.
    std::fs::remove_file(chart.join("values.schema.json")).expect("remove the schema");
    let message = helm::try_render(&chart, &[], plain_url)
        .expect_err("a plain DATABASE_URL must not render without the schema either");
    assert!(
        message.contains("config.common.DATABASE_URL: the chart sets DATABASE_URL itself"),
        "{message}"
    );
    let message = helm::try_render(&chart, &[], plain_port).expect_err("PORT is api.port");
    assert!(message.contains("config.api.PORT"), "{message}");
}

#[test]
fn values_schema_refuses_misspelt_variables_and_mistyped_counts() {
    let chart = helm::write_chart(&helm::tpch(), "schema");
    let out = helm::try_render(
        &chart,
        &[],
        json!({"config": {"worker": {"WORKER_BATCH_SIZ": "100"}}}),
    );
    let message = out.expect_err("a misspelt variable must not render");
    assert!(message.contains("WORKER_BATCH_SIZ"), "{message}");
    let out = helm::try_render(&chart, &[], json!({"nats": {"replicas": "three"}}));
    assert!(out.is_err(), "nats.replicas must be an integer");
    let out = helm::try_render(&chart, &[], json!({"nats": {"replicas": 0}}));
    assert!(out.is_err(), "a NATS cluster needs a server");
    // Numbers are accepted for variables and rendered as strings.
    let r = render(
        "schema-number",
        &[],
        json!({"config": {"worker": {"WORKER_BATCH_SIZE": 1000}}}),
    );
    let env = container_env(r.get("Deployment", "-worker"));
    assert_eq!(env_value(&env, "WORKER_BATCH_SIZE"), Some("1000"));
}

#[test]
fn bundled_nats_can_require_a_token_from_a_secret() {
    let r = render(
        "nats-auth",
        &[],
        json!({"nats": {"auth": {"enabled": true}}, "natsAuth": {"token": "s3cr3t-token"}}),
    );
    no_secret_is_plain(&r);
    assert!(nats_conf(&r).contains("token: $NATS_TOKEN"));
    let sts = r.get("StatefulSet", "-nats");
    let token = container_env(sts)
        .into_iter()
        .find(|(n, _)| n == "NATS_TOKEN")
        .map(|(_, e)| e["valueFrom"]["secretKeyRef"].clone())
        .expect("NATS reads the token");
    assert_eq!(
        token,
        json!({"name": "ingest-tpch-nats-auth", "key": "NATS_TOKEN"})
    );
    for (_, text) in &r.texts {
        if !text.contains("kind: Secret") {
            assert!(!text.contains("s3cr3t"), "the token leaked:\n{text}");
        }
    }
    let chart = helm::write_chart(&helm::tpch(), "nats-auth-missing");
    let message = helm::try_render(&chart, &[], json!({"nats": {"auth": {"enabled": true}}}))
        .expect_err("auth without a token");
    assert!(message.contains("natsAuth.token"), "{message}");
}

/// Checks a rendered nats.conf with a real `nats-server -t` (parse and validate, then exit).
fn nats_server_accepts(r: &Rendered, case: &str) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("helm")
        .join(case);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("nats.conf");
    std::fs::write(&path, nats_conf(r)).expect("write nats.conf");
    // scripts/setup-tests.sh exports a current nats-server; else Debian's.
    let server = std::env::var("NOMNOM_NATS_SERVER").unwrap_or_else(|_| {
        ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("nats-server")
            .to_string()
    });
    let out = std::process::Command::new(&server)
        .arg("-t")
        .arg("-c")
        .arg(&path)
        // What the pod's environment provides: its name, and the token from a Secret.
        .env("SERVER_NAME", "ingest-tpch-nats-0")
        .env("NATS_TOKEN", "token-from-a-secret")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {server}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{case}: nats-server refused nats.conf:\n{text}"
    );
    assert!(text.contains("is valid"), "{case}: {text}");
}

#[test]
fn nats_conf_is_accepted_by_a_real_nats_server() {
    nats_server_accepts(&default_render("conf-default"), "conf-default");
    nats_server_accepts(&production_render("conf-production"), "conf-production");
    let auth = render(
        "conf-auth",
        &[],
        json!({"nats": {"auth": {"enabled": true}, "replicas": 5}, "natsAuth": {"token": "t"}}),
    );
    nats_server_accepts(&auth, "conf-auth");
    let single = render("conf-single", &[], json!({"nats": {"replicas": 1}}));
    nats_server_accepts(&single, "conf-single");
}
