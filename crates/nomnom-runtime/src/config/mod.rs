//! Configuration from the environment. Every variable is listed, with its default and
//! meaning, in [`variables::ENV_VARS`]; invalid values stop start-up with a clear message.

pub mod access;
pub mod api;
pub mod database;
pub mod database_tls;
pub mod env;
pub mod logging;
pub mod nats;
pub mod status;
pub mod telemetry;
pub mod units;
pub mod variables;
pub mod worker;

pub use access::AccessConfig;
pub use api::ApiConfig;
pub use database::DatabaseConfig;
pub use env::{ConfigError, Env};
pub use nats::NatsConfig;
pub use status::StatusRetention;
pub use telemetry::TelemetryConfig;
