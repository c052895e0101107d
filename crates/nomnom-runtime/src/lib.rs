//! nomnom-runtime: everything a generated ingestion service needs that does not vary with
//! the model. Generated code implements [`model::Model`] and calls [`api::run`] and
//! [`worker::run`].
//!
//! Each generated project carries a copy of this crate (its `runtime/` folder, marked "do not
//! edit"), written by `nomnom generate` and brought up to date only by generating again.
//! Generated code reaches third-party crates only through [`export`], so the runtime's
//! insides (and its dependencies' versions) can change from one nomnom version to the next
//! without the generated code changing.

pub mod api;
/// The built-in functions of computed fields (`upper(trim(raw_id))`), with PostgreSQL's
/// semantics, called directly by generated code.
pub mod compute;
pub mod config;
pub mod db;
pub mod envelope;
pub mod hl7;
pub mod json;
/// HL7 v2 messages over MLLP: framing and the TCP listener.
pub mod mllp;
pub mod model;
pub mod nats;
pub mod preview;
pub mod status;
pub mod telemetry;
pub mod time_text;
pub mod worker;

pub use model::{Child, Entity, Model};
/// The derives generated code states its model with (`#[derive(Entity)]` on each entity's
/// struct, `#[derive(Model)]` on the enum of root records).
pub use nomnom_derive::{Entity, Model};

/// The Rust types of the model's columns, as generated entities name them.
pub mod types {
    pub use crate::json::Json;
    pub use chrono::{DateTime, NaiveDate, Utc};
    pub use rust_decimal::Decimal;
    pub use uuid::Uuid;
}

/// The third-party crates generated code uses, re-exported so a generated project depends on
/// `nomnom-runtime` alone.
pub mod export {
    pub use chrono;
    pub use regex;
    pub use rust_decimal;
    pub use serde_json;
    pub use tokio;
    pub use tokio_postgres;
    pub use uuid;
}
