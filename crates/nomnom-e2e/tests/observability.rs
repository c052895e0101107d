//! Metrics, traces, the generated dashboard and rules, end to end: the tpch pipeline with an
//! OTLP receiver of the test's own; orders posted (some with a W3C `traceparent`, some
//! invalid, one retried with its `Idempotency-Key`) and stored; both `/metrics` counted
//! against what was posted and stored and linted by promtool; the trace ids kept from request
//! to status and the spans exported with the worker's joining the API's; then a private
//! Prometheus scraping both services answers every query of the generated dashboard and
//! every rule expression without error. HL7 v2 messages over MLLP start traces of their own.
//! With `OTEL_METRICS_EXPORTER=none` and `OTEL_PROPAGATORS=none`, nothing is kept or carried.

mod common;
mod telemetry_support;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{post_order, start, start_api_only, wait_persisted};
use nomnom_testkit::http::HttpClient;
use nomnom_testkit::pipeline::{base_env, Pipeline};
use nomnom_testkit::ports::free_port;
use nomnom_testkit::project::{build_example, workspace_root};
use nomnom_testkit::{orders, wait_until, TestDatabase, TestStream};
use serde_json::{json, Value};
use telemetry_support::exposition::{self, Sample};
use telemetry_support::otlp::{ReceivedSpan, Receiver};
use telemetry_support::prometheus::{check_metrics, check_rules, PrivatePrometheus};

/// A client's trace context: trace `4bf9…4736`, parent span `00f0…02b7`.
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN: &str = "00f067aa0ba902b7";
/// The trace context of the batch request.
const BATCH_TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const BATCH_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

async fn scrape(client: &HttpClient) -> (String, Vec<Sample>) {
    let r = client.get("/metrics").await.expect("/metrics answers");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = String::from_utf8(r.body.to_vec()).expect("UTF-8");
    let samples = exposition::parse(&text);
    (text, samples)
}

async fn trace_id_of(client: &HttpClient, message_id: &str) -> String {
    let status = client
        .get(&format!("/ingest/status/{message_id}"))
        .await
        .expect("status answers");
    assert_eq!(status.status, 200, "{}", status.json());
    status.json()["trace_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no trace_id in {}", status.json()))
        .to_string()
}

fn is_trace_id(text: &str) -> bool {
    text.len() == 32
        && text
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        && text.chars().any(|c| c != '0')
}

/// Every PromQL expression of a generated dashboard.
fn dashboard_queries(dashboard: &Value) -> Vec<String> {
    dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t["expr"].as_str().map(str::to_owned))
        .collect()
}

/// Every rule expression of a generated rules file (its `expr:` lines, JSON strings).
fn rule_expressions(rules: &str) -> Vec<String> {
    rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("expr: "))
        .map(|quoted| serde_json::from_str::<String>(quoted).expect("a quoted expression"))
        .collect()
}

