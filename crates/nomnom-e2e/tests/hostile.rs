//! Hostile input against the generated tpch API, with a valid key (issue 20): a catalogue of
//! bodies and framings a careless or malicious client sends, each answered with its 4xx
//! problem (never a 5xx, a hang or a crash), thousands of idle connections that neither
//! starve valid clients nor stay open past `API_HEADER_TIMEOUT`, bounded memory, and every
//! message answered 202 before, during and after stored with its rows.
//!
//! What each case yields, and why:
//! - nesting deeper than 128 levels (200,000 brackets, 50,000 objects), a NUL byte, a lone
//!   surrogate escape, bytes that are not UTF-8, duplicate keys and an empty body are not
//!   the strict JSON the runtime reads: 400 `malformed-json`. Duplicate keys are refused
//!   rather than resolved (first or last wins), since a pipeline storing one of two values a
//!   client sent would silently lose the other;
//! - a well-formed body that breaks the model (an array root, `1e999999` in a decimal or a
//!   float, an escaped NUL, which PostgreSQL cannot store in text) is 422 `validation-failed`;
//! - a 20 MB string is over `API_MAX_BODY_BYTES` (1 MiB) and `API_MAX_BATCH_BYTES` (16 MiB):
//!   413, refused from its `Content-Length` or after the limit when chunked;
//! - a wrong or missing content type is 415; a body that trickles in is cut off with 408
//!   `body-timeout` after `API_BODY_TIMEOUT` (the minute-long trickle is the same
//!   case: the answer comes at the timeout whatever the trickle's length, so the suite
//!   trickles for [`TRICKLE_FOR`], longer than the timeout, and no longer);
//! - in a batch each hostile line is rejected on its own line of a 202 and nothing is stored.
//!
//! The idle connections are watched in two runs of the API. In the first, with a header
//! timeout far longer than the test, valid messages are posted while 2,000 idle connections
//! are certainly all open, so no timing decides the outcome. The API is then stopped (which
//! must be clean) and started with `API_HEADER_TIMEOUT=2s`, and 2,000 more idle connections
//! and a few kept alive after a 202 must all be closed by the server.

mod common;
mod hostile_support;

use std::time::Duration;

use common::{assert_tables_match, wait_persisted};
use hostile_support::process::{ensure_open_file_limit, memory, open_file_limit, Memory};
use hostile_support::raw_http::{
    exchange, is_silent_and_open, keep_alive_exchange, read_until_closed, Body, Request, Response,
};
use nomnom_testkit::http::HttpClient;
use nomnom_testkit::{orders, wait_until};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// The key every request of the suite carries (its digest is in the API's keys file).
const KEY: &str = "hostile-suite-key";
/// `API_BODY_TIMEOUT` of the API under test.
const BODY_TIMEOUT: &str = "2s";
/// `API_HEADER_TIMEOUT` while the catalogue runs and valid messages are posted amid the
/// flood of idle connections: far longer than either could take, so that every idle
/// connection is certainly still open while the messages are posted.
const FLOOD_HEADER_TIMEOUT: &str = "10m";
/// `API_HEADER_TIMEOUT` of the restarted API, whose closing of idle connections is watched.
const HEADER_TIMEOUT: &str = "2s";
/// How long the trickled bodies trickle (a byte every [`TRICKLE_EVERY`]): longer than
/// `API_BODY_TIMEOUT`, so the answer comes while the client is still sending.
const TRICKLE_FOR: Duration = Duration::from_secs(6);
const TRICKLE_EVERY: Duration = Duration::from_millis(200);
/// Connections opened and left idle at once: half send nothing, half half a header.
const IDLE_CONNECTIONS: usize = 2_000;
/// Connections that send one valid request, keep the connection alive and go quiet.
const KEPT_ALIVE: usize = 10;
/// Longest wait for any one answer or close: a guard against a hang, not a measure.
const HANG_GUARD: Duration = Duration::from_secs(60);
/// The API's peak resident memory (VmHWM) may grow by at most this in each run. The largest
/// legitimate buffers are one batch body at its limit (16 MiB, up to twice that while its
/// buffer grows) and, for each open connection, its read buffer and task (about 15 KiB: 30
/// MiB for 2,000); a debug build measured 34 MiB for the catalogue and the first flood, and
/// 29 MiB for the second. A server that read a 20 MB string whole (twice, with the batch
/// limit's buffer) or kept buffering what idle connections send would be over it.
const PEAK_GROWTH_LIMIT_MIB: u64 = 48;

