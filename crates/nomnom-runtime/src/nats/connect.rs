//! Opening the connection with the configured credentials and TLS.

use std::time::Duration;

use async_nats::ConnectOptions;

use super::error::NatsError;
use crate::config::nats::{NatsAuth, NatsConfig};

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest pause between reconnection attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(2);

pub(super) async fn connect(config: &NatsConfig) -> Result<async_nats::Client, NatsError> {
    let mut options = ConnectOptions::new()
        .name(format!("nomnom/{}", config.stream))
        .connection_timeout(CONNECT_TIMEOUT)
        // Reconnect for ever, quickly: a NATS restart must not need an API restart.
        .max_reconnects(None)
        .reconnect_delay_callback(|attempts| {
            let delay = Duration::from_millis(100).saturating_mul(attempts.min(20) as u32);
            delay.min(MAX_RECONNECT_DELAY)
        })
        .event_callback(|event| async move {
            match event {
                async_nats::Event::Connected => tracing::info!("NATS connected"),
                async_nats::Event::Disconnected => {
                    tracing::warn!("NATS disconnected; reconnecting")
                }
                other => tracing::info!(event = %other, "NATS event"),
            }
        });
    options = match &config.auth {
        NatsAuth::None => options,
        NatsAuth::CredsFile(path) => {
            options
                .credentials_file(path)
                .await
                .map_err(|source| NatsError::Credentials {
                    path: path.clone(),
                    source,
                })?
        }
        NatsAuth::Token(token) => options.token(token.clone()),
        NatsAuth::UserPassword { user, password } => {
            options.user_and_password(user.clone(), password.clone())
        }
    };
    if let Some(ca) = &config.tls.ca_file {
        options = options.add_root_certificates(ca.clone());
    }
    if let Some((cert, key)) = &config.tls.client_cert {
        options = options.add_client_certificate(cert.clone(), key.clone());
    }
    if config.tls.enabled() {
        options = options.require_tls(true);
    }
    options
        .connect(config.urls.as_slice())
        .await
        .map_err(|source| NatsError::Connect {
            urls: config.urls.join(","),
            source,
        })
}
