//! The opening every ingestion route shares, as one extractor, [`Ingest`]: content type,
//! entity, `Idempotency-Key`, `X-Source`, a publish permit, and the body within its limit,
//! each refused with its own problem answer. What differs between routes is an
//! [`IngestRoute`]: [`MessageRoute`] and [`BatchRoute`].
//!
//! The body limit is axum's own [`DefaultBodyLimit`] layer, set per route by
//! [`IngestRoute::body_limit_layer`]; the extractor refuses a declared `Content-Length` over
//! the limit before reading anything, and answers either case with the same
//! `payload-too-large` problem.
//!
//! The body must arrive within `API_BODY_TIMEOUT` of the header ([`ApiConfig::body_timeout`]):
//! a client that trickles it in is answered 408 `body-timeout` instead of holding its
//! connection (and, on the message route, its publish permit) for as long as it likes.

use std::marker::PhantomData;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequest, Query, Request};
use axum::http::{header, HeaderMap, StatusCode};
use bytes::Bytes;
use serde::Deserialize;
use tokio::sync::OwnedSemaphorePermit;

use super::problem::Problem;
use super::state::ApiState;
use crate::config::ApiConfig;
use crate::model::Model;
use crate::telemetry::api_metrics::IngestOutcome;
use crate::telemetry::TraceContext;

/// Longest accepted `Idempotency-Key` and `X-Source`.
const MAX_HEADER_TEXT: usize = 256;

/// The content types of HL7 v2 messages in their ER7 encoding (the first is the one HL7's
/// own documents name; the second is common in interface engines).
pub const HL7_CONTENT_TYPES: &[&str] = &["x-application/hl7-v2+er7", "application/hl7-v2"];

/// What one ingestion route accepts.
pub trait IngestRoute: Send + Sync + 'static {
    /// The content types accepted (parameters such as `charset` ignored).
    const CONTENT_TYPES: &'static [&'static str];
    /// Whether any `+json` content type is accepted too.
    const ANY_JSON_SUFFIX: bool;
    /// Whether one publish permit is taken before the body is read (a single message), or
    /// the handler takes as many as it needs once it has read the body (a batch).
    const PERMIT_BEFORE_BODY: bool;

    /// The largest body accepted.
    fn body_limit(config: &ApiConfig) -> usize;

    /// axum's body limit layer for this route.
    fn body_limit_layer(config: &ApiConfig) -> DefaultBodyLimit {
        DefaultBodyLimit::max(Self::body_limit(config))
    }
}

/// `POST /ingest/message`: one JSON object.
#[derive(Debug)]
pub struct MessageRoute;

impl IngestRoute for MessageRoute {
    const CONTENT_TYPES: &'static [&'static str] = &["application/json"];
    const ANY_JSON_SUFFIX: bool = true;
    const PERMIT_BEFORE_BODY: bool = true;

    fn body_limit(config: &ApiConfig) -> usize {
        config.max_body_bytes
    }
}

/// `POST /ingest/batch`: newline-delimited JSON.
#[derive(Debug)]
pub struct BatchRoute;

impl IngestRoute for BatchRoute {
    const CONTENT_TYPES: &'static [&'static str] = &[
        "application/x-ndjson",
        "application/jsonl",
        "application/jsonlines",
    ];
    const ANY_JSON_SUFFIX: bool = false;
    const PERMIT_BEFORE_BODY: bool = false;

    fn body_limit(config: &ApiConfig) -> usize {
        config.max_batch_bytes
    }
}

/// The query string of the ingestion routes.
#[derive(Debug, Default, Deserialize)]
pub struct EntityQuery {
    /// The root entity (`?entity=Order`).
    pub entity: Option<String>,
}

