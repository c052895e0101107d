//! `ApiConfig`: where the ingestion API listens, its request limits, and how long statuses
//! are kept.

use super::env::{ConfigError, Env};
use super::status::StatusRetention;
use super::units::parse_size;

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
    /// How long statuses are kept: a lookup of an older message is answered as expired.
    pub status: StatusRetention,
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
        Ok(Self {
            host: env.get("HOST"),
            port: env.parse("PORT")?,
            max_body_bytes: size("API_MAX_BODY_BYTES")?,
            max_batch_bytes: size("API_MAX_BATCH_BYTES")?,
            max_batch_lines: positive("API_MAX_BATCH_LINES")?,
            max_in_flight: positive("API_MAX_IN_FLIGHT")?,
            threads: positive("API_THREADS")?,
            status: StatusRetention::from(env)?,
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
        let err = ApiConfig::from(&Env::from_pairs([("PORT", "http")])).expect_err("port");
        assert_eq!(err.name, "PORT");
        let err =
            ApiConfig::from(&Env::from_pairs([("API_MAX_IN_FLIGHT", "0")])).expect_err("zero");
        assert_eq!(err.name, "API_MAX_IN_FLIGHT");
    }
}
