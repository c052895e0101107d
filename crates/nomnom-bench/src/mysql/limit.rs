//! The `copy-mysql` stage: MariaDB's write limit and the two set-based upserts, on the same
//! rows. Each way ([`Strategy`]) writes into a database of its own, migrated by the
//! generated `worker migrate`; every batch's rows are made once (the orders, their line items
//! and the ids the runtime proposes for them) and written by the three ways in turn, the
//! first of them rotating from batch to batch, so a machine that drifts weighs on all alike.
//! Afterwards each database is counted against what was sent.

use std::path::Path;
use std::time::Duration;

use nomnom_testkit::mysql_database::MysqlTestDatabase;
use serde::Serialize;

use super::rows::{self, BatchRows};
use super::strategies::{self, Strategy};
use super::{connect, landed, Infiles, MariadbSettings};
use crate::payloads::{self, CHUNK};
use crate::project::Project;
use crate::services::{self, Target};
use crate::stats::{rate, ratio};
use crate::BenchError;

/// One way of writing, over all the batches.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyRun {
    /// The way.
    pub strategy: Strategy,
    /// Rows the server reported written over both tables.
    pub rows: u64,
    /// Time spent in the transactions, seconds (making the rows is not counted; turning
    /// them into statements or `LOAD DATA` text is).
    pub seconds: f64,
    /// Rows per second.
    pub rows_per_sec: f64,
    /// Orders per second.
    pub msgs_per_sec: f64,
    /// `msgs_per_sec` over the `LOAD DATA` limit's.
    pub ratio_to_load_data: Option<f64>,
    /// The database held every order and line item sent, once.
    pub verified: bool,
}

/// The `copy-mysql` stage's figures.
#[derive(Debug, Clone, Serialize)]
pub struct MysqlWriteRun {
    /// Orders written by each way.
    pub messages: u64,
    /// Rows over both tables in those orders.
    pub rows: u64,
    /// Orders per transaction.
    pub batch_messages: usize,
    /// Each way, in [`Strategy::ALL`] order.
    pub runs: Vec<StrategyRun>,
}

impl MysqlWriteRun {
    /// The run of `strategy`.
    pub fn run(&self, strategy: Strategy) -> Option<&StrategyRun> {
        self.runs.iter().find(|r| r.strategy == strategy)
    }

    /// The limit: `LOAD DATA`'s orders per second.
    pub fn limit(&self) -> Option<f64> {
        self.run(Strategy::LoadData).map(|r| r.msgs_per_sec)
    }

    /// Fills each way's ratio to the `LOAD DATA` limit.
    pub fn fill_ratios(&mut self) {
        let limit = self.limit();
        for run in &mut self.runs {
            run.ratio_to_load_data = ratio(run.msgs_per_sec, limit);
        }
    }

    /// The faster of the two upserts.
    pub fn faster_upsert(&self) -> Option<&StrategyRun> {
        self.runs
            .iter()
            .filter(|r| r.strategy != Strategy::LoadData)
            .max_by(|a, b| a.msgs_per_sec.total_cmp(&b.msgs_per_sec))
    }
}

/// One way of writing: its database, migrated, its connection, and what it wrote.
struct Way {
    strategy: Strategy,
    db: MysqlTestDatabase,
    conn: mysql_async::Conn,
    rows: u64,
    spent: Duration,
}

/// Writes `count` orders drawn from `seed`, `batch` orders per transaction, each way into a
/// fresh database on the server of `admin_url` migrated by `project`'s worker.
pub async fn measure(
    project: &Project,
    admin_url: &str,
    nats_url: &str,
    seed: u64,
    count: u64,
    batch: usize,
    logs: &Path,
) -> Result<MysqlWriteRun, BenchError> {
    let infiles = Infiles::default();
    let mut targets = Vec::with_capacity(Strategy::ALL.len());
    for strategy in Strategy::ALL {
        let db = MysqlTestDatabase::create(admin_url).await;
        let target = Target {
            nats_url: nats_url.to_string(),
            stream: "NOMNOM_BENCH_MYSQL_WRITES".into(),
            database_url: db.url(),
            extra: Vec::new(),
        };
        services::migrate(project, &target, logs).await?;
        let conn = connect(&db.url(), &infiles).await?;
        targets.push(Way {
            strategy,
            db,
            conn,
            rows: 0,
            spent: Duration::ZERO,
        });
    }
    let server = MariadbSettings::read(&mut targets[0].conn).await?;
    if !server.local_infile {
        return Err(BenchError::Mysql(
            "the server refuses LOAD DATA LOCAL INFILE: start it with local_infile=1".into(),
        ));
    }
    let tables = (
        rows::table(&mut targets[0].conn, rows::ORDERS).await?,
        rows::table(&mut targets[0].conn, rows::LINE_ITEMS).await?,
    );
    for t in &mut targets {
        if t.strategy == Strategy::StagingUpsert {
            strategies::create_staging(&mut t.conn, &BatchRows::of(tables, &[])?).await?;
        }
    }

    let (mut messages, mut sent_orders, mut sent_items) = (0u64, 0u64, 0u64);
    let mut batch_number = 0usize;
    for k in 0..count.div_ceil(CHUNK).max(1) {
        let mut orders = payloads::order_chunks(seed, k, 1);
        orders.truncate(count.saturating_sub(k * CHUNK) as usize);
        for part in orders.chunks(batch.max(1)) {
            let rows = BatchRows::of(tables, part)?;
            sent_orders += rows.orders.len() as u64;
            sent_items += rows.line_items.len() as u64;
            messages += part.len() as u64;
            for i in 0..targets.len() {
                let t = &mut targets[(batch_number + i) % Strategy::ALL.len()];
                let (written, took) =
                    strategies::write(t.strategy, &mut t.conn, &infiles, &rows).await?;
                t.rows += written;
                t.spent += took;
            }
            batch_number += 1;
        }
    }

    let mut runs = Vec::with_capacity(targets.len());
    for mut t in targets {
        let (roots, children, _) =
            landed(&mut t.conn, &[rows::ORDERS.table, rows::LINE_ITEMS.table]).await?;
        let verified = roots == sent_orders && children == sent_items;
        if !verified {
            eprintln!(
                "warning: {}: expected {sent_orders} orders / {sent_items} line items, found \
                 {roots} / {children}",
                t.strategy.label()
            );
        }
        let _ = t.conn.disconnect().await;
        drop(t.db);
        runs.push(StrategyRun {
            strategy: t.strategy,
            rows: t.rows,
            seconds: t.spent.as_secs_f64(),
            rows_per_sec: rate(t.rows, t.spent),
            msgs_per_sec: rate(messages, t.spent),
            ratio_to_load_data: None,
            verified,
        });
    }
    let mut measured = MysqlWriteRun {
        messages,
        rows: sent_orders + sent_items,
        batch_messages: batch,
        runs,
    };
    measured.fill_ratios();
    Ok(measured)
}
