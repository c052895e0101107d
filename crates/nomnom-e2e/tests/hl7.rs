//! HL7 v2 end to end: `examples/hl7-lab` (ORU^R01 with OBR/OBX groups) generated and run
//! against the real NATS and PostgreSQL; its sample message posted over HTTP (one message,
//! an HL7 batch, an ACK asked for with `Accept`) and sent over MLLP lands as rows of its three
//! tables; a message the model refuses is a 422 naming the HL7 path over HTTP and an `AE` ACK
//! with an ERR segment over MLLP, and nothing of it is stored.

mod common;

use std::time::Duration;

use nomnom_testkit::mllp::MllpConnection;
use nomnom_testkit::pipeline::{base_env, Pipeline};
use nomnom_testkit::ports::free_port;
use nomnom_testkit::project::{build_example, workspace_root};
use nomnom_testkit::{wait_until, TestDatabase, TestStream};

const HL7: &str = "x-application/hl7-v2+er7";

/// The sample ORU^R01 message with its control id (MSH-10) replaced by `control_id`.
fn sample(control_id: &str) -> String {
    let path = workspace_root().join("examples/hl7-lab/examples/oru-r01.hl7");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(text.contains("|MSG00042|"), "the sample's control id");
    text.replace("|MSG00042|", &format!("|{control_id}|"))
}

/// Sends `message` framed over MLLP and returns the ACK.
async fn mllp(port: u16, message: &str) -> String {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut connection = MllpConnection::connect(addr)
        .await
        .expect("connect to MLLP");
    let ack = tokio::time::timeout(
        Duration::from_secs(30),
        connection.exchange(message.as_bytes()),
    )
    .await
    .expect("an ACK within 30 s")
    .expect("a framed ACK");
    String::from_utf8_lossy(&ack).into_owned()
}

async fn count(db: &tokio_postgres::Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).await.expect(sql).get(0)
}

#[tokio::test]
async fn hl7_messages_over_http_and_mllp_land_as_rows() {
    let project = build_example("hl7-lab", false);
    let stream = TestStream::shared();
    let db = TestDatabase::create_shared().await;
    let mut env = base_env(&nomnom_testkit::shared_nats_url(), stream.name(), &db.url());
    let mllp_port = free_port();
    env.insert("MLLP_PORT".into(), mllp_port.to_string());
    env.insert("HL7_TIMEZONE".into(), "Europe/Berlin".into());
    let pipeline = Pipeline::start(&project, env).await;
    let client = &pipeline.client;
    let pg = db.client().await;

    // One message over HTTP, to the only HL7 root: 202 with a message id.
    let r = client
        .send(
            "POST",
            "/ingest/message",
            &[("content-type", HL7)],
            sample("HTTP-1"),
        )
        .await
        .expect("the API answers");
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.json()["message_id"].is_string());

    // With `Accept`, the answer is an ACK.
    let r = client
        .send(
            "POST",
            "/ingest/message?entity=LabReport",
            &[("content-type", HL7), ("accept", HL7)],
            sample("HTTP-2"),
        )
        .await
        .expect("the API answers");
    let ack = String::from_utf8_lossy(&r.body).into_owned();
    assert_eq!(r.status, 202, "{ack}");
    assert!(ack.contains("MSA|AA|HTTP-2"), "{ack}");

    // An HL7 batch: two messages, a result each.
    let batch = format!("{}\r{}", sample("BATCH-1").trim_end(), sample("BATCH-2"));
    let r = client
        .send("POST", "/ingest/batch", &[("content-type", HL7)], batch)
        .await
        .expect("the API answers");
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["accepted"], 2, "{}", r.json());

    // JSON for an HL7 entity is refused with the content types it takes.
    let r = client
        .post_json("/ingest/message?entity=LabReport", "{}")
        .await
        .expect("answer");
    assert_eq!(r.status, 415, "{}", r.json());

    // A message the model refuses: a 422 naming the HL7 path.
    let bad = sample("BAD-1").replace("|19800212|", "|1980-02-12|");
    let r = client
        .send(
            "POST",
            "/ingest/message",
            &[("content-type", HL7)],
            bad.clone(),
        )
        .await
        .expect("the API answers");
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let errors = r.json()["errors"].clone();
    assert_eq!(errors[0]["path"], "PID-7", "{errors}");

    // Over MLLP: an ACK once stored, an AE naming the path when refused.
    let ack = mllp(mllp_port, &sample("MLLP-1")).await;
    assert!(ack.contains("MSA|AA|MLLP-1"), "{ack}");
    let ack = mllp(mllp_port, &bad.replace("BAD-1", "BAD-2")).await;
    assert!(ack.contains("MSA|AE|BAD-2"), "{ack}");
    assert!(ack.contains("ERR|"), "{ack}");
    assert!(ack.contains("PID"), "{ack}");

    // Five messages stored (two single, two batched, one over MLLP), each with its 2 orders
    // and 5 results; nothing of the refused ones.
    let reports = wait_until(
        "the five reports are stored",
        Duration::from_secs(60),
        || async {
            let n = count(&pg, "SELECT count(*) FROM lab_reports").await;
            (n >= 5).then_some(n)
        },
    )
    .await;
    assert_eq!(reports, 5);
    wait_until(
        "their orders and results are stored",
        Duration::from_secs(30),
        || async {
            let orders = count(&pg, "SELECT count(*) FROM lab_orders").await;
            let results = count(&pg, "SELECT count(*) FROM lab_results").await;
            (orders == 10 && results == 25).then_some(())
        },
    )
    .await;
    assert_eq!(
        count(
            &pg,
            "SELECT count(*) FROM lab_reports WHERE control_id LIKE 'BAD%'"
        )
        .await,
        0
    );
    let row = pg
        .query_one(
            "SELECT patient_id, patient_name, birth_date::text, message_time = '2024-05-01T12:30:00Z'::timestamptz \
             FROM lab_reports WHERE control_id = 'MLLP-1'",
            &[],
        )
        .await
        .expect("the MLLP report");
    assert_eq!(row.get::<_, String>(0), "123456");
    assert_eq!(row.get::<_, String>(1), "Doe, Jane");
    assert_eq!(
        row.get::<_, Option<String>>(2).as_deref(),
        Some("1980-02-12")
    );
    assert!(
        row.get::<_, bool>(3),
        "MSH-7 with its own offset, whatever HL7_TIMEZONE says"
    );
    let glucose = pg
        .query_one(
            "SELECT r.numeric_value::text, r.units FROM lab_results r \
             WHERE r.control_id = 'HTTP-1' AND r.order_set_id = 1 AND r.set_id = 1",
            &[],
        )
        .await
        .expect("the first result");
    assert_eq!(glucose.get::<_, Option<String>>(0).as_deref(), Some("5.4"));
    assert_eq!(
        glucose.get::<_, Option<String>>(1).as_deref(),
        Some("mmol/L")
    );
}
