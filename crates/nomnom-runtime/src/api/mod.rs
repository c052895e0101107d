//! The HTTP ingestion API: validate, wrap in an envelope, publish to JetStream and wait for
//! the acknowledgement, answer 202.

use std::process::ExitCode;

use crate::model::Model;

/// Runs the `ingestion-api` binary for model `M`.
pub fn run<M: Model>() -> ExitCode {
    eprintln!("ingestion-api for {}: not built yet", M::PROJECT);
    ExitCode::FAILURE
}
