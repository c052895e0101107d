//! The process's Prometheus recorder: the `metrics` facade's global recorder from
//! `metrics-exporter-prometheus`, rendered in the Prometheus text format on `/metrics`.
//!
//! Histograms get the fixed buckets of [`names`](super::names) (real Prometheus histograms,
//! whose quantiles aggregate across replicas). The exporter buffers histogram samples until
//! they are drained, which its upkeep does: the binaries run it every
//! [`UPKEEP_EVERY`], so memory stays bounded however rarely `/metrics` is scraped.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::names::{self, MetricKind, METRIC_FAMILIES};

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How often buffered histogram samples are drained.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder (once per process) and describes every family; `None` when another
/// recorder was installed first (the metrics then go there).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let mut builder = PrometheusBuilder::new();
            for (name, buckets) in [
                (names::HTTP_REQUEST_DURATION, names::LATENCY_BUCKETS),
                (names::PUBLISH_DURATION, names::LATENCY_BUCKETS),
                (names::WORKER_BATCH_DURATION, names::BATCH_DURATION_BUCKETS),
                (names::WORKER_BATCH_MESSAGES, names::BATCH_MESSAGES_BUCKETS),
            ] {
                builder = match builder.set_buckets_for_metric(Matcher::Full(name.into()), buckets)
                {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(error = %e, metric = name, "invalid histogram buckets");
                        return None;
                    }
                };
            }
            let handle = match builder.install_recorder() {
                Ok(handle) => handle,
                Err(e) => {
                    tracing::warn!(error = %e, "no Prometheus recorder: another one is installed");
                    return None;
                }
            };
            for family in METRIC_FAMILIES {
                let name = family.name;
                let help = family.help;
                match family.kind {
                    MetricKind::Counter => metrics::describe_counter!(name, help),
                    MetricKind::Gauge => metrics::describe_gauge!(name, help),
                    MetricKind::Histogram => metrics::describe_histogram!(name, help),
                }
            }
            Some(handle)
        })
        .as_ref()
}

/// Sets `nomnom_build_info{version, model}` to 1.
pub fn build_info(model: &'static str) {
    metrics::gauge!(
        names::BUILD_INFO,
        "version" => env!("CARGO_PKG_VERSION"),
        "model" => model
    )
    .set(1.0);
}

/// The metrics in the text format (empty when no recorder of ours is installed).
pub fn render() -> String {
    HANDLE
        .get()
        .and_then(Option::as_ref)
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}

/// Drains buffered histogram samples every [`UPKEEP_EVERY`] until the runtime stops.
pub fn spawn_upkeep() {
    let Some(handle) = HANDLE.get().and_then(Option::as_ref) else {
        return;
    };
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(UPKEEP_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Bounded by the process: the task ends with the runtime.
        loop {
            ticks.tick().await;
            handle.run_upkeep();
        }
    });
}
