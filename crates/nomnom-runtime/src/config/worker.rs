//! The worker's configuration from the environment (`NATS_*` consumer settings, `WORKER_*`,
//! `DATABASE_*`). Every variable is listed in [`super::variables::ENV_VARS`]; an invalid
//! value stops start-up with a message naming the variable.

use std::time::Duration;

/// How the worker loop runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerMode {
    /// Batched, concurrent, transactional: the real worker.
    Batched,
    /// Reproduces the first nomnom's loop (fetch 10, one message at a time, then a 100 ms
    /// pause). Exists only so benchmarks can show the difference side by side.
    LegacyBaseline,
}

/// Everything the worker reads from the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerConfig {
    /// `NATS_URL`.
    pub nats_url: String,
    /// `NATS_STREAM`: the ingest stream; dead letters go to `<stream>_DLQ`.
    pub stream: String,
    /// `NATS_CONSUMER`: the durable pull consumer shared by every worker process.
    pub consumer: String,
    /// `NATS_ACK_WAIT`.
    pub ack_wait: Duration,
    /// `NATS_MAX_DELIVER`: deliveries of one message before it is dead-lettered.
    pub max_deliver: i64,
    /// `NATS_BACKOFF`: redelivery delay after the n-th failed attempt (the last repeats).
    pub backoff: Vec<Duration>,
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS`.
    pub database_max_connections: usize,
    /// `WORKER_BATCH_SIZE`.
    pub batch_size: usize,
    /// `WORKER_BATCH_WAIT`.
    pub batch_wait: Duration,
    /// `WORKER_CONCURRENCY`: batches in flight at once.
    pub concurrency: usize,
    /// `WORKER_HEALTH_PORT` (`None` when 0: no health endpoint).
    pub health_port: Option<u16>,
    /// `WORKER_MODE`.
    pub mode: WorkerMode,
}

/// A variable whose value cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid value {value:?} for {name}: {reason}")]
pub struct ConfigError {
    /// The variable's name.
    pub name: &'static str,
    /// The value found.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

impl WorkerConfig {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests); unset
    /// variables take their documented defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| -> (&'static str, String) {
            let value = lookup(name)
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default_of(name).to_string());
            (name, value.trim().to_string())
        };
        let stream = get("NATS_STREAM").1;
        if stream.is_empty() || stream.contains(['.', '*', '>', ' ']) {
            return Err(err(
                "NATS_STREAM",
                &stream,
                "a stream name has no dots, wildcards or spaces",
            ));
        }
        let consumer = get("NATS_CONSUMER").1;
        if consumer.is_empty() || consumer.contains(['.', '*', '>', ' ']) {
            return Err(err(
                "NATS_CONSUMER",
                &consumer,
                "a consumer name has no dots, wildcards or spaces",
            ));
        }
        let (n, v) = get("NATS_BACKOFF");
        let backoff = v
            .split(',')
            .map(|part| parse_duration(part.trim()).map_err(|reason| err(n, &v, &reason)))
            .collect::<Result<Vec<_>, _>>()?;
        let max_deliver = positive::<i64>(get("NATS_MAX_DELIVER"))?;
        let health_port = {
            let (n, v) = get("WORKER_HEALTH_PORT");
            let port: u16 = v
                .parse()
                .map_err(|_| err(n, &v, "expected a port number (0 turns it off)"))?;
            (port != 0).then_some(port)
        };
        let mode = {
            let (n, v) = get("WORKER_MODE");
            match v.as_str() {
                "batched" => WorkerMode::Batched,
                "legacy-baseline" => WorkerMode::LegacyBaseline,
                _ => return Err(err(n, &v, "expected `batched` or `legacy-baseline`")),
            }
        };
        Ok(Self {
            nats_url: get("NATS_URL").1,
            stream,
            consumer,
            ack_wait: duration(get("NATS_ACK_WAIT"))?,
            max_deliver,
            backoff,
            database_url: get("DATABASE_URL").1,
            database_max_connections: positive(get("DATABASE_MAX_CONNECTIONS"))?,
            batch_size: positive(get("WORKER_BATCH_SIZE"))?,
            batch_wait: duration(get("WORKER_BATCH_WAIT"))?,
            concurrency: positive(get("WORKER_CONCURRENCY"))?,
            health_port,
            mode,
        })
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

fn default_of(name: &str) -> &'static str {
    super::variables::ENV_VARS
        .iter()
        .find(|v| v.name == name)
        .map(|v| v.default)
        .unwrap_or("")
}

fn err(name: &'static str, value: &str, reason: &str) -> ConfigError {
    ConfigError {
        name,
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

fn positive<T: std::str::FromStr + PartialOrd + Default>(
    (name, value): (&'static str, String),
) -> Result<T, ConfigError> {
    match value.parse::<T>() {
        Ok(n) if n > T::default() => Ok(n),
        _ => Err(err(name, &value, "expected a whole number above 0")),
    }
}

fn duration((name, value): (&'static str, String)) -> Result<Duration, ConfigError> {
    parse_duration(&value).map_err(|reason| err(name, &value, &reason))
}

/// Parses `250ms`, `30s`, `5m`, `2h` or `7d` (a whole number and a unit) into a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| "expected a whole number followed by ms, s, m, h or d".to_string())?;
    let seconds = |factor: u64| Duration::from_secs(n.saturating_mul(factor));
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(seconds(1)),
        "m" => Ok(seconds(60)),
        "h" => Ok(seconds(3600)),
        "d" => Ok(seconds(86_400)),
        _ => Err(format!("unknown unit {unit:?}: use ms, s, m, h or d")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<WorkerConfig, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        WorkerConfig::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_documented_variables() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.stream, "MESSAGES");
        assert_eq!(c.consumer, "workers");
        assert_eq!(c.ack_wait, Duration::from_secs(30));
        assert_eq!(c.max_deliver, 10);
        assert_eq!(c.backoff.len(), 7);
        assert_eq!(c.batch_size, 500);
        assert_eq!(c.batch_wait, Duration::from_millis(100));
        assert_eq!(c.concurrency, 2);
        assert_eq!(c.health_port, Some(8081));
        assert_eq!(c.mode, WorkerMode::Batched);
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
        let e = config(&[("WORKER_BATCH_SIZE", "0")]).unwrap_err();
        assert_eq!(e.name, "WORKER_BATCH_SIZE");
        let e = config(&[("NATS_BACKOFF", "1s,soon")]).unwrap_err();
        assert_eq!(e.name, "NATS_BACKOFF");
        let e = config(&[("WORKER_MODE", "fast")]).unwrap_err();
        assert_eq!(e.name, "WORKER_MODE");
        let e = config(&[("NATS_STREAM", "a.b")]).unwrap_err();
        assert_eq!(e.name, "NATS_STREAM");
        assert_eq!(
            config(&[("WORKER_HEALTH_PORT", "0")])
                .expect("valid")
                .health_port,
            None
        );
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("ms").is_err());
    }
}
