//! Spans over OTLP: with `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
//! set, each ingest request and each message the worker handles is a span exported over
//! OTLP HTTP/protobuf by OpenTelemetry's batch processor (its own thread, off the event
//! loop); the standard `OTEL_*` variables of the OTLP exporter and the batch processor apply.
//! Unset, no tracer exists and a span is only its [`TraceContext`]: nothing is exported and
//! nothing else is done.
//!
//! HTTP/protobuf rather than gRPC: it is the OTLP default of the OpenTelemetry specification
//! (`OTEL_EXPORTER_OTLP_PROTOCOL`), every collector takes it on port 4318, and it needs no
//! gRPC stack in the generated binaries.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId as OtelTraceId,
    TraceState, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

use super::trace_context::{TraceContext, TraceId};
use crate::config::Env;

/// The exporter's endpoint variables: either turns exporting on.
pub const ENDPOINT_VARS: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
];

/// How long the shutdown waits for the last spans to be sent.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

static TRACER: OnceLock<SdkTracer> = OnceLock::new();

/// Why exporting could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the OTLP span exporter: {0}")]
pub struct ExporterError(String);

/// Keeps the exporter running; [`Exporting::shutdown`] sends what is buffered.
#[derive(Debug)]
pub struct Exporting {
    provider: SdkTracerProvider,
}

impl Exporting {
    /// Sends the spans still buffered (at most a few seconds) and stops the exporter.
    pub fn shutdown(self) {
        if let Err(err) = self.provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT) {
            tracing::warn!(error = %err, "the last spans could not be exported");
        }
    }
}

/// Starts exporting spans as `service` (`OTEL_SERVICE_NAME` overrides it) when an OTLP
/// endpoint is set in `env`; `Ok(None)` when none is. Once per process: a second call (a
/// second binary in one test process) keeps the first tracer.
pub fn init(env: &Env, service: &str) -> Result<Option<Exporting>, ExporterError> {
    let endpoint = ENDPOINT_VARS
        .iter()
        .map(|name| env.get(name))
        .find(|value| !value.trim().is_empty());
    let Some(endpoint) = endpoint else {
        return Ok(None);
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|e| ExporterError(e.to_string()))?;
    let name = Some(env.get("OTEL_SERVICE_NAME"))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| service.to_owned());
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(name.clone())
        .with_attribute(KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION").to_string(),
        ))
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    let tracer = provider.tracer("nomnom-runtime");
    if TRACER.set(tracer).is_err() {
        tracing::debug!("a tracer is already installed in this process: keeping it");
    }
    tracing::info!(%endpoint, service = %name, "exporting spans over OTLP (HTTP/protobuf)");
    Ok(Some(Exporting { provider }))
}

/// One message's span: its trace context (unless trace context is off and nothing is
/// exported), and the exported span when exporting.
pub struct MessageSpan {
    context: Option<TraceContext>,
    /// Whether the context is handed on to the published message (`OTEL_PROPAGATORS`).
    carried: bool,
    span: Option<opentelemetry_sdk::trace::Span>,
}

impl std::fmt::Debug for MessageSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageSpan")
            .field("context", &self.context)
            .field("exported", &self.span.is_some())
            .finish()
    }
}

fn parent_context(parent: Option<TraceContext>) -> Context {
    match parent {
        Some(p) => Context::new().with_remote_span_context(SpanContext::new(
            OtelTraceId::from_bytes(p.trace_id.0),
            SpanId::from_bytes(p.span_id),
            TraceFlags::new(p.flags),
            true,
            TraceState::NONE,
        )),
        None => Context::new(),
    }
}

fn start(
    tracer: &SdkTracer,
    name: &'static str,
    kind: SpanKind,
    parent: Option<TraceContext>,
    started: Option<SystemTime>,
) -> MessageSpan {
    let mut builder = tracer.span_builder(name).with_kind(kind);
    if let Some(at) = started {
        builder = builder.with_start_time(at);
    }
    let span = tracer.build_with_context(builder, &parent_context(parent));
    let own = opentelemetry::trace::Span::span_context(&span);
    let context = TraceContext {
        trace_id: TraceId(own.trace_id().to_bytes()),
        span_id: own.span_id().to_bytes(),
        flags: own.trace_flags().to_u8(),
    };
    MessageSpan {
        context: Some(context),
        carried: false,
        span: Some(span),
    }
}

impl MessageSpan {
    /// The span of an ingest request (HTTP or MLLP): a child of `incoming` (the client's
    /// `traceparent`), or the root of a new trace. With `carried` false (`OTEL_PROPAGATORS=none`)
    /// the context is not handed on, and is only made for an exported span.
    pub fn ingest(name: &'static str, incoming: Option<TraceContext>, carried: bool) -> Self {
        match TRACER.get() {
            Some(tracer) => Self {
                carried,
                ..start(tracer, name, SpanKind::Server, incoming, None)
            },
            None if carried => Self {
                context: Some(incoming.map_or_else(TraceContext::new_root, |c| c.child())),
                carried,
                span: None,
            },
            None => Self {
                context: None,
                carried,
                span: None,
            },
        }
    }

    /// The worker's span for one message, joining the trace its `traceparent` header names
    /// (a message without one starts a trace); `started` is when its batch began. `None`
    /// when spans are not exported: the worker then only reads the trace id it carries.
    pub fn process(
        name: &'static str,
        parent: Option<TraceContext>,
        started: SystemTime,
    ) -> Option<Self> {
        TRACER
            .get()
            .map(|tracer| start(tracer, name, SpanKind::Consumer, parent, Some(started)))
    }

    /// The context to hand on (the `traceparent` of the published message), when it is
    /// carried.
    pub fn carried(&self) -> Option<TraceContext> {
        self.context.filter(|_| self.carried)
    }

    /// The trace id, kept with the message's status.
    pub fn trace_id(&self) -> Option<TraceId> {
        self.context.map(|c| c.trace_id)
    }

    /// Adds an attribute (nothing when not exporting).
    pub fn attribute(&mut self, key: &'static str, value: impl FnOnce() -> String) {
        if let Some(span) = &mut self.span {
            opentelemetry::trace::Span::set_attribute(span, KeyValue::new(key, value()));
        }
    }

    /// Ends the span with its outcome (an attribute), as an error when `failed`.
    pub fn end(mut self, outcome: &'static str, failed: bool) {
        if let Some(mut span) = self.span.take() {
            opentelemetry::trace::Span::set_attribute(
                &mut span,
                KeyValue::new("nomnom.outcome", outcome),
            );
            if failed {
                opentelemetry::trace::Span::set_status(&mut span, Status::error(outcome));
            }
            opentelemetry::trace::Span::end(&mut span);
        }
    }
}
