//! What the generated services tell their operators: Prometheus metrics on `/metrics` (the
//! API's port and the worker's `WORKER_HEALTH_PORT`) and W3C trace context carried from an
//! ingest request through NATS to the worker and the message's status, with spans exported
//! over OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
//!
//! The metric names and labels ([`names`]) are a public interface: the generated Grafana
//! dashboard and Prometheus rules are written against them, and so are users' alerts.
//! Recording costs an atomic add or a histogram sample on the hot paths: every handle is
//! registered once ([`api_metrics`], [`worker_metrics`]), never looked up per request.

pub mod api_metrics;
pub mod http_layer;
pub mod names;
pub mod prometheus;
pub mod trace_context;
pub mod tracer;
pub mod worker_metrics;

pub use trace_context::{TraceContext, TraceId, TRACEPARENT};
pub use tracer::MessageSpan;
