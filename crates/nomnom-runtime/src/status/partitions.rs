//! The time partitions of `message_status`: created ahead of time, dropped whole once past
//! the retention, so the table stays bounded at no cost per message (no `DELETE` of old
//! rows, which would be the heaviest query the database ever runs).
//!
//! One round ([`maintain`]), run by the worker every quarter interval:
//! 1. creates the next three partitions, aligned to multiples of the interval since the Unix
//!    epoch: only ranges that start in the future, where no writer is routing rows, so an
//!    attach never races a writer into the default partition (PostgreSQL would refuse that
//!    writer's row). The range a new deployment starts in, and the rows of a table converted
//!    from an earlier release, live in the default partition;
//! 2. drops the partitions entirely older than the retention;
//! 3. deletes, in bounded chunks, rows of the default partition older than the retention.
//!
//! Partitions are attached rather than created in place, which leaves ingestion running: an
//! attach locks only the new table and the default partition. Dropping a partition takes
//! PostgreSQL's exclusive lock on `message_status` for an instant; the round waits for it at
//! most [`LOCK_TIMEOUT`] and otherwise leaves the partition to the next round, so writers
//! never wait longer than that. Rounds of several workers are serialised by an advisory lock:
//! one works, the others skip.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tokio_postgres::Client;

use crate::config::StatusRetention;

/// The advisory lock held during a round.
pub const LOCK_KEY: i64 = 0x6e6f_6d5f_7374_6174; // "nom_stat"

/// How long a round waits for a table lock before leaving the work to the next round.
pub const LOCK_TIMEOUT: Duration = Duration::from_millis(100);

/// Partitions kept ready ahead of the current one.
const AHEAD: u32 = 3;

/// Rows of the default partition deleted per statement, and statements per round.
const EXPIRED_CHUNK: i64 = 10_000;
const EXPIRED_CHUNKS_PER_ROUND: usize = 10;

/// What a round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    /// `false` when another process held the round's lock: nothing was done.
    pub ran: bool,
    /// Partitions created.
    pub created: Vec<String>,
    /// Partitions dropped.
    pub dropped: Vec<String>,
    /// Partitions past the retention left for the next round (their lock was busy).
    pub deferred: Vec<String>,
    /// Rows of the default partition deleted as expired.
    pub expired: u64,
}

/// One partition's range.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Range {
    name: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

/// How often the worker runs a round: a quarter interval, between 1 s and 10 minutes.
pub fn round_every(policy: &StatusRetention) -> Duration {
    (policy.interval / 4).clamp(Duration::from_secs(1), Duration::from_secs(600))
}

/// The instant before which statuses have expired at `now`, `None` when kept forever.
pub fn expiry(policy: &StatusRetention, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let retention = chrono::Duration::from_std(policy.retention?).ok()?;
    now.checked_sub_signed(retention)
}

/// The partition name for a range starting at `from`: `message_status_p20261205000000`.
fn partition_name(from: DateTime<Utc>) -> String {
    format!("message_status_p{}", from.format("%Y%m%d%H%M%S"))
}

/// The start of the interval holding `at`, intervals aligned on the Unix epoch.
fn window_start(at: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    let width = i64::try_from(interval.as_millis())
        .unwrap_or(i64::MAX)
        .max(1);
    let millis = at.timestamp_millis();
    Utc.timestamp_millis_opt(millis - millis.rem_euclid(width))
        .single()
        .unwrap_or(at)
}

/// The ranges every round makes sure exist: the [`AHEAD`] intervals after the current one.
pub(crate) fn wanted(
    policy: &StatusRetention,
    now: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let Ok(step) = chrono::Duration::from_std(policy.interval) else {
        return Vec::new();
    };
    let mut from = window_start(now, policy.interval) + step;
    let last = window_start(now, policy.interval) + step * (AHEAD as i32);
    let mut out = Vec::new();
    while from <= last {
        out.push((from, from + step));
        from += step;
    }
    out
}

/// Reads a bound of `FOR VALUES FROM ('…') TO ('…')` as PostgreSQL prints it with
/// `TimeZone` set to UTC.
fn parse_bounds(text: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let quoted: Vec<&str> = text.split('\'').skip(1).step_by(2).collect();
    let [from, to] = quoted.as_slice() else {
        return None;
    };
    let read = |s: &str| {
        DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z")
            .ok()
            .map(|t| t.with_timezone(&Utc))
    };
    Some((read(from)?, read(to)?))
}

async fn partitions(client: &Client) -> Result<Vec<Range>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid) \
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
             WHERE i.inhparent = 'message_status'::regclass",
            &[],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get(0)?;
        let bound: String = row.try_get(1)?;
        // The default partition, and any partition nomnom cannot read, are left alone.
        if let Some((from, to)) = parse_bounds(&bound) {
            out.push(Range { name, from, to });
        }
    }
    Ok(out)
}

/// Runs one maintenance round at `now` on `client` (a connection of its own: the round
/// changes its session settings and restores them).
pub async fn maintain(
    client: &Client,
    policy: &StatusRetention,
    now: DateTime<Utc>,
) -> Result<MaintenanceReport, tokio_postgres::Error> {
    let locked: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
        .await?
        .try_get(0)?;
    if !locked {
        return Ok(MaintenanceReport::default());
    }
    client
        .batch_execute(&format!(
            "SET TIME ZONE 'UTC'; SET lock_timeout = '{}ms'",
            LOCK_TIMEOUT.as_millis()
        ))
        .await?;
    let result = round(client, policy, now).await;
    let restored = client
        .batch_execute("RESET TIME ZONE; RESET lock_timeout")
        .await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await?;
    let report = result?;
    restored?;
    Ok(report)
}

