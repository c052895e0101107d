//! Computed fields end to end: `examples/lab-results` (computed columns, `store: false`
//! inputs, user transforms) posted through the real API travels through JetStream and the
//! worker, and lands in PostgreSQL as the rows its example says (`nomnom test` checks the same
//! file without the services); a value that cannot be computed is a 422 at the API, naming
//! the computed field, and nothing of the message is stored.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::wait_persisted;
use nomnom_testkit::pipeline::{base_env, Pipeline};
use nomnom_testkit::project::{build_example, workspace_root};
use nomnom_testkit::{TestDatabase, TestStream};
use serde_json::Value;

fn example(name: &str) -> Value {
    let path = workspace_root()
        .join("examples/lab-results/examples")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts that `table` holds exactly `expected` (rows as JSON objects): the same number of
/// rows, the same columns (nomnom's hidden `_` columns aside), and each expected row equal to
/// one stored row, every value compared by PostgreSQL itself after casting the expected JSON
/// to the column's type (`7.2` to numeric, `"2024-02-03T14:30:00Z"` to timestamptz).
async fn assert_table_holds(db: &tokio_postgres::Client, table: &str, expected: &[Value]) {
    let columns: Vec<(String, String)> = db
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_name = $1 AND column_name NOT LIKE '\\_%' ORDER BY ordinal_position",
            &[&table],
        )
        .await
        .expect("columns")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let stored: i64 = db
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(stored as usize, expected.len(), "{table}: rows");
    for row in expected {
        let object = row.as_object().expect("an expected row is an object");
        let want: BTreeSet<&str> = object.keys().map(String::as_str).collect();
        let have: BTreeSet<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(have, want, "{table}: the stored columns are the example's");
        let mut conditions = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        for (i, (column, ty)) in columns.iter().enumerate() {
            conditions.push(format!(
                "{column} IS NOT DISTINCT FROM (${}::jsonb #>> '{{}}')::{ty}",
                i + 1
            ));
            values.push(object[column].clone());
        }
        let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = values
            .iter()
            .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        let sql = format!(
            "SELECT count(*) FROM {table} WHERE {}",
            conditions.join(" AND ")
        );
        let found: i64 = db.query_one(&sql, &params).await.expect(&sql).get(0);
        assert_eq!(found, 1, "{table}: no stored row is {row}");
    }
}

#[tokio::test]
async fn computed_fields_land_as_the_example_says_and_failures_are_422s() {
    let project = build_example("lab-results", false);
    let stream = TestStream::shared();
    let db = TestDatabase::create_shared().await;
    let env = base_env(&nomnom_testkit::shared_nats_url(), stream.name(), &db.url());
    let pipeline = Pipeline::start(&project, env).await;
    let client = &pipeline.client;

    let bad = example("report-impossible-date.json");
    let r = client
        .post_json("/ingest/message?entity=LabReport", bad.to_string())
        .await
        .expect("the API answers");
    assert_eq!(r.status, 422, "{}", r.json());
    let problem = r.json();
    let errors: Vec<(String, String)> = problem["errors"]
        .as_array()
        .expect("the field errors")
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap_or_default().to_string(),
                e["rule"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = example("report-impossible-date.rows.json")["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap_or_default().to_string(),
                e["rule"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(errors, expected, "{problem}");

    let report = example("report.json");
    let r = client
        .post_json("/ingest/message?entity=LabReport", report.to_string())
        .await
        .expect("the API answers");
    assert_eq!(r.status, 202, "{}", r.json());
    let id = r.json()["message_id"]
        .as_str()
        .expect("message_id")
        .to_string();
    let pg = db.client().await;
    wait_persisted(&pg, &[id], Duration::from_secs(60)).await;

    let rows = example("report.rows.json");
    for table in ["lab_reports", "lab_results"] {
        let expected = rows[table].as_array().expect("the example's rows");
        assert_table_holds(&pg, table, expected).await;
    }
}
