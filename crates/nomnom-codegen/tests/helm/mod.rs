//! Shared by the `helm_*` tests: the tpch fixture, writing the chart to disk, rendering it
//! with a real Helm engine (`render.py`, Helm v4 as a library) and reading the manifests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use nomnom_spec::model::{
    Entity, Field, FieldSource, FieldType, Format, Literal, ParentLink, Project, ScalarType,
};
use serde_json::Value;

/// The binaries' environment variables, as the runtime lists them.
pub mod env_vars {
    include!("../../../nomnom-runtime/src/config/variables.rs");
}

/// One rendered Kubernetes object.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Template it came from (`tpch/templates/api/deployment.yaml`).
    pub source: String,
    /// The object, parsed.
    pub object: Value,
}

/// What one render produced.
#[derive(Debug)]
pub struct Rendered {
    /// Template path → rendered text, as Helm returned it.
    pub texts: Vec<(String, String)>,
    /// Every object, in template order.
    pub objects: Vec<Manifest>,
    /// Helm's lint report.
    pub lint: Value,
    /// Objects that break Kubernetes' OpenAPI schema (strict: unknown fields too).
    pub schema_errors: Vec<String>,
    /// `apiVersion/kind` of objects no bundled schema covers (custom resources).
    pub schema_unknown: Vec<String>,
}

impl Rendered {
    /// The only object of `kind` whose name ends with `suffix`.
    pub fn get(&self, kind: &str, suffix: &str) -> &Value {
        let found: Vec<&Value> = self
            .objects
            .iter()
            .map(|m| &m.object)
            .filter(|o| o["kind"] == kind)
            .filter(|o| {
                o["metadata"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with(suffix)
            })
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected one {kind} named *{suffix}, found {}",
            found.len()
        );
        found[0]
    }

    /// Every object of `kind`.
    pub fn all(&self, kind: &str) -> Vec<&Value> {
        self.objects
            .iter()
            .map(|m| &m.object)
            .filter(|o| o["kind"] == kind)
            .collect()
    }

    /// Lint findings of warning severity or worse, as text.
    pub fn lint_problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.lint["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e.to_string())
            .collect();
        for m in self.lint["messages"].as_array().into_iter().flatten() {
            if m["severity"].as_i64().unwrap_or(3) >= 2 {
                out.push(m.to_string());
            }
        }
        out
    }
}

/// The tpch example (`examples/tpch/nomnom.yaml`), built by hand while the YAML loader is
/// being written in parallel.
pub fn tpch() -> Project {
    fn field(name: &str, ty: ScalarType, nullable: bool) -> Field {
        Field {
            name: name.to_string(),
            doc: None,
            ty: FieldType::Scalar(ty),
            nullable,
            source: FieldSource::Key(name.to_string()),
            default: None,
            max_length: None,
            min: None,
            max: None,
            pattern: None,
            enum_values: None,
            stored: true,
            renamed_from: None,
        }
    }
    use ScalarType::*;
    let mut order_status = field("order_status", String, false);
    order_status.enum_values = Some(
        ["O", "F", "P"]
            .iter()
            .map(|s| Literal::String(s.to_string()))
            .collect(),
    );
    let mut comment = field("comment", String, true);
    comment.max_length = Some(200);
    let line_items = Field {
        ty: FieldType::List("OrderLineItem".into()),
        ..field("line_items", String, false)
    };
    let order = Entity {
        name: "Order".into(),
        doc: Some("A customer order (TPC-H ORDERS).".into()),
        table: "orders".into(),
        renamed_from: None,
        key: vec!["order_key".into()],
        version: None,
        fields: vec![
            field("order_key", String, false),
            field("customer_key", String, false),
            order_status,
            field("total_price", Decimal, false),
            field("order_date", Date, false),
            field("order_priority", String, true),
            field("clerk", String, true),
            field("ship_priority", Integer, true),
            comment,
            line_items,
        ],
        format: Format::Json,
        segment: None,
        parent: None,
    };
    let mut parent_key = field("order_key", String, false);
    parent_key.source = FieldSource::Parent("order_key".into());
    let mut line_number = field("line_number", Integer, false);
    line_number.min = Some(Literal::Number("1".into()));
    let mut quantity = field("quantity", Integer, false);
    quantity.min = Some(Literal::Number("1".into()));
    let mut discount = field("discount", Float, true);
    discount.min = Some(Literal::Number("0".into()));
    discount.max = Some(Literal::Number("1".into()));
    let line_item = Entity {
        name: "OrderLineItem".into(),
        doc: Some("One line of an order (TPC-H LINEITEM).".into()),
        table: "order_line_items".into(),
        renamed_from: None,
        key: vec!["order_key".into(), "line_number".into()],
        version: None,
        fields: vec![
            parent_key,
            line_number,
            field("part_key", String, false),
            field("supplier_key", String, true),
            quantity,
            field("extended_price", Float, false),
            discount,
            field("tax", Float, true),
            field("return_flag", String, true),
            field("line_status", String, true),
            field("ship_date", Date, true),
            field("commit_date", Date, true),
            field("receipt_date", Date, true),
        ],
        format: Format::Json,
        segment: None,
        parent: Some(ParentLink {
            entity: "Order".into(),
            field: "line_items".into(),
        }),
    };
    Project {
        name: "tpch".into(),
        entities: vec![order, line_item],
        transforms: vec![],
    }
}

