//! Writing valid records: one transaction for the whole batch (rows + `persisted` status
//! rows, with a note for a message whose rows a newer stored version kept out), and when
//! PostgreSQL refuses a record, splitting the batch in halves until the refused messages
//! are alone, so their neighbours are still written.

use std::ops::Range;
use std::time::Duration;

use deadpool_postgres::{Object, Pool};
use uuid::Uuid;

use crate::db::classify::{classify, describe, FailureClass};
use crate::db::mysql;
use crate::db::version;
use crate::db::Store;
use crate::model::{Model, RowBatch};
use crate::status::worker_updates::{mark_persisted, StatusUpdate};

/// What happened to one message's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Committed with its `persisted` status.
    Persisted,
    /// PostgreSQL refuses this message's rows: dead-letter it.
    Rejected(String),
    /// The database failed for reasons of the moment: retry later.
    Transient(String),
}

/// One message to write.
pub struct Item<'r, R> {
    /// The message id.
    pub message_id: Uuid,
    /// The order in which the API accepted it (its envelope's version).
    pub version: Uuid,
    /// Its validated record.
    pub record: &'r R,
    /// Its status row (written as `persisted` in the same transaction).
    pub status: StatusUpdate,
}

/// What the transactions of one batch wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    /// Rows written over all tables.
    pub rows: u64,
    /// Rows written per table.
    pub tables: Vec<(&'static str, u64)>,
    /// Messages persisted with some rows not applied (a newer version was stored).
    pub superseded: usize,
}

impl Written {
    fn add(&mut self, other: Written) {
        self.rows += other.rows;
        self.superseded += other.superseded;
        for (table, rows) in other.tables {
            match self.tables.iter_mut().find(|(name, _)| *name == table) {
                Some((_, n)) => *n += rows,
                None => self.tables.push((table, rows)),
            }
        }
    }
}

/// Writes `items`, isolating refused ones. Returns one outcome per item and what was
/// written. At most `2 * items.len()` transactions are tried, whatever happens.
pub async fn write_isolating<M: Model>(
    store: &Store,
    items: &[Item<'_, M::Record>],
    timeout: Duration,
) -> (Vec<WriteOutcome>, Written) {
    let mut outcomes: Vec<Option<WriteOutcome>> = vec![None; items.len()];
    let mut total = Written::default();
    // A stack of ranges still to write; halves of refused ranges are pushed back.
    let mut pending: Vec<Range<usize>> = Vec::with_capacity(8);
    pending.push(0..items.len());
    let mut transient: Option<String> = None;
    while let Some(range) = pending.pop() {
        if range.is_empty() {
            continue;
        }
        if let Some(error) = &transient {
            // The database is failing: do not hammer it with the rest.
            for slot in &mut outcomes[range] {
                *slot = Some(WriteOutcome::Transient(error.clone()));
            }
            continue;
        }
        let result = match store {
            Store::Postgres(pool) => attempt::<M>(pool, &items[range.clone()], timeout).await,
            Store::Mysql(pool) => attempt_mysql::<M>(pool, &items[range.clone()], timeout).await,
        };
        match result {
            Ok(written) => {
                total.add(written);
                for slot in &mut outcomes[range] {
                    *slot = Some(WriteOutcome::Persisted);
                }
            }
            Err((FailureClass::Rejected, error)) if range.len() == 1 => {
                outcomes[range.start] = Some(WriteOutcome::Rejected(error));
            }
            Err((FailureClass::Rejected, _)) => {
                let middle = range.start + range.len() / 2;
                pending.push(middle..range.end);
                pending.push(range.start..middle);
            }
            Err((FailureClass::Transient, error)) => {
                for slot in &mut outcomes[range] {
                    *slot = Some(WriteOutcome::Transient(error.clone()));
                }
                transient = Some(error);
            }
        }
    }
    let outcomes = outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| WriteOutcome::Transient("not attempted".to_string())))
        .collect();
    (outcomes, total)
}

type Failure = (FailureClass, String);