#[tokio::test]
async fn hostile_requests_get_their_4xx_and_every_accepted_message_is_stored() {
    let needed_files = (IDLE_CONNECTIONS + KEPT_ALIVE + 512) as u64;
    ensure_open_file_limit(needed_files);
    let keys = tempfile::tempdir().expect("a folder for the keys file");
    let keys_file = keys.path().join("api-keys");
    let digest: String = Sha256::digest(KEY.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(&keys_file, format!("suite:ingest+status:{digest}\n")).expect("keys file");
    let keys_path = keys_file.display().to_string();
    let mut h = common::start(&[
        ("API_KEYS_FILE", keys_path.as_str()),
        ("API_BODY_TIMEOUT", BODY_TIMEOUT),
        ("API_HEADER_TIMEOUT", FLOOD_HEADER_TIMEOUT),
    ])
    .await;
    let db = h.db.client().await;
    let port: u16 = h.pipeline.env["PORT"].parse().expect("PORT");
    let pid = h.pipeline.api.pid().expect("the API runs");
    let files = open_file_limit(pid);
    assert!(
        files.is_none_or(|n| n >= needed_files),
        "the API may open only {files:?} files"
    );
    let mut sent = Vec::new();
    let mut ids = Vec::new();

    // Before: valid messages, answered 202.
    let before = orders::orders(20, 1, 40);
    ids.extend(post_orders(port, &before).await);
    sent.extend(before);
    let start = memory(pid);

    // The catalogue, one case at a time, every failure collected.
    let mut failures = Vec::new();
    for case in catalogue() {
        let name = case.name;
        let outcome = match exchange(port, case.request, HANG_GUARD).await {
            Ok(response) => case.expect.check(&response),
            Err(err) => Err(err),
        };
        match outcome {
            Ok(()) => eprintln!("ok: {name}"),
            Err(why) => failures.push(format!("{name}: {why}")),
        }
    }
    assert!(
        failures.is_empty(),
        "cases answered wrongly:\n{}\n--- api log ---\n{}",
        failures.join("\n"),
        h.pipeline.api.log()
    );

    // Thousands of idle connections, while valid clients keep being served.
    let (flood_sent, flood_ids) = posts_amid_idle_connections(port).await;
    sent.extend(flood_sent);
    ids.extend(flood_ids);
    check_memory_and_life(pid, start, port, &h.pipeline.api.log()).await;

    // A graceful stop after all that, and a start with a short header timeout.
    let code = h.pipeline.api.terminate(Duration::from_secs(30)).await;
    assert_eq!(
        code,
        Some(0),
        "the API stops cleanly: {}",
        h.pipeline.api.log()
    );
    h.pipeline.api.set_env("API_HEADER_TIMEOUT", HEADER_TIMEOUT);
    h.pipeline.api.restart();
    let pid = h.pipeline.api.pid().expect("the API runs again");
    let client = HttpClient::new(format!("http://127.0.0.1:{port}"));
    wait_until("the restarted API to be ready", HANG_GUARD, || {
        let client = client.clone();
        async move { (client.get("/ready").await.ok()?.status == 200).then_some(()) }
    })
    .await;
    let start = memory(pid);

    // Idle connections (silent, half a header, kept alive after an answer) are closed.
    let (kept_sent, kept_ids) = idle_connections_are_closed(port).await;
    sent.extend(kept_sent);
    ids.extend(kept_ids);

    // After: valid messages again.
    let after = orders::orders(22, 5_001, 40);
    ids.extend(post_orders(port, &after).await);
    sent.extend(after);
    check_memory_and_life(pid, start, port, &h.pipeline.api.log()).await;

    wait_persisted(&db, &ids, Duration::from_secs(120)).await;
    // Exactly what was answered 202 is stored: nothing of the hostile requests.
    assert_tables_match(&db, &sent).await;
}

/// Posts `orders` one by one with the key (8 at a time, on a client of its own, so that no
/// pooled connection is reused after the server closed it as idle); every one must get 202.
async fn post_orders(port: u16, orders: &[Value]) -> Vec<String> {
    let client = HttpClient::new(format!("http://127.0.0.1:{port}"));
    let mut ids = Vec::new();
    for chunk in orders.chunks(8) {
        let answers = futures_util::future::join_all(chunk.iter().map(|order| {
            client.send(
                "POST",
                "/ingest/message?entity=Order",
                &[("content-type", "application/json"), ("x-api-key", KEY)],
                order.to_string(),
            )
        }))
        .await;
        for answer in answers {
            let answer = answer.expect("the API answers a valid message");
            assert_eq!(answer.status, 202, "{}", answer.json());
            ids.push(
                answer.json()["message_id"]
                    .as_str()
                    .expect("a message_id")
                    .to_string(),
            );
        }
    }
    ids
}

/// Checks that process `pid` is alive and answers on `port`, that its peak memory grew by at
/// most [`PEAK_GROWTH_LIMIT_MIB`] since `start`, and that its `log` shows no panic.
async fn check_memory_and_life(pid: u32, start: Memory, port: u16, log: &str) {
    let end = memory(pid);
    eprintln!(
        "API memory: resident {} → {} KiB, peak {} → {} KiB",
        start.rss_kib, end.rss_kib, start.peak_kib, end.peak_kib
    );
    assert!(
        end.peak_kib <= start.peak_kib + PEAK_GROWTH_LIMIT_MIB * 1024,
        "the API's peak memory grew from {} to {} KiB, over the {PEAK_GROWTH_LIMIT_MIB} MiB allowed",
        start.peak_kib,
        end.peak_kib
    );
    let health = HttpClient::new(format!("http://127.0.0.1:{port}"))
        .get("/health")
        .await
        .expect("the API still answers");
    assert_eq!(health.status, 200);
    assert!(!log.contains("panicked"), "the API panicked:\n{log}");
}

/// Opens [`IDLE_CONNECTIONS`] connections to `port`, 100 at a time; every other one sends
/// half a request header, the rest nothing.
async fn open_idle(port: u16) -> Vec<TcpStream> {
    let partial_header =
        b"POST /ingest/message?entity=Order HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty";
    let mut idle: Vec<TcpStream> = Vec::with_capacity(IDLE_CONNECTIONS);
    for chunk in 0..IDLE_CONNECTIONS.div_ceil(100) {
        let count = 100.min(IDLE_CONNECTIONS - chunk * 100);
        let opened = futures_util::future::join_all(
            (0..count).map(|_| TcpStream::connect(("127.0.0.1", port))),
        )
        .await;
        for stream in opened {
            idle.push(stream.expect("an idle connection is accepted"));
        }
    }
    for stream in idle.iter_mut().skip(1).step_by(2) {
        stream
            .write_all(partial_header)
            .await
            .expect("half a header");
    }
    idle
}

/// Opens [`IDLE_CONNECTIONS`] idle connections and posts valid messages while they are all
/// open (each 202; the API's header timeout is [`FLOOD_HEADER_TIMEOUT`]), then closes them.
/// Returns the orders posted and their ids.
async fn posts_amid_idle_connections(port: u16) -> (Vec<Value>, Vec<String>) {
    let idle = open_idle(port).await;
    let during = orders::orders(23, 4_001, 40);
    let ids = post_orders(port, &during).await;
    let still_open = idle.iter().filter(|s| is_silent_and_open(s)).count();
    assert_eq!(
        still_open, IDLE_CONNECTIONS,
        "every idle connection is still open after the valid messages were posted"
    );
    (during, ids)
}

/// Opens [`IDLE_CONNECTIONS`] idle connections and [`KEPT_ALIVE`] kept-alive ones (each
/// posting a valid message first, answered 202), then waits for the server to close every
/// one of them. Returns the orders posted and their ids.
async fn idle_connections_are_closed(port: u16) -> (Vec<Value>, Vec<String>) {
    let mut idle = open_idle(port).await;
    let kept_orders = orders::orders(21, 3_001, KEPT_ALIVE as u64);
    let mut ids = Vec::new();
    for order in &kept_orders {
        let body = order.to_string();
        let request = format!(
            "POST /ingest/message?entity=Order HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/json\r\nX-Api-Key: {KEY}\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let (stream, answer) = keep_alive_exchange(port, request.as_bytes(), HANG_GUARD)
            .await
            .expect("a kept-alive connection is answered");
        assert_eq!(answer.status, 202, "{}", answer.json());
        assert_ne!(answer.header("connection"), Some("close"));
        ids.push(
            answer.json()["message_id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
        idle.push(stream);
    }

    let closing = idle.iter_mut().map(|stream| async move {
        match read_until_closed(stream, HANG_GUARD).await {
            Ok(bytes) if bytes.is_empty() || bytes.starts_with(b"HTTP/1.1 4") => Ok(()),
            Ok(bytes) => Err(format!(
                "sent {:?} before closing",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            )),
            Err(err) => Err(err),
        }
    });
    let results = futures_util::future::join_all(closing).await;
    let errors: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        errors.is_empty(),
        "{} of {} idle connections were not closed by the server, e.g. {:?}",
        errors.len(),
        results.len(),
        errors.first()
    );
    (kept_orders, ids)
}

/// One entry of the catalogue: what is sent, and what must come back.
struct Case {
    name: &'static str,
    request: Request,
    expect: Expect,
}

/// The answer a case must get.
enum Expect {
    /// A problem+json answer with this status and `type` `urn:nomnom:problem:<kind>`.
    Problem(u16, &'static str),
    /// A batch's 202 in which all of its `n` lines are rejected, each with its errors.
    EveryLineRejected(usize),
}

impl Expect {
    fn check(&self, response: &Response) -> Result<(), String> {
        let json = response.json();
        match *self {
            Expect::Problem(status, kind) => {
                let wanted = format!("urn:nomnom:problem:{kind}");
                if response.status != status || json["type"] != wanted.as_str() {
                    return Err(format!(
                        "expected {status} {wanted}, got {} {json}",
                        response.status
                    ));
                }
                if response.header("content-type") != Some("application/problem+json") {
                    return Err(format!(
                        "content type {:?} instead of problem+json",
                        response.header("content-type")
                    ));
                }
                if json["status"] != status || !json["detail"].is_string() {
                    return Err(format!("not a complete problem: {json}"));
                }
            }
            Expect::EveryLineRejected(n) => {
                let results = json["results"].as_array().cloned().unwrap_or_default();
                let all_rejected = results.len() == n
                    && results
                        .iter()
                        .all(|r| r["message_id"].is_null() && r["errors"].is_array());
                if response.status != 202
                    || json["accepted"] != 0
                    || json["rejected"] != n
                    || !all_rejected
                {
                    return Err(format!(
                        "expected 202 with all {n} lines rejected, got {} {json}",
                        response.status
                    ));
                }
            }
        }
        Ok(())
    }
}

const MESSAGE: &str = "/ingest/message?entity=Order";
const BATCH: &str = "/ingest/batch?entity=Order";
/// Stands for the hostile bytes in an order's JSON text until they are spliced in.
const PLACEHOLDER: &str = "\u{1}HOSTILE\u{1}";

/// A request to `path` with the key and `content_type`.
fn request(path: &'static str, content_type: Option<&str>, body: Body) -> Request {
    let mut headers = vec![("X-Api-Key", KEY.to_string())];
    if let Some(content_type) = content_type {
        headers.push(("Content-Type", content_type.to_string()));
    }
    Request {
        method: "POST",
        path,
        headers,
        body,
    }
}

/// A JSON message case.
fn message(name: &'static str, body: Vec<u8>, expect: Expect) -> Case {
    Case {
        name,
        request: request(MESSAGE, Some("application/json"), Body::Whole(body)),
        expect,
    }
}

/// A valid order's JSON text.
fn valid_order() -> Value {
    orders::orders(24, 9_001, 1).remove(0)
}

/// A valid order's JSON text with `raw` (any bytes) as the value `place` points at.
fn order_with(place: impl FnOnce(&mut Value) -> &mut Value, raw: &[u8]) -> Vec<u8> {
    let mut order = valid_order();
    *place(&mut order) = Value::String(PLACEHOLDER.into());
    let text = order.to_string();
    let quoted = serde_json::to_string(PLACEHOLDER).expect("a string");
    let at = text.find(&quoted).expect("the placeholder");
    let mut body = text.as_bytes()[..at].to_vec();
    body.extend_from_slice(raw);
    body.extend_from_slice(&text.as_bytes()[at + quoted.len()..]);
    body
}

fn clerk(order: &mut Value) -> &mut Value {
    &mut order["clerk"]
}

/// A trickled body to `path`: a byte every [`TRICKLE_EVERY`] for [`TRICKLE_FOR`], of far more
/// declared.
fn trickled(path: &'static str, content_type: &str) -> Request {
    request(
        path,
        Some(content_type),
        Body::Trickle {
            declared: 100_000,
            fill: b' ',
            every: TRICKLE_EVERY,
            for_: TRICKLE_FOR,
        },
    )
}

/// Every case, in the order they are sent.
fn catalogue() -> Vec<Case> {
    const MB20: usize = 20_000_000;
    let mut huge = valid_order();
    huge["comment"] = Value::String("x".repeat(MB20));
    let huge = huge.to_string().into_bytes();
    let mut huge_line = huge.clone();
    huge_line.push(b'\n');
    let hostile_lines: Vec<Vec<u8>> = vec![
        format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)).into_bytes(),
        order_with(clerk, b"\"\\ud800\""),
        order_with(clerk, b"\"\xff\xfe\""),
        order_with(|o| &mut o["total_price"], b"1e999999"),
        order_with(clerk, b"\"a\\u0000b\""),
        format!("[{}]", valid_order()).into_bytes(),
        format!(
            "{{\"order_key\": \"DUP\", {}",
            &valid_order().to_string()[1..]
        )
        .into_bytes(),
    ];
    let lines = hostile_lines.len();
    let batch_body = hostile_lines.join(&b'\n');
    vec![
        message(
            "200,000 nested brackets",
            format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)).into_bytes(),
            Expect::Problem(400, "malformed-json"),
        ),
        message(
            "50,000 nested objects",
            format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)).into_bytes(),
            Expect::Problem(400, "malformed-json"),
        ),
        message(
            "1e999999 as a decimal",
            order_with(|o| &mut o["total_price"], b"1e999999"),
            Expect::Problem(422, "validation-failed"),
        ),
        message(
            "1e999999 as a float",
            order_with(|o| &mut o["line_items"][0]["extended_price"], b"1e999999"),
            Expect::Problem(422, "validation-failed"),
        ),
        message(
            "-1e999999 as an integer",
            order_with(|o| &mut o["ship_priority"], b"-1e999999"),
            Expect::Problem(422, "validation-failed"),
        ),
        message(
            "an escaped NUL in a string",
            order_with(clerk, b"\"a\\u0000b\""),
            Expect::Problem(422, "validation-failed"),
        ),
        message(
            "a NUL byte in a string",
            order_with(clerk, b"\"a\x00b\""),
            Expect::Problem(400, "malformed-json"),
        ),
        message(
            "a lone high surrogate",
            order_with(clerk, b"\"\\ud800\""),
            Expect::Problem(400, "malformed-json"),
        ),
        message(
            "a lone low surrogate",
            order_with(clerk, b"\"x\\udc00\""),
            Expect::Problem(400, "malformed-json"),
        ),
        message(
            "a high surrogate followed by a non-surrogate",
            order_with(clerk, b"\"\\ud800\\u0041\""),
            Expect::Problem(400, "malformed-json"),
        ),
        message(
            "invalid UTF-8",
            order_with(clerk, b"\"\xff\xfe\""),
            Expect::Problem(400, "malformed-json"),
        ),
        message(
            "an overlong UTF-8 encoding",
            order_with(clerk, b"\"\xc0\xaf\""),
            Expect::Problem(400, "malformed-json"),
        ),
        message(
            "a surrogate encoded in UTF-8",
            order_with(clerk, b"\"\xed\xa0\x80\""),
            Expect::Problem(400, "malformed-json"),
        ),
        message(
            "duplicate keys",
            format!(
                "{{\"order_key\": \"DUP\", {}",
                &valid_order().to_string()[1..]
            )
            .into_bytes(),
            Expect::Problem(400, "malformed-json"),
        ),
        message(
            "an array root",
            format!("[{}]", valid_order()).into_bytes(),
            Expect::Problem(422, "validation-failed"),
        ),
        message(
            "an empty body",
            Vec::new(),
            Expect::Problem(400, "malformed-json"),
        ),
        Case {
            name: "a 20 MB string, declared",
            request: request(
                MESSAGE,
                Some("application/json"),
                Body::DeclaredOnly(huge.len() as u64),
            ),
            expect: Expect::Problem(413, "payload-too-large"),
        },
        Case {
            name: "a 20 MB string, chunked",
            request: request(
                MESSAGE,
                Some("application/json"),
                Body::Chunked {
                    bytes: huge,
                    chunk: 64 * 1024,
                },
            ),
            expect: Expect::Problem(413, "payload-too-large"),
        },
        Case {
            name: "a 20 MB string in a chunked batch",
            request: request(
                BATCH,
                Some("application/x-ndjson"),
                Body::Chunked {
                    bytes: huge_line,
                    chunk: 64 * 1024,
                },
            ),
            expect: Expect::Problem(413, "payload-too-large"),
        },
        Case {
            name: "a wrong content type",
            request: request(
                MESSAGE,
                Some("text/plain"),
                Body::Whole(valid_order().to_string().into_bytes()),
            ),
            expect: Expect::Problem(415, "unsupported-media-type"),
        },
        Case {
            name: "no content type",
            request: request(
                MESSAGE,
                None,
                Body::Whole(valid_order().to_string().into_bytes()),
            ),
            expect: Expect::Problem(415, "unsupported-media-type"),
        },
        Case {
            name: "a JSON body to the batch route",
            request: request(
                BATCH,
                Some("application/json"),
                Body::Whole(valid_order().to_string().into_bytes()),
            ),
            expect: Expect::Problem(415, "unsupported-media-type"),
        },
        Case {
            name: "an empty batch",
            request: request(
                BATCH,
                Some("application/x-ndjson"),
                Body::Whole(b"\n\n".to_vec()),
            ),
            expect: Expect::Problem(400, "empty-batch"),
        },
        Case {
            name: "a batch of hostile lines",
            request: request(BATCH, Some("application/x-ndjson"), Body::Whole(batch_body)),
            expect: Expect::EveryLineRejected(lines),
        },
        Case {
            name: "a trickled message body",
            request: trickled(MESSAGE, "application/json"),
            expect: Expect::Problem(408, "body-timeout"),
        },
        Case {
            name: "a trickled batch body",
            request: trickled(BATCH, "application/x-ndjson"),
            expect: Expect::Problem(408, "body-timeout"),
        },
        Case {
            name: "a valid message without the key",
            request: Request {
                method: "POST",
                path: MESSAGE,
                headers: vec![("Content-Type", "application/json".into())],
                body: Body::Whole(valid_order().to_string().into_bytes()),
            },
            expect: Expect::Problem(401, "unauthorized"),
        },
    ]
}
