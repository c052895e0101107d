//! `AccessConfig`: who may call the API (`API_KEYS_FILE`) and how often
//! (`RATE_LIMIT_PER_SECOND`, `RATE_LIMIT_BURST`).

use std::num::NonZeroU32;
use std::path::PathBuf;

use super::env::{ConfigError, Env};

/// A token bucket: `per_second` tokens added each second, at most `burst` held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second, sustained.
    pub per_second: NonZeroU32,
    /// Requests that may come at once.
    pub burst: NonZeroU32,
}

/// Access settings of the ingestion API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessConfig {
    /// The keys file; `None`: the API is open.
    pub keys_file: Option<PathBuf>,
    /// The rate limit per key (per client address without keys); `None`: no limit.
    pub rate_limit: Option<RateLimit>,
}

impl AccessConfig {
    /// Reads `env`.
    pub fn from(env: &Env) -> Result<Self, ConfigError> {
        let count = |name: &'static str| {
            env.parse_with(name, |t| {
                if t.is_empty() {
                    return Ok(None);
                }
                match t.parse::<u32>() {
                    Ok(0) => Ok(None),
                    Ok(n) => Ok(NonZeroU32::new(n)),
                    Err(_) => Err("expected a whole number (0 or unset: no limit)".to_owned()),
                }
            })
        };
        let per_second = count("RATE_LIMIT_PER_SECOND")?;
        let burst = count("RATE_LIMIT_BURST")?;
        let rate_limit = match (per_second, burst) {
            (Some(per_second), burst) => Some(RateLimit {
                per_second,
                burst: burst.unwrap_or(per_second),
            }),
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "RATE_LIMIT_BURST",
                    &env.get("RATE_LIMIT_BURST"),
                    "set RATE_LIMIT_PER_SECOND too: a burst alone limits nothing",
                ))
            }
            (None, None) => None,
        };
        Ok(Self {
            keys_file: env.optional("API_KEYS_FILE").map(PathBuf::from),
            rate_limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_by_default_and_limits_read() {
        let c = AccessConfig::from(&Env::from_pairs::<&str, &str>([])).expect("defaults");
        assert_eq!((c.keys_file, c.rate_limit), (None, None));
        let c = AccessConfig::from(&Env::from_pairs([
            ("API_KEYS_FILE", "/etc/keys"),
            ("RATE_LIMIT_PER_SECOND", "50"),
        ]))
        .expect("valid");
        assert_eq!(c.keys_file, Some(PathBuf::from("/etc/keys")));
        let limit = c.rate_limit.expect("a limit");
        assert_eq!((limit.per_second.get(), limit.burst.get()), (50, 50));
        let c = AccessConfig::from(&Env::from_pairs([
            ("RATE_LIMIT_PER_SECOND", "10"),
            ("RATE_LIMIT_BURST", "100"),
        ]))
        .expect("valid");
        assert_eq!(c.rate_limit.map(|l| l.burst.get()), Some(100));
        let err = AccessConfig::from(&Env::from_pairs([("RATE_LIMIT_BURST", "5")])).unwrap_err();
        assert_eq!(err.name, "RATE_LIMIT_BURST");
        let err =
            AccessConfig::from(&Env::from_pairs([("RATE_LIMIT_PER_SECOND", "fast")])).unwrap_err();
        assert_eq!(err.name, "RATE_LIMIT_PER_SECOND");
    }
}
