//! Who may call the API and how often.
//!
//! With `API_KEYS_FILE` set, `POST /ingest/*` needs a key with scope `ingest` and
//! `GET /ingest/status/*` one with scope `status`, sent as `Authorization: Bearer <key>` or
//! `X-API-Key: <key>`. A missing or unknown key is 401 with `WWW-Authenticate: Bearer`, a
//! key without the scope 403, both problem+json; the key's name, never the key, goes to the
//! log. `/health`, `/ready`, `/openapi.json` and `/metrics` stay open. Without a keys file
//! the API is open (and says so at start-up).
//!
//! With `RATE_LIMIT_PER_SECOND` set, each key (each client address without keys) has a token
//! bucket of `RATE_LIMIT_BURST` tokens; a request over it is 429 ([`rate`]).
//!
//! The keys file: [`keys`]; re-reading it while running: [`reload`].

pub mod keys;
pub mod rate;
pub mod reload;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use self::keys::Scope;
use self::rate::{Client, Limiter};
use self::reload::{KeyStore, KeyStoreError};
use super::problem::Problem;
use crate::config::access::AccessConfig;

/// How often buckets of idle clients are forgotten.
const FORGET_IDLE_EVERY: Duration = Duration::from_secs(60);

/// The API's access rules: its keys (if any) and its rate limit (if any).
#[derive(Debug, Clone, Default)]
pub struct Access {
    keys: Option<Arc<KeyStore>>,
    limiter: Option<Arc<Limiter>>,
}

/// The name of the key a request was let in with, for handlers that log it.
#[derive(Debug, Clone)]
pub struct KeyName(pub Arc<str>);

impl Access {
    /// No keys, no limit: every request passes.
    pub fn open() -> Access {
        Access::default()
    }

    /// The rules `config` sets; the keys file is read now (an unreadable or malformed one
    /// stops start-up).
    pub fn from_config(config: &AccessConfig) -> Result<Access, KeyStoreError> {
        let keys = match &config.keys_file {
            Some(path) => Some(Arc::new(KeyStore::open(path)?)),
            None => None,
        };
        Ok(Access {
            keys,
            limiter: config.rate_limit.map(|limit| Arc::new(Limiter::new(limit))),
        })
    }

    /// Whether requests need a key.
    pub fn needs_keys(&self) -> bool {
        self.keys.is_some()
    }

    /// Starts what runs beside the server: the keys file's watcher and the forgetting of idle
    /// buckets. Call once, inside the runtime.
    pub fn start_background(&self) {
        if let Some(keys) = &self.keys {
            keys.clone().watch();
        }
        if let Some(limiter) = self.limiter.clone() {
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(FORGET_IDLE_EVERY);
                loop {
                    tick.tick().await;
                    limiter.forget_idle();
                }
            });
        }
    }

    /// Logs, at start-up, what the rules are.
    pub fn log_start(&self) {
        match &self.keys {
            Some(keys) => tracing::info!(keys = keys.keys().len(), "API keys required on /ingest/*"),
            None => tracing::warn!(
                "API_KEYS_FILE is not set: the API is open, anyone who can reach it may ingest and read statuses"
            ),
        }
    }
}

/// The scope a path needs; `None` for the open routes.
fn scope_of(path: &str) -> Option<Scope> {
    match path {
        "/ingest/message" | "/ingest/batch" => Some(Scope::Ingest),
        _ if path.starts_with("/ingest/status/") => Some(Scope::Status),
        _ => None,
    }
}

/// The key a request presents: `Authorization: Bearer <key>`, else `X-API-Key`.
fn presented(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    bearer
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .map(str::trim)
        .filter(|key| !key.is_empty())
}

/// The middleware: checks the key and the rate limit of requests to scoped routes.
pub async fn guard(State(access): State<Access>, mut request: Request, next: Next) -> Response {
    let Some(scope) = scope_of(request.uri().path()) else {
        return next.run(request).await;
    };
    let client = match &access.keys {
        Some(store) => {
            let keys = store.keys();
            let Some(key) = presented(request.headers()).and_then(|k| keys.find(k)) else {
                let missing = presented(request.headers()).is_none();
                tracing::info!(path = %request.uri().path(), missing_key = missing, "refused: no valid API key");
                return unauthorized(missing);
            };
            if !key.allows(scope) {
                tracing::info!(api_key = %key.name, path = %request.uri().path(), scope = %scope, "refused: the key lacks the scope");
                return forbidden(&key.name, scope);
            }
            let name: Arc<str> = Arc::from(key.name.as_str());
            tracing::debug!(api_key = %name, path = %request.uri().path(), "key accepted");
            request.extensions_mut().insert(KeyName(name.clone()));
            Client::Key(name)
        }
        None => match request.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(address)) => Client::Address(address.ip()),
            None => Client::Unknown,
        },
    };
    if let Some(limiter) = &access.limiter {
        if let Err(refused) = limiter.check(&client) {
            return too_many(limiter, refused);
        }
    }
    next.run(request).await
}

fn unauthorized(missing: bool) -> Response {
    let detail = if missing {
        "this route needs an API key: send it as `Authorization: Bearer <key>` or `X-API-Key`"
    } else {
        "the API key is not valid (unknown, or revoked)"
    };
    let mut response = Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Unauthorized",
        detail,
    )
    .into_response();
    let challenge = if missing {
        HeaderValue::from_static("Bearer realm=\"nomnom\"")
    } else {
        HeaderValue::from_static("Bearer realm=\"nomnom\", error=\"invalid_token\"")
    };
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, challenge);
    response
}

fn forbidden(name: &str, scope: Scope) -> Response {
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        format!("the API key `{name}` does not have the scope `{scope}` this route needs"),
    )
    .with("scope", scope.name())
    .into_response()
}

fn too_many(limiter: &Limiter, refused: rate::Refused) -> Response {
    let mut response = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        format!(
            "over the rate limit of this client; retry in {} s",
            refused.retry_after_secs
        ),
    )
    .retry_after(refused.retry_after_secs)
    .into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("ratelimit-policy", limiter.policy_header()),
        ("ratelimit", rate::remaining_header(refused)),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_routes_and_presented_keys() {
        assert_eq!(scope_of("/ingest/message"), Some(Scope::Ingest));
        assert_eq!(scope_of("/ingest/batch"), Some(Scope::Ingest));
        assert_eq!(scope_of("/ingest/status/0193"), Some(Scope::Status));
        for open in [
            "/health",
            "/ready",
            "/openapi.json",
            "/metrics",
            "/ingest/other",
        ] {
            assert_eq!(scope_of(open), None, "{open}");
        }
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.insert(*k, HeaderValue::from_static(v));
            }
            map
        };
        assert_eq!(
            presented(&headers(&[("authorization", "Bearer abc")])),
            Some("abc")
        );
        assert_eq!(
            presented(&headers(&[("authorization", "bearer  abc ")])),
            Some("abc")
        );
        assert_eq!(presented(&headers(&[("x-api-key", "xyz")])), Some("xyz"));
        assert_eq!(
            presented(&headers(&[("authorization", "Basic dTpw")])),
            None
        );
        assert_eq!(
            presented(&headers(&[
                ("authorization", "Basic dTpw"),
                ("x-api-key", "k")
            ])),
            Some("k")
        );
        assert_eq!(presented(&headers(&[("x-api-key", " ")])), None);
    }
}
