//! Waiting for a condition with a deadline, never a sleep that hopes.

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `check` until it returns `Some`, at most `timeout`; panics naming `what` otherwise.
/// The poll interval grows from 5 ms to 100 ms, so fast conditions are seen quickly and slow
/// ones do not load the machine.
pub async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    let mut interval = Duration::from_millis(5);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(interval.min(deadline.saturating_duration_since(Instant::now()))).await;
        interval = (interval * 2).min(Duration::from_millis(100));
    }
}
