//! The MariaDB stages in a run: the server's settings recorded, tpch generated for MySQL
//! built (or found), then `copy-mysql` ([`super::limit`]) and `worker-mysql`
//! ([`super::drain`]); a stage that cannot run records why.

use std::path::Path;

use super::limit::MysqlWriteRun;
use crate::options::{Options, Sizes, StageName};
use crate::project::Project;
use crate::results::Results;
use crate::run::progress;

/// The MariaDB stages `options` names: the write limit and the upserts, then one worker's
/// drain of as many orders as the PostgreSQL worker stage would drain at that limit.
pub async fn run(
    r: &mut Results,
    options: &Options,
    nats_url: &str,
    sizes: Sizes,
    logs: &Path,
    seed: u64,
) {
    let admin_url = super::admin_url();
    match super::MariadbSettings::of_server(&admin_url).await {
        Ok(settings) => {
            progress(format!("MariaDB: {settings:?}"));
            r.mariadb = Some(settings);
        }
        Err(e) => {
            r.skipped.push(format!("MariaDB stages: {e}"));
            return;
        }
    }
    progress("generating and building examples/tpch for MySQL (release)");
    let project = match Project::generate_and_build_for_mysql() {
        Ok(p) => p,
        Err(e) => {
            r.skipped.push(format!("MariaDB stages: {e}"));
            return;
        }
    };
    if options.runs(StageName::CopyMysql) {
        let measured = super::limit::measure(
            &project,
            &admin_url,
            nats_url,
            seed,
            sizes.copy_messages,
            sizes.copy_batch,
            logs,
        )
        .await;
        match measured {
            Ok(c) => {
                for run in &c.runs {
                    progress(format!(
                        "MariaDB, {}: {:.0} rows/s, {:.0} msgs/s, verified {}",
                        run.strategy.label(),
                        run.rows_per_sec,
                        run.msgs_per_sec,
                        run.verified
                    ));
                }
                r.copy_mysql = Some(c);
            }
            Err(e) => r
                .skipped
                .push(format!("MariaDB write limit (copy-mysql): {e}")),
        }
    }
    if options.runs(StageName::WorkerMysql) {
        let limit = r.copy_mysql.as_ref().and_then(MysqlWriteRun::limit);
        let messages = sizes.worker_messages(limit);
        progress(format!("MariaDB worker x1: draining {messages} messages"));
        match super::drain::drain(&project, nats_url, &admin_url, messages, seed, logs).await {
            Ok(run) => {
                progress(format!(
                    "MariaDB worker x1: {:.0} msgs/s, {:.0} rows/s, verified {}",
                    run.msgs_per_sec, run.rows_per_sec, run.verified
                ));
                r.worker_mysql = Some(run);
            }
            Err(e) => r
                .skipped
                .push(format!("MariaDB worker (worker-mysql): {e}")),
        }
    }
}
