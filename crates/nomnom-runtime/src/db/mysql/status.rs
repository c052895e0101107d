//! `message_status` on MySQL and MariaDB: the table ([`MESSAGE_STATUS_SQL`]), the worker's
//! set-based status writes, and the time partitions with the same `STATUS_RETENTION` and
//! `STATUS_PARTITION_INTERVAL` semantics as PostgreSQL's ([`crate::status::partitions`]).
//!
//! MySQL's range partitions are contiguous: each holds the rows below its bound and above
//! the previous one's, the first every older row and `message_status_last` (`MAXVALUE`)
//! every newer one. A round ([`maintain`]):
//! 1. splits the partitions of the next three intervals off `message_status_last`
//!    (`REORGANIZE PARTITION`), which holds no row once the rounds run ahead (the first round
//!    of a new deployment moves the rows accepted since it started);
//! 2. drops the partitions whose bound is past the retention (`DROP PARTITION`: instant,
//!    no `DELETE`). The first partition is kept: it is the one that holds nothing.
//!
//! Both statements take a metadata lock on the table; the round waits for it at most
//! [`LOCK_WAIT_SECONDS`] (`lock_wait_timeout`) and otherwise leaves the work to the next
//! round. Rounds of several workers are serialised by a named lock: one works, the others
//! skip.

use crate::telemetry::TraceId;
use chrono::{DateTime, NaiveDateTime, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Value};

use super::chunked;
use super::value::{uuid_from, MysqlValue};
use crate::config::StatusRetention;
use crate::envelope::IngestionStatus;
use crate::status::lookup::StatusRecord;
use crate::status::partitions::{expiry, wanted, MaintenanceReport};
use crate::status::recorder::AcceptedMessage;
use crate::status::worker_updates::StatusUpdate;

/// The table, idempotent (run by the migrations).
pub const MESSAGE_STATUS_SQL: &str = include_str!("status.sql");

/// The named lock held during a round.
const LOCK: &str = "nomnom.message_status";
/// How long a round waits for the table's metadata lock, in seconds (MySQL's smallest unit).
pub const LOCK_WAIT_SECONDS: u32 = 1;
const FIRST: &str = "message_status_first";
const LAST: &str = "message_status_last";

async fn upsert<Q: Queryable>(
    conn: &mut Q,
    status: &str,
    wins_over: &[&str],
    updates: &[StatusUpdate],
) -> Result<(), mysql_async::Error> {
    if updates.is_empty() {
        return Ok(());
    }
    // Rows in message_id order: concurrent writers lock them in the same order.
    let mut sorted: Vec<&StatusUpdate> = updates.iter().collect();
    sorted.sort_by_key(|u| u.message_id);
    let processed = if status == "retrying" {
        "NULL"
    } else {
        "CURRENT_TIMESTAMP(6)"
    };
    let row = format!("(?, '{status}', ?, ?, {processed}, ?, ?, ?, CURRENT_TIMESTAMP(6), ?)");
    let guard = if wins_over.is_empty() {
        "TRUE".to_string()
    } else {
        let list: Vec<String> = wins_over.iter().map(|s| format!("'{s}'")).collect();
        format!("status NOT IN ({})", list.join(", "))
    };
    // `status` is assigned last: the guard reads it.
    let set = |c: &str| format!("{c} = IF({guard}, VALUES({c}), {c})");
    // The trace id is the one the message was accepted in: kept once known.
    let update = format!(
        "trace_id = COALESCE(trace_id, VALUES(trace_id)), {}, {}, {}, {}, {}, {}",
        set("processed_at"),
        set("error_message"),
        set("note"),
        set("retry_count"),
        set("updated_at"),
        set("status"),
    );
    let rows: Vec<Vec<Value>> = sorted
        .into_iter()
        .map(|u| {
            vec![
                u.message_id.to_mysql(),
                u.entity_type.to_mysql(),
                u.received_at.to_mysql(),
                u.error.to_mysql(),
                u.note.to_mysql(),
                Value::Int(i64::from(u.retry_count)),
                trace_value(u.trace_id.as_ref()),
            ]
        })
        .collect();
    chunked::run(conn, rows, |n| {
        format!(
            "INSERT INTO message_status (message_id, status, entity_type, received_at, \
             processed_at, error_message, note, retry_count, updated_at, trace_id) VALUES {} \
             ON DUPLICATE KEY UPDATE {update}",
            vec![row.as_str(); n].join(", ")
        )
    })
    .await?;
    Ok(())
}

