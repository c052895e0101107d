//! Fetching batches from the durable pull consumer. A pull request with an expiry returns as
//! soon as the batch is full, or with what arrived when the expiry passes. An idle worker asks
//! for one message with a long expiry (nothing to do until something arrives), then tops the
//! batch up.
//!
//! The client bounds every pull by its expiry plus [`EXPIRY_GRACE`] instead of trusting the
//! server's expiry notice (status 408): under steady traffic NATS 2.9 drops an expired pull
//! request silently when the next message arrives before its expiry timer ran, and async-nats
//! then waits for its own fallback (`expires + 5 s`), holding the messages already delivered
//! for 5 s. Once the bound passes the request is dropped (its inbox unsubscribed), so the
//! server cannot deliver to it any more.

use std::time::Duration;

use async_nats::jetstream::consumer::pull::BatchError;
use async_nats::jetstream::{self, consumer::PullConsumer};
use futures_util::StreamExt;

/// The expiry of an idle worker's long poll.
pub const IDLE_POLL: Duration = Duration::from_secs(5);

/// How long after a pull request's expiry the client stops waiting for the server's notice.
pub const EXPIRY_GRACE: Duration = Duration::from_millis(50);

/// A pull request failed (as opposed to returning no messages). The worker pauses and tries
/// again whichever it is; each keeps the client's error.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The pull request could not be made (subscribing to its inbox, sending or flushing it).
    #[error("fetch from the consumer failed: {0}")]
    Request(#[source] BatchError),
    /// The server ended the pull request with an error status before any message arrived
    /// (for example 409 for a request over the consumer's limits). async-nats reports it as
    /// an untyped error whose text holds the status and the server's description; nothing
    /// here reads that text.
    #[error("fetch from the consumer failed: {0}")]
    Ended(#[source] async_nats::Error),
}

/// One pull request for at most `max` messages, waiting at most `expires`. `Ok(vec![])`
/// means the stream had nothing for us.
pub async fn fetch(
    consumer: &PullConsumer,
    max: usize,
    expires: Duration,
) -> Result<Vec<jetstream::Message>, FetchError> {
    let mut batch = consumer
        .batch()
        .max_messages(max)
        .expires(expires)
        .messages()
        .await
        .map_err(FetchError::Request)?;
    // One timer for the whole pull, not one per message received.
    let deadline = tokio::time::sleep(expires + EXPIRY_GRACE);
    tokio::pin!(deadline);
    let mut messages = Vec::with_capacity(max);
    loop {
        let item = tokio::select! {
            biased;
            item = batch.next() => match item {
                Some(item) => item,
                None => break,
            },
            () = &mut deadline => {
                tracing::debug!(
                    received = messages.len(),
                    "pull request expired without the server's notice: ending it"
                );
                break;
            }
        };
        match item {
            Ok(message) => messages.push(message),
            Err(e) if messages.is_empty() => return Err(FetchError::Ended(e)),
            Err(e) => {
                tracing::debug!(error = %e, "pull request ended early");
                break;
            }
        }
    }
    Ok(messages)
}

/// Fetches the next batch: a plain pull when work was flowing, else a long poll for the
/// first message followed by a pull for the rest of the batch.
pub async fn next_batch(
    consumer: &PullConsumer,
    batch_size: usize,
    batch_wait: Duration,
    idle: bool,
) -> Result<Vec<jetstream::Message>, FetchError> {
    if !idle {
        return fetch(consumer, batch_size, batch_wait).await;
    }
    let mut first = fetch(consumer, 1, IDLE_POLL).await?;
    if first.is_empty() || batch_size == 1 {
        return Ok(first);
    }
    match fetch(consumer, batch_size - 1, batch_wait).await {
        Ok(rest) => first.extend(rest),
        Err(e) => tracing::debug!(error = %e, "top-up pull failed; processing what arrived"),
    }
    Ok(first)
}
