//! The generated tpch ingestion API over a real socket: the error contract with the generated
//! validation, the OpenAPI document, readiness, and the stream holding exactly what got a 202.

mod common;

use std::time::Duration;

use common::{start, start_api_only};
use nomnom_testkit::orders;
use nomnom_testkit::wait_until;
use serde_json::{json, Value};

#[tokio::test]
async fn a_202_means_the_stream_holds_the_envelope() {
    let h = start_api_only(&[]).await;
    let order = orders::orders(1, 1, 1).remove(0);
    let r = h
        .client
        .send(
            "POST",
            "/ingest/message",
            &[
                ("content-type", "application/json"),
                ("x-source", "e2e-test"),
            ],
            order.to_string(),
        )
        .await
        .expect("answered");
    assert_eq!(r.status, 202, "{}", r.json());
    let body = r.json();
    assert_eq!(body["status"], "accepted");
    let id = body["message_id"].as_str().expect("message_id").to_string();
    assert!(body["timestamp"].is_string());

    // Read the message back from the stream with an ephemeral consumer of our own.
    let js = async_nats::jetstream::new(
        async_nats::connect(nomnom_testkit::shared_nats_url())
            .await
            .expect("nats"),
    );
    let stream = js.get_stream(h.stream.name()).await.expect("stream exists");
    let raw = stream.get_raw_message(1).await.expect("first message");
    assert_eq!(raw.subject.as_str(), h.stream.ingest_subject("Order"));
    let stored: Value = serde_json::from_slice(&raw.payload).expect("payload is the JSON body");
    assert_eq!(stored, order, "the body travels unchanged");
    let headers = raw.headers;
    assert_eq!(
        headers.get("Nomnom-Message-Id").map(|v| v.as_str()),
        Some(id.as_str())
    );
    assert_eq!(
        headers.get("Nomnom-Entity").map(|v| v.as_str()),
        Some("Order")
    );
    assert_eq!(
        headers.get("Nomnom-Source").map(|v| v.as_str()),
        Some("e2e-test")
    );
    assert!(headers.get("Nomnom-Received-At").is_some());
    assert_eq!(h.stream.message_count(h.stream.name()).await, 1);
}

#[tokio::test]
async fn validation_lists_every_failing_field_with_its_path() {
    let h = start(&[]).await;
    let bad = json!({
        "order_key": 17,
        "order_status": "X",
        "total_price": "12.3.4",
        "order_date": "1995-02-30",
        "comment": "x".repeat(201),
        "line_items": [
            {"line_number": 0, "part_key": "P", "quantity": 1, "extended_price": 1.0},
            {"line_number": 2, "quantity": "many", "extended_price": 1.0, "discount": 1.5}
        ]
    });
    let r = h
        .pipeline
        .client
        .post_json("/ingest/message?entity=Order", bad.to_string())
        .await
        .expect("answered");
    assert_eq!(r.status, 422, "{}", r.json());
    assert!(r
        .header("content-type")
        .unwrap_or_default()
        .starts_with("application/problem+json"));
    let errors = r.json()["errors"].as_array().cloned().unwrap_or_default();
    let paths: Vec<&str> = errors.iter().filter_map(|e| e["path"].as_str()).collect();
    for expected in [
        "/order_key",
        "/customer_key",
        "/order_status",
        "/total_price",
        "/order_date",
        "/comment",
        "/line_items/0/line_number",
        "/line_items/1/part_key",
        "/line_items/1/quantity",
        "/line_items/1/discount",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} missing from {paths:?}"
        );
    }
    assert_eq!(
        h.stream.message_count(h.stream.name()).await,
        0,
        "nothing invalid is queued"
    );
}

