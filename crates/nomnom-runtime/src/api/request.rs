//! The parts of an ingestion request every route reads the same way: content type, entity,
//! `Idempotency-Key`, `X-Source`, and the body within its limit.

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::problem::Problem;

/// Longest accepted `Idempotency-Key` and `X-Source`.
const MAX_HEADER_TEXT: usize = 256;

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

/// The body, at most `limit` bytes (413 above).
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<bytes::Bytes, Problem> {
    let too_large = || {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            format!("the body exceeds the limit of {limit} bytes"),
        )
        .with("limit_bytes", limit)
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Err(err) => {
            tracing::debug!(error = %err, "reading a request body failed");
            Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "unreadable-body",
                "Unreadable body",
                "the request body could not be read completely",
            ))
        }
    }
}
