//! The worker: pull batches from JetStream, validate, extract, write each batch in one
//! transaction, then acknowledge.

use std::process::ExitCode;

use crate::model::Model;

/// Runs the `worker` binary for model `M` (subcommands `migrate` and `replay-dlq`).
pub fn run<M: Model>() -> ExitCode {
    eprintln!("worker for {}: not built yet", M::PROJECT);
    ExitCode::FAILURE
}
