//! `NatsConfig`: the connection, the stream's limits and the publish timeout, shared by the
//! API and the worker so both create the stream with the same settings.

use std::path::PathBuf;
use std::time::Duration;

use super::env::{ConfigError, Env};
use super::units::{parse_duration, parse_size};

/// How the client authenticates to NATS (at most one way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NatsAuth {
    /// No credentials.
    None,
    /// A `.creds` file (JWT and NKey seed).
    CredsFile(PathBuf),
    /// A token.
    Token(String),
    /// User and password.
    UserPassword {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
}

/// TLS settings; TLS is on when any file is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NatsTls {
    /// CA certificate(s) the server's certificate must chain to.
    pub ca_file: Option<PathBuf>,
    /// Client certificate and key for mutual TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

impl NatsTls {
    /// Whether TLS is required.
    pub fn enabled(&self) -> bool {
        self.ca_file.is_some() || self.client_cert.is_some()
    }
}

/// NATS settings from the `NATS_*` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsConfig {
    /// Server URLs (comma-separated in `NATS_URL`).
    pub urls: Vec<String>,
    /// The stream name (`NATS_STREAM`), validated.
    pub stream: String,
    /// How long the stream keeps a message.
    pub max_age: Duration,
    /// Stream size limit in bytes; when reached, publishes are refused (discard new).
    pub max_bytes: u64,
    /// Stream replicas (1 to 5).
    pub replicas: usize,
    /// Window in which a repeated `Nats-Msg-Id` is a duplicate.
    pub duplicate_window: Duration,
    /// How long the dead-letter stream keeps a message.
    pub dlq_max_age: Duration,
    /// How long a publish waits for its acknowledgement.
    pub publish_timeout: Duration,
    /// Authentication.
    pub auth: NatsAuth,
    /// TLS.
    pub tls: NatsTls,
}

impl NatsConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from(&Env::process())
    }

    /// Reads `env`; every value is checked.
    pub fn from(env: &Env) -> Result<Self, ConfigError> {
        let url_text = env.get("NATS_URL");
        let urls: Vec<String> = url_text
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        if urls.is_empty() {
            return Err(ConfigError::new(
                "NATS_URL",
                &url_text,
                "at least one URL is required",
            ));
        }
        for url in &urls {
            let scheme_ok = !url.contains("://")
                || ["nats://", "tls://", "ws://", "wss://"]
                    .iter()
                    .any(|s| url.starts_with(s));
            if !scheme_ok || url.contains(char::is_whitespace) {
                return Err(ConfigError::new(
                    "NATS_URL",
                    &url_text,
                    "expected nats://host:port (or tls://, ws://, wss://), comma-separated",
                ));
            }
        }

        let stream = env.get("NATS_STREAM");
        validate_stream_name(&stream).map_err(|r| ConfigError::new("NATS_STREAM", &stream, r))?;

        let max_age = env.parse_with("NATS_MAX_AGE", parse_duration)?;
        if max_age.is_zero() {
            return Err(ConfigError::new(
                "NATS_MAX_AGE",
                &env.get("NATS_MAX_AGE"),
                "must be greater than zero",
            ));
        }
        let max_bytes = env.parse_with("NATS_MAX_BYTES", |t| {
            let size = parse_size(t)?;
            if size == 0 || size > i64::MAX as u64 {
                return Err("must be greater than zero".to_owned());
            }
            Ok(size)
        })?;
        let replicas = env.parse_with("NATS_REPLICAS", |t| match t.parse::<usize>() {
            Ok(n @ 1..=5) => Ok(n),
            _ => Err("expected a whole number from 1 to 5".to_owned()),
        })?;
        let duplicate_window = env.parse_with("NATS_DUPLICATE_WINDOW", parse_duration)?;
        if duplicate_window.is_zero() || duplicate_window > max_age {
            return Err(ConfigError::new(
                "NATS_DUPLICATE_WINDOW",
                &env.get("NATS_DUPLICATE_WINDOW"),
                format!(
                    "must be greater than zero and at most NATS_MAX_AGE ({})",
                    env.get("NATS_MAX_AGE")
                ),
            ));
        }
        let dlq_max_age = env.parse_with("NATS_DLQ_MAX_AGE", parse_duration)?;
        if dlq_max_age < duplicate_window {
            return Err(ConfigError::new(
                "NATS_DLQ_MAX_AGE",
                &env.get("NATS_DLQ_MAX_AGE"),
                "must be at least NATS_DUPLICATE_WINDOW",
            ));
        }
        let publish_timeout = env.parse_with("NATS_PUBLISH_TIMEOUT", parse_duration)?;
        if publish_timeout.is_zero() {
            return Err(ConfigError::new(
                "NATS_PUBLISH_TIMEOUT",
                &env.get("NATS_PUBLISH_TIMEOUT"),
                "must be greater than zero",
            ));
        }

        let auth = read_auth(env)?;
        let tls = read_tls(env)?;
        Ok(Self {
            urls,
            stream,
            max_age,
            max_bytes,
            replicas,
            duplicate_window,
            dlq_max_age,
            publish_timeout,
            auth,
            tls,
        })
    }

    /// The first subject token of this deployment: the stream name lowercased.
    pub fn subject_prefix(&self) -> String {
        self.stream.to_ascii_lowercase()
    }

    /// The dead-letter stream's name: `<STREAM>_DLQ`.
    pub fn dlq_stream(&self) -> String {
        format!("{}_DLQ", self.stream)
    }

    /// The subject messages of root entity `entity` are published on.
    pub fn ingest_subject(&self, entity: &str) -> String {
        format!("{}.ingest.{entity}", self.subject_prefix())
    }

    /// The subject dead letters of root entity `entity` are published on.
    pub fn dlq_subject(&self, entity: &str) -> String {
        format!("{}.dlq.{entity}", self.subject_prefix())
    }
}

