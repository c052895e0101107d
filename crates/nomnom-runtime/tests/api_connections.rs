//! The API's connections over a real socket: a connection that sends nothing, half a header,
//! or nothing more after an answer it kept alive is closed by the server after
//! `API_HEADER_TIMEOUT`; a body that trickles in is answered 408 after `API_BODY_TIMEOUT`;
//! and a graceful stop completes, closing a connection that has sent nothing.

mod support_api;

use std::time::Duration;

use nomnom_runtime::config::Env;
use support_api::model::ShopModel;
use support_api::{unique, wait_for, SHARED_NATS, SHARED_PG};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A guard against a hang: far longer than either timeout under test (1 s).
const HANG_GUARD: Duration = Duration::from_secs(30);

/// Reads until the server closes `socket`; what it sent before, or `Err` on a reset or when
/// [`HANG_GUARD`] passes first.
async fn until_closed(socket: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut received = Vec::new();
    tokio::time::timeout(HANG_GUARD, socket.read_to_end(&mut received))
        .await
        .map_err(|_| "still open".to_owned())?
        .map_err(|e| e.to_string())?;
    Ok(received)
}

async fn connect(port: u16) -> TcpStream {
    TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect")
}

#[tokio::test]
async fn slow_and_idle_connections_are_cut_off_and_a_graceful_stop_still_completes() {
    let stream = unique("CONN");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let env = Env::from_pairs([
        ("NATS_URL".to_owned(), SHARED_NATS.to_owned()),
        ("NATS_STREAM".to_owned(), stream.clone()),
        ("DATABASE_URL".to_owned(), format!("{SHARED_PG}/postgres")),
        ("HOST".to_owned(), "127.0.0.1".to_owned()),
        ("PORT".to_owned(), port.to_string()),
        ("API_HEADER_TIMEOUT".to_owned(), "1s".to_owned()),
        ("API_BODY_TIMEOUT".to_owned(), "1s".to_owned()),
    ]);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        nomnom_runtime::api::serve::<ShopModel>(&env, async move {
            let _ = stopped.await;
        })
        .await
    });
    wait_for(
        "the server to listen",
        Duration::from_secs(10),
        || async move { TcpStream::connect(("127.0.0.1", port)).await.ok() },
    )
    .await;

    // Silent, and half a header: closed without an answer.
    let mut silent = connect(port).await;
    assert_eq!(until_closed(&mut silent).await, Ok(Vec::new()));
    let mut half = connect(port).await;
    half.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nAcc")
        .await
        .expect("half a header");
    assert_eq!(until_closed(&mut half).await, Ok(Vec::new()));

    // Kept alive after an answer, then idle: closed too.
    let mut kept = connect(port).await;
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("request");
    let answered = String::from_utf8(until_closed(&mut kept).await.expect("closed")).expect("text");
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert!(!answered.contains("connection: close"), "{answered}");

    // A body that never completes: 408 problem+json, then the connection is closed.
    let mut trickle = connect(port).await;
    trickle
        .write_all(
            b"POST /ingest/message?entity=Order HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"order_key\"",
        )
        .await
        .expect("the start of a body");
    let answer =
        String::from_utf8(until_closed(&mut trickle).await.expect("closed")).expect("text");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(
        answer.contains("\"type\":\"urn:nomnom:problem:body-timeout\""),
        "{answer}"
    );

    // A graceful stop completes with a connection open that has sent nothing, and closes it.
    let mut waiting = connect(port).await;
    stop.send(()).expect("server running");
    let result = tokio::time::timeout(HANG_GUARD, server)
        .await
        .expect("the server stops")
        .expect("joined");
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(until_closed(&mut waiting).await, Ok(Vec::new()));

    let js = async_nats::jetstream::new(async_nats::connect(SHARED_NATS).await.expect("nats"));
    let _ = js.delete_stream(&stream).await;
    let _ = js.delete_stream(format!("{stream}_DLQ")).await;
}
