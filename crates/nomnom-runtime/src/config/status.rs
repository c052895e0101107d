//! `StatusRetention`: how long `message_status` keeps a message's row, and the width of its
//! time partitions (`STATUS_RETENTION`, `STATUS_PARTITION_INTERVAL`).

use std::time::Duration;

use super::env::{ConfigError, Env};
use super::units::parse_duration;

/// How long statuses are kept, and in partitions of what width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRetention {
    /// Statuses older than this (by acceptance time) are dropped with their partition;
    /// `None` (`STATUS_RETENTION=0`) keeps every status.
    pub retention: Option<Duration>,
    /// The time range of one partition.
    pub interval: Duration,
}

impl StatusRetention {
    /// Reads `env`.
    pub fn from(env: &Env) -> Result<Self, ConfigError> {
        let retention = env.parse_with("STATUS_RETENTION", |text| {
            let d = parse_duration(text)?;
            Ok((!d.is_zero()).then_some(d))
        })?;
        let interval = env.parse_with("STATUS_PARTITION_INTERVAL", |text| {
            let d = parse_duration(text)?;
            if d < Duration::from_secs(1) {
                return Err("a partition spans at least 1s".to_owned());
            }
            Ok(d)
        })?;
        if let Some(retention) = retention {
            let partitions = retention.as_millis() / interval.as_millis().max(1);
            if partitions > MAX_PARTITIONS {
                return Err(ConfigError::new(
                    "STATUS_PARTITION_INTERVAL",
                    &env.get("STATUS_PARTITION_INTERVAL"),
                    format!(
                        "STATUS_RETENTION would span {partitions} partitions of this width; keep it \
                         within {MAX_PARTITIONS} (PostgreSQL plans every lookup over all of them)"
                    ),
                ));
            }
        }
        Ok(Self {
            retention,
            interval,
        })
    }
}

/// The most partitions the retention may span.
const MAX_PARTITIONS: u128 = 1_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<StatusRetention, ConfigError> {
        StatusRetention::from(&Env::from_pairs(vars.iter().copied()))
    }

    #[test]
    fn defaults_keep_a_week_in_daily_partitions_and_zero_keeps_everything() {
        let defaults = read(&[]).expect("defaults");
        assert_eq!(defaults.retention, Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(defaults.interval, Duration::from_secs(86_400));
        let forever = read(&[("STATUS_RETENTION", "0s")]).expect("zero");
        assert_eq!(forever.retention, None);
        let short = read(&[
            ("STATUS_RETENTION", "10s"),
            ("STATUS_PARTITION_INTERVAL", "2s"),
        ])
        .expect("seconds");
        assert_eq!(short.interval, Duration::from_secs(2));
        let err = read(&[("STATUS_PARTITION_INTERVAL", "500ms")]).expect_err("too narrow");
        assert!(
            err.to_string().contains("STATUS_PARTITION_INTERVAL"),
            "{err}"
        );
    }
}