async fn round(
    client: &Client,
    policy: &StatusRetention,
    now: DateTime<Utc>,
) -> Result<MaintenanceReport, tokio_postgres::Error> {
    let mut report = MaintenanceReport {
        ran: true,
        ..MaintenanceReport::default()
    };
    let existing = partitions(client).await?;
    for (from, to) in wanted(policy, now) {
        if existing.iter().any(|r| r.from < to && from < r.to) {
            continue; // covered, or overlapping a partition of another width: left alone
        }
        let name = partition_name(from);
        match create(client, &name, from, to).await {
            Ok(()) => report.created.push(name),
            // A busy lock, or rows already in the default partition for this range (a clock
            // far ahead): left to the next round, the rows where they are.
            Err(e) if is_lock_timeout(&e) || is_default_conflict(&e) => report.deferred.push(name),
            Err(e) => return Err(e),
        }
    }
    let Some(cutoff) = expiry(policy, now) else {
        return Ok(report);
    };
    for range in existing.iter().filter(|r| r.to <= cutoff) {
        let drop = format!(
            "DROP TABLE IF EXISTS \"{}\"",
            range.name.replace('"', "\"\"")
        );
        match client.batch_execute(&drop).await {
            Ok(()) => report.dropped.push(range.name.clone()),
            Err(e) if is_lock_timeout(&e) => report.deferred.push(range.name.clone()),
            Err(e) => return Err(e),
        }
    }
    for _ in 0..EXPIRED_CHUNKS_PER_ROUND {
        let deleted = client
            .execute(
                "DELETE FROM message_status_default WHERE ctid IN \
                 (SELECT ctid FROM message_status_default WHERE received_at < $1 LIMIT $2)",
                &[&cutoff, &EXPIRED_CHUNK],
            )
            .await?;
        report.expired += deleted;
        if deleted < EXPIRED_CHUNK as u64 {
            break;
        }
    }
    Ok(report)
}

/// Creates partition `name` for `[from, to)` beside the table and attaches it.
async fn create(
    client: &Client,
    name: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    let table = format!("\"{}\"", name.replace('"', "\"\""));
    let bounds = format!(
        "FROM ('{}') TO ('{}')",
        from.format("%Y-%m-%d %H:%M:%S%.6f+00"),
        to.format("%Y-%m-%d %H:%M:%S%.6f+00")
    );
    client.batch_execute("BEGIN").await?;
    let result = client
        .batch_execute(&format!(
            "CREATE TABLE {table} (LIKE message_status INCLUDING DEFAULTS INCLUDING CONSTRAINTS); \
             ALTER TABLE message_status ATTACH PARTITION {table} FOR VALUES {bounds}"
        ))
        .await;
    match result {
        Ok(()) => client.batch_execute("COMMIT").await,
        Err(e) => {
            client.batch_execute("ROLLBACK").await?;
            Err(e)
        }
    }
}

/// The default partition holds rows of the range being attached.
fn is_default_conflict(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::CHECK_VIOLATION)
}

fn is_lock_timeout(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a time")
            .with_timezone(&Utc)
    }

    #[test]
    fn windows_are_aligned_and_only_ahead() {
        let policy = StatusRetention {
            retention: Some(Duration::from_secs(2 * 86_400)),
            interval: Duration::from_secs(86_400),
        };
        let now = at("2026-12-05T13:45:00Z");
        let windows = wanted(&policy, now);
        assert_eq!(
            windows.first().map(|w| w.0),
            Some(at("2026-12-06T00:00:00Z"))
        );
        assert_eq!(
            windows.last().map(|w| w.1),
            Some(at("2026-12-09T00:00:00Z"))
        );
        assert_eq!(windows.len(), 3, "the next three, never the current one");
        assert_eq!(
            partition_name(windows[0].0),
            "message_status_p20261206000000"
        );
        assert_eq!(
            window_start(at("2026-12-05T13:45:07Z"), Duration::from_secs(5)),
            at("2026-12-05T13:45:05Z")
        );
    }

    #[test]
    fn bounds_are_read_as_postgres_prints_them() {
        assert_eq!(
            parse_bounds(
                "FOR VALUES FROM ('2026-12-05 00:00:00+00') TO ('2026-12-05 00:00:02.5+00')"
            ),
            Some((at("2026-12-05T00:00:00Z"), at("2026-12-05T00:00:02.5Z")))
        );
        assert_eq!(parse_bounds("DEFAULT"), None);
        assert_eq!(
            parse_bounds("FOR VALUES FROM (MINVALUE) TO ('2026-12-05 00:00:00+00')"),
            None
        );
    }

    #[test]
    fn rounds_come_every_quarter_interval_within_bounds() {
        let every = |secs| {
            round_every(&StatusRetention {
                retention: None,
                interval: Duration::from_secs(secs),
            })
        };
        assert_eq!(every(2), Duration::from_secs(1));
        assert_eq!(every(60), Duration::from_secs(15));
        assert_eq!(every(86_400), Duration::from_secs(600));
    }
}
