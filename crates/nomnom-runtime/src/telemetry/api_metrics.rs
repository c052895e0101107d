//! The API's metrics, registered once: requests by route template and status, request
//! latency by route, messages by entity and outcome, publish latency.
//!
//! Handles are created when first needed and kept (a route's counter for a status code, an
//! entity's counters when the router is built), so recording is an atomic add or a histogram
//! sample: no label set is built and no registry is searched per request.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{Counter, Histogram};

use super::names::{
    HTTP_REQUESTS, HTTP_REQUEST_DURATION, INGEST_MESSAGES, INGEST_OUTCOMES, PUBLISH_DURATION,
};

/// The routes of the API, as their templates: the `route` label never holds a raw path.
pub const ROUTES: [&str; 7] = [
    "/ingest/message",
    "/ingest/batch",
    "/ingest/status/{message_id}",
    "/health",
    "/ready",
    "/openapi.json",
    "/metrics",
];

/// The `route` label of a request that matched no route (answered 404).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The status codes the API answers with, whose counters are kept once created.
const STATUSES: [u16; 13] = [
    200, 202, 400, 404, 405, 408, 413, 415, 422, 429, 500, 502, 503,
];

/// What happened to one received message (`nomnom_ingest_messages_total{outcome}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// The stream holds it.
    Accepted = 0,
    /// The model refused it.
    Invalid = 1,
    /// A retry of a message already stored (same `Idempotency-Key`): nothing new was stored.
    Duplicate = 2,
    /// Valid, but the stream (unavailable, full, too large) or the API (saturated) could not
    /// take it.
    Rejected = 3,
}

struct RouteMetrics {
    route: &'static str,
    duration: Histogram,
    statuses: [OnceLock<Counter>; STATUSES.len()],
}

impl RouteMetrics {
    fn new(route: &'static str) -> Self {
        Self {
            route,
            duration: metrics::histogram!(HTTP_REQUEST_DURATION, "route" => route),
            statuses: Default::default(),
        }
    }

    fn record(&self, status: u16, elapsed: Duration) {
        self.duration.record(elapsed.as_secs_f64());
        match STATUSES.iter().position(|s| *s == status) {
            Some(i) => self.statuses[i]
                .get_or_init(|| {
                    metrics::counter!(HTTP_REQUESTS, "route" => self.route, "status" => status_text(status))
                })
                .increment(1),
            None => metrics::counter!(
                HTTP_REQUESTS,
                "route" => self.route,
                "status" => status.to_string()
            )
            .increment(1),
        }
    }
}

/// A status code as a `'static` label value (the common ones), so a kept counter's labels
/// are built once without formatting.
fn status_text(status: u16) -> &'static str {
    match status {
        200 => "200",
        202 => "202",
        400 => "400",
        404 => "404",
        405 => "405",
        408 => "408",
        413 => "413",
        415 => "415",
        422 => "422",
        429 => "429",
        500 => "500",
        502 => "502",
        503 => "503",
        _ => "other",
    }
}

/// The API's handles (one per process: the recorder is the process's), or none of them
/// ([`ApiMetrics::off`]: `OTEL_METRICS_EXPORTER=none`).
pub struct ApiMetrics {
    /// Whether anything is recorded: every method returns at once when not.
    on: bool,
    routes: Vec<RouteMetrics>,
    unmatched: RouteMetrics,
    entities: OnceLock<Vec<(&'static str, [Counter; 4])>>,
    publish: Histogram,
}

impl std::fmt::Debug for ApiMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiMetrics").finish_non_exhaustive()
    }
}

static API_METRICS: OnceLock<ApiMetrics> = OnceLock::new();
static OFF: OnceLock<ApiMetrics> = OnceLock::new();

impl ApiMetrics {
    /// The process's handles, with the recorder installed first.
    pub fn get() -> &'static ApiMetrics {
        API_METRICS.get_or_init(|| {
            super::prometheus::install();
            ApiMetrics {
                on: true,
                routes: ROUTES.iter().map(|r| RouteMetrics::new(r)).collect(),
                unmatched: RouteMetrics::new(UNMATCHED_ROUTE),
                entities: OnceLock::new(),
                publish: metrics::histogram!(PUBLISH_DURATION),
            }
        })
    }

    /// Handles that record nothing, and no recorder installed (`OTEL_METRICS_EXPORTER=none`).
    pub fn off() -> &'static ApiMetrics {
        OFF.get_or_init(|| ApiMetrics {
            on: false,
            routes: Vec::new(),
            unmatched: RouteMetrics {
                route: UNMATCHED_ROUTE,
                duration: Histogram::noop(),
                statuses: Default::default(),
            },
            entities: OnceLock::new(),
            publish: Histogram::noop(),
        })
    }

    /// Whether metrics are kept (and served on `/metrics`).
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Registers the model's root entities (every outcome starts at 0, so rates and
    /// increases are right from the first message). The first model registered in a process
    /// is kept.
    pub fn register_entities(&self, roots: &'static [&'static str]) {
        if !self.on {
            return;
        }
        self.entities.get_or_init(|| {
            roots
                .iter()
                .map(|entity| {
                    let counters = INGEST_OUTCOMES.map(|outcome| {
                        metrics::counter!(INGEST_MESSAGES, "entity" => *entity, "outcome" => outcome)
                    });
                    (*entity, counters)
                })
                .collect()
        });
    }

    /// Counts `count` messages of `entity` with `outcome`.
    pub fn ingested(&self, entity: &str, outcome: IngestOutcome, count: u64) {
        if count == 0 || !self.on {
            return;
        }
        let kept = self
            .entities
            .get()
            .and_then(|entities| entities.iter().find(|(name, _)| *name == entity));
        match kept {
            Some((_, counters)) => counters[outcome as usize].increment(count),
            None => metrics::counter!(
                INGEST_MESSAGES,
                "entity" => entity.to_owned(),
                "outcome" => INGEST_OUTCOMES[outcome as usize]
            )
            .increment(count),
        }
    }

    /// Records one publish's time to acknowledgement.
    pub fn published(&self, elapsed: Duration) {
        if !self.on {
            return;
        }
        self.publish.record(elapsed.as_secs_f64());
    }

    /// Records one answered request: `route` is the matched template, `None` when no route
    /// matched.
    pub fn answered(&self, route: Option<&str>, status: u16, elapsed: Duration) {
        if !self.on {
            return;
        }
        let metrics = route
            .and_then(|r| self.routes.iter().find(|m| m.route == r))
            .unwrap_or(&self.unmatched);
        metrics.record(status, elapsed);
    }
}
