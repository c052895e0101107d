//! Test support for the API tests: a small hand-written model, an in-process app against the
//! shared NATS and PostgreSQL (own stream, own database), a private `nats-server`, and
//! deadline-bounded waiting.

#![allow(dead_code)] // each test binary uses a different part

pub mod app;
pub mod model;

use std::future::Future;
use std::time::{Duration, Instant};

/// The shared NATS server.
pub const SHARED_NATS: &str = "nats://127.0.0.1:4222";
/// The shared PostgreSQL server (trust auth).
pub const SHARED_PG: &str = "postgres://postgres@127.0.0.1:5432";

/// A short unique token for stream and database names.
pub fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &id[..12]).to_ascii_uppercase()
}

/// Polls `check` every 50 ms until it returns `Some`, or panics with `what` after `deadline`.
pub async fn wait_for<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
