//! Error answers as RFC 9457 problem details (`application/problem+json`). Each names a
//! stable `type`, says what to do, and never carries internals (those go to the log).
//!
//! The handlers answer with a [`Problem`]; what axum and tower answer on their own (405 for a
//! method a route does not take, an extractor's rejection, a layer's timeout) is turned into
//! one by [`ProblemLayer`], so every error the API sends is problem+json.

use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::future::{ready, BoxFuture, Either, FutureExt, Ready, Then};
use http_body_util::BodyExt;
use serde_json::{json, Map, Value};

use crate::model::FieldError;
use crate::nats::PublishFailure;

/// Seconds a client should wait after the stream was unreachable.
pub const RETRY_AFTER_UNAVAILABLE_SECS: u64 = 2;
/// Seconds a client should wait after the stream was full.
pub const RETRY_AFTER_FULL_SECS: u64 = 30;
/// Seconds a client should wait after the API shed load.
pub const RETRY_AFTER_OVERLOADED_SECS: u64 = 1;

/// One problem answer.
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    detail: String,
    extra: Map<String, Value>,
    retry_after: Option<u64>,
}

impl Problem {
    /// A problem of `kind` (the last part of its `type` URI) with a human title and detail.
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            title,
            detail: detail.into(),
            extra: Map::new(),
            retry_after: None,
        }
    }

    /// Adds a member to the JSON body.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// Adds a `Retry-After` header.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body is not JSON: where and why.
    pub fn malformed_json(line: usize, column: usize, message: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "Malformed JSON",
            format!("the body is not valid JSON at line {line}, column {column}: {message}"),
        )
        .with("line", line)
        .with("column", column)
    }

    /// The body of an HL7 v2 entity is not an HL7 v2 message.
    pub fn not_hl7(message: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "not-hl7",
            "Not an HL7 v2 message",
            format!("the body is not an HL7 v2 message: {message}"),
        )
    }

    /// The body breaks the model: every failing field.
    pub fn validation_failed(errors: &[FieldError]) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "Validation failed",
            format!("{} field(s) do not match the model", errors.len()),
        )
        .with("errors", field_errors_json(errors))
    }

    /// The stream could not take the message.
    pub fn from_publish(failure: &PublishFailure) -> Self {
        match failure {
            PublishFailure::Unavailable(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "stream-unavailable",
                "Message stream unavailable",
                "the message was not stored; retry after the delay given in Retry-After (with the same Idempotency-Key to avoid duplicates)",
            )
            .retry_after(RETRY_AFTER_UNAVAILABLE_SECS),
            PublishFailure::Full(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "stream-full",
                "Message stream full",
                "the message stream has reached its size limit and refuses new messages until the backlog is processed; retry after the delay given in Retry-After",
            )
            .retry_after(RETRY_AFTER_FULL_SECS),
            PublishFailure::TooLarge(_) => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                "the message is larger than the message stream accepts",
            ),
        }
    }

    /// Too many messages are being published right now.
    pub fn overloaded() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "Too many requests in flight",
            "the API is publishing as many messages as it allows at once; retry after the delay given in Retry-After",
        )
        .retry_after(RETRY_AFTER_OVERLOADED_SECS)
    }
}

/// The 405 answer for a method `uri`'s route does not take (axum adds the `Allow` header).
pub async fn method_not_allowed(method: Method, uri: Uri) -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!(
            "{method} is not allowed on {}; the Allow header lists the methods that are",
            uri.path()
        ),
    )
}

/// The problem kind and title of an error status no handler of the API answers itself.
fn bare_kind(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::BAD_REQUEST => ("bad-request", "Bad request"),
        StatusCode::NOT_FOUND => ("not-found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "Method not allowed"),
        StatusCode::REQUEST_TIMEOUT => ("request-timeout", "Request timeout"),
        StatusCode::LENGTH_REQUIRED => ("length-required", "Length required"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "Payload too large"),
        StatusCode::URI_TOO_LONG => ("uri-too-long", "URI too long"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported-media-type", "Unsupported media type"),
        StatusCode::UNPROCESSABLE_ENTITY => ("unprocessable", "Unprocessable content"),
        StatusCode::TOO_MANY_REQUESTS => ("too-many-requests", "Too many requests"),
        StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "Service unavailable"),
        StatusCode::GATEWAY_TIMEOUT => ("timeout", "Timeout"),
        s if s.is_server_error() => ("internal-error", "Internal error"),
        _ => ("http-error", "Request refused"),
    }
}

/// Longest plain-text body of a bare error kept as the problem's `detail` (axum's rejections
/// are one sentence); longer or other bodies are replaced by a generic detail.
const MAX_BARE_DETAIL: usize = 512;

/// Whether `response` is an error that is not problem+json yet.
fn is_bare_error(response: &Response) -> bool {
    let status = response.status();
    (status.is_client_error() || status.is_server_error())
        && !response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"))
}

/// Turns an error answer that is not problem+json (axum's 405 and rejections, a tower layer's
/// 408 or 503) into one with the same status and headers (`Allow`, `Retry-After` kept);
/// a plain-text body becomes the `detail`. Every other answer passes untouched.
pub async fn problem_for_bare_errors(response: Response) -> Response {
    if !is_bare_error(&response) {
        return response;
    }
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let plain = content_type.is_empty() || content_type.starts_with("text/plain");
    let (mut parts, body) = response.into_parts();
    let text = if plain {
        match body.collect().await {
            Ok(collected) => String::from_utf8(collected.to_bytes().to_vec()).unwrap_or_default(),
            Err(_) => String::new(),
        }
    } else {
        String::new()
    };
    let text = text.trim();
    let (kind, title) = bare_kind(status);
    let detail = if text.is_empty() || text.len() > MAX_BARE_DETAIL || status.is_server_error() {
        match status.canonical_reason() {
            Some(reason) => format!("the request was refused: {reason}"),
            None => format!("the request was refused with status {}", status.as_u16()),
        }
    } else {
        text.to_owned()
    };
    let problem = Problem::new(status, kind, title, detail).into_response();
    let (problem_parts, problem_body) = problem.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &problem_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, Body::new(problem_body))
}