/// Checks a stream name: 1 to 32 characters among letters, digits, `-` and `_` (so that its
/// lowercase form is a valid subject token and `<name>_DLQ` is a valid stream name).
pub fn validate_stream_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 32 {
        return Err("must be 1 to 32 characters long".to_owned());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("may contain only letters, digits, `-` and `_`".to_owned());
    }
    if name.to_ascii_uppercase().ends_with("_DLQ") {
        return Err("must not end with _DLQ (reserved for the dead-letter stream)".to_owned());
    }
    Ok(())
}

fn read_auth(env: &Env) -> Result<NatsAuth, ConfigError> {
    let creds = env.optional("NATS_CREDS_FILE");
    let token = env.optional("NATS_TOKEN");
    let user = env.optional("NATS_USER");
    let password = env.optional("NATS_PASSWORD");
    let ways = [
        creds.is_some(),
        token.is_some(),
        user.is_some() || password.is_some(),
    ]
    .iter()
    .filter(|set| **set)
    .count();
    if ways > 1 {
        let name = if creds.is_some() {
            "NATS_CREDS_FILE"
        } else {
            "NATS_TOKEN"
        };
        return Err(ConfigError::new(
            name,
            &env.get(name),
            "set only one of NATS_CREDS_FILE, NATS_TOKEN, or NATS_USER with NATS_PASSWORD",
        ));
    }
    Ok(match (creds, token, user, password) {
        (Some(path), _, _, _) => NatsAuth::CredsFile(PathBuf::from(path)),
        (_, Some(token), _, _) => NatsAuth::Token(token),
        (_, _, Some(user), Some(password)) => NatsAuth::UserPassword { user, password },
        (_, _, Some(user), None) => {
            return Err(ConfigError::new(
                "NATS_PASSWORD",
                "",
                format!("is required with NATS_USER={user}"),
            ))
        }
        (_, _, None, Some(_)) => {
            return Err(ConfigError::new(
                "NATS_USER",
                "",
                "is required with NATS_PASSWORD",
            ))
        }
        _ => NatsAuth::None,
    })
}

