//! `deploy/grafana/dashboard.json`: a Grafana dashboard of the pipeline, built as data. An
//! overview row (ingest by outcome, requests and their latency, publish latency, backlog,
//! worker outcomes, batch latency and size, rows per table, dead letters, database up), then
//! a row per root entity (its ingest rate by outcome, its worker outcomes, rows of its
//! tables, its dead letters).
//!
//! Every query is plain PromQL over the runtime's metrics, with fixed `[5m]` windows: no
//! Grafana variable inside an expression, so each can be checked against a real Prometheus
//! as it is written here. The only variable is the Prometheus data source.

use nomnom_spec::model::Project;
use serde_json::{json, Value};

use super::names::{
    HTTP_REQUESTS, HTTP_REQUEST_DURATION, INGEST_MESSAGES, PUBLISH_DURATION, STREAM_PENDING,
    WORKER_BATCH_DURATION, WORKER_BATCH_MESSAGES, WORKER_DATABASE_UP, WORKER_MESSAGES, WORKER_ROWS,
};
use super::{promql_alternatives, promql_string, tables_of};

/// One panel before it is placed.
struct Panel {
    title: String,
    kind: &'static str,
    unit: &'static str,
    /// (expression, legend)
    targets: Vec<(String, String)>,
    width: u32,
}

fn timeseries(title: impl Into<String>, unit: &'static str, targets: Vec<(String, &str)>) -> Panel {
    Panel {
        title: title.into(),
        kind: "timeseries",
        unit,
        targets: targets
            .into_iter()
            .map(|(e, l)| (e, l.to_string()))
            .collect(),
        width: 12,
    }
}

fn stat(title: impl Into<String>, unit: &'static str, expr: String, legend: &str) -> Panel {
    Panel {
        title: title.into(),
        kind: "stat",
        unit,
        targets: vec![(expr, legend.to_string())],
        width: 6,
    }
}

/// p50, p95 and p99 of a histogram, `by` extra labels.
fn quantiles(histogram: &str, by: &str, legend_prefix: &str) -> Vec<(String, String)> {
    [("0.5", "p50"), ("0.95", "p95"), ("0.99", "p99")]
        .into_iter()
        .map(|(q, name)| {
            let labels = if by.is_empty() {
                "le".to_string()
            } else {
                format!("le, {by}")
            };
            (
                format!(
                    "histogram_quantile({q}, sum by ({labels}) (rate({histogram}_bucket[5m])))"
                ),
                format!("{legend_prefix}{name}"),
            )
        })
        .collect()
}

fn overview() -> Vec<Panel> {
    let mut request_latency = timeseries("Request latency (by route)", "s", vec![]);
    request_latency.targets = quantiles(HTTP_REQUEST_DURATION, "route", "{{route}} ");
    let mut publish_latency = timeseries("Publish latency (to JetStream's ack)", "s", vec![]);
    publish_latency.targets = quantiles(PUBLISH_DURATION, "", "");
    let mut batch_latency = timeseries("Batch latency", "s", vec![]);
    batch_latency.targets = quantiles(WORKER_BATCH_DURATION, "", "");
    let mut batch_size = timeseries("Messages per batch", "short", vec![]);
    batch_size.targets = quantiles(WORKER_BATCH_MESSAGES, "", "");
    vec![
        stat(
            "Backlog (messages not yet delivered)",
            "short",
            format!("max({STREAM_PENDING})"),
            "backlog",
        ),
        stat(
            "Database up (every worker)",
            "bool",
            format!("min({WORKER_DATABASE_UP})"),
            "up",
        ),
        stat(
            "Dead letters (last hour)",
            "short",
            format!("sum(increase({WORKER_MESSAGES}{{outcome=\"dead_lettered\"}}[1h]))"),
            "dead letters",
        ),
        stat(
            "API 5xx ratio",
            "percentunit",
            format!(
                "sum(rate({HTTP_REQUESTS}{{status=~\"5..\"}}[5m])) / sum(rate({HTTP_REQUESTS}[5m]))"
            ),
            "5xx",
        ),
        timeseries(
            "Ingest rate by outcome",
            "reqps",
            vec![(
                format!("sum by (outcome) (rate({INGEST_MESSAGES}[5m]))"),
                "{{outcome}}",
            )],
        ),
        timeseries(
            "Requests by route and status",
            "reqps",
            vec![(
                format!("sum by (route, status) (rate({HTTP_REQUESTS}[5m]))"),
                "{{route}} {{status}}",
            )],
        ),
        request_latency,
        publish_latency,
        timeseries(
            "Backlog",
            "short",
            vec![(format!("max({STREAM_PENDING})"), "pending")],
        ),
        timeseries(
            "Worker outcomes",
            "reqps",
            vec![(
                format!("sum by (outcome) (rate({WORKER_MESSAGES}[5m]))"),
                "{{outcome}}",
            )],
        ),
        batch_latency,
        batch_size,
        timeseries(
            "Rows written per table",
            "short",
            vec![(
                format!("sum by (table) (rate({WORKER_ROWS}[5m]))"),
                "{{table}}",
            )],
        ),
        timeseries(
            "Dead letters by entity",
            "short",
            vec![(
                format!(
                    "sum by (entity) (increase({WORKER_MESSAGES}{{outcome=\"dead_lettered\"}}[5m]))"
                ),
                "{{entity}}",
            )],
        ),
        timeseries(
            "Database up",
            "bool",
            vec![(format!("min({WORKER_DATABASE_UP})"), "up")],
        ),
    ]
}

