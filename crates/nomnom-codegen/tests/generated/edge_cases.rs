//! Checks of the generated `edge_cases` project (adversarial names), written into it as
//! `tests/checks.rs` by nomnom-codegen's compile test.

use nomnom_runtime::export::{tokio, uuid::Uuid};
use nomnom_runtime::model::{Model, Rejection};
use edge_cases::{EdgeCasesModel, Record};

mod support;
use support::{count, fresh_database, write};

/// The generated model's batch of rows.
type Batch = <EdgeCasesModel as Model>::Batch;

const BODY: &str = r#"{"json_object": "o", "crate": 2.25, "user-id": "abc1\"", "self": true,
    "value": 5, "json": {"k": null}, "kids": [{"name": "k1", "marks": [{}, {}]}, {"name": "k2", "marks": []}]}"#;

#[test]
fn odd_names_validate() {
    let Ok(Record::Roots(root)) = EdgeCasesModel::validate("Roots", BODY.as_bytes()) else {
        panic!("valid body refused")
    };
    assert_eq!(root.user_id, "abc1\"");
    assert_eq!(root.self_, Some(true));
    assert_eq!(root.r#where.map(|d| d.to_string()).as_deref(), Some("2024-01-01"), "default");
    assert_eq!(root.kids[0].owner, "o");
    assert_eq!(root.kids[0].flag, Some(true));
    assert_eq!(root.kids[0].marks.len(), 2);
    assert_eq!(root.kids[0].marks[1].kid_name, "k1");

    let bad = r#"{"crate": 3, "user-id": "ABC", "value": 6, "field": -0.5, "kids": null, "where": null}"#;
    let Err(Rejection::Invalid(errors)) = EdgeCasesModel::validate("Roots", bad.as_bytes()) else {
        panic!("invalid body accepted")
    };
    let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.path.as_str(), e.rule)).collect();
    assert_eq!(
        got,
        [("/json_object", "required"), ("/value", "max"), ("/crate", "enum"), ("/field", "min"), ("/user-id", "pattern")]
    );
    let Err(Rejection::Invalid(errors)) =
        EdgeCasesModel::validate("Roots", br#"{"json_object": "o", "crate": 1, "user-id": "a", "kids": [{"name": "n"}]}"#)
    else {
        panic!("missing marks accepted")
    };
    assert_eq!(errors[0].path, "/kids/0/marks");
}

#[test]
fn entities_named_like_generated_types() {
    let body = br#"{"model": "m", "errors": [{"message": "x", "batch": 1}]}"#;
    let Ok(Record::Record(record)) = EdgeCasesModel::validate("Record", body) else {
        panic!("valid Record refused")
    };
    assert_eq!(record.errors[0].message, "x");
    let Err(Rejection::Invalid(errors)) = EdgeCasesModel::validate("Record", br#"{"model": "M", "errors": [{}]}"#) else {
        panic!("invalid Record accepted")
    };
    let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.path.as_str(), e.rule)).collect();
    assert_eq!(got, [("/model", "pattern"), ("/errors/0/message", "required")]);
}

#[test]
fn odd_names_write() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (_db, mut client) = fresh_database::<EdgeCasesModel>("edge").await;
        let record = EdgeCasesModel::validate("Roots", BODY.as_bytes()).expect("valid");
        let mut batch = Batch::default();
        let message = Uuid::now_v7();
        EdgeCasesModel::add_to_batch(&mut batch, message, message, &record);
        assert_eq!(write(&mut client, &batch).await, 1 + 2 + 2);
        // Redelivered: the keyless root and its keyless grandchildren stay single.
        write(&mut client, &batch).await;
        assert_eq!(count(&client, "SELECT count(*) FROM roots").await, 1);
        assert_eq!(count(&client, "SELECT count(*) FROM kid").await, 2);
        assert_eq!(count(&client, "SELECT count(*) FROM mark").await, 2);
        let row = client
            .query_one(r#"SELECT "userId", "self", "crate"::text, "where"::text, value, json->'k' FROM roots"#, &[])
            .await
            .expect("row");
        assert_eq!(row.get::<_, String>(0), "abc1\"");
        assert_eq!(row.get::<_, Option<bool>>(1), Some(true));
        assert_eq!(row.get::<_, String>(2), "2.25");
        assert_eq!(row.get::<_, Option<String>>(3).as_deref(), Some("2024-01-01"));
        assert_eq!(row.get::<_, Option<i64>>(4), Some(5));
    });
}

#[test]
fn a_keyed_child_replaced_in_its_batch_takes_its_own_children_with_it() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let (_db, mut client) = fresh_database::<EdgeCasesModel>("edge_replaced").await;
        // Two keyless roots, in two messages of one batch, hold the keyed kid "k": the newer
        // message's kid (one mark) is written; the older one's (three marks) and its marks are not.
        let body = |owner: &str, marks: usize| {
            let marks = vec!["{}"; marks].join(", ");
            format!(r#"{{"json_object": "{owner}", "crate": 1, "user-id": "a", "kids": [{{"name": "k", "marks": [{marks}]}}]}}"#)
        };
        let (older, newer) = (Uuid::now_v7(), Uuid::now_v7());
        let mut batch = Batch::default();
        for (message, owner, marks) in [(older, "old", 3), (newer, "new", 1)] {
            let record = EdgeCasesModel::validate("Roots", body(owner, marks).as_bytes()).expect("valid");
            EdgeCasesModel::add_to_batch(&mut batch, message, message, &record);
        }
        write(&mut client, &batch).await;
        assert_eq!(count(&client, "SELECT count(*) FROM roots").await, 2, "keyless roots are both kept");
        assert_eq!(count(&client, "SELECT count(*) FROM kid WHERE owner = 'new'").await, 1);
        assert_eq!(count(&client, "SELECT count(*) FROM kid").await, 1);
        assert_eq!(count(&client, "SELECT count(*) FROM mark").await, 1, "only the newer kid's mark");

        // The same two in the other order: the older kid, coming second, adds nothing.
        let (_db, mut client) = fresh_database::<EdgeCasesModel>("edge_replaced_reversed").await;
        let mut batch = Batch::default();
        for (message, owner, marks) in [(newer, "new", 1), (older, "old", 3)] {
            let record = EdgeCasesModel::validate("Roots", body(owner, marks).as_bytes()).expect("valid");
            EdgeCasesModel::add_to_batch(&mut batch, message, message, &record);
        }
        write(&mut client, &batch).await;
        assert_eq!(count(&client, "SELECT count(*) FROM kid WHERE owner = 'new'").await, 1);
        assert_eq!(count(&client, "SELECT count(*) FROM mark").await, 1);
    });
}
