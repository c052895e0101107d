//! What a platform team watches a generated pipeline with: a Grafana dashboard
//! (`deploy/grafana/dashboard.json`, [`dashboard`]) and Prometheus alert rules
//! (`deploy/prometheus/rules.yaml`, [`rules`]), both written against the metrics the runtime
//! exposes. The metric names come from the runtime's own list (`telemetry/names.rs`,
//! included here), so a query can never name a metric the binaries do not have.

pub mod dashboard;
pub mod rules;

use nomnom_spec::model::{Entity, Project};

use crate::tree::FileTree;

/// The runtime's metric names, included rather than depended upon: the generator must not
/// link the runtime.
#[allow(dead_code)]
pub mod names {
    include!("../../../nomnom-runtime/src/telemetry/names.rs");
}

/// Where the files go.
pub const DASHBOARD_PATH: &str = "deploy/grafana/dashboard.json";
/// Where the rules go.
pub const RULES_PATH: &str = "deploy/prometheus/rules.yaml";

/// Adds the dashboard and the rules.
pub fn files(project: &Project, tree: &mut FileTree) {
    tree.insert(DASHBOARD_PATH, dashboard::dashboard_json(project));
    tree.insert(RULES_PATH, rules::rules_yaml(project));
}

/// The tables a root's messages write: its own and those of every entity below it, in model
/// order.
pub fn tables_of<'a>(project: &'a Project, root: &'a Entity) -> Vec<&'a str> {
    let mut tables = vec![root.table.as_str()];
    let mut stack: Vec<&Entity> = vec![root];
    while let Some(entity) = stack.pop() {
        for child in project.children_of(entity) {
            tables.push(child.table.as_str());
            stack.push(child);
        }
    }
    tables
}

/// A PromQL string literal (double-quoted, escaped as PromQL reads it).
pub fn promql_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A PromQL regular expression matching exactly one of `values` (each quoted for RE2).
pub fn promql_alternatives(values: &[&str]) -> String {
    let escaped: Vec<String> = values
        .iter()
        .map(|v| {
            v.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        c.to_string()
                    } else {
                        format!("\\{c}")
                    }
                })
                .collect()
        })
        .collect();
    promql_string(&escaped.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_and_strings_are_quoted_for_promql() {
        assert_eq!(promql_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(
            promql_alternatives(&["orders", "order.items"]),
            "\"orders|order\\\\.items\""
        );
    }
}
