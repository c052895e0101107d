//! What the observability tests need beside the pipeline: an OTLP receiver of their own
//! ([`otlp`]), the Prometheus text format read back ([`exposition`]), and a private
//! Prometheus server with promtool ([`prometheus`]).

pub mod exposition;
pub mod otlp;
pub mod prometheus;
