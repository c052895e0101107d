//! Whether the binaries keep metrics and carry trace context, from OpenTelemetry's standard
//! variables (so a platform's existing settings apply):
//! - `OTEL_METRICS_EXPORTER`: `prometheus` (the default: `/metrics` in the Prometheus text
//!   format) or `none` (no metric is kept and `/metrics` answers 404).
//! - `OTEL_PROPAGATORS`: a comma-separated list holding `tracecontext` (the default: the W3C
//!   `traceparent` is read from requests, carried on NATS and kept with the status; `baggage`
//!   beside it is accepted and carries nothing), or `none` (no trace context is read or
//!   carried; a message's status has a trace id only when its span is exported).
//!
//! Other values (`otlp` metrics, `b3` or `jaeger` propagation) are exporters and formats the
//! binaries do not have: they stop start-up with a message naming what is accepted, rather
//! than being ignored while the platform expects them to work.

use super::env::{ConfigError, Env};

/// What the binaries observe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// Metrics kept and served on `/metrics` (`OTEL_METRICS_EXPORTER=prometheus`).
    pub metrics: bool,
    /// W3C trace context read and carried (`OTEL_PROPAGATORS` with `tracecontext`).
    pub trace_context: bool,
}

impl Default for TelemetryConfig {
    /// Both on, as with the variables unset.
    fn default() -> Self {
        Self {
            metrics: true,
            trace_context: true,
        }
    }
}

impl TelemetryConfig {
    /// Neither metrics nor trace context: the binaries as they were before either existed
    /// (the benchmark's measure of what both cost).
    pub const OFF: TelemetryConfig = TelemetryConfig {
        metrics: false,
        trace_context: false,
    };

    /// Reads `env`; every value is checked.
    pub fn from(env: &Env) -> Result<Self, ConfigError> {
        let metrics = env.parse_with("OTEL_METRICS_EXPORTER", |text| {
            match one_of(text, &["prometheus", "none"])?.as_slice() {
                ["none"] => Ok(false),
                ["prometheus"] => Ok(true),
                _ => Err(
                    "expected `prometheus` or `none`: the binaries serve metrics in the \
                          Prometheus format only"
                        .to_owned(),
                ),
            }
        })?;
        let trace_context = env.parse_with("OTEL_PROPAGATORS", |text| {
            let names = one_of(text, &["tracecontext", "baggage", "none"])?;
            if names == ["none"] {
                Ok(false)
            } else if names.contains(&"none") {
                Err("`none` cannot be listed with other propagators".to_owned())
            } else if names.contains(&"tracecontext") {
                Ok(true)
            } else {
                Err("expected a list holding `tracecontext`, or `none`".to_owned())
            }
        })?;
        Ok(Self {
            metrics,
            trace_context,
        })
    }
}

/// The comma-separated names of `text` (trimmed, lowercased), each one of `accepted`.
fn one_of<'a>(text: &str, accepted: &[&'a str]) -> Result<Vec<&'a str>, String> {
    text.split(',')
        .map(|name| {
            let name = name.trim().to_ascii_lowercase();
            accepted
                .iter()
                .find(|a| **a == name)
                .copied()
                .ok_or_else(|| {
                    format!(
                        "`{name}` is not supported here; accepted: {}",
                        accepted.join(", ")
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<TelemetryConfig, ConfigError> {
        TelemetryConfig::from(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn both_are_on_unless_turned_off() {
        assert_eq!(read(&[]), Ok(TelemetryConfig::default()));
        assert_eq!(
            read(&[
                ("OTEL_METRICS_EXPORTER", "Prometheus"),
                ("OTEL_PROPAGATORS", "baggage, tracecontext")
            ]),
            Ok(TelemetryConfig::default())
        );
        assert_eq!(
            read(&[
                ("OTEL_METRICS_EXPORTER", "none"),
                ("OTEL_PROPAGATORS", " none ")
            ]),
            Ok(TelemetryConfig::OFF)
        );
        let metrics_only = read(&[("OTEL_PROPAGATORS", "none")]).unwrap();
        assert!(metrics_only.metrics && !metrics_only.trace_context);
    }

    #[test]
    fn what_the_binaries_cannot_do_stops_start_up_with_what_is_accepted() {
        for (name, value, said) in [
            (
                "OTEL_METRICS_EXPORTER",
                "otlp",
                "`otlp` is not supported here",
            ),
            (
                "OTEL_METRICS_EXPORTER",
                "prometheus,none",
                "Prometheus format only",
            ),
            (
                "OTEL_PROPAGATORS",
                "b3",
                "accepted: tracecontext, baggage, none",
            ),
            (
                "OTEL_PROPAGATORS",
                "tracecontext,none",
                "`none` cannot be listed",
            ),
            ("OTEL_PROPAGATORS", "baggage", "holding `tracecontext`"),
        ] {
            let err = read(&[(name, value)]).expect_err(value);
            assert_eq!(err.name, name, "{value}");
            assert!(err.to_string().contains(said), "{value}: {err}");
        }
    }
}