/// Marks messages `persisted` (in the transaction that wrote their rows): always wins.
pub async fn mark_persisted<Q: Queryable>(
    conn: &mut Q,
    updates: &[StatusUpdate],
) -> Result<(), mysql_async::Error> {
    upsert(conn, "persisted", &[], updates).await
}

/// Marks messages `failed` (dead-lettered): wins over all but `persisted`.
pub async fn mark_failed<Q: Queryable>(
    conn: &mut Q,
    updates: &[StatusUpdate],
) -> Result<(), mysql_async::Error> {
    upsert(conn, "failed", &["persisted"], updates).await
}

/// Marks messages `retrying`: never over `persisted` or `failed`.
pub async fn mark_retrying<Q: Queryable>(
    conn: &mut Q,
    updates: &[StatusUpdate],
) -> Result<(), mysql_async::Error> {
    upsert(conn, "retrying", &["persisted", "failed"], updates).await
}

/// Records `accepted` rows for `batch` in multi-row statements ([`chunked`]), in
/// `message_id` order; a state
/// the worker already wrote is never overwritten.
pub async fn insert_accepted<Q: Queryable>(
    conn: &mut Q,
    batch: &[AcceptedMessage],
) -> Result<(), mysql_async::Error> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut sorted: Vec<&AcceptedMessage> = batch.iter().collect();
    sorted.sort_by_key(|m| m.message_id);
    let rows: Vec<Vec<Value>> = sorted
        .into_iter()
        .map(|m| {
            vec![
                m.message_id.to_mysql(),
                m.entity_type.to_mysql(),
                m.received_at.to_mysql(),
                trace_value(m.trace_id.as_ref()),
            ]
        })
        .collect();
    chunked::run(conn, rows, |n| {
        format!(
            "INSERT INTO message_status (message_id, status, entity_type, received_at, trace_id) \
             VALUES {} ON DUPLICATE KEY UPDATE trace_id = COALESCE(trace_id, VALUES(trace_id))",
            vec!["(?, 'accepted', ?, ?, ?)"; n].join(", ")
        )
    })
    .await?;
    Ok(())
}

/// A trace id as its 16 bytes (`BINARY(16)`), or NULL.
fn trace_value(trace: Option<&TraceId>) -> Value {
    match trace {
        Some(id) => Value::Bytes(id.0.to_vec()),
        None => Value::NULL,
    }
}

/// A stored trace id as 32 lowercase hex digits.
fn trace_hex(value: &Value) -> Option<String> {
    match value {
        Value::Bytes(bytes) => <[u8; 16]>::try_from(bytes.as_slice())
            .ok()
            .map(|b| TraceId(b).to_hex()),
        _ => None,
    }
}

fn datetime(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::Date(y, mo, d, h, mi, s, us) => {
            chrono::NaiveDate::from_ymd_opt(i32::from(*y), u32::from(*mo), u32::from(*d))?
                .and_hms_micro_opt(u32::from(*h), u32::from(*mi), u32::from(*s), *us)
                .map(|t| t.and_utc())
        }
        _ => None,
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::Bytes(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        _ => None,
    }
}

