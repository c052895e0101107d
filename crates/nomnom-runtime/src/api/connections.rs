//! Accepting and serving the API's HTTP/1.1 connections, each held to a time limit for its
//! request headers, and stopping gracefully.
//!
//! `axum::serve` gives hyper no timer, so hyper's header read timeout never runs there: a
//! client could open thousands of connections and send nothing (or half a header) and each
//! would stay open for good. Here every connection is served by hyper's HTTP/1 builder with
//! a timer and `API_HEADER_TIMEOUT` as its header read timeout. Hyper starts that clock when
//! it begins reading a request's head, which is when the connection opens and, on a
//! kept-alive connection, again as soon as the previous answer is written; a connection that
//! has not sent a complete header by then is closed. So a silent connection, a slowly
//! trickled header and a kept-alive connection left idle between requests all end after
//! `API_HEADER_TIMEOUT` (hyper#3185 started the clock at the connection's opening, hyper#3828
//! after each answer; the runtime's `tests/api_connections.rs` checks all three). On a
//! graceful stop, a connection that has sent nothing closes at once; one with half a header
//! is closed by the same timeout at the latest. The body has its own limit,
//! `API_BODY_TIMEOUT`, enforced where it is read ([`super::request::read_body`]).
//!
//! The API speaks HTTP/1.1 only (as it did under `axum::serve` without axum's `http2`
//! feature); sockets get `TCP_NODELAY`, and each request carries the client's address as
//! [`ConnectInfo`] for the rate limit.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tower_service::Service;

/// How long accepting pauses after an error such as running out of file descriptors, which
/// would otherwise repeat at once in a busy loop; connections already open keep being served.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `stop` completes; then stops accepting, lets every open
/// connection finish its request in progress (idle ones close at once), and returns once all
/// are closed. Each connection must send a request's complete header within `header_timeout`
/// of opening, or of its previous answer.
pub async fn serve_http(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    stop: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    // Tells every connection to finish gracefully.
    let (stopping_tx, stopping_rx) = watch::channel(false);
    // Every connection task holds a sender; `recv` returns `None` once all are gone.
    let (open_tx, mut all_closed) = mpsc::channel::<Infallible>(1);
    let mut stop = pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(err) if is_per_connection(&err) => continue,
            Err(err) => {
                tracing::warn!(error = %err, "accepting a connection failed; pausing");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        tokio::spawn(serve_connection(
            builder.clone(),
            stream,
            remote,
            app.clone(),
            stopping_rx.clone(),
            open_tx.clone(),
        ));
    }
    drop(listener);
    let _ = stopping_tx.send(true);
    drop(open_tx);
    let _ = all_closed.recv().await;
}

/// Errors that concern only the connection being accepted (it was reset before `accept`).
fn is_per_connection(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionRefused
    )
}

/// Serves one connection until it closes, shutting it down gracefully when `stopping` turns
/// true; `_open` is dropped when it ends.
async fn serve_connection(
    builder: http1::Builder,
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    mut stopping: watch::Receiver<bool>,
    _open: mpsc::Sender<Infallible>,
) {
    // Answers are small and written in one go: send them at once instead of letting Nagle's
    // algorithm hold them back waiting for the client's delayed acknowledgement.
    if let Err(err) = stream.set_nodelay(true) {
        tracing::debug!(error = %err, "cannot set TCP_NODELAY on a connection");
    }
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(remote));
        let mut app = app.clone();
        async move { app.call(request).await }
    });
    let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
    let mut stop_seen = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(err) = result {
                    // Timeouts, resets and malformed requests from clients: not the API's fault.
                    tracing::debug!(error = %err, %remote, "connection ended with an error");
                }
                return;
            }
            changed = stopping.wait_for(|stop| *stop), if !stop_seen => {
                stop_seen = true;
                if changed.is_ok() {
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}
