//! Every error the API answers is `application/problem+json`: a method a route does not take
//! (405 with `Allow`), an unknown route (404), a body over the limit whether declared or
//! streamed (413), a body that cannot be read (400), and axum's own rejections.

mod support_api;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use bytes::Bytes;
use support_api::app::{AppOptions, TestApp, TestResponse};
use support_api::model::ShopModel;

fn assert_problem(response: &TestResponse, status: StatusCode, kind: &str) {
    assert_eq!(response.status, status, "{:?}", response.body);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json"),
        "{kind}"
    );
    assert_eq!(response.json["type"], format!("urn:nomnom:problem:{kind}"));
    assert_eq!(response.json["status"], status.as_u16());
    assert!(response.json["title"].is_string());
    assert!(response.json["detail"].is_string());
}

#[tokio::test]
async fn a_method_a_route_does_not_take_is_a_405_problem_with_allow() {
    let app = TestApp::spawn::<ShopModel>().await;
    let get = app.get("/ingest/message").await;
    assert_problem(&get, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    assert_eq!(get.header("allow"), Some("POST"));
    assert_eq!(
        get.json["detail"],
        "GET is not allowed on /ingest/message; the Allow header lists the methods that are"
    );

    let put = app
        .request(Method::PUT, "/ingest/batch", &[], Body::empty())
        .await;
    assert_problem(&put, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    assert_eq!(put.header("allow"), Some("POST"));

    let delete = app
        .request(Method::DELETE, "/health", &[], Body::empty())
        .await;
    assert_problem(
        &delete,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    );
    assert_eq!(delete.header("allow"), Some("GET,HEAD"));

    let post_status = app
        .request(
            Method::POST,
            "/ingest/status/67e55044-10b1-426f-9247-bb680e5fe0c8",
            &[],
            Body::empty(),
        )
        .await;
    assert_problem(
        &post_status,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    );
    assert!(app.stored().await.is_empty());
}

#[tokio::test]
async fn unknown_routes_and_axum_rejections_are_problems() {
    let app = TestApp::spawn::<ShopModel>().await;
    let missing = app.get("/ingest/nothing").await;
    assert_problem(&missing, StatusCode::NOT_FOUND, "not-found");

    // A path parameter that is not UTF-8 once decoded: axum's `Path` rejection (plain text).
    let bad_path = app.get("/ingest/status/%FF").await;
    assert_problem(&bad_path, StatusCode::BAD_REQUEST, "bad-request");
    assert!(
        bad_path.json["detail"]
            .as_str()
            .is_some_and(|d| d.contains("UTF-8")),
        "{:?}",
        bad_path.json
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_problems_declared_or_streamed() {
    let app = TestApp::spawn_with::<ShopModel>(
        AppOptions::default()
            .var("API_MAX_BODY_BYTES", "64")
            .var("API_MAX_BATCH_BYTES", "128"),
    )
    .await;
    let line = r#"{"order_key": "A-1", "total": 1}"#;

    // Declared too large: refused before the body is read (none is sent here).
    let declared = app
        .request(
            Method::POST,
            "/ingest/message?entity=Order",
            &[
                ("content-type", "application/json"),
                ("content-length", "65"),
            ],
            Body::empty(),
        )
        .await;
    assert_problem(
        &declared,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    );
    assert_eq!(declared.json["limit_bytes"], 64);

    // Streamed in chunks without a length: the body limit layer stops it.
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..10)
        .map(|_| Ok(Bytes::from(format!("{line}\n"))))
        .collect();
    let streamed = app
        .request(
            Method::POST,
            "/ingest/batch?entity=Order",
            &[("content-type", "application/x-ndjson")],
            Body::from_stream(futures_util::stream::iter(chunks)),
        )
        .await;
    assert_problem(
        &streamed,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    );
    assert_eq!(streamed.json["limit_bytes"], 128);

    // Within the limit the same route takes it.
    let fits = app
        .post_batch("/ingest/batch?entity=Order", &format!("{line}\n"), &[])
        .await;
    assert_eq!(fits.status, StatusCode::ACCEPTED, "{:?}", fits.json);
    assert_eq!(app.stored().await.len(), 1);
}

#[tokio::test]
async fn a_body_that_breaks_off_is_an_unreadable_body_problem() {
    let app = TestApp::spawn::<ShopModel>().await;
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from_static(b"{\"order_key\": ")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "client went away",
        )),
    ];
    let broken = app
        .request(
            Method::POST,
            "/ingest/message?entity=Order",
            &[("content-type", "application/json")],
            Body::from_stream(futures_util::stream::iter(chunks)),
        )
        .await;
    assert_problem(&broken, StatusCode::BAD_REQUEST, "unreadable-body");
    assert!(app.stored().await.is_empty());
}
