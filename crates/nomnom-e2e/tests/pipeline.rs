//! The generated tpch pipeline end to end: HTTP → JetStream → worker → PostgreSQL, and the
//! same project generated for MariaDB (`--database mariadb`): every test runs on both.

mod common;

use std::time::Duration;

use common::{
    assert_tables_match, post_all, post_order, start_api_only_on, start_on, wait_persisted, Backend,
};
use nomnom_testkit::{orders, wait_until};
use serde_json::json;

on_each_database!(
    tpch_orders_land_exactly_as_sent,
    decimals_keep_every_digit,
    reingesting_an_order_updates_it_and_replaces_its_line_items,
    status_moves_from_accepted_to_persisted_through_the_api,
);

async fn tpch_orders_land_exactly_as_sent(backend: Backend) {
    let h = start_on(backend, &[]).await;
    let db = h.db.client().await;
    let sent = orders::orders(11, 1, 400);

    // Most orders one by one, the last 100 through the batch endpoint.
    let mut ids = post_all(&h.pipeline.client, &sent[..300], 32).await;
    let ndjson: String = sent[300..].iter().map(|o| format!("{o}\n")).collect();
    let batch = h
        .pipeline
        .client
        .send(
            "POST",
            "/ingest/batch?entity=Order",
            &[("content-type", "application/x-ndjson")],
            ndjson,
        )
        .await
        .expect("batch answered");
    assert_eq!(batch.status, 202, "{}", batch.json());
    let body = batch.json();
    assert_eq!(body["accepted"], 100);
    assert_eq!(body["rejected"], 0);
    for result in body["results"].as_array().expect("results") {
        ids.push(result["message_id"].as_str().expect("message_id").into());
    }

    wait_persisted(&db, &ids, Duration::from_secs(60)).await;
    assert_tables_match(&db, &sent).await;
}

async fn decimals_keep_every_digit(backend: Backend) {
    let h = start_on(backend, &[]).await;
    let db = h.db.client().await;
    let mut order = orders::orders(3, 1, 1).remove(0);
    order["total_price"] = json!("12345678901234567890.123456789");
    let (status, body) = post_order(&h.pipeline.client, &order).await;
    assert_eq!(status, 202, "{body}");
    let id = body["message_id"].as_str().expect("id").to_string();
    wait_persisted(&db, &[id], Duration::from_secs(30)).await;
    assert_eq!(
        db.decimal_text("orders", "total_price").await,
        "12345678901234567890.123456789"
    );
}

async fn reingesting_an_order_updates_it_and_replaces_its_line_items(backend: Backend) {
    let h = start_on(backend, &[]).await;
    let db = h.db.client().await;
    let mut first = orders::orders(5, 1, 1).remove(0);
    first["line_items"] = json!((1..=5)
        .map(|n| json!({"line_number": n, "part_key": format!("P-{n}"), "quantity": n, "extended_price": 10.5}))
        .collect::<Vec<_>>());
    let (status, body) = post_order(&h.pipeline.client, &first).await;
    assert_eq!(status, 202, "{body}");
    wait_persisted(
        &db,
        &[body["message_id"].as_str().expect("id").into()],
        Duration::from_secs(30),
    )
    .await;

    let mut second = first.clone();
    second["customer_key"] = json!("C-CHANGED");
    second["line_items"] = json!([
        {"line_number": 1, "part_key": "P-NEW", "quantity": 9, "extended_price": 1.25},
        {"line_number": 7, "part_key": "P-7", "quantity": 7, "extended_price": 2.5}
    ]);
    let (status, body) = post_order(&h.pipeline.client, &second).await;
    assert_eq!(status, 202, "{body}");
    wait_persisted(
        &db,
        &[body["message_id"].as_str().expect("id").into()],
        Duration::from_secs(30),
    )
    .await;

    assert_tables_match(&db, &[second]).await;
}

async fn status_moves_from_accepted_to_persisted_through_the_api(backend: Backend) {
    // Only the API runs at first, so the message stays `accepted`.
    let h = start_api_only_on(backend, &[]).await;
    let client = &h.client;
    let order = orders::orders(8, 1, 1).remove(0);
    let (status, body) = post_order(client, &order).await;
    assert_eq!(status, 202, "{body}");
    let id = body["message_id"].as_str().expect("id").to_string();
    let path = format!("/ingest/status/{id}");

    let accepted = wait_until("status accepted", Duration::from_secs(2), || {
        let (client, path) = (client.clone(), path.clone());
        async move {
            let r = client.get(&path).await.ok()?;
            (r.status == 200).then(|| r.json())
        }
    })
    .await;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["message_id"], id.as_str());
    assert_eq!(accepted["entity_type"], "Order");
    assert!(accepted["processed_at"].is_null());

    let _worker = h.start_worker();
    let persisted = wait_until("status persisted", Duration::from_secs(30), || {
        let (client, path) = (client.clone(), path.clone());
        async move {
            let body = client.get(&path).await.ok()?.json();
            (body["status"] == "persisted").then_some(body)
        }
    })
    .await;
    assert!(persisted["processed_at"].is_string());
    assert_eq!(persisted["retry_count"], 0);
    assert!(persisted["error_message"].is_null());

    let unknown = client
        .get("/ingest/status/0190b7e4-7c2a-7000-8000-000000000000")
        .await
        .expect("answered");
    assert_eq!(unknown.status, 404);
    let malformed = client
        .get("/ingest/status/not-a-uuid")
        .await
        .expect("answered");
    assert_eq!(malformed.status, 400);
}