fn entity_panels(project: &Project, root: &nomnom_spec::model::Entity) -> Vec<Panel> {
    let entity = promql_string(&root.name);
    let tables = promql_alternatives(&tables_of(project, root));
    let name = &root.name;
    vec![
        timeseries(
            format!("{name}: ingest rate by outcome"),
            "reqps",
            vec![(
                format!("sum by (outcome) (rate({INGEST_MESSAGES}{{entity={entity}}}[5m]))"),
                "{{outcome}}",
            )],
        ),
        timeseries(
            format!("{name}: worker outcomes"),
            "reqps",
            vec![(
                format!("sum by (outcome) (rate({WORKER_MESSAGES}{{entity={entity}}}[5m]))"),
                "{{outcome}}",
            )],
        ),
        timeseries(
            format!("{name}: rows per table"),
            "short",
            vec![(
                format!("sum by (table) (rate({WORKER_ROWS}{{table=~{tables}}}[5m]))"),
                "{{table}}",
            )],
        ),
        timeseries(
            format!("{name}: dead letters"),
            "short",
            vec![(
                format!(
                    "sum(increase({WORKER_MESSAGES}{{entity={entity}, outcome=\"dead_lettered\"}}[5m]))"
                ),
                "dead letters",
            )],
        ),
    ]
}

/// Lays rows of panels out on Grafana's 24-column grid.
fn layout(rows: Vec<(String, Vec<Panel>)>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut id = 1;
    let mut y = 0;
    for (title, panels) in rows {
        out.push(json!({
            "id": id,
            "type": "row",
            "title": title,
            "collapsed": false,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
            "panels": [],
        }));
        id += 1;
        y += 1;
        let mut x = 0;
        let mut row_height = 0;
        for panel in panels {
            let height = if panel.kind == "stat" { 4 } else { 8 };
            if x + panel.width > 24 {
                x = 0;
                y += row_height;
                row_height = 0;
            }
            let targets: Vec<Value> = panel
                .targets
                .iter()
                .enumerate()
                .map(|(i, (expr, legend))| {
                    json!({
                        "refId": ref_id(i),
                        "datasource": {"type": "prometheus", "uid": "${datasource}"},
                        "expr": expr,
                        "legendFormat": legend,
                    })
                })
                .collect();
            out.push(json!({
                "id": id,
                "type": panel.kind,
                "title": panel.title,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "gridPos": {"h": height, "w": panel.width, "x": x, "y": y},
                "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                "options": {},
                "targets": targets,
            }));
            id += 1;
            x += panel.width;
            row_height = row_height.max(height);
        }
        y += row_height;
    }
    out
}

fn ref_id(i: usize) -> String {
    char::from(b'A' + u8::try_from(i % 26).unwrap_or(0)).to_string()
}

/// The dashboard as data.
pub fn dashboard_value(project: &Project) -> Value {
    let mut rows = vec![("Pipeline".to_string(), overview())];
    for root in project.roots() {
        rows.push((
            format!("Entity {}", root.name),
            entity_panels(project, root),
        ));
    }
    let uid: String = format!("nomnom-{}", project.name)
        .chars()
        .take(40)
        .collect();
    json!({
        "$comment": crate::emit::HEADER,
        "uid": uid,
        "title": format!("nomnom: {}", project.name),
        "description": format!("Ingestion pipeline of the {} model: API, JetStream backlog, worker, PostgreSQL.", project.name),
        "tags": ["nomnom", project.name],
        "timezone": "browser",
        "editable": true,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": [{
            "name": "datasource",
            "label": "Prometheus",
            "type": "datasource",
            "query": "prometheus",
            "current": {},
            "hide": 0,
        }]},
        "annotations": {"list": []},
        "panels": layout(rows),
    })
}

/// `dashboard.json`.
pub fn dashboard_json(project: &Project) -> String {
    let mut text = serde_json::to_string_pretty(&dashboard_value(project)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observability::names::METRIC_FAMILIES;

    fn project() -> Project {
        let yaml = "project: shop\nentities:\n  Order:\n    key: [id]\n    fields:\n      id: string\n      items: list<Item>\n  Item:\n    fields:\n      sku: string\n  Click:\n    fields:\n      url: string\n";
        nomnom_spec::load_str(yaml, "nomnom.yaml")
            .expect("a valid model")
            .project
    }

    #[test]
    fn every_query_reads_the_runtimes_metrics_and_each_root_has_its_row() {
        let dashboard = dashboard_value(&project());
        let panels = dashboard["panels"].as_array().expect("panels");
        let rows: Vec<&str> = panels
            .iter()
            .filter(|p| p["type"] == "row")
            .filter_map(|p| p["title"].as_str())
            .collect();
        assert_eq!(rows, ["Pipeline", "Entity Order", "Entity Click"]);
        let exprs: Vec<&str> = panels
            .iter()
            .flat_map(|p| p["targets"].as_array().into_iter().flatten())
            .filter_map(|t| t["expr"].as_str())
            .collect();
        assert!(exprs.len() > 20, "{exprs:?}");
        for expr in &exprs {
            assert!(
                METRIC_FAMILIES
                    .iter()
                    .any(|f| expr.contains(f.name.trim_end_matches("_total"))),
                "{expr} names no metric of the runtime"
            );
            assert!(
                !expr.contains('$'),
                "{expr}: no Grafana variable in a query"
            );
        }
        assert!(
            exprs.iter().any(|e| e.contains("table=~\"order|item\"")),
            "the Order row reads the tables of Order and Item"
        );
        let ids: std::collections::BTreeSet<i64> =
            panels.iter().filter_map(|p| p["id"].as_i64()).collect();
        assert_eq!(ids.len(), panels.len(), "panel ids are unique");
    }
}