/// Writes the chart of `project` under a fresh folder named `case` in the test temp dir and
/// returns the chart's own folder.
pub fn write_chart(project: &Project, case: &str) -> PathBuf {
    write_chart_for(project, nomnom_codegen::Database::Postgresql, case)
}

/// [`write_chart`] for a project generated for `database`.
pub fn write_chart_for(
    project: &Project,
    database: nomnom_codegen::Database,
    case: &str,
) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("helm")
        .join(case);
    if root.exists() {
        std::fs::remove_dir_all(&root).expect("clear the previous run's chart");
    }
    let mut chart_dir = None;
    for (path, contents) in nomnom_codegen::chart_files(project, database) {
        let full = root.join(&path);
        std::fs::create_dir_all(full.parent().expect("file has a folder")).expect("mkdir");
        std::fs::write(&full, contents).expect("write chart file");
        if path.ends_with("/Chart.yaml") {
            chart_dir = Some(full.parent().expect("chart folder").to_path_buf());
        }
    }
    chart_dir.expect("the chart has a Chart.yaml")
}

/// Renders (lints, and validates against Kubernetes' schemas) the chart at `chart` with the given values files (relative to the chart)
/// and overrides, like `helm template ingest <chart> -n nomnom -f ... --set ...`.
pub fn render(chart: &Path, values_files: &[&str], set: Value) -> Rendered {
    try_render(chart, values_files, set).unwrap_or_else(|e| panic!("helm render failed:\n{e}"))
}

/// Like [`render`], but a template failure (`fail`, `required`) is returned as Helm's message.
pub fn try_render(chart: &Path, values_files: &[&str], set: Value) -> Result<Rendered, String> {
    let helper = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helm/render.py");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let mut cmd = Command::new(&python);
    cmd.arg(&helper).arg(chart);
    for file in values_files {
        cmd.arg("-f").arg(chart.join(file));
    }
    cmd.arg("--set-json").arg(set.to_string());
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(2) => panic!(
            "no Helm engine: run scripts/install-helm-engine.sh (pip package helm-python-sdk)\n{stderr}"
        ),
        _ => return Err(stderr.into_owned()),
    }
    let result: Value = serde_json::from_slice(&out.stdout).expect("render.py prints JSON");
    let mut texts: Vec<(String, String)> = result["manifests"]
        .as_object()
        .expect("manifests object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
        .collect();
    texts.sort();
    let mut objects = Vec::new();
    for (source, text) in &texts {
        if !source.ends_with(".yaml") {
            continue;
        }
        let docs: Vec<Value> = serde_saphyr::from_multiple(text)
            .unwrap_or_else(|e| panic!("{source} is not valid YAML: {e}\n{text}"));
        for object in docs.into_iter().filter(|d| !d.is_null()) {
            objects.push(Manifest {
                source: source.clone(),
                object,
            });
        }
    }
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|s| s.as_str().unwrap_or_default().to_string())
            .collect()
    };
    Ok(Rendered {
        texts,
        objects,
        lint: result["lint"].clone(),
        schema_errors: strings(&result["schema_errors"]),
        schema_unknown: strings(&result["schema_unknown"]),
    })
}

/// The environment of the first container of a workload, as name → entry.
pub fn container_env(workload: &Value) -> Vec<(String, Value)> {
    workload["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("container has env")
        .iter()
        .map(|e| (e["name"].as_str().unwrap_or("").to_string(), e.clone()))
        .collect()
}

/// The plain value of variable `name` in `env`.
pub fn env_value<'a>(env: &'a [(String, Value)], name: &str) -> Option<&'a str> {
    env.iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, e)| e["value"].as_str())
}
