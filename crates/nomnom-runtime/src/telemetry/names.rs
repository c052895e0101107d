// The Prometheus metrics the generated binaries expose on `/metrics`: names, labels, help and
// histogram buckets. A public interface: users write alerts and dashboards against them.
//
// This file is self-contained on purpose: `nomnom-codegen` includes it (`include!`) to write
// the Grafana dashboard and the Prometheus rules, so their queries can never name a metric
// the binaries do not expose.

/// The kind of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

/// One metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricFamily {
    /// The family's name.
    pub name: &'static str,
    /// Counter, gauge or histogram.
    pub kind: MetricKind,
    /// Its labels (a histogram's `le` not included).
    pub labels: &'static [&'static str],
    /// Which binary exposes it: `api`, `worker` or `both`.
    pub exposed_by: &'static str,
    /// The `# HELP` text.
    pub help: &'static str,
}

/// API: requests answered, by route template and status code.
pub const HTTP_REQUESTS: &str = "nomnom_http_requests_total";
/// API: time to answer a request, by route template.
pub const HTTP_REQUEST_DURATION: &str = "nomnom_http_request_duration_seconds";
/// API: messages received, by root entity and outcome.
pub const INGEST_MESSAGES: &str = "nomnom_ingest_messages_total";
/// API: time from publishing a message to JetStream's acknowledgement.
pub const PUBLISH_DURATION: &str = "nomnom_publish_duration_seconds";
/// Worker: messages handled, by root entity and outcome.
pub const WORKER_MESSAGES: &str = "nomnom_worker_messages_total";
/// Worker: rows written, by table.
pub const WORKER_ROWS: &str = "nomnom_worker_rows_total";
/// Worker: time to handle one batch.
pub const WORKER_BATCH_DURATION: &str = "nomnom_worker_batch_duration_seconds";
/// Worker: messages in one batch.
pub const WORKER_BATCH_MESSAGES: &str = "nomnom_worker_batch_messages";
/// Worker: the consumer's backlog.
pub const STREAM_PENDING: &str = "nomnom_stream_pending_messages";
/// Worker: whether PostgreSQL answers.
pub const WORKER_DATABASE_UP: &str = "nomnom_worker_database_up";
/// Both: always 1, labelled with the runtime's version and the model.
pub const BUILD_INFO: &str = "nomnom_build_info";

/// Outcomes of `nomnom_ingest_messages_total`.
pub const INGEST_OUTCOMES: [&str; 4] = ["accepted", "invalid", "duplicate", "rejected"];
/// Outcomes of `nomnom_worker_messages_total`.
pub const WORKER_OUTCOMES: [&str; 3] = ["persisted", "dead_lettered", "retried"];

/// Buckets of the latency histograms (seconds): 0.5 ms to 10 s.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Buckets of the batch duration histogram (seconds): 5 ms to 30 s.
pub const BATCH_DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Buckets of the batch size histogram (messages).
pub const BATCH_MESSAGES_BUCKETS: &[f64] = &[
    1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0,
];

/// Every family, as `/metrics` shows them.
pub const METRIC_FAMILIES: &[MetricFamily] = &[
    MetricFamily { name: HTTP_REQUESTS, kind: MetricKind::Counter, labels: &["route", "status"], exposed_by: "api", help: "HTTP requests answered by the ingestion API, by route template and status code." },
    MetricFamily { name: HTTP_REQUEST_DURATION, kind: MetricKind::Histogram, labels: &["route"], exposed_by: "api", help: "Time the ingestion API took to answer a request, by route template." },
    MetricFamily { name: INGEST_MESSAGES, kind: MetricKind::Counter, labels: &["entity", "outcome"], exposed_by: "api", help: "Messages received (HTTP and MLLP), by root entity and outcome: accepted (stored in the stream), invalid (refused by the model), duplicate (an Idempotency-Key retry), rejected (valid, but the stream or the API could not take it)." },
    MetricFamily { name: PUBLISH_DURATION, kind: MetricKind::Histogram, labels: &[], exposed_by: "api", help: "Time from publishing a message to JetStream's acknowledgement (failed publishes included)." },
    MetricFamily { name: WORKER_MESSAGES, kind: MetricKind::Counter, labels: &["entity", "outcome"], exposed_by: "worker", help: "Messages the worker handled, by root entity and outcome: persisted, dead_lettered, retried (NAKed for a later attempt)." },
    MetricFamily { name: WORKER_ROWS, kind: MetricKind::Counter, labels: &["table"], exposed_by: "worker", help: "Rows the worker inserted or updated, by table (committed transactions only)." },
    MetricFamily { name: WORKER_BATCH_DURATION, kind: MetricKind::Histogram, labels: &[], exposed_by: "worker", help: "Time to handle one fetched batch: validate, write, dead-letter, acknowledge." },
    MetricFamily { name: WORKER_BATCH_MESSAGES, kind: MetricKind::Histogram, labels: &[], exposed_by: "worker", help: "Messages in one fetched batch." },
    MetricFamily { name: STREAM_PENDING, kind: MetricKind::Gauge, labels: &[], exposed_by: "worker", help: "Messages in the stream not yet delivered to the worker's consumer (its backlog), read when scraped." },
    MetricFamily { name: WORKER_DATABASE_UP, kind: MetricKind::Gauge, labels: &[], exposed_by: "worker", help: "1 when PostgreSQL answered the worker's probe at the scrape, else 0." },
    MetricFamily { name: BUILD_INFO, kind: MetricKind::Gauge, labels: &["version", "model"], exposed_by: "both", help: "Always 1: the nomnom runtime's version and the model (project) the binary was generated from." },
];
