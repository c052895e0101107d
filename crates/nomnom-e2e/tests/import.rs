//! The first nomnom's own TPC-H example, imported with `nomnom import`, generated, built and
//! run: its example order (1 order, 2 line items), its customers and its products, posted
//! through the real API, travel through JetStream and the worker and land in PostgreSQL
//! exactly as the example's JSON files hold them.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::wait_persisted;
use nomnom_testkit::http::HttpClient;
use nomnom_testkit::pipeline::{base_env, Pipeline};
use nomnom_testkit::project::{build_model, nomnom_cli, workspace_root};
use nomnom_testkit::{TestDatabase, TestStream};
use serde_json::Value;

fn fixture() -> PathBuf {
    workspace_root().join("crates/nomnom/tests/fixtures/first-nomnom-tpch")
}

fn read_json(name: &str) -> Value {
    let path = fixture().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `nomnom import` on the fixture into `out` and returns the model folder.
fn import(out: &Path) -> PathBuf {
    let model = out.join("model");
    let output = Command::new(nomnom_cli(false))
        .arg("import")
        .arg(fixture())
        .arg("--output")
        .arg(&model)
        .output()
        .expect("running nomnom import");
    assert!(
        output.status.success(),
        "nomnom import failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    model
}

/// Posts `objects` as one NDJSON batch of `entity`; returns their message ids.
async fn post_batch(client: &HttpClient, entity: &str, objects: &[Value]) -> Vec<String> {
    let ndjson: String = objects.iter().map(|o| format!("{o}\n")).collect();
    let r = client
        .send(
            "POST",
            &format!("/ingest/batch?entity={entity}"),
            &[("content-type", "application/x-ndjson")],
            ndjson,
        )
        .await
        .expect("the API answers");
    let body = r.json();
    assert_eq!(r.status, 202, "{entity} batch: {body}");
    assert_eq!(body["accepted"], objects.len(), "{body}");
    assert_eq!(body["rejected"], 0, "{body}");
    body["results"]
        .as_array()
        .expect("per-line results")
        .iter()
        .map(|r| r["message_id"].as_str().expect("message_id").to_string())
        .collect()
}

/// Every row of `table` as JSON (`to_jsonb`), by the text of `key` columns joined with `/`.
async fn rows(db: &tokio_postgres::Client, table: &str, key: &[&str]) -> BTreeMap<String, Value> {
    db.query(&format!("SELECT to_jsonb(t) FROM {table} t"), &[])
        .await
        .unwrap_or_else(|e| panic!("reading {table}: {e}"))
        .iter()
        .map(|r| {
            let row: Value = r.get(0);
            let k = key
                .iter()
                .map(|c| match &row[*c] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join("/");
            (k, row)
        })
        .collect()
}

/// Asserts that `row` holds exactly `sent`: the same columns (nomnom's hidden `_` columns
/// aside, and `skip` left out of `sent`), each with the value sent (absent and `null` alike
/// become NULL; numbers compare by value).
fn assert_row(what: &str, row: &Value, sent: &Value, skip: &[&str], extra: &[(&str, Value)]) {
    let sent_object = sent.as_object().expect("a JSON object");
    let mut expected: BTreeMap<&str, Value> = sent_object
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    for (k, v) in extra {
        expected.insert(k, v.clone());
    }
    let stored = row.as_object().expect("a row object");
    let columns: BTreeSet<&str> = stored
        .keys()
        .map(String::as_str)
        .filter(|c| !c.starts_with('_'))
        .collect();
    let keys: BTreeSet<&str> = expected.keys().copied().collect();
    assert_eq!(
        columns, keys,
        "{what}: the row's columns are the object's keys"
    );
    for (column, value) in &expected {
        let got = &stored[*column];
        let same = match (value, got) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            _ => value == got,
        };
        assert!(same, "{what}.{column}: sent {value}, stored {got}");
    }
}

#[tokio::test]
async fn the_imported_first_nomnom_tpch_example_stores_its_examples_exactly() {
    let out = tempfile::tempdir().expect("a scratch folder");
    let model = import(out.path());
    let project = build_model("first-nomnom-tpch", &model, false);

    let stream = TestStream::shared();
    let db = TestDatabase::create_shared().await;
    let env = base_env(&nomnom_testkit::shared_nats_url(), stream.name(), &db.url());
    let pipeline = Pipeline::start(&project, env).await;
    let client = &pipeline.client;

    let order = read_json("example_order.json");
    let customers = read_json("example_customers.json");
    let products = read_json("example_products.json");
    let customers = customers.as_array().expect("an array of customers");
    let products = products.as_array().expect("an array of products");
    let items = order["line_items"].as_array().expect("line_items");
    assert_eq!(items.len(), 2, "the example order has 2 line items");

    let r = client
        .post_json("/ingest/message?entity=Order", order.to_string())
        .await
        .expect("the API answers");
    assert_eq!(r.status, 202, "{}", r.json());
    let mut ids = vec![r.json()["message_id"]
        .as_str()
        .expect("message_id")
        .to_string()];
    ids.extend(post_batch(client, "Customer", customers).await);
    ids.extend(post_batch(client, "Product", products).await);

    let pg = db.client().await;
    wait_persisted(&pg, &ids, Duration::from_secs(60)).await;

    let orders = rows(&pg, "orders", &["order_key"]).await;
    assert_eq!(orders.len(), 1, "one order");
    let key = order["order_key"].as_str().expect("order_key");
    let stored_order = &orders[key];
    assert_row("orders", stored_order, &order, &["line_items"], &[]);

    let lines = rows(&pg, "order_line_items", &["order_key", "line_number"]).await;
    assert_eq!(lines.len(), items.len(), "exactly the order's line items");
    for item in items {
        let k = format!("{key}/{}", item["line_number"]);
        let row = lines
            .get(&k)
            .unwrap_or_else(|| panic!("line item {k} missing"));
        assert_row(
            &format!("order_line_items[{k}]"),
            row,
            item,
            &[],
            &[("order_key", order["order_key"].clone())],
        );
        assert_eq!(
            row["_parent_id"], stored_order["_id"],
            "line item {k} belongs to its order's row"
        );
    }

    for (table, key, sent) in [
        ("customers", "customer_key", customers),
        ("products", "part_key", products),
    ] {
        let stored = rows(&pg, table, &[key]).await;
        let sent_keys: BTreeSet<String> = sent
            .iter()
            .map(|o| o[key].as_str().expect("a key").to_string())
            .collect();
        let stored_keys: BTreeSet<String> = stored.keys().cloned().collect();
        assert_eq!(
            stored_keys, sent_keys,
            "{table} holds exactly the file's rows"
        );
        for object in sent {
            let k = object[key].as_str().expect("a key");
            assert_row(&format!("{table}[{k}]"), &stored[k], object, &[], &[]);
        }
    }
}
