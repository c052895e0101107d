//! Reading variables: the process environment or, in tests, any lookup function. Unset
//! variables fall back to their documented default from [`super::variables::ENV_VARS`].

use std::fmt::Display;
use std::str::FromStr;

use super::variables::ENV_VARS;

/// A configuration value that cannot be used; start-up stops with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {name}={value:?}: {reason}")]
pub struct ConfigError {
    /// The variable's name.
    pub name: &'static str,
    /// The value found (secrets are masked).
    pub value: String,
    /// What is expected instead.
    pub reason: String,
}

impl ConfigError {
    /// An error for `name` having `value`, explaining `reason`.
    pub fn new(name: &'static str, value: &str, reason: impl Into<String>) -> Self {
        let secret = ENV_VARS.iter().any(|v| v.name == name && v.secret);
        Self {
            name,
            value: if secret {
                "<hidden>".to_owned()
            } else {
                value.to_owned()
            },
            reason: reason.into(),
        }
    }
}

/// A function from a variable's name to its value.
type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where variables come from.
pub struct Env {
    lookup: Lookup,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Env")
    }
}

impl Env {
    /// The process environment.
    pub fn process() -> Self {
        Self::from_fn(|name| std::env::var(name).ok())
    }

    /// Any lookup function (tests).
    pub fn from_fn(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self {
            lookup: Box::new(lookup),
        }
    }

    /// A fixed set of pairs; everything else is unset.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let map: std::collections::HashMap<String, String> = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self::from_fn(move |name| map.get(name).cloned())
    }

    /// The value of `name`, or its documented default. Empty values count as unset.
    ///
    /// # Panics
    /// When `name` is not listed in `ENV_VARS` (a programming error caught by tests).
    pub fn get(&self, name: &'static str) -> String {
        match (self.lookup)(name) {
            Some(value) if !value.trim().is_empty() => value.trim().to_owned(),
            _ => default_of(name).to_owned(),
        }
    }

    /// The value of `name` when set to something (its default counts), `None` when empty.
    pub fn optional(&self, name: &'static str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    /// The value of `name` parsed with [`FromStr`].
    pub fn parse<T>(&self, name: &'static str) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        let raw = self.get(name);
        raw.parse::<T>()
            .map_err(|err| ConfigError::new(name, &raw, err.to_string()))
    }

    /// The value of `name` parsed with `parse`.
    pub fn parse_with<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let raw = self.get(name);
        parse(&raw).map_err(|reason| ConfigError::new(name, &raw, reason))
    }
}

fn default_of(name: &str) -> &'static str {
    match ENV_VARS.iter().find(|v| v.name == name) {
        Some(var) => var.default,
        None => panic!("environment variable {name} is read but not listed in ENV_VARS"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_and_empty_values_use_the_default() {
        let env = Env::from_pairs([("NATS_STREAM", "  ")]);
        assert_eq!(env.get("NATS_STREAM"), "MESSAGES");
        assert_eq!(env.get("NATS_URL"), "nats://localhost:4222");
        assert_eq!(env.optional("NATS_TOKEN"), None);
    }

    #[test]
    fn secrets_are_masked_in_errors() {
        let err = ConfigError::new("NATS_PASSWORD", "hunter2", "bad");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = ConfigError::new("NATS_REPLICAS", "x", "bad");
        assert_eq!(err.to_string(), "invalid NATS_REPLICAS=\"x\": bad");
    }
}
