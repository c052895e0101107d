//! The worker's configuration from the environment (`NATS_*` consumer settings, `WORKER_*`,
//! `DATABASE_*`). Every variable is listed in [`super::variables::ENV_VARS`]; an invalid
//! value stops start-up with a message naming the variable.

use std::time::Duration;

use super::env::{ConfigError, Env};
use super::units::parse_duration;
use super::{DatabaseConfig, NatsConfig, TelemetryConfig};

/// Everything the worker reads from the environment.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// NATS connection and stream settings, shared with the API (`NATS_*`).
    pub nats: NatsConfig,
    /// PostgreSQL (`DATABASE_URL`, `DATABASE_MAX_CONNECTIONS`).
    pub database: DatabaseConfig,
    /// `NATS_CONSUMER`: the durable pull consumer shared by every worker process.
    pub consumer: String,
    /// `NATS_ACK_WAIT`.
    pub ack_wait: Duration,
    /// `NATS_MAX_DELIVER`: deliveries of one message before it is dead-lettered.
    pub max_deliver: i64,
    /// `NATS_BACKOFF`: redelivery delay after the n-th failed attempt (the last repeats).
    pub backoff: Vec<Duration>,
    /// `WORKER_BATCH_SIZE`.
    pub batch_size: usize,
    /// `WORKER_BATCH_WAIT`.
    pub batch_wait: Duration,
    /// `WORKER_CONCURRENCY`: batches in flight at once.
    pub concurrency: usize,
    /// `WORKER_HEALTH_PORT` (`None` when 0: no health endpoint).
    pub health_port: Option<u16>,
    /// Metrics and trace context (`OTEL_METRICS_EXPORTER`, `OTEL_PROPAGATORS`).
    pub telemetry: TelemetryConfig,
}

impl WorkerConfig {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from(&Env::process())
    }

    /// Reads the configuration from `env`; unset variables take their documented defaults.
    pub fn from(env: &Env) -> Result<Self, ConfigError> {
        let consumer = env.get("NATS_CONSUMER");
        if consumer.is_empty()
            || !consumer
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ConfigError::new(
                "NATS_CONSUMER",
                &consumer,
                "letters, digits, `-` and `_` only",
            ));
        }
        let backoff = env.parse_with("NATS_BACKOFF", |text| {
            text.split(',')
                .map(|part| parse_duration(part.trim()))
                .collect::<Result<Vec<_>, _>>()
        })?;
        let positive_duration = |name: &'static str| {
            env.parse_with(name, |text| match parse_duration(text)? {
                d if d.is_zero() => Err("must be greater than zero".to_string()),
                d => Ok(d),
            })
        };
        let health_port: u16 = env.parse_with("WORKER_HEALTH_PORT", |text| {
            text.parse()
                .map_err(|_| "expected a port number (0 turns it off)".to_string())
        })?;
        Ok(Self {
            nats: NatsConfig::from(env)?,
            database: DatabaseConfig::from(env)?,
            consumer,
            ack_wait: positive_duration("NATS_ACK_WAIT")?,
            max_deliver: positive(env, "NATS_MAX_DELIVER")?,
            backoff,
            batch_size: positive(env, "WORKER_BATCH_SIZE")?,
            batch_wait: positive_duration("WORKER_BATCH_WAIT")?,
            concurrency: positive(env, "WORKER_CONCURRENCY")?,
            health_port: (health_port != 0).then_some(health_port),
            telemetry: TelemetryConfig::from(env)?,
        })
    }

    /// The ingest stream's name.
    pub fn stream(&self) -> &str {
        &self.nats.stream
    }

    /// The delay before the next attempt of a message that failed on its `delivered`-th
    /// delivery (1-based); the last entry of the schedule repeats.
    pub fn backoff_for(&self, delivered: i64) -> Duration {
        let index = usize::try_from(delivered.saturating_sub(1)).unwrap_or(0);
        self.backoff
            .get(index)
            .or(self.backoff.last())
            .copied()
            .unwrap_or(Duration::from_secs(1))
    }
}

fn positive<T: std::str::FromStr + PartialOrd + Default>(
    env: &Env,
    name: &'static str,
) -> Result<T, ConfigError> {
    env.parse_with(name, |text| match text.parse::<T>() {
        Ok(n) if n > T::default() => Ok(n),
        _ => Err("expected a whole number above 0".to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<WorkerConfig, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        WorkerConfig::from(&Env::from_pairs(pairs))
    }

    #[test]
    fn defaults_match_the_documented_variables() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.stream(), "MESSAGES");
        assert_eq!(c.consumer, "workers");
        assert_eq!(c.ack_wait, Duration::from_secs(30));
        assert_eq!(c.max_deliver, 10);
        assert_eq!(c.backoff.len(), 7);
        assert_eq!(c.batch_size, 500);
        assert_eq!(c.batch_wait, Duration::from_millis(100));
        assert_eq!(c.concurrency, 2);
        assert_eq!(c.health_port, Some(8081));
    }

    #[test]
    fn backoff_schedule_repeats_its_last_entry() {
        let c = config(&[("NATS_BACKOFF", "1s, 5s")]).expect("valid");
        assert_eq!(c.backoff_for(1), Duration::from_secs(1));
        assert_eq!(c.backoff_for(2), Duration::from_secs(5));
        assert_eq!(c.backoff_for(9), Duration::from_secs(5));
        assert_eq!(c.backoff_for(0), Duration::from_secs(1));
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (name, value) in [
            ("WORKER_BATCH_SIZE", "0"),
            ("NATS_BACKOFF", "1s,soon"),
            ("NATS_STREAM", "a.b"),
            ("NATS_CONSUMER", "a.b"),
            ("NATS_ACK_WAIT", "0s"),
            ("WORKER_HEALTH_PORT", "http"),
        ] {
            let e = config(&[(name, value)]).expect_err(name);
            assert_eq!(e.name, name);
        }
        assert_eq!(
            config(&[("WORKER_HEALTH_PORT", "0")])
                .expect("valid")
                .health_port,
            None
        );
    }
}
