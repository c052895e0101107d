//! Checks of the generated `lab_results` project (computed fields, `store: false` inputs and
//! user transforms), written into it as `tests/checks.rs` by nomnom-codegen's compile test.

use nomnom_runtime::db::writer::Postgres;
use nomnom_runtime::export::{tokio, uuid::Uuid};
use nomnom_runtime::model::{Model, Rejection, RowBatch};
use nomnom_runtime::types::Decimal;
use lab_results::{LabResultsModel, Record};

mod support;
use support::{fresh_database};

/// The generated model's batch of rows.
type Batch = <LabResultsModel as Model>::Batch;

const REPORT: &str = r#"{"reportId": " r-17 ", "mrn": "ab-001 234", "collected": "03/02/2024 14:30", "lab": "North",
    "results": [
        {"code": " glu", "value": "7,2", "unit": "mmol/L", "referenceRange": "3.5-5.1"},
        {"code": "x9", "value": "12"}
    ]}"#;

fn dec(text: &str) -> Decimal {
    Decimal::from_str_exact(text).expect("decimal")
}

#[test]
fn computed_fields_are_computed_in_order_and_handed_down() {
    let Ok(Record::LabReport(report)) = LabResultsModel::validate("LabReport", REPORT.as_bytes()) else {
        panic!("valid report refused")
    };
    assert_eq!(report.report_id, "R-17");
    assert_eq!(report.mrn, "AB001234", "the user transform");
    assert_eq!(report.collected_at.to_rfc3339(), "2024-02-03T14:30:00+00:00");
    let glu = &report.results[0];
    assert_eq!(glu.report_id, "R-17", "a computed value of the parent, handed down");
    assert_eq!(glu.code, "GLU");
    assert_eq!(glu.test_name.as_deref(), Some("Glucose"));
    assert_eq!(glu.value, dec("7.2"));
    assert_eq!((glu.low, glu.high), (Some(dec("3.5")), Some(dec("5.1"))));
    assert_eq!(glu.abnormal, Some(true));
    assert_eq!(glu.label, "Glucose 7.2 mmol/L");
    let x9 = &report.results[1];
    assert_eq!((x9.code.as_str(), x9.test_name.as_deref()), ("X9", None));
    assert_eq!((x9.low, x9.high, x9.abnormal), (None, None, None), "no range: null, the transform not called");
    assert_eq!(x9.label, "X9 12", "nulls are skipped by concat_ws");
}

fn rejected(body: &str) -> Vec<(String, &'static str, String)> {
    match LabResultsModel::validate("LabReport", body.as_bytes()) {
        Err(Rejection::Invalid(errors)) => errors.into_iter().map(|e| (e.path, e.rule, e.message)).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[test]
fn a_value_that_cannot_be_computed_is_an_error_on_the_computed_field() {
    let body = REPORT
        .replace("03/02/2024", "31/02/2024")
        .replace("ab-001 234", " -- ")
        .replace(r#""7,2""#, r#""-1""#)
        .replace(r#""x9""#, r#""a-b""#)
        .replace(r#""12""#, r#""twelve""#);
    let errors = rejected(&body);
    let found: Vec<(&str, &str)> = errors.iter().map(|(p, r, _)| (p.as_str(), *r)).collect();
    assert_eq!(
        found,
        [
            ("/mrn", "null"),
            ("/collected_at", "compute"),
            ("/results/0/value", "min"),
            ("/results/1/code", "pattern"),
            ("/results/1/value", "compute"),
        ]
    );
    assert_eq!(
        errors[1].2,
        "cannot be computed: parse_timestamp: \"31/02/2024 14:30\" is not a timestamp in the format %d/%m/%Y %H:%M"
    );
    assert!(errors[4].2.starts_with("cannot be computed: to_decimal: \"twelve\""), "{}", errors[4].2);
}

#[test]
fn inputs_are_validated_before_anything_is_computed() {
    let errors = rejected(r#"{"mrn": "a1", "collected": "01/01/2024 00:00", "lab": "x", "results": []}"#);
    let found: Vec<(&str, &str)> = errors.iter().map(|(p, r, _)| (p.as_str(), *r)).collect();
    assert_eq!(found, [("/reportId", "required")]);
}

#[test]
fn computed_values_are_stored_and_inputs_are_not() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (_db, mut client) = fresh_database::<LabResultsModel>("lab").await;
        let columns: Vec<String> = client
            .query(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_name = 'lab_results' AND column_name NOT LIKE '\\_%' ORDER BY ordinal_position",
                &[],
            )
            .await
            .expect("columns")
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(columns, ["report_id", "code", "test_name", "value", "unit", "low", "high", "abnormal", "label"]);

        let record = LabResultsModel::validate("LabReport", REPORT.as_bytes()).expect("valid");
        let mut batch = Batch::default();
        let message = Uuid::now_v7();
        LabResultsModel::add_to_batch(&mut batch, message, message, &record);
        let tx = client.transaction().await.expect("begin");
        assert_eq!(batch.write(&mut Postgres::new(&tx)).await.expect("write").rows, 3);
        tx.commit().await.expect("commit");
        let report = client
            .query_one("SELECT report_id, mrn, collected_at::text FROM lab_reports", &[])
            .await
            .expect("report");
        assert_eq!(report.get::<_, String>(0), "R-17");
        assert_eq!(report.get::<_, String>(1), "AB001234");
        assert_eq!(report.get::<_, String>(2), "2024-02-03 14:30:00+00");
        let rows = client
            .query("SELECT code, value::text, abnormal, label FROM lab_results ORDER BY code", &[])
            .await
            .expect("results");
        let got: Vec<(String, String, Option<bool>, String)> =
            rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
        assert_eq!(
            got,
            [
                ("GLU".to_string(), "7.2".to_string(), Some(true), "Glucose 7.2 mmol/L".to_string()),
                ("X9".to_string(), "12".to_string(), None, "X9 12".to_string()),
            ]
        );
    });
}