#[tokio::test]
async fn metrics_traces_dashboard_and_rules_hold_against_a_real_prometheus() {
    let receiver = Receiver::start().await;
    let h = start(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
    ])
    .await;
    let api = &h.pipeline.client;
    let worker = HttpClient::new(format!(
        "http://127.0.0.1:{}",
        h.pipeline.env["WORKER_HEALTH_PORT"]
    ));
    let db = h.db.client().await;
    let sent = orders::orders(23, 1, 41);

    // 30 orders one by one, the first with the client's trace context.
    let mut ids = Vec::new();
    let first = api
        .send(
            "POST",
            "/ingest/message?entity=Order",
            &[
                ("content-type", "application/json"),
                ("traceparent", TRACEPARENT),
            ],
            sent[0].to_string(),
        )
        .await
        .expect("the API answers");
    assert_eq!(first.status, 202, "{}", first.json());
    ids.push(first.json()["message_id"].as_str().expect("id").to_string());
    for order in &sent[1..30] {
        let (status, body) = post_order(api, order).await;
        assert_eq!(status, 202, "{body}");
        ids.push(body["message_id"].as_str().expect("id").to_string());
    }
    // 10 through the batch endpoint, with another trace context.
    let ndjson: String = sent[30..40].iter().map(|o| format!("{o}\n")).collect();
    let batch = api
        .send(
            "POST",
            "/ingest/batch?entity=Order",
            &[
                ("content-type", "application/x-ndjson"),
                ("traceparent", BATCH_TRACEPARENT),
            ],
            ndjson,
        )
        .await
        .expect("the batch is answered");
    assert_eq!(batch.status, 202, "{}", batch.json());
    let batch_ids: Vec<String> = batch.json()["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["message_id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(batch_ids.len(), 10);
    ids.extend(batch_ids.iter().cloned());
    // One order sent twice with its Idempotency-Key: stored once, the retry a duplicate.
    for _ in 0..2 {
        let r = api
            .send(
                "POST",
                "/ingest/message?entity=Order",
                &[
                    ("content-type", "application/json"),
                    ("idempotency-key", "order-41"),
                ],
                sent[40].to_string(),
            )
            .await
            .expect("the API answers");
        assert_eq!(r.status, 202, "{}", r.json());
        if ids.len() < 41 {
            ids.push(r.json()["message_id"].as_str().expect("id").to_string());
        }
    }
    // Three orders the model refuses.
    for n in 0..3 {
        let (status, body) = post_order(api, &json!({"order_key": n})).await;
        assert_eq!(status, 422, "{body}");
    }
    wait_persisted(&db, &ids, Duration::from_secs(60)).await;
    let stored_orders: i64 = db
        .pg()
        .query_one("SELECT count(*) FROM orders", &[])
        .await
        .expect("count orders")
        .get(0);
    let stored_items: i64 = db
        .pg()
        .query_one("SELECT count(*) FROM order_line_items", &[])
        .await
        .expect("count line items")
        .get(0);
    assert_eq!(stored_orders, 41);

    // Trace ids from request to status: kept when sent, new when not.
    assert_eq!(trace_id_of(api, &ids[0]).await, TRACE_ID);
    for id in &batch_ids {
        assert_eq!(trace_id_of(api, id).await, BATCH_TRACE_ID);
    }
    let mut fresh = BTreeSet::new();
    for id in &ids[1..30] {
        let trace = trace_id_of(api, id).await;
        assert!(is_trace_id(&trace), "{trace}");
        fresh.insert(trace);
    }
    assert_eq!(
        fresh.len(),
        29,
        "each request without a traceparent starts its own trace"
    );
    assert!(!fresh.contains(TRACE_ID));

    // The API's counters against what was posted.
    let (api_text, api_metrics) = scrape(api).await;
    let ingest = |outcome: &str| {
        exposition::value(
            &api_metrics,
            "nomnom_ingest_messages_total",
            &[("entity", "Order"), ("outcome", outcome)],
        )
    };
    assert_eq!(ingest("accepted"), 41.0, "{api_text}");
    assert_eq!(ingest("duplicate"), 1.0);
    assert_eq!(ingest("invalid"), 3.0);
    assert_eq!(ingest("rejected"), 0.0);
    let requests = |route: &str, status: &str| {
        exposition::value(
            &api_metrics,
            "nomnom_http_requests_total",
            &[("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("/ingest/message", "202"), 32.0);
    assert_eq!(requests("/ingest/message", "422"), 3.0);
    assert_eq!(requests("/ingest/batch", "202"), 1.0);
    assert_eq!(
        requests("/ingest/status/{message_id}", "200"),
        40.0,
        "status lookups are counted under the route's template"
    );
    for route in exposition::label_values(&api_metrics, "nomnom_http_requests_total", "route") {
        assert!(
            !route.contains("ingest/status/") || route == "/ingest/status/{message_id}",
            "a raw path became a label value: {route}"
        );
    }
    assert_eq!(
        exposition::value(
            &api_metrics,
            "nomnom_http_request_duration_seconds_count",
            &[("route", "/ingest/message")]
        ),
        35.0
    );
    assert_eq!(
        exposition::value(&api_metrics, "nomnom_publish_duration_seconds_count", &[]),
        42.0,
        "40 publishes, and both of the keyed order"
    );
    assert_eq!(
        exposition::value(&api_metrics, "nomnom_build_info", &[("model", "tpch")]),
        1.0
    );

    // The worker's counters against what was stored.
    let worker_metrics = wait_until(
        "the worker to count its 41 messages",
        Duration::from_secs(30),
        || {
            let worker = worker.clone();
            async move {
                let (text, samples) = scrape(&worker).await;
                let persisted = exposition::value(
                    &samples,
                    "nomnom_worker_messages_total",
                    &[("entity", "Order"), ("outcome", "persisted")],
                );
                (persisted == 41.0).then_some((text, samples))
            }
        },
    )
    .await;
    let (worker_text, worker_samples) = worker_metrics;
    let handled = |outcome: &str| {
        exposition::value(
            &worker_samples,
            "nomnom_worker_messages_total",
            &[("entity", "Order"), ("outcome", outcome)],
        )
    };
    assert_eq!(handled("dead_lettered"), 0.0, "{worker_text}");
    assert_eq!(handled("retried"), 0.0);
    let rows = |table: &str| {
        exposition::value(
            &worker_samples,
            "nomnom_worker_rows_total",
            &[("table", table)],
        )
    };
    assert_eq!(rows("orders"), stored_orders as f64);
    assert_eq!(rows("order_line_items"), stored_items as f64);
    assert_eq!(
        exposition::value(&worker_samples, "nomnom_worker_batch_messages_sum", &[]),
        41.0,
        "every message fetched once"
    );
    assert!(
        exposition::value(
            &worker_samples,
            "nomnom_worker_batch_duration_seconds_count",
            &[]
        ) >= 1.0
    );
    assert_eq!(
        exposition::value(&worker_samples, "nomnom_stream_pending_messages", &[]),
        0.0
    );
    assert_eq!(
        exposition::value(&worker_samples, "nomnom_worker_database_up", &[]),
        1.0
    );
    assert_eq!(
        exposition::value(&worker_samples, "nomnom_build_info", &[("model", "tpch")]),
        1.0
    );

    // promtool finds nothing to say about either.
    assert_eq!(check_metrics(&api_text), "", "API metrics:\n{api_text}");
    assert_eq!(
        check_metrics(&worker_text),
        "",
        "worker metrics:\n{worker_text}"
    );

    // The spans: the API's is the client's child, the worker's the API's.
    let spans: Vec<ReceivedSpan> = wait_until(
        "the API's and the worker's spans of the traced order",
        Duration::from_secs(30),
        || async {
            let spans = receiver.spans();
            let api_span = spans
                .iter()
                .find(|s| s.trace_id == TRACE_ID && s.service == "tpch-ingestion-api")?;
            spans
                .iter()
                .any(|s| {
                    s.trace_id == TRACE_ID
                        && s.service == "tpch-worker"
                        && s.parent_span_id == api_span.span_id
                })
                .then(|| spans.clone())
        },
    )
    .await;
    let api_span = spans
        .iter()
        .find(|s| s.trace_id == TRACE_ID && s.service == "tpch-ingestion-api")
        .expect("the API's span");
    assert_eq!(api_span.parent_span_id, PARENT_SPAN, "{api_span:?}");
    assert_eq!(api_span.name, "ingest message");
    let batch_span = wait_until("the batch's spans", Duration::from_secs(30), || async {
        let spans = receiver.spans();
        let batch_span = spans
            .iter()
            .find(|s| s.trace_id == BATCH_TRACE_ID && s.service == "tpch-ingestion-api")?
            .clone();
        let children = spans
            .iter()
            .filter(|s| s.trace_id == BATCH_TRACE_ID && s.parent_span_id == batch_span.span_id)
            .count();
        (children == 10).then_some(batch_span)
    })
    .await;
    assert_eq!(batch_span.name, "ingest batch");

    // The generated rules pass promtool.
    let project = common::tpch();
    let rules_file = project.dir.join("deploy/prometheus/rules.yaml");
    let report = check_rules(&rules_file).unwrap_or_else(|e| panic!("promtool check rules: {e}"));
    assert!(report.contains("SUCCESS: 5 rules found"), "{report}");

    // A real Prometheus scrapes both and answers every query.
    let prometheus = PrivatePrometheus::start(
        &[
            ("api", format!("127.0.0.1:{}", h.pipeline.env["PORT"])),
            (
                "worker",
                format!("127.0.0.1:{}", h.pipeline.env["WORKER_HEALTH_PORT"]),
            ),
        ],
        &rules_file,
    )
    .await;
    prometheus.wait_targets_up(2).await;
    wait_until(
        "Prometheus to hold the 41 accepted messages",
        Duration::from_secs(30),
        || async {
            let answer = prometheus
                .query("sum(nomnom_ingest_messages_total{outcome=\"accepted\"})")
                .await;
            (answer["data"]["result"][0]["value"][1] == "41").then_some(())
        },
    )
    .await;
    // Rates need two scrapes in their window.
    wait_until(
        "two scrapes of the worker",
        Duration::from_secs(30),
        || async {
            let answer = prometheus
                .query("sum(rate(nomnom_worker_rows_total[5m]))")
                .await;
            answer["data"]["result"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
                .then_some(())
        },
    )
    .await;
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(project.dir.join("deploy/grafana/dashboard.json"))
            .expect("dashboard.json"),
    )
    .expect("the dashboard is JSON");
    let queries = dashboard_queries(&dashboard);
    assert!(queries.len() > 20, "{queries:?}");
    let rules_text = std::fs::read_to_string(&rules_file).expect("rules.yaml");
    let expressions = rule_expressions(&rules_text);
    assert_eq!(expressions.len(), 5);
    let mut with_data = 0;
    for expr in queries.iter().chain(&expressions) {
        let answer = prometheus.query(expr).await;
        assert_eq!(
            answer["status"],
            "success",
            "{expr}: {answer}\n{}",
            prometheus.log()
        );
        if answer["data"]["result"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            with_data += 1;
        }
    }
    assert!(
        with_data >= queries.len() / 2,
        "most dashboard queries have data: {with_data}"
    );
    // Every rule is evaluated without error.
    wait_until("every rule evaluated", Duration::from_secs(30), || async {
        let rules = prometheus.get("/api/v1/rules").await;
        let rules = rules["data"]["groups"][0]["rules"].as_array()?.clone();
        for rule in &rules {
            assert_ne!(rule["health"], "err", "{rule}");
        }
        (rules.len() == 5 && rules.iter().all(|r| r["health"] == "ok")).then_some(())
    })
    .await;
    // Nothing is firing: no dead letters, no 5xx, the database up, a worker running.
    let alerts = prometheus.get("/api/v1/alerts").await;
    assert_eq!(alerts["data"]["alerts"], json!([]), "{alerts}");
}

/// Sends `message` framed over MLLP and returns the ACK.
async fn mllp(port: u16, message: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to MLLP");
    let mut frame = vec![0x0B];
    frame.extend_from_slice(message.as_bytes());
    frame.extend_from_slice(&[0x1C, 0x0D]);
    stream.write_all(&frame).await.expect("send");
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    while !answer.ends_with(&[0x1C, 0x0D]) {
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk))
            .await
            .expect("an ACK within 30 s")
            .expect("read");
        assert!(n > 0, "closed before the ACK");
        answer.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn mllp_messages_start_traces_of_their_own() {
    let receiver = Receiver::start().await;
    let project = build_example("hl7-lab", false);
    let stream = TestStream::shared();
    let db = TestDatabase::create_shared().await;
    let mut env = base_env(&nomnom_testkit::shared_nats_url(), stream.name(), &db.url());
    let mllp_port = free_port();
    env.insert("MLLP_PORT".into(), mllp_port.to_string());
    env.insert(
        "OTEL_EXPORTER_OTLP_ENDPOINT".into(),
        receiver.endpoint.clone(),
    );
    env.insert("OTEL_BSP_SCHEDULE_DELAY".into(), "200".into());
    let pipeline = Pipeline::start(&project, env).await;
    let pg = db.client().await;
    let sample_path = workspace_root().join("examples/hl7-lab/examples/oru-r01.hl7");
    let sample = std::fs::read_to_string(&sample_path).expect("the sample message");
    for control_id in ["MLLP-T1", "MLLP-T2"] {
        let ack = mllp(
            mllp_port,
            &sample.replace("|MSG00042|", &format!("|{control_id}|")),
        )
        .await;
        assert!(ack.contains(&format!("MSA|AA|{control_id}")), "{ack}");
    }
    let traces: Vec<String> = wait_until("both messages persisted", Duration::from_secs(60), || async {
        let rows = pg
            .query(
                "SELECT replace(trace_id::text, '-', '') FROM message_status WHERE status = 'persisted' ORDER BY received_at",
                &[],
            )
            .await
            .ok()?;
        (rows.len() == 2).then(|| rows.iter().map(|r| r.get::<_, Option<String>>(0).unwrap_or_default()).collect())
    })
    .await;
    assert!(traces.iter().all(|t| is_trace_id(t)), "{traces:?}");
    assert_ne!(traces[0], traces[1], "each message is a trace of its own");
    // Each trace: the listener's span, a root, and the worker's span below it.
    wait_until(
        "the MLLP spans and the worker's",
        Duration::from_secs(30),
        || async {
            let spans = receiver.spans();
            traces
                .iter()
                .all(|trace| {
                    let Some(ingest) = spans.iter().find(|s| {
                        &s.trace_id == trace
                            && s.name == "ingest mllp"
                            && s.parent_span_id.is_empty()
                    }) else {
                        return false;
                    };
                    spans.iter().any(|s| {
                        &s.trace_id == trace
                            && s.service == "hl7-lab-worker"
                            && s.parent_span_id == ingest.span_id
                    })
                })
                .then_some(())
        },
    )
    .await;
    let (_, api_metrics) = scrape(&pipeline.client).await;
    assert_eq!(
        exposition::value(
            &api_metrics,
            "nomnom_ingest_messages_total",
            &[("entity", "LabReport"), ("outcome", "accepted")]
        ),
        2.0
    );
}

/// Both off (`OTEL_METRICS_EXPORTER=none`, `OTEL_PROPAGATORS=none`, as the benchmark's
/// baseline runs): both `/metrics` answer 404, the client's `traceparent` is neither carried
/// on NATS nor kept with the status, and the messages are stored as with both on.
#[tokio::test]
async fn with_metrics_and_trace_context_off_nothing_is_kept_or_carried() {
    let h = start_api_only(&[
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_PROPAGATORS", "none"),
    ])
    .await;
    let sent = orders::orders(29, 1, 3);
    let first = h
        .client
        .send(
            "POST",
            "/ingest/message?entity=Order",
            &[
                ("content-type", "application/json"),
                ("traceparent", TRACEPARENT),
            ],
            sent[0].to_string(),
        )
        .await
        .expect("the API answers");
    assert_eq!(first.status, 202, "{}", first.json());
    let ndjson: String = sent[1..].iter().map(|o| format!("{o}\n")).collect();
    let batch = h
        .client
        .send(
            "POST",
            "/ingest/batch?entity=Order",
            &[
                ("content-type", "application/x-ndjson"),
                ("traceparent", BATCH_TRACEPARENT),
            ],
            ndjson,
        )
        .await
        .expect("the API answers");
    assert_eq!(batch.status, 202, "{}", batch.json());
    let mut ids = vec![first.json()["message_id"].as_str().expect("id").to_string()];
    for line in batch.json()["results"].as_array().expect("results") {
        ids.push(line["message_id"].as_str().expect("id").to_string());
    }
    assert_eq!(ids.len(), 3);

    let off = h.client.get("/metrics").await.expect("/metrics answers");
    assert_eq!(off.status, 404);
    assert_eq!(off.json()["type"], "urn:nomnom:problem:metrics-off");

    // The queued messages carry the envelope's headers and no trace context.
    let js = async_nats::jetstream::new(
        async_nats::connect(nomnom_testkit::shared_nats_url())
            .await
            .expect("nats"),
    );
    let stream = js.get_stream(h.stream.name()).await.expect("stream exists");
    for sequence in 1..=3 {
        let raw = stream
            .get_raw_message(sequence)
            .await
            .expect("queued message");
        assert!(raw.headers.get("Nomnom-Message-Id").is_some());
        assert_eq!(raw.headers.get("traceparent"), None, "message {sequence}");
    }

    let _worker = h.start_worker();
    let db = h.db.client().await;
    wait_persisted(&db, &ids, Duration::from_secs(60)).await;
    common::assert_tables_match(&db, &sent).await;
    for id in &ids {
        let status = h
            .client
            .get(&format!("/ingest/status/{id}"))
            .await
            .expect("status answers");
        assert_eq!(status.status, 200, "{}", status.json());
        assert_eq!(status.json()["status"], "persisted");
        assert_eq!(status.json()["trace_id"], Value::Null, "{}", status.json());
    }
    let worker_metrics =
        HttpClient::new(format!("http://127.0.0.1:{}", h.env["WORKER_HEALTH_PORT"]))
            .get("/metrics")
            .await
            .expect("the worker's /metrics answers");
    assert_eq!(worker_metrics.status, 404);
    assert!(
        String::from_utf8_lossy(&worker_metrics.body).contains("OTEL_METRICS_EXPORTER"),
        "{:?}",
        worker_metrics.body
    );
}
