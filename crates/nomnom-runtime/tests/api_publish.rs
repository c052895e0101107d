//! Publish failures as real servers give them, sorted by the runtime into what the API answers:
//! a stream at its size limit is full (503 stream-full), a message over the server's maximum
//! payload is too large (413), a stream that has gone is unavailable (503 stream-unavailable).
//! The full stream is tried on both the oldest supported server (Debian's NATS 2.9) and the
//! current one, since the server's answer is what the classification reads.

use std::path::PathBuf;

use bytes::Bytes;
use nomnom_runtime::config::{Env, NatsConfig};
use nomnom_runtime::envelope::MessageEnvelope;
use nomnom_runtime::nats::{NatsClient, PublishFailure};
use nomnom_testkit::nats_server::nats_server_binary;
use nomnom_testkit::{NatsServer, DEBIAN_NATS_SERVER};

const STREAM: &str = "PUBLISH";

/// Connects to `url` as the API does, creating the stream with `NATS_MAX_BYTES=max_bytes`.
async fn connect(url: &str, max_bytes: &str) -> NatsClient {
    let env = Env::from_pairs([
        ("NATS_URL", url),
        ("NATS_STREAM", STREAM),
        ("NATS_MAX_BYTES", max_bytes),
        ("NATS_PUBLISH_TIMEOUT", "5s"),
    ]);
    NatsClient::connect(NatsConfig::from(&env).expect("configuration"))
        .await
        .expect("connect and create the stream")
}

fn order(n: usize, size: usize) -> MessageEnvelope {
    let padding = "x".repeat(size);
    let body = format!(r#"{{"order_key":"{n}","note":"{padding}"}}"#);
    MessageEnvelope::new("Order", Bytes::from(body), None)
}

#[tokio::test]
async fn a_stream_at_its_size_limit_is_full_on_every_supported_server() {
    let binaries = [PathBuf::from(DEBIAN_NATS_SERVER), nats_server_binary()];
    for binary in binaries {
        let server = NatsServer::start_binary(binary.clone()).await;
        let nats = connect(&server.url(), "2KB").await;
        let mut accepted = 0;
        let mut failure = None;
        for n in 0..200 {
            match nats.publish(&order(n, 100), None).await {
                Ok(_) => accepted += 1,
                Err(f) => {
                    failure = Some(f);
                    break;
                }
            }
        }
        let failure = failure.unwrap_or_else(|| {
            panic!(
                "{}: the stream did not fill up within 200 messages",
                binary.display()
            )
        });
        assert!(accepted > 0, "{}: nothing was accepted", binary.display());
        assert!(
            matches!(failure, PublishFailure::Full(_)),
            "{}: {failure}",
            binary.display()
        );
    }
}

#[tokio::test]
async fn a_message_over_the_servers_maximum_payload_is_too_large() {
    let server = NatsServer::start().await;
    let nats = connect(&server.url(), "64MiB").await;
    let max_payload = nats.client().server_info().max_payload;
    let failure = nats
        .publish(&order(1, max_payload + 1), None)
        .await
        .expect_err("larger than the server's max_payload");
    assert!(matches!(failure, PublishFailure::TooLarge(_)), "{failure}");
    nats.publish(&order(2, 100), None)
        .await
        .expect("a small message still goes through");
}

#[tokio::test]
async fn a_stream_that_has_gone_is_unavailable_not_an_error_of_the_message() {
    let server = NatsServer::start().await;
    let nats = connect(&server.url(), "1MiB").await;
    nats.publish(&order(1, 10), None)
        .await
        .expect("the stream takes a message");
    nats.jetstream()
        .delete_stream(STREAM)
        .await
        .expect("delete the stream");
    let failure = nats
        .publish(&order(2, 10), None)
        .await
        .expect_err("no stream listens on the subject");
    assert!(
        matches!(failure, PublishFailure::Unavailable(_)),
        "{failure}"
    );
}