#[tokio::test]
async fn client_errors_are_problem_json_with_the_right_status() {
    let h = start(&[("API_MAX_BODY_BYTES", "2KiB")]).await;
    let c = &h.pipeline.client;
    let order = orders::orders(2, 1, 1).remove(0).to_string();

    let malformed = c
        .post_json("/ingest/message", "{\"order_key\": ")
        .await
        .expect("answered");
    assert_eq!(malformed.status, 400);

    let unknown = c
        .post_json("/ingest/message?entity=Nope", order.clone())
        .await
        .expect("answered");
    assert_eq!(unknown.status, 400);
    assert!(
        String::from_utf8_lossy(&unknown.body).contains("Order"),
        "names the valid entities"
    );

    let wrong_type = c
        .send(
            "POST",
            "/ingest/message",
            &[("content-type", "text/plain")],
            order.clone(),
        )
        .await
        .expect("answered");
    assert_eq!(wrong_type.status, 415);

    let big = json!({"order_key": "x".repeat(4096)}).to_string();
    let too_large = c.post_json("/ingest/message", big).await.expect("answered");
    assert_eq!(too_large.status, 413);

    // A string PostgreSQL text cannot hold is refused now, not dead-lettered later.
    let mut with_nul: Value = serde_json::from_str(&order).expect("order");
    with_nul["comment"] = Value::from("a\u{0}b");
    let nul = c
        .post_json("/ingest/message", with_nul.to_string())
        .await
        .expect("answered");
    assert_eq!(nul.status, 422, "{}", nul.json());
    assert_eq!(nul.json()["errors"][0]["path"], "/comment");
    assert_eq!(nul.json()["errors"][0]["rule"], "format");

    let wrong_method = c.get("/ingest/message").await.expect("answered");
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    let no_route = c.get("/nowhere").await.expect("answered");
    assert_eq!(no_route.status, 404);

    for r in [
        &malformed,
        &unknown,
        &wrong_type,
        &too_large,
        &nul,
        &wrong_method,
        &no_route,
    ] {
        assert!(
            r.header("content-type")
                .unwrap_or_default()
                .starts_with("application/problem+json"),
            "problem+json for {}",
            r.status
        );
    }
}

#[tokio::test]
async fn openapi_health_and_readiness() {
    let h = start(&[]).await;
    let c = &h.pipeline.client;
    assert_eq!(c.get("/health").await.expect("answered").status, 200);
    assert_eq!(c.get("/ready").await.expect("answered").status, 200);
    let doc = c.get("/openapi.json").await.expect("answered");
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert!(doc["openapi"]
        .as_str()
        .unwrap_or_default()
        .starts_with("3."));
    assert!(doc["paths"]["/ingest/message"]["post"].is_object());
    assert!(doc["paths"]["/ingest/batch"]["post"].is_object());
    assert!(doc["paths"]["/ingest/status/{message_id}"]["get"].is_object());
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["Order"].is_object() && schemas["OrderLineItem"].is_object());
}

#[tokio::test]
async fn sigterm_stops_the_api_cleanly() {
    let mut h = start(&[]).await;
    let code = h.pipeline.api.terminate(Duration::from_secs(15)).await;
    assert_eq!(code, Some(0), "{}", h.pipeline.api.log());
}

#[tokio::test]
async fn idempotent_retries_return_the_same_id_and_queue_one_copy() {
    let h = start_api_only(&[]).await;
    let order = orders::orders(4, 1, 1).remove(0).to_string();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let r = h
            .client
            .send(
                "POST",
                "/ingest/message?entity=Order",
                &[
                    ("content-type", "application/json"),
                    ("idempotency-key", "order-4-attempt"),
                ],
                order.clone(),
            )
            .await
            .expect("answered");
        assert_eq!(r.status, 202, "{}", r.json());
        ids.push(r.json()["message_id"].as_str().expect("id").to_string());
    }
    assert!(
        ids.iter().all(|id| id == &ids[0]),
        "same id every time: {ids:?}"
    );
    assert_eq!(h.stream.message_count(h.stream.name()).await, 1);
}

