//! API keys and rate limits, through the router over the real NATS and PostgreSQL: each route
//! needs its scope, a missing or unknown key is 401 with `WWW-Authenticate`, a key without the
//! scope 403, the open routes stay open; a key rotated in the file is in force without a
//! restart and a revoked one is refused; over the rate limit, 429 with `Retry-After` and the
//! `RateLimit` fields, each key with its own bucket.

mod support_api;

use std::path::Path;
use std::time::Duration;

use axum::http::StatusCode;
use nomnom_runtime::api::access::keys::digest_hex;
use nomnom_testkit::wait_until;
use support_api::app::{AppOptions, TestApp};
use support_api::model::ShopModel;

const ORDER: &str = r#"{"order_key": "A-1", "total": 12.50, "items": [{"qty": 2}]}"#;

fn keys_file(dir: &Path, lines: &[(&str, &str, &str)]) -> String {
    let path = dir.join("api-keys");
    let text: String = lines
        .iter()
        .map(|(name, scopes, key)| format!("{name}:{scopes}:{}\n", digest_hex(key)))
        .collect();
    std::fs::write(&path, format!("# test keys\n{text}")).expect("writing the keys file");
    path.display().to_string()
}

async fn post(app: &TestApp, headers: &[(&str, &str)]) -> support_api::app::TestResponse {
    app.post_message("/ingest/message?entity=Order", ORDER, headers)
        .await
}

#[tokio::test]
async fn each_route_needs_its_scope_and_the_open_routes_stay_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = keys_file(
        dir.path(),
        &[
            ("lab-feed", "ingest", "feed-secret"),
            ("dashboard", "status", "dash-secret"),
            ("ops", "ingest+status", "ops-secret"),
        ],
    );
    let app =
        TestApp::spawn_with::<ShopModel>(AppOptions::default().var("API_KEYS_FILE", &file)).await;

    let missing = post(&app, &[]).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.header("www-authenticate"),
        Some("Bearer realm=\"nomnom\"")
    );
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(missing.json["type"], "urn:nomnom:problem:unauthorized");

    let unknown = post(&app, &[("authorization", "Bearer not-a-key")]).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(unknown
        .header("www-authenticate")
        .is_some_and(|v| v.contains("invalid_token")));
    assert!(
        !unknown.body.windows(10).any(|w| w == b"not-a-key\""),
        "the key is not echoed"
    );

    let wrong_scope = post(&app, &[("x-api-key", "dash-secret")]).await;
    assert_eq!(wrong_scope.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong_scope.json["scope"], "ingest");
    assert!(wrong_scope.json["detail"]
        .as_str()
        .unwrap()
        .contains("`dashboard`"));

    let accepted = post(&app, &[("authorization", "Bearer feed-secret")]).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{:?}", accepted.json);
    let id = accepted.json["message_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(
        app.stored().await.len(),
        1,
        "only the accepted message reached the stream"
    );
    let batch = app
        .post_batch(
            "/ingest/batch?entity=Order",
            ORDER,
            &[("x-api-key", "ops-secret")],
        )
        .await;
    assert_eq!(batch.status, StatusCode::ACCEPTED, "{:?}", batch.json);

    let status_uri = format!("/ingest/status/{id}");
    let by_feed = app
        .request(
            axum::http::Method::GET,
            &status_uri,
            &[("x-api-key", "feed-secret")],
            "",
        )
        .await;
    assert_eq!(by_feed.status, StatusCode::FORBIDDEN, "ingest-only key");
    let by_dashboard = app
        .request(
            axum::http::Method::GET,
            &status_uri,
            &[("x-api-key", "dash-secret")],
            "",
        )
        .await;
    assert_ne!(by_dashboard.status, StatusCode::FORBIDDEN);
    assert_ne!(by_dashboard.status, StatusCode::UNAUTHORIZED);
    let anonymous_status = app.get(&status_uri).await;
    assert_eq!(anonymous_status.status, StatusCode::UNAUTHORIZED);

    for open in ["/health", "/openapi.json"] {
        assert_eq!(app.get(open).await.status, StatusCode::OK, "{open}");
    }
    assert_ne!(app.get("/ready").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_rotated_key_is_in_force_and_a_revoked_one_refused_without_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = keys_file(dir.path(), &[("feed", "ingest", "old-secret")]);
    let app =
        TestApp::spawn_with::<ShopModel>(AppOptions::default().var("API_KEYS_FILE", &file)).await;
    assert_eq!(
        post(&app, &[("x-api-key", "old-secret")]).await.status,
        StatusCode::ACCEPTED
    );

    // Rotation: the new key added beside the old, then the old removed.
    keys_file(
        dir.path(),
        &[
            ("feed", "ingest", "old-secret"),
            ("feed-2", "ingest", "new-secret"),
        ],
    );
    wait_until("the new key in force", Duration::from_secs(10), || async {
        (post(&app, &[("x-api-key", "new-secret")]).await.status == StatusCode::ACCEPTED)
            .then_some(())
    })
    .await;
    assert_eq!(
        post(&app, &[("x-api-key", "old-secret")]).await.status,
        StatusCode::ACCEPTED
    );
    keys_file(dir.path(), &[("feed-2", "ingest", "new-secret")]);
    wait_until("the old key revoked", Duration::from_secs(10), || async {
        (post(&app, &[("x-api-key", "old-secret")]).await.status == StatusCode::UNAUTHORIZED)
            .then_some(())
    })
    .await;
    assert_eq!(
        post(&app, &[("x-api-key", "new-secret")]).await.status,
        StatusCode::ACCEPTED
    );
    // A broken edit leaves the keys in force: see reload.rs's unit test.
}

#[tokio::test]
async fn over_the_rate_limit_a_key_gets_429_with_when_to_retry() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = keys_file(
        dir.path(),
        &[
            ("busy", "ingest", "busy-secret"),
            ("quiet", "ingest", "quiet-secret"),
        ],
    );
    let app = TestApp::spawn_with::<ShopModel>(
        AppOptions::default()
            .var("API_KEYS_FILE", &file)
            .var("RATE_LIMIT_PER_SECOND", "1")
            .var("RATE_LIMIT_BURST", "3"),
    )
    .await;
    let busy = [("x-api-key", "busy-secret")];
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(post(&app, &busy).await.status);
    }
    let accepted = statuses
        .iter()
        .filter(|s| **s == StatusCode::ACCEPTED)
        .count();
    assert!(
        (3..=4).contains(&accepted),
        "a burst of 3, one token a second: {statuses:?}"
    );
    let refused = post(&app, &busy).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.json["type"], "urn:nomnom:problem:rate-limited");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.header("ratelimit"), Some("\"bucket\";r=0;t=1"));
    assert_eq!(
        refused.header("ratelimit-policy"),
        Some("\"bucket\";q=1;w=1;burst=3")
    );
    // Another key has its own bucket; the open routes have none.
    assert_eq!(
        post(&app, &[("x-api-key", "quiet-secret")]).await.status,
        StatusCode::ACCEPTED
    );
    for _ in 0..10 {
        assert_eq!(app.get("/health").await.status, StatusCode::OK);
    }
    // A refused request reached nothing.
    assert_eq!(app.stored().await.len(), accepted + 1);
}
