//! `MllpConfig`: whether the API also listens for MLLP, and the listener's limits.

use std::time::Duration;

use crate::config::units::{parse_duration, parse_size};
use crate::config::{ConfigError, Env};

/// Settings of the MLLP listener, read from `MLLP_*` (see
/// [`crate::config::variables::ENV_VARS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MllpConfig {
    /// Listen port (`MLLP_PORT`), on the API's `HOST`.
    pub port: u16,
    /// Largest payload of one frame (`MLLP_MAX_FRAME_BYTES`; unset: `API_MAX_BODY_BYTES`).
    /// A longer frame closes its connection without an answer.
    pub max_frame_bytes: usize,
    /// How long a connection may stay silent, or leave an answer unread, before it is
    /// closed (`MLLP_IDLE_TIMEOUT`).
    pub idle_timeout: Duration,
    /// How long one frame may take to arrive once its first byte has (`MLLP_FRAME_TIMEOUT`):
    /// a frame trickled in byte by byte would otherwise hold its connection, and a place under
    /// `max_connections`, for as long as each byte beats the idle timeout.
    pub frame_timeout: Duration,
    /// Connections served at once (`MLLP_MAX_CONNECTIONS`); one more is closed at once.
    pub max_connections: usize,
}

impl MllpConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        Self::from(&Env::process())
    }

    /// Reads `env`: `None` when `MLLP_PORT` is unset (no MLLP listener). Every `MLLP_*` value
    /// is checked either way, so a typo is found before the port is turned on.
    pub fn from(env: &Env) -> Result<Option<Self>, ConfigError> {
        let max_frame_bytes = match env.optional("MLLP_MAX_FRAME_BYTES") {
            Some(_) => env.parse_with("MLLP_MAX_FRAME_BYTES", positive_size)?,
            None => env.parse_with("API_MAX_BODY_BYTES", positive_size)?,
        };
        let idle_timeout = env.parse_with("MLLP_IDLE_TIMEOUT", positive_duration)?;
        let frame_timeout = env.parse_with("MLLP_FRAME_TIMEOUT", positive_duration)?;
        let max_connections = env.parse_with("MLLP_MAX_CONNECTIONS", |t| match t.parse() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err("expected a whole number greater than zero".to_owned()),
        })?;
        let Some(port_text) = env.optional("MLLP_PORT") else {
            return Ok(None);
        };
        let port = match port_text.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => {
                return Err(ConfigError::new(
                    "MLLP_PORT",
                    &port_text,
                    "expected a port number from 1 to 65535, or nothing for no MLLP listener",
                ))
            }
        };
        if env.get("PORT").parse::<u16>() == Ok(port) {
            return Err(ConfigError::new(
                "MLLP_PORT",
                &port_text,
                "the HTTP API listens on this port (PORT); choose another",
            ));
        }
        Ok(Some(Self {
            port,
            max_frame_bytes,
            idle_timeout,
            frame_timeout,
            max_connections,
        }))
    }
}

fn positive_duration(text: &str) -> Result<Duration, String> {
    Some(parse_duration(text)?)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "must be longer than zero".to_owned())
}

fn positive_size(text: &str) -> Result<usize, String> {
    usize::try_from(parse_size(text)?)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| "must be greater than zero".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<MllpConfig>, ConfigError> {
        MllpConfig::from(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn no_port_no_listener() {
        assert_eq!(read(&[]), Ok(None));
        assert_eq!(read(&[("MLLP_PORT", "  ")]), Ok(None));
    }

    #[test]
    fn defaults() {
        let config = read(&[("MLLP_PORT", "2575")]).expect("valid").expect("on");
        assert_eq!(
            config,
            MllpConfig {
                port: 2575,
                max_frame_bytes: 1 << 20,
                idle_timeout: Duration::from_secs(300),
                frame_timeout: Duration::from_secs(30),
                max_connections: 1024,
            }
        );
    }

    #[test]
    fn the_frame_limit_follows_the_api_body_limit_unless_set() {
        let config = read(&[("MLLP_PORT", "2575"), ("API_MAX_BODY_BYTES", "64KiB")])
            .expect("valid")
            .expect("on");
        assert_eq!(config.max_frame_bytes, 64 << 10);
        let config = read(&[
            ("MLLP_PORT", "2575"),
            ("API_MAX_BODY_BYTES", "64KiB"),
            ("MLLP_MAX_FRAME_BYTES", "2MB"),
        ])
        .expect("valid")
        .expect("on");
        assert_eq!(config.max_frame_bytes, 2_000_000);
    }

    #[test]
    fn values_as_written() {
        let config = read(&[
            ("MLLP_PORT", "6661"),
            ("MLLP_IDLE_TIMEOUT", "90s"),
            ("MLLP_FRAME_TIMEOUT", "5s"),
            ("MLLP_MAX_CONNECTIONS", "16"),
        ])
        .expect("valid")
        .expect("on");
        assert_eq!(config.port, 6661);
        assert_eq!(config.idle_timeout, Duration::from_secs(90));
        assert_eq!(config.frame_timeout, Duration::from_secs(5));
        assert_eq!(config.max_connections, 16);
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (pairs, name) in [
            (&[("MLLP_PORT", "hl7")][..], "MLLP_PORT"),
            (&[("MLLP_PORT", "0")], "MLLP_PORT"),
            (&[("MLLP_PORT", "70000")], "MLLP_PORT"),
            (&[("MLLP_PORT", "8080")], "MLLP_PORT"),
            (&[("MLLP_PORT", "9000"), ("PORT", "9000")], "MLLP_PORT"),
            (&[("MLLP_MAX_FRAME_BYTES", "0")], "MLLP_MAX_FRAME_BYTES"),
            (&[("MLLP_MAX_FRAME_BYTES", "1.5MB")], "MLLP_MAX_FRAME_BYTES"),
            (&[("API_MAX_BODY_BYTES", "lots")], "API_MAX_BODY_BYTES"),
            (&[("MLLP_IDLE_TIMEOUT", "5")], "MLLP_IDLE_TIMEOUT"),
            (&[("MLLP_IDLE_TIMEOUT", "0s")], "MLLP_IDLE_TIMEOUT"),
            (&[("MLLP_FRAME_TIMEOUT", "0s")], "MLLP_FRAME_TIMEOUT"),
            (&[("MLLP_FRAME_TIMEOUT", "soon")], "MLLP_FRAME_TIMEOUT"),
            (&[("MLLP_MAX_CONNECTIONS", "0")], "MLLP_MAX_CONNECTIONS"),
            (&[("MLLP_MAX_CONNECTIONS", "-1")], "MLLP_MAX_CONNECTIONS"),
        ] {
            let err = read(pairs).expect_err(name);
            assert_eq!(err.name, name, "{pairs:?}: {err}");
        }
        // Checked even while MLLP is off.
        let err = read(&[("MLLP_MAX_CONNECTIONS", "many")]).expect_err("checked");
        assert_eq!(
            err.to_string(),
            "invalid MLLP_MAX_CONNECTIONS=\"many\": expected a whole number greater than zero"
        );
    }
}