#[tokio::test]
async fn a_batch_mixing_valid_and_invalid_lines_reports_each_line() {
    let h = start_api_only(&[]).await;
    let good = orders::orders(6, 1, 2);
    let body = format!("{}\n{{\"order_key\": 1}}\nnot json\n{}\n", good[0], good[1]);
    let r = h
        .client
        .send(
            "POST",
            "/ingest/batch?entity=Order",
            &[("content-type", "application/x-ndjson")],
            body,
        )
        .await
        .expect("answered");
    assert_eq!(r.status, 202, "{}", r.json());
    let body = r.json();
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["rejected"], 2);
    let results = body["results"].as_array().expect("results");
    assert_eq!(results.len(), 4);
    assert_eq!(results[0]["line"], 1);
    assert!(results[0]["message_id"].is_string());
    assert_eq!(results[1]["line"], 2);
    assert!(results[1]["errors"].is_array());
    assert_eq!(results[2]["line"], 3);
    assert!(results[2]["errors"].is_array());
    assert!(results[3]["message_id"].is_string());
    assert_eq!(h.stream.message_count(h.stream.name()).await, 2);
}

/// Keys and the rate limit in the real binary, the key made by the documented command
/// (`nomnom key`): the key's name in the log and never the key; without keys, the rate
/// limit's bucket is the client's address.
#[tokio::test]
async fn the_binary_checks_keys_logs_their_names_and_limits_each_address() {
    let made = std::process::Command::new(nomnom_testkit::project::nomnom_cli(false))
        .args(["key", "e2e-feed", "--scopes", "ingest"])
        .output()
        .expect("running nomnom key");
    assert!(made.status.success(), "{made:?}");
    let stdout = String::from_utf8(made.stdout).expect("UTF-8");
    let [key, line] = stdout.lines().collect::<Vec<_>>()[..] else {
        panic!("nomnom key prints the key, then the line: {stdout}");
    };
    let key: &'static str = Box::leak(format!("Bearer {key}").into_boxed_str());
    let dir = tempfile::tempdir().expect("temp dir");
    let keys = dir.path().join("api-keys");
    std::fs::write(&keys, format!("{line}\n")).expect("keys file");
    let keys = keys.display().to_string();
    let h = start_api_only(&[("API_KEYS_FILE", &keys), ("RUST_LOG", "info")]).await;
    let order = orders::orders(3, 1, 1).remove(0).to_string();
    let post = |headers: Vec<(&'static str, &'static str)>| {
        let (client, order) = (h.client.clone(), order.clone());
        async move {
            let mut all = vec![("content-type", "application/json")];
            all.extend(headers);
            client
                .send("POST", "/ingest/message", &all, order)
                .await
                .expect("answered")
        }
    };
    assert_eq!(post(vec![]).await.status, 401);
    let accepted = post(vec![("authorization", key)]).await;
    assert_eq!(accepted.status, 202, "{}", accepted.json());
    let refused = post(vec![("x-api-key", "nnk_not-a-key")]).await;
    assert_eq!(refused.status, 401);
    // A key without the scope is refused, its name (only) in the log.
    let id = accepted.json()["message_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let status = h
        .client
        .send(
            "GET",
            &format!("/ingest/status/{id}"),
            &[("authorization", key)],
            "",
        )
        .await
        .expect("answered");
    assert_eq!(status.status, 403);
    let log = wait_until("the refusal in the log", Duration::from_secs(10), || {
        let log = h.api.log();
        async move { log.contains("e2e-feed").then_some(log) }
    })
    .await;
    assert!(log.contains("API keys required"), "{log}");
    assert!(
        !log.contains(&key["Bearer ".len()..]),
        "the key itself is never logged"
    );

    // No keys, a bucket of 2 per client address.
    let open = start_api_only(&[("RATE_LIMIT_PER_SECOND", "1"), ("RATE_LIMIT_BURST", "2")]).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = open
            .client
            .send(
                "POST",
                "/ingest/message",
                &[("content-type", "application/json")],
                order.clone(),
            )
            .await
            .expect("answered");
        statuses.push(r.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(statuses[0], 202, "{statuses:?}");
}
