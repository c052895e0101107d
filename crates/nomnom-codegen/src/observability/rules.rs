//! `deploy/prometheus/rules.yaml`: alert rules for the pipeline, built as data (a Prometheus
//! rules file, and the `spec` of the Helm chart's PrometheusRule): the backlog growing for
//! 10 minutes, dead letters appearing, the API answering 5xx, PostgreSQL unreachable from the
//! workers, and messages accepted while no worker runs.

use nomnom_spec::model::Project;
use serde_json::{json, Value};

use super::names::{
    HTTP_REQUESTS, INGEST_MESSAGES, STREAM_PENDING, WORKER_DATABASE_UP, WORKER_MESSAGES,
};
use crate::emit::hash_header;

/// Share of API answers that are 5xx above which the API alert fires.
pub const API_5XX_RATIO: f64 = 0.05;

/// One alert.
struct Alert {
    name: &'static str,
    expr: String,
    /// How long the condition must hold; `None`: fire at once.
    for_: Option<&'static str>,
    severity: &'static str,
    summary: &'static str,
    description: &'static str,
}

fn alerts() -> Vec<Alert> {
    vec![
        Alert {
            name: "NomnomBacklogGrowing",
            expr: format!(
                "max({STREAM_PENDING}) > 0 and max(deriv({STREAM_PENDING}[10m])) > 0"
            ),
            for_: Some("10m"),
            severity: "warning",
            summary: "The stream's backlog has grown for 10 minutes",
            description: "Messages arrive faster than the workers write them: {{ $value }} more pending per second. Check the workers' batch latency and the database, or add workers (keda.maxReplicaCount).",
        },
        Alert {
            name: "NomnomDeadLetters",
            expr: format!(
                "sum by (entity) (increase({WORKER_MESSAGES}{{outcome=\"dead_lettered\"}}[5m])) > 0"
            ),
            for_: None,
            severity: "warning",
            summary: "Messages of {{ $labels.entity }} were dead-lettered",
            description: "{{ $value }} messages went to the dead-letter stream in 5 minutes. Read their errors (nats stream view <STREAM>_DLQ, or GET /ingest/status/<id>), fix the cause, then worker replay-dlq.",
        },
        Alert {
            name: "NomnomApiErrors",
            expr: format!(
                "sum(rate({HTTP_REQUESTS}{{status=~\"5..\"}}[5m])) / sum(rate({HTTP_REQUESTS}[5m])) > {API_5XX_RATIO}"
            ),
            for_: Some("5m"),
            severity: "critical",
            summary: "The ingestion API answers more than 5% of requests with 5xx",
            description: "{{ $value | humanizePercentage }} of answers are 5xx: 503 means NATS is unreachable, has no quorum, or the stream is full (see the API's logs and nats stream report).",
        },
        Alert {
            name: "NomnomDatabaseDown",
            expr: format!("min({WORKER_DATABASE_UP}) == 0"),
            for_: Some("2m"),
            severity: "critical",
            summary: "A worker cannot reach PostgreSQL",
            description: "Workers pause fetching while the database is down; messages wait in the stream (up to NATS_MAX_BYTES and NATS_MAX_AGE).",
        },
        Alert {
            name: "NomnomNoWorker",
            expr: format!(
                "sum(rate({INGEST_MESSAGES}{{outcome=\"accepted\"}}[5m])) > 0 and on() absent({WORKER_DATABASE_UP})"
            ),
            for_: Some("10m"),
            severity: "critical",
            summary: "Messages are accepted but no worker runs",
            description: "The API keeps accepting messages and no worker has been scraped for 10 minutes: check the worker Deployment and KEDA's ScaledObject.",
        },
    ]
}

/// The rules file as data.
pub fn rules_value(project: &Project) -> Value {
    let rules: Vec<Value> = alerts()
        .into_iter()
        .map(|a| {
            let mut rule = json!({
                "alert": a.name,
                "expr": a.expr,
                "labels": {"severity": a.severity, "model": project.name},
                "annotations": {"summary": a.summary, "description": a.description},
            });
            if let Some(for_) = a.for_ {
                rule["for"] = json!(for_);
            }
            rule
        })
        .collect();
    json!({"groups": [{"name": format!("nomnom-{}", project.name), "rules": rules}]})
}

/// `rules.yaml`.
pub fn rules_yaml(project: &Project) -> String {
    let mut out = hash_header();
    out.push_str(&format!(
        "# Prometheus alert rules of the {} pipeline (promtool check rules). The Helm chart\n\
         # installs the same groups as a PrometheusRule (monitoring.prometheusRule.enabled).\n",
        project.name
    ));
    out.push_str(&crate::yaml::to_yaml(&rules_value(project)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_alerts_are_there_labelled_with_the_model() {
        let project = Project {
            name: "shop".into(),
            entities: vec![],
            transforms: vec![],
        };
        let rules = rules_value(&project);
        let group = &rules["groups"][0];
        assert_eq!(group["name"], "nomnom-shop");
        let names: Vec<&str> = group["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|r| r["alert"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "NomnomBacklogGrowing",
                "NomnomDeadLetters",
                "NomnomApiErrors",
                "NomnomDatabaseDown",
                "NomnomNoWorker"
            ]
        );
        assert_eq!(group["rules"][0]["for"], "10m");
        assert!(group["rules"][1].get("for").is_none());
        assert!(rules_yaml(&project).starts_with("# generated by nomnom"));
    }
}
