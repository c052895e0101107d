//! nomnom's benchmark program: the generated `examples/tpch` pipeline measured in one run
//! against the limits of the NATS and PostgreSQL it runs on (issue 6), against the same
//! model with computed fields (issue 16), HL7 v2 messages against JSON documents carrying
//! the same lab reports (issue 17), and the API with keys and a rate limit against the open
//! API (issue 20); the pairs compared are in [`variant`]. The worker on MariaDB is measured
//! against MariaDB's own limit, `LOAD DATA LOCAL INFILE`, beside the set-based upserts it
//! could use ([`mysql`], issue 21).
//!
//! Every stage records its figures and their ratio to the matching limit from the same run;
//! [`report`] prints them as Markdown, JSON and SVG charts. Benchmarks are never pass/fail:
//! a stage that cannot run records why and the others go on.

pub mod api_keys;
pub mod api_load;
pub mod backlog;
pub mod copy;
pub mod cpu;
pub mod end_to_end;
pub mod first_loop;
pub mod http1;
pub mod machine;
pub mod minimal_api;
pub mod mllp_load;
pub mod mysql;
pub mod options;
pub mod pair_cost;
pub mod pair_stage;
pub mod payloads;
pub mod pg_writes;
pub mod posting;
pub mod project;
pub mod publish;
pub mod raw_orders;
pub mod recording;
pub mod report;
pub mod results;
pub mod rows_digest;
pub mod run;
pub mod schedule;
pub mod services;
pub mod stats;
pub mod status_size;
pub mod variant;
pub mod witness;
pub mod worker_bench;

/// Why a stage could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Talking to NATS failed.
    #[error("NATS: {0}")]
    Nats(String),
    /// Talking to PostgreSQL failed.
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    /// Talking to MySQL or MariaDB failed.
    #[error("MariaDB: {0}")]
    Mysql(String),
    /// A generated binary or the generator could not be built or run.
    #[error("generated project: {0}")]
    Project(String),
    /// A value did not fit the column it goes to.
    #[error("row data: {0}")]
    Data(String),
    /// Reading or writing a file.
    #[error("{0}")]
    Io(String),
}