fn pg(e: tokio_postgres::Error) -> Failure {
    (classify(&e), describe(&e))
}

async fn attempt<M: Model>(
    pool: &Pool,
    items: &[Item<'_, M::Record>],
    timeout: Duration,
) -> Result<Written, Failure> {
    let mut batch = M::Batch::default();
    for item in items {
        M::add_to_batch(&mut batch, item.message_id, item.version, item.record);
    }
    let statuses: Vec<StatusUpdate> = items.iter().map(|i| i.status.clone()).collect();
    let mut client = pool.get().await.map_err(|e| {
        (
            FailureClass::Transient,
            format!("no database connection: {e}"),
        )
    })?;
    match tokio::time::timeout(timeout, transaction(&mut client, &batch, &statuses)).await {
        Ok(result) => result,
        Err(_) => {
            // The connection is in an unknown state: never give it back to the pool.
            drop(Object::take(client));
            Err((
                FailureClass::Transient,
                format!("database write timed out after {timeout:?}"),
            ))
        }
    }
}

async fn transaction<B: RowBatch>(
    client: &mut Object,
    batch: &B,
    statuses: &[StatusUpdate],
) -> Result<Written, Failure> {
    let tx = client.transaction().await.map_err(pg)?;
    let written = batch
        .write(&mut crate::db::writer::Postgres::new(&tx))
        .await
        .map_err(pg)?;
    let notes = version::notes(&written.superseded);
    if notes.is_empty() {
        mark_persisted(&*tx, statuses).await.map_err(pg)?;
    } else {
        let mut statuses = statuses.to_vec();
        for status in &mut statuses {
            status.note = notes
                .iter()
                .find(|(id, _)| *id == status.message_id)
                .map(|(_, note)| note.clone());
        }
        mark_persisted(&*tx, &statuses).await.map_err(pg)?;
    }
    tx.commit().await.map_err(pg)?;
    Ok(Written {
        rows: written.rows,
        tables: written.tables,
        superseded: notes.len(),
    })
}

fn my(e: mysql_async::Error) -> Failure {
    (mysql::classify::classify(&e), mysql::classify::describe(&e))
}

/// The same transaction on MySQL or MariaDB: rows and `persisted` statuses, committed
/// together or not at all.
async fn attempt_mysql<M: Model>(
    pool: &mysql_async::Pool,
    items: &[Item<'_, M::Record>],
    timeout: Duration,
) -> Result<Written, Failure> {
    let mut batch = M::Batch::default();
    for item in items {
        M::add_to_batch(&mut batch, item.message_id, item.version, item.record);
    }
    let mut statuses: Vec<StatusUpdate> = items.iter().map(|i| i.status.clone()).collect();
    let work = async {
        let mut conn = pool.get_conn().await.map_err(|e| {
            (
                FailureClass::Transient,
                format!("no database connection: {}", mysql::classify::describe(&e)),
            )
        })?;
        let mut tx = conn
            .start_transaction(mysql_async::TxOpts::default())
            .await
            .map_err(my)?;
        let written = batch
            .write(&mut mysql::writer::Mysql::new(&mut tx))
            .await
            .map_err(my)?;
        let notes = version::notes(&written.superseded);
        for status in &mut statuses {
            status.note = notes
                .iter()
                .find(|(id, _)| *id == status.message_id)
                .map(|(_, note)| note.clone());
        }
        mysql::status::mark_persisted(&mut tx, &statuses)
            .await
            .map_err(my)?;
        tx.commit().await.map_err(my)?;
        Ok(Written {
            rows: written.rows,
            superseded: notes.len(),
            tables: written.tables,
        })
    };
    // A connection whose transaction did not finish is dropped, never given back to the
    // pool mid-transaction (mysql_async rolls back a dropped transaction).
    match tokio::time::timeout(timeout, work).await {
        Ok(result) => result,
        Err(_) => Err((
            FailureClass::Transient,
            format!("database write timed out after {timeout:?}"),
        )),
    }
}