/// The layer that makes every error answer of the services it wraps problem+json
/// ([`problem_for_bare_errors`]). It runs on every request: an answer that needs nothing
/// passes through without an allocation (axum's `map_response` would box a future and clone
/// the route for each request).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProblemLayer;

impl<S> tower_layer::Layer<S> for ProblemLayer {
    type Service = ProblemService<S>;

    fn layer(&self, inner: S) -> ProblemService<S> {
        ProblemService(inner)
    }
}

/// The service of [`ProblemLayer`].
#[derive(Debug, Clone)]
pub struct ProblemService<S>(S);

/// What follows the inner service's answer: the answer itself, or its conversion.
type Finish<E> = Either<Ready<Result<Response, E>>, BoxFuture<'static, Result<Response, E>>>;

impl<S, B> tower_service::Service<Request<B>> for ProblemService<S>
where
    S: tower_service::Service<Request<B>, Response = Response>,
    S::Error: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    #[allow(clippy::type_complexity)]
    type Future =
        Then<S::Future, Finish<S::Error>, fn(Result<Response, S::Error>) -> Finish<S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        self.0.call(request).then(finish::<S::Error>)
    }
}

fn finish<E: Send + 'static>(answer: Result<Response, E>) -> Finish<E> {
    match answer {
        Ok(response) if is_bare_error(&response) => {
            Either::Right(Box::pin(problem_for_bare_errors(response).map(Ok)))
        }
        other => Either::Left(ready(other)),
    }
}

/// Field errors as JSON: `[{"path", "rule", "message"}]`.
pub fn field_errors_json(errors: &[FieldError]) -> Value {
    Value::Array(
        errors
            .iter()
            .map(|e| json!({"path": e.path, "rule": e.rule, "message": e.message}))
            .collect(),
    )
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            Value::from(format!("urn:nomnom:problem:{}", self.kind)),
        );
        body.insert("title".into(), Value::from(self.title));
        body.insert("status".into(), Value::from(self.status.as_u16()));
        body.insert("detail".into(), Value::from(self.detail));
        body.extend(self.extra);
        let mut response = (self.status, Value::Object(body).to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn problem_of(response: Response) -> (StatusCode, axum::http::HeaderMap, Value) {
        let response = problem_for_bare_errors(response).await;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (parts.status, parts.headers, json)
    }

    #[tokio::test]
    async fn bare_errors_become_problems_keeping_status_and_headers() {
        // A tower timeout layer's answer: a bare 408.
        let (status, headers, json) = problem_of(StatusCode::REQUEST_TIMEOUT.into_response()).await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(json["type"], "urn:nomnom:problem:request-timeout");
        assert_eq!(json["status"], 408);
        assert_eq!(json["detail"], "the request was refused: Request Timeout");

        // An axum rejection: plain text, kept as the detail; other headers kept.
        let rejection = (
            StatusCode::PAYLOAD_TOO_LARGE,
            [(header::RETRY_AFTER, "5"), (header::CONTENT_LENGTH, "57")],
            "Failed to buffer the request body: length limit exceeded",
        )
            .into_response();
        let (status, headers, json) = problem_of(rejection).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(headers[header::RETRY_AFTER], "5");
        assert_eq!(json["type"], "urn:nomnom:problem:payload-too-large");
        assert_eq!(
            json["detail"],
            "Failed to buffer the request body: length limit exceeded"
        );
        assert!(
            headers.get(header::CONTENT_LENGTH).is_none(),
            "the text's length is not the problem's"
        );

        // A server error never shows its text.
        let (_, _, json) = problem_of(
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "panic at src/secret.rs:1",
            )
                .into_response(),
        )
        .await;
        assert_eq!(json["type"], "urn:nomnom:problem:internal-error");
        assert_eq!(
            json["detail"],
            "the request was refused: Internal Server Error"
        );
    }

    #[tokio::test]
    async fn the_layer_converts_what_the_service_answers_bare() {
        use tower::{Layer, ServiceExt};
        let timing_out = tower::service_fn(|_: Request<Body>| async {
            Ok::<_, std::convert::Infallible>(StatusCode::REQUEST_TIMEOUT.into_response())
        });
        let answer = ProblemLayer
            .layer(timing_out)
            .oneshot(Request::new(Body::empty()))
            .await
            .expect("infallible");
        let (status, headers, json) = problem_of(answer).await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(json["type"], "urn:nomnom:problem:request-timeout");

        let fine = tower::service_fn(|_: Request<Body>| async {
            Ok::<_, std::convert::Infallible>((StatusCode::ACCEPTED, "fine").into_response())
        });
        let answer = ProblemLayer
            .layer(fine)
            .oneshot(Request::new(Body::empty()))
            .await
            .expect("infallible");
        assert_eq!(answer.status(), StatusCode::ACCEPTED);
    }

    #[tokio::test]
    async fn problems_and_successes_pass_untouched() {
        let problem = Problem::overloaded().into_response();
        let (status, headers, json) = problem_of(problem).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers[header::RETRY_AFTER], "1");
        assert_eq!(json["type"], "urn:nomnom:problem:overloaded");
        let ok = problem_for_bare_errors((StatusCode::ACCEPTED, "fine").into_response()).await;
        assert_eq!(ok.status(), StatusCode::ACCEPTED);
        let bytes = ok.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&bytes[..], b"fine");
    }
}