fn read_tls(env: &Env) -> Result<NatsTls, ConfigError> {
    let ca_file = env.optional("NATS_TLS_CA_FILE").map(PathBuf::from);
    let cert = env.optional("NATS_TLS_CERT_FILE");
    let key = env.optional("NATS_TLS_KEY_FILE");
    let client_cert = match (cert, key) {
        (Some(cert), Some(key)) => Some((PathBuf::from(cert), PathBuf::from(key))),
        (Some(cert), None) => {
            return Err(ConfigError::new(
                "NATS_TLS_KEY_FILE",
                "",
                format!("is required with NATS_TLS_CERT_FILE={cert}"),
            ))
        }
        (None, Some(key)) => {
            return Err(ConfigError::new(
                "NATS_TLS_CERT_FILE",
                "",
                format!("is required with NATS_TLS_KEY_FILE={key}"),
            ))
        }
        (None, None) => None,
    };
    Ok(NatsTls {
        ca_file,
        client_cert,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<NatsConfig, ConfigError> {
        NatsConfig::from(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.urls, vec!["nats://localhost:4222"]);
        assert_eq!(c.stream, "MESSAGES");
        assert_eq!(c.max_age, Duration::from_secs(86_400));
        assert_eq!(c.max_bytes, 1_000_000_000);
        assert_eq!(c.replicas, 1);
        assert_eq!(c.duplicate_window, Duration::from_secs(120));
        assert_eq!(c.dlq_max_age, Duration::from_secs(7 * 86_400));
        assert_eq!(c.publish_timeout, Duration::from_secs(5));
        assert_eq!(c.auth, NatsAuth::None);
        assert!(!c.tls.enabled());
        assert_eq!(c.ingest_subject("Order"), "messages.ingest.Order");
        assert_eq!(c.dlq_subject("Order"), "messages.dlq.Order");
        assert_eq!(c.dlq_stream(), "MESSAGES_DLQ");
    }

    #[test]
    fn values_are_read() {
        let c = config(&[
            ("NATS_URL", "nats://a:4222, nats://b:4222"),
            ("NATS_STREAM", "Orders-2"),
            ("NATS_MAX_BYTES", "1GiB"),
            ("NATS_REPLICAS", "3"),
            ("NATS_USER", "api"),
            ("NATS_PASSWORD", "pw"),
            ("NATS_TLS_CA_FILE", "/ca.pem"),
        ])
        .expect("valid");
        assert_eq!(c.urls.len(), 2);
        assert_eq!(c.max_bytes, 1 << 30);
        assert_eq!(c.replicas, 3);
        assert_eq!(c.subject_prefix(), "orders-2");
        assert_eq!(
            c.auth,
            NatsAuth::UserPassword {
                user: "api".into(),
                password: "pw".into()
            }
        );
        assert!(c.tls.enabled());
    }

    #[test]
    fn invalid_values_name_the_variable_and_value() {
        let cases: &[(&str, &str)] = &[
            ("NATS_MAX_AGE", "forever"),
            ("NATS_MAX_BYTES", "lots"),
            ("NATS_REPLICAS", "7"),
            ("NATS_DUPLICATE_WINDOW", "48h"),
            ("NATS_STREAM", "my.stream"),
            ("NATS_STREAM", "ORDERS_DLQ"),
            ("NATS_PUBLISH_TIMEOUT", "0s"),
            ("NATS_URL", "http://x"),
        ];
        for (name, value) in cases {
            let err = config(&[(name, value)]).expect_err(name);
            assert_eq!(err.name, *name, "{err}");
            assert!(err.to_string().contains(value), "{err}");
        }
        let err = config(&[("NATS_USER", "u")]).expect_err("password missing");
        assert_eq!(err.name, "NATS_PASSWORD");
        let err = config(&[
            ("NATS_TOKEN", "t"),
            ("NATS_USER", "u"),
            ("NATS_PASSWORD", "p"),
        ])
        .expect_err("two ways");
        assert_eq!(err.name, "NATS_TOKEN");
        assert!(!err.to_string().contains("\"t\""), "token leaked: {err}");
        let err = config(&[("NATS_TLS_CERT_FILE", "/c.pem")]).expect_err("key missing");
        assert_eq!(err.name, "NATS_TLS_KEY_FILE");
    }
}
