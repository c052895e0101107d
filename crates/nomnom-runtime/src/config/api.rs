//! `ApiConfig`: where the ingestion API listens, its request limits and time limits, and how
//! long statuses are kept.

use std::time::Duration;

use super::env::{ConfigError, Env};
use super::status::StatusRetention;
use super::telemetry::TelemetryConfig;
use super::units::{parse_duration, parse_size};

/// Settings of the `ingestion-api` binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// Listen address (`HOST`).
    pub host: String,
    /// Listen port (`PORT`).
    pub port: u16,
    /// Largest body of `POST /ingest/message`.
    pub max_body_bytes: usize,
    /// Largest body of `POST /ingest/batch`.
    pub max_batch_bytes: usize,
    /// Most lines in one batch.
    pub max_batch_lines: usize,
    /// Messages being published at once before load is shed with 503.
    pub max_in_flight: usize,
    /// Threads serving requests (`API_THREADS`).
    pub threads: usize,
    /// Longest a request's body may take to arrive once its header is read
    /// (`API_BODY_TIMEOUT`); slower bodies are answered 408.
    pub body_timeout: Duration,
    /// Longest a connection may take to send a request's header, counted from the connection
    /// or from the previous answer on a kept-alive connection (`API_HEADER_TIMEOUT`); a slower
    /// or silent connection is closed.
    pub header_timeout: Duration,
    /// How long statuses are kept: a lookup of an older message is answered as expired.
    pub status: StatusRetention,
    /// Metrics and trace context (`OTEL_METRICS_EXPORTER`, `OTEL_PROPAGATORS`).
    pub telemetry: TelemetryConfig,
}

impl ApiConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from(&Env::process())
    }

    /// Reads `env`; every value is checked.
    pub fn from(env: &Env) -> Result<Self, ConfigError> {
        let size = |name: &'static str| {
            env.parse_with(name, |t| {
                let n = parse_size(t)?;
                usize::try_from(n)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| "must be greater than zero".to_owned())
            })
        };
        let positive = |name: &'static str| {
            env.parse_with(name, |t| match t.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err("expected a whole number greater than zero".to_owned()),
            })
        };
        let timeout = |name: &'static str| {
            env.parse_with(name, |t| {
                parse_duration(t).and_then(|d| {
                    if d.is_zero() {
                        Err("must be greater than zero".to_owned())
                    } else {
                        Ok(d)
                    }
                })
            })
        };
        Ok(Self {
            host: env.get("HOST"),
            port: env.parse("PORT")?,
            max_body_bytes: size("API_MAX_BODY_BYTES")?,
            max_batch_bytes: size("API_MAX_BATCH_BYTES")?,
            max_batch_lines: positive("API_MAX_BATCH_LINES")?,
            max_in_flight: positive("API_MAX_IN_FLIGHT")?,
            threads: positive("API_THREADS")?,
            body_timeout: timeout("API_BODY_TIMEOUT")?,
            header_timeout: timeout("API_HEADER_TIMEOUT")?,
            status: StatusRetention::from(env)?,
            telemetry: TelemetryConfig::from(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let c = ApiConfig::from(&Env::from_pairs::<&str, &str>([])).expect("defaults");
        assert_eq!(c.port, 8080);
        assert_eq!(c.max_body_bytes, 1 << 20);
        assert_eq!(c.max_batch_bytes, 16 << 20);
        assert_eq!(c.max_batch_lines, 10_000);
        assert_eq!(c.max_in_flight, 4096);
        assert_eq!(c.body_timeout, Duration::from_secs(30));
        assert_eq!(c.header_timeout, Duration::from_secs(30));
        let c = ApiConfig::from(&Env::from_pairs([
            ("API_BODY_TIMEOUT", "2s"),
            ("API_HEADER_TIMEOUT", "1500ms"),
        ]))
        .expect("timeouts");
        assert_eq!(c.body_timeout, Duration::from_secs(2));
        assert_eq!(c.header_timeout, Duration::from_millis(1500));
        for name in ["API_BODY_TIMEOUT", "API_HEADER_TIMEOUT"] {
            for bad in ["0s", "30", "soon"] {
                let err = ApiConfig::from(&Env::from_pairs([(name, bad)])).expect_err(bad);
                assert_eq!(err.name, name, "{bad}");
            }
        }
        let err = ApiConfig::from(&Env::from_pairs([("PORT", "http")])).expect_err("port");
        assert_eq!(err.name, "PORT");
        let err =
            ApiConfig::from(&Env::from_pairs([("API_MAX_IN_FLIGHT", "0")])).expect_err("zero");
        assert_eq!(err.name, "API_MAX_IN_FLIGHT");
    }
}
