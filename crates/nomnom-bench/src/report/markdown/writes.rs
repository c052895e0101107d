//! The write side: the binary COPY limit, and the worker draining a pre-filled stream against it.

use crate::report::format::{opt, percent, pg_writes_cells, rate, table};
use crate::results::Results;

/// The COPY limit's table.
pub(super) fn copy(out: &mut String, r: &Results) {
    if let Some(c) = &r.copy {
        table(
            out,
            "Write limit: binary COPY of the worker's rows",
            "Orders and line items with the hidden columns, into the tables `worker migrate` \
             created, one transaction per batch; preparing rows is not timed.",
            &[
                "messages",
                "rows",
                "orders/transaction",
                "rows/s",
                "msgs/s",
                "checkpoints (requested)",
                "WAL bytes/msg",
            ],
            &[format!(
                "{} | {} | {} | {} | {} | {}",
                c.messages,
                c.rows,
                c.batch_messages,
                rate(c.rows_per_sec),
                rate(c.msgs_per_sec),
                pg_writes_cells(c.postgres_writes.as_ref(), c.messages)
            )],
        );
    }
}

/// The worker drains' table.
pub(super) fn workers(out: &mut String, r: &Results) {
    let workers: Vec<String> = r
        .workers
        .iter()
        .map(|w| {
            format!(
                "{} | {} | {} | {} | {} | {} | {} | {} | {} | {}",
                w.mode,
                w.processes,
                w.messages,
                rate(w.msgs_per_sec),
                rate(w.rows_per_sec),
                percent(w.ratio_to_copy),
                opt(w.peak_rss_kib, |k| format!("{:.1}", k as f64 / 1024.0)),
                opt(w.worker_cpu_seconds, |c| format!("{c:.1}")),
                pg_writes_cells(w.postgres_writes.as_ref(), w.messages),
                if w.verified { "yes" } else { "**no**" }
            )
        })
        .collect();
    table(
        out,
        "Worker: draining a pre-filled stream (upserts, status tracking on)",
        "Ratio: to the COPY limit in messages per second. Verified: the tables and \
         `message_status` hold exactly what was sent. Checkpoints: those PostgreSQL ran during \
         the drain (requested ones mostly because the WAL reached `max_wal_size`); after each, \
         the first change of every page writes a full page image, so the WAL per message \
         grows.",
        &[
            "mode",
            "processes",
            "messages",
            "msgs/s",
            "rows/s",
            "of COPY",
            "peak RSS MiB",
            "worker CPU s",
            "checkpoints (requested)",
            "WAL bytes/msg",
            "verified",
        ],
        &workers,
    );
}
