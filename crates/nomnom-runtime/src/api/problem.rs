//! Error answers as RFC 9457 problem details (`application/problem+json`). Each names a
//! stable `type`, says what to do, and never carries internals (those go to the log).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
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