/// An ingestion request for model `M` on route `R`, checked in this order (the first
/// failure answers): content type (415), entity (400), `Idempotency-Key` and `X-Source`
/// (400), a publish permit when `R` takes one first (503), the body (413, 408, 400).
#[derive(Debug)]
pub struct Ingest<M, R> {
    /// The root entity posted.
    pub entity: String,
    /// `true` when the body is HL7 v2 (the entity's `format: hl7v2`).
    pub hl7: bool,
    /// `true` when the client asked for an HL7 ACK as the answer (`Accept:
    /// x-application/hl7-v2+er7` on an HL7 body).
    pub ack: bool,
    /// `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// `X-Source`.
    pub source: Option<String>,
    /// The client's W3C trace context (`traceparent`), when it sent a valid one (and trace
    /// context is on).
    pub trace: Option<TraceContext>,
    /// The publish permit taken before the body was read ([`IngestRoute::PERMIT_BEFORE_BODY`]);
    /// held until the answer.
    pub permit: Option<OwnedSemaphorePermit>,
    /// The whole body.
    pub body: Bytes,
    route: PhantomData<fn() -> (M, R)>,
}

impl<M: Model, R: IngestRoute> FromRequest<ApiState> for Ingest<M, R> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &ApiState) -> Result<Self, Problem> {
        // Headers are read in place: the `HeaderMap` extractor would copy every header.
        let headers = request.headers();
        let hl7 = is_hl7_content(headers);
        let ack = hl7 && super::hl7_ack::wants_ack(headers);
        if !hl7 {
            require_content_type(headers, R::CONTENT_TYPES, R::ANY_JSON_SUFFIX)?;
        }
        let named = Query::<EntityQuery>::try_from_uri(request.uri())
            .ok()
            .and_then(|q| q.0.entity);
        // An HL7 body names its entity like a JSON one, or goes to the only HL7 root.
        let hl7_roots: Vec<&str> = M::ROOT_ENTITIES
            .iter()
            .copied()
            .filter(|e| M::is_hl7(e))
            .collect();
        let roots = if hl7 && named.is_none() && headers.get("x-entity-type").is_none() {
            &hl7_roots[..]
        } else {
            M::ROOT_ENTITIES
        };
        let entity = resolve_entity(named.as_deref(), headers, roots)?;
        if M::is_hl7(&entity) != hl7 {
            return Err(format_mismatch(
                &entity,
                M::is_hl7(&entity),
                R::CONTENT_TYPES,
            ));
        }
        let idempotency_key = text_header(headers, "idempotency-key")?;
        let source = text_header(headers, "x-source")?;
        let trace = headers
            .get(crate::telemetry::TRACEPARENT)
            .filter(|_| state.config.telemetry.trace_context)
            .and_then(|v| TraceContext::from_header(v.to_str().ok()));
        let permit = if R::PERMIT_BEFORE_BODY {
            let Ok(permit) = state.in_flight.clone().try_acquire_owned() else {
                state.metrics.ingested(&entity, IngestOutcome::Rejected, 1);
                return Err(Problem::overloaded());
            };
            Some(permit)
        } else {
            None
        };
        let body = read_body(
            request,
            R::body_limit(&state.config),
            state.config.body_timeout,
        )
        .await?;
        Ok(Ingest {
            entity,
            hl7,
            ack,
            idempotency_key,
            source,
            trace,
            permit,
            body,
            route: PhantomData,
        })
    }
}

/// `true` when the request's content type is an HL7 v2 one.
pub fn is_hl7_content(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|essence| HL7_CONTENT_TYPES.contains(&essence.as_str()))
}

/// The 415 for a body in the other format than the entity's.
fn format_mismatch(entity: &str, entity_is_hl7: bool, json_types: &[&str]) -> Problem {
    let (takes, accepted): (&str, &[&str]) = if entity_is_hl7 {
        ("HL7 v2 messages", HL7_CONTENT_TYPES)
    } else {
        ("JSON", json_types)
    };
    Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Unsupported media type",
        format!(
            "entity {entity} takes {takes}: Content-Type must be {}",
            accepted.join(" or ")
        ),
    )
    .with("accepted", accepted.to_vec())
}