/// The latest status row of `message_id`.
pub async fn lookup(
    conn: &mut Conn,
    message_id: uuid::Uuid,
) -> Result<Option<StatusRecord>, mysql_async::Error> {
    let row: Option<mysql_async::Row> = conn
        .exec_first(
            "SELECT message_id, status, entity_type, received_at, processed_at, error_message, \
             retry_count, note, trace_id FROM message_status WHERE message_id = ? \
             ORDER BY received_at DESC LIMIT 1",
            (message_id.to_mysql(),),
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let get = |i: usize| row.as_ref(i).cloned().unwrap_or(Value::NULL);
    let status = text(&get(1)).unwrap_or_default();
    Ok(Some(StatusRecord {
        message_id: uuid_from(&get(0)).unwrap_or(message_id),
        status: IngestionStatus::parse(&status).unwrap_or(IngestionStatus::Accepted),
        entity_type: text(&get(2)).unwrap_or_default(),
        received_at: datetime(&get(3)).unwrap_or_default(),
        processed_at: datetime(&get(4)),
        error_message: text(&get(5)),
        retry_count: match get(6) {
            Value::Int(n) => i32::try_from(n).unwrap_or(i32::MAX),
            Value::UInt(n) => i32::try_from(n).unwrap_or(i32::MAX),
            _ => 0,
        },
        note: text(&get(7)),
        trace_id: trace_hex(&get(8)),
    }))
}

/// The name of the partition below `bound`: `message_status_p20261206000000`.
fn partition_name(bound: DateTime<Utc>) -> String {
    format!("message_status_p{}", bound.format("%Y%m%d%H%M%S"))
}

fn literal(at: DateTime<Utc>) -> String {
    at.format("'%Y-%m-%d %H:%M:%S%.6f'").to_string()
}

/// The table's partitions with their bound (`None` for `MAXVALUE`), in order.
async fn partitions(
    conn: &mut Conn,
) -> Result<Vec<(String, Option<DateTime<Utc>>)>, mysql_async::Error> {
    let rows: Vec<(String, String)> = conn
        .query(
            "SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM information_schema.PARTITIONS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'message_status' \
             AND PARTITION_NAME IS NOT NULL ORDER BY PARTITION_ORDINAL_POSITION",
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(name, bound)| {
            let bound =
                NaiveDateTime::parse_from_str(bound.trim_matches('\''), "%Y-%m-%d %H:%M:%S%.f")
                    .ok()
                    .map(|t| t.and_utc());
            (name, bound)
        })
        .collect())
}

fn is_lock_timeout(e: &mysql_async::Error) -> bool {
    matches!(e, mysql_async::Error::Server(s) if s.code == 1205)
}

/// One maintenance round at `now` on a connection of its own.
pub async fn maintain(
    conn: &mut Conn,
    policy: &StatusRetention,
    now: DateTime<Utc>,
) -> Result<MaintenanceReport, mysql_async::Error> {
    let locked: Option<i64> = conn.exec_first("SELECT GET_LOCK(?, 0)", (LOCK,)).await?;
    if locked != Some(1) {
        return Ok(MaintenanceReport::default());
    }
    conn.query_drop(format!(
        "SET SESSION lock_wait_timeout = {LOCK_WAIT_SECONDS}"
    ))
    .await?;
    let result = round(conn, policy, now).await;
    conn.exec_drop("DO RELEASE_LOCK(?)", (LOCK,)).await?;
    result
}

async fn round(
    conn: &mut Conn,
    policy: &StatusRetention,
    now: DateTime<Utc>,
) -> Result<MaintenanceReport, mysql_async::Error> {
    let mut report = MaintenanceReport {
        ran: true,
        ..MaintenanceReport::default()
    };
    let existing = partitions(conn).await?;
    let highest = existing.iter().filter_map(|(_, bound)| *bound).max();
    let new: Vec<(String, DateTime<Utc>)> = wanted(policy, now)
        .into_iter()
        .map(|(_, to)| to)
        .filter(|to| highest.is_none_or(|h| *to > h))
        .map(|to| (partition_name(to), to))
        .collect();
    if !new.is_empty() {
        let mut parts: Vec<String> = new
            .iter()
            .map(|(name, to)| format!("PARTITION {name} VALUES LESS THAN ({})", literal(*to)))
            .collect();
        parts.push(format!("PARTITION {LAST} VALUES LESS THAN (MAXVALUE)"));
        let sql = format!(
            "ALTER TABLE message_status REORGANIZE PARTITION {LAST} INTO ({})",
            parts.join(", ")
        );
        match conn.query_drop(sql).await {
            Ok(()) => report.created.extend(new.into_iter().map(|(n, _)| n)),
            Err(e) if is_lock_timeout(&e) => {
                report.deferred.extend(new.into_iter().map(|(n, _)| n))
            }
            Err(e) => return Err(e),
        }
    }
    let Some(cutoff) = expiry(policy, now) else {
        return Ok(report);
    };
    let expired: Vec<String> = existing
        .into_iter()
        .filter(|(name, bound)| name != FIRST && bound.is_some_and(|b| b <= cutoff))
        .map(|(name, _)| name)
        .collect();
    if !expired.is_empty() {
        let sql = format!(
            "ALTER TABLE message_status DROP PARTITION {}",
            expired.join(", ")
        );
        match conn.query_drop(sql).await {
            Ok(()) => report.dropped.extend(expired),
            Err(e) if is_lock_timeout(&e) => report.deferred.extend(expired),
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}
