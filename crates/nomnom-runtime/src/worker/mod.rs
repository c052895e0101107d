//! The worker: pull batches from JetStream, validate, extract, write each batch in one
//! transaction, then acknowledge. Poison messages and records PostgreSQL refuses go to the
//! dead-letter stream; transient failures are retried with a backoff, and fetching pauses
//! while the database is down.
//!
//! Subcommands of the generated `worker` binary: none (run), `migrate`, `replay-dlq
//! [--dry-run]`.

pub mod batch;
pub mod dead_letter;
pub mod fetch;
pub mod gate;
pub mod health;
pub mod progress;
pub mod replay;
pub mod retention;
pub mod serve;
pub mod write;

use std::process::ExitCode;

use tokio::sync::watch;

use crate::config::worker::WorkerConfig;
use crate::config::{ConfigError, Env};
use crate::model::Model;

pub use replay::{replay_dlq, ReplayError, ReplayReport};
pub use serve::serve;

/// Why the worker could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// A variable has an unusable value.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A NATS request of `replay-dlq` failed.
    #[error("NATS: {0}")]
    Nats(#[from] ReplayError),
    /// Connecting to NATS or setting up the streams failed.
    #[error(transparent)]
    NatsSetup(#[from] crate::nats::NatsError),
    /// The consumer could not be created or updated.
    #[error(transparent)]
    Consumer(#[from] crate::nats::consumer::ConsumerSetupError),
    /// The migrations could not be applied: start-up stops.
    #[error(transparent)]
    Migration(#[from] crate::db::MigrationError),
    /// `HL7_TIMEZONE` is not a time zone.
    #[error("{0}")]
    Hl7Timezone(String),
    /// The health endpoint's port could not be bound.
    #[error("cannot listen on WORKER_HEALTH_PORT {0}: {1}")]
    Health(u16, #[source] std::io::Error),
}

/// A parsed command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Run the worker.
    Run,
    /// Apply the migrations and exit.
    Migrate,
    /// Replay the dead-letter stream.
    ReplayDlq {
        /// Report only.
        dry_run: bool,
    },
    /// Print usage.
    Help,
}

const USAGE: &str = "usage: worker [migrate | replay-dlq [--dry-run]]
  (no subcommand)        apply migrations, then consume the stream until SIGTERM/SIGINT
  migrate                apply the database migrations and exit
  replay-dlq [--dry-run] re-validate dead letters and republish those that now pass
Configuration comes from the environment (see .env.example).";

/// Parses the arguments after the program name.
pub fn parse_args(args: &[String]) -> Result<Command, String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => Ok(Command::Run),
        ["migrate"] => Ok(Command::Migrate),
        ["replay-dlq"] => Ok(Command::ReplayDlq { dry_run: false }),
        ["replay-dlq", "--dry-run"] => Ok(Command::ReplayDlq { dry_run: true }),
        ["-h" | "--help" | "help"] => Ok(Command::Help),
        other => Err(format!("unexpected arguments: {}", other.join(" "))),
    }
}

/// Turns SIGTERM or SIGINT into `true` on the returned channel.
fn shutdown_on_signals() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = terminate => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        tracing::info!("shutdown requested: finishing in-flight batches");
        let _ = tx.send(true);
    });
    rx
}

/// Runs the `worker` binary for model `M` (subcommands `migrate` and `replay-dlq`).
pub fn run<M: Model>() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    run_with_args::<M>(&args)
}

/// [`run`] with explicit arguments (those after the program name).
pub fn run_with_args<M: Model>(args: &[String]) -> ExitCode {
    let command = match parse_args(args) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(command) => command,
        Err(e) => {
            eprintln!("worker: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = crate::config::logging::init(&Env::process()) {
        eprintln!("worker: {e}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("worker: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let exporting = if command == Command::Run {
        match crate::telemetry::tracer::init(&Env::process(), &format!("{}-worker", M::PROJECT)) {
            Ok(exporting) => exporting,
            Err(e) => {
                eprintln!("worker: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let result = runtime.block_on(execute::<M>(command));
    if let Some(exporting) = exporting {
        exporting.shutdown();
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "worker stopped");
            eprintln!("worker: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn execute<M: Model>(command: Command) -> Result<(), WorkerError> {
    let config = WorkerConfig::from_env()?;
    config.database.check_for(M::DATABASE)?;
    crate::hl7::field::check_timezone().map_err(WorkerError::Hl7Timezone)?;
    match command {
        Command::Run => serve::<M>(config, shutdown_on_signals()).await,
        Command::Migrate => {
            let report = crate::db::Store::migrate(&config.database, M::MIGRATIONS).await?;
            println!(
                "migrations: {} applied ({:?}), {} already applied",
                report.applied.len(),
                report.applied,
                report.already_applied.len()
            );
            Ok(())
        }
        Command::ReplayDlq { dry_run } => {
            let nats = crate::nats::NatsClient::connect(config.nats.clone()).await?;
            let report = replay_dlq::<M>(nats.jetstream(), &config.nats, dry_run).await?;
            print!("{report}");
            Ok(())
        }
        Command::Help => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn subcommands_parse() {
        assert_eq!(parse_args(&args(&[])), Ok(Command::Run));
        assert_eq!(parse_args(&args(&["migrate"])), Ok(Command::Migrate));
        assert_eq!(
            parse_args(&args(&["replay-dlq", "--dry-run"])),
            Ok(Command::ReplayDlq { dry_run: true })
        );
        assert_eq!(
            parse_args(&args(&["replay-dlq"])),
            Ok(Command::ReplayDlq { dry_run: false })
        );
        assert!(parse_args(&args(&["replay-dlq", "--force"])).is_err());
        assert!(parse_args(&args(&["serve"])).is_err());
    }
}