/// Whether the request's content type is one of `accepted` (parameters such as `charset`
/// ignored), or any `+json` type when `json_suffix` is true. Otherwise a 415 problem.
pub fn require_content_type(
    headers: &HeaderMap,
    accepted: &[&str],
    json_suffix: bool,
) -> Result<(), Problem> {
    let found = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let ok = match &found {
        Some(essence) => {
            accepted.contains(&essence.as_str()) || (json_suffix && essence.ends_with("+json"))
        }
        None => false,
    };
    if ok {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Unsupported media type",
        format!(
            "Content-Type must be {}; got {}",
            accepted.join(" or "),
            found.as_deref().unwrap_or("none")
        ),
    )
    .with("accepted", accepted.to_vec()))
}

/// The root entity: `?entity=`, else `X-Entity-Type`, else the only root entity.
pub fn resolve_entity(
    query: Option<&str>,
    headers: &HeaderMap,
    roots: &[&str],
) -> Result<String, Problem> {
    let header = headers
        .get("x-entity-type")
        .map(|v| v.to_str().unwrap_or("\u{FFFD}"));
    let named = query.or(header).map(str::trim);
    match named {
        Some(name) if roots.contains(&name) => Ok(name.to_owned()),
        Some(name) => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "unknown-entity",
            "Unknown entity",
            format!(
                "{name:?} is not an entity clients can post; valid: {}",
                roots.join(", ")
            ),
        )
        .with("valid_entities", roots.to_vec())),
        None if roots.len() == 1 => Ok(roots[0].to_owned()),
        None => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "missing-entity",
            "Missing entity",
            format!(
                "name the entity with ?entity=<Name> or the X-Entity-Type header; valid: {}",
                roots.join(", ")
            ),
        )
        .with("valid_entities", roots.to_vec())),
    }
}

/// A short printable header value (`Idempotency-Key`, `X-Source`), or a 400 problem.
pub fn text_header(headers: &HeaderMap, name: &'static str) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get(name) else {
        return Ok(None);
    };
    let text = value.to_str().ok().map(str::trim).filter(|t| {
        !t.is_empty()
            && t.len() <= MAX_HEADER_TEXT
            && t.chars().all(|c| c.is_ascii_graphic() || c == ' ')
    });
    match text {
        Some(text) => Ok(Some(text.to_owned())),
        None => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-header",
            "Invalid header",
            format!("{name} must be 1 to {MAX_HEADER_TEXT} printable ASCII characters"),
        )
        .with("header", name)),
    }
}

/// The body, at most `limit` bytes (413 above) and whole within `timeout` (408 after): a
/// declared `Content-Length` over the limit is refused before anything is read; the body
/// itself is read by axum's `Bytes` extractor within the route's [`DefaultBodyLimit`] (the
/// same `limit`).
pub async fn read_body(
    request: Request,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, Problem> {
    let too_large = || {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            format!("the body exceeds the limit of {limit} bytes"),
        )
        .with("limit_bytes", limit)
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let Ok(read) = tokio::time::timeout(timeout, Bytes::from_request(request, &())).await else {
        return Err(body_timeout(timeout));
    };
    match read {
        Ok(body) if body.len() <= limit => Ok(body),
        Ok(_) => Err(too_large()),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
        Err(rejection) => {
            tracing::debug!(error = %rejection, "reading a request body failed");
            Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "unreadable-body",
                "Unreadable body",
                "the request body could not be read completely",
            ))
        }
    }
}

/// The 408 for a body that did not arrive within `timeout`. The connection is closed after
/// it (hyper does not keep a connection whose request body was left unread).
fn body_timeout(timeout: Duration) -> Problem {
    Problem::new(
        StatusCode::REQUEST_TIMEOUT,
        "body-timeout",
        "Body too slow",
        format!(
            "the request body did not arrive within {} ms of its header; send it at once",
            timeout.as_millis()
        ),
    )
    .with(
        "timeout_ms",
        u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
    )
}
