//! Logs: `RUST_LOG` filters, `LOG_FORMAT` chooses text for people or JSON for pipelines.

use tracing_subscriber::EnvFilter;

use super::env::{ConfigError, Env};

/// Installs the global tracing subscriber from `RUST_LOG` and `LOG_FORMAT`. Calling it again
/// (a second binary in one test process) keeps the first subscriber.
pub fn init(env: &Env) -> Result<(), ConfigError> {
    let filter_text = env.get("RUST_LOG");
    let filter = EnvFilter::try_new(&filter_text)
        .map_err(|e| ConfigError::new("RUST_LOG", &filter_text, e.to_string()))?;
    let format = env.get("LOG_FORMAT");
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _already_set = match format.as_str() {
        "text" => builder.try_init(),
        "json" => builder.json().flatten_event(true).try_init(),
        _ => {
            return Err(ConfigError::new(
                "LOG_FORMAT",
                &format,
                "expected `text` or `json`",
            ))
        }
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_format_or_filter_is_a_start_up_error() {
        let err = init(&Env::from_pairs([("LOG_FORMAT", "xml")])).expect_err("format");
        assert_eq!(err.name, "LOG_FORMAT");
        let err = init(&Env::from_pairs([("RUST_LOG", "info,[")])).expect_err("filter");
        assert_eq!(err.name, "RUST_LOG");
    }
}
