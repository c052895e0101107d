//! MariaDB (issue 21): the write limit (`LOAD DATA LOCAL INFILE`) beside the two set-based
//! upserts a worker could use, on the same rows, and the generated worker's drain against
//! the limit.

use crate::report::format::{opt, percent, rate, table};
use crate::results::Results;

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes / (1 << 20))
}

fn server(r: &Results) -> String {
    let Some(s) = &r.mariadb else {
        return String::new();
    };
    format!(
        "Server: {}, `innodb_buffer_pool_size` {}, `innodb_log_file_size` {}, \
         `innodb_flush_log_at_trx_commit={}` (1: the log flushed at every commit), \
         `max_allowed_packet` {}.",
        s.version,
        mib(s.innodb_buffer_pool_size),
        mib(s.innodb_log_file_size),
        s.innodb_flush_log_at_trx_commit,
        mib(s.max_allowed_packet)
    )
}

/// The write ways' table, then the worker's.
pub(super) fn write(out: &mut String, r: &Results) {
    if let Some(c) = &r.copy_mysql {
        let rows: Vec<String> = c
            .runs
            .iter()
            .map(|s| {
                format!(
                    "{} | {} | {} | {} | {} | {}",
                    s.strategy.label(),
                    s.rows,
                    rate(s.rows_per_sec),
                    rate(s.msgs_per_sec),
                    percent(s.ratio_to_load_data),
                    if s.verified { "yes" } else { "**no**" }
                )
            })
            .collect();
        let faster = c.faster_upsert().map_or_else(String::new, |f| {
            format!(" The faster upsert here: {}.", f.strategy.label())
        });
        table(
            out,
            "MariaDB: write limit and set-based upserts on the same rows",
            &format!(
                "{} orders and their line items ({} rows, the hidden columns included), {} \
                 orders per transaction, each way into a database of its own migrated by the \
                 generated worker; every batch's rows are made once and written by the three \
                 ways in turn, the first rotating. Only the transactions are timed (the \
                 statements or `LOAD DATA` text are made inside them). The upserts do the \
                 worker's work: the version guard in every assignment, the orders' stored ids \
                 read back, the written orders' children deleted before theirs are written.{faster} \
                 {}",
                c.messages,
                c.rows,
                c.batch_messages,
                server(r)
            ),
            &["way", "rows", "rows/s", "msgs/s", "of LOAD DATA", "verified"],
            &rows,
        );
    }
    if let Some(w) = &r.worker_mysql {
        table(
            out,
            "MariaDB: the worker draining a pre-filled stream",
            "`examples/tpch` generated with `--database mysql`, one worker, status tracking \
             on. Ratio: to `LOAD DATA LOCAL INFILE` in messages per second (goal: at least 50%).",
            &[
                "processes",
                "messages",
                "msgs/s",
                "rows/s",
                "of LOAD DATA",
                "peak RSS MiB",
                "worker CPU s",
                "verified",
            ],
            &[format!(
                "{} | {} | {} | {} | {} | {} | {} | {}",
                w.processes,
                w.messages,
                rate(w.msgs_per_sec),
                rate(w.rows_per_sec),
                percent(w.ratio_to_copy),
                opt(w.peak_rss_kib, |k| format!("{:.1}", k as f64 / 1024.0)),
                opt(w.worker_cpu_seconds, |c| format!("{c:.1}")),
                if w.verified { "yes" } else { "**no**" }
            )],
        );
    }
}
