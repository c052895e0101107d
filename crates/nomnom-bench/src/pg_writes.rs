//! What PostgreSQL itself wrote during a stage: checkpoints (from `pg_stat_bgwriter`, which
//! the checkpointer updates as each one ends) and WAL volume (the WAL insert position, exact
//! at once), both cluster-wide. A checkpoint forced by `max_wal_size` makes
//! every page's next change write a full page image to the WAL, so a stage that runs into
//! checkpoints writes several times the WAL per row and slows down for reasons that are
//! PostgreSQL's configuration, not the code measured; these counters tell such runs apart.

use serde::Serialize;

/// Counters read at one moment, or their difference over a stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PgWrites {
    /// Checkpoints started (timed and requested).
    pub checkpoints: u64,
    /// Of which requested, mostly because the WAL reached `max_wal_size`.
    pub requested_checkpoints: u64,
    /// WAL bytes written (the WAL insert position, in bytes).
    pub wal_bytes: u64,
}

impl PgWrites {
    /// The counters now; `None` where the server lacks these columns (the checkpoint
    /// counters moved to `pg_stat_checkpointer` in PostgreSQL 17) or the query fails.
    pub async fn read(client: &tokio_postgres::Client) -> Option<PgWrites> {
        let row = client
            .query_one(
                "SELECT checkpoints_timed + checkpoints_req, checkpoints_req, \
                        pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::int8 \
                 FROM pg_stat_bgwriter",
                &[],
            )
            .await
            .ok()?;
        let count = |i: usize| row.get::<_, i64>(i).max(0) as u64;
        Some(PgWrites {
            checkpoints: count(0),
            requested_checkpoints: count(1),
            wal_bytes: count(2),
        })
    }

    /// What happened between `self` (earlier) and `later`.
    pub fn until(&self, later: &PgWrites) -> PgWrites {
        PgWrites {
            checkpoints: later.checkpoints.saturating_sub(self.checkpoints),
            requested_checkpoints: later
                .requested_checkpoints
                .saturating_sub(self.requested_checkpoints),
            wal_bytes: later.wal_bytes.saturating_sub(self.wal_bytes),
        }
    }

    /// WAL bytes per message over `messages` messages.
    pub fn wal_bytes_per_message(&self, messages: u64) -> Option<f64> {
        (messages > 0).then(|| self.wal_bytes as f64 / messages as f64)
    }
}

/// The difference of two optional readings.
pub fn between(before: Option<PgWrites>, after: Option<PgWrites>) -> Option<PgWrites> {
    Some(before?.until(&after?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_difference_of_two_readings_never_goes_negative() {
        let before = PgWrites {
            checkpoints: 3,
            requested_checkpoints: 2,
            wal_bytes: 51_000,
        };
        let after = PgWrites {
            checkpoints: 5,
            requested_checkpoints: 3,
            wal_bytes: 101_000,
        };
        let d = between(Some(before), Some(after)).unwrap();
        assert_eq!((d.checkpoints, d.requested_checkpoints), (2, 1));
        assert_eq!(d.wal_bytes, 50_000);
        assert_eq!(
            after.until(&before).checkpoints,
            0,
            "a reset counter reads as zero"
        );
        assert_eq!(d.wal_bytes_per_message(100), Some(500.0));
        assert_eq!(d.wal_bytes_per_message(0), None);
        assert_eq!(between(None, Some(after)), None);
    }

    /// The counters are the server's own: writing rows moves the WAL position by at least
    /// their size.
    #[tokio::test]
    async fn writing_rows_shows_in_the_wal_position_of_the_machines_postgresql() {
        let db = nomnom_testkit::TestDatabase::create_shared().await;
        let client = db.client().await;
        let before = PgWrites::read(&client)
            .await
            .expect("PostgreSQL 15 has pg_stat_bgwriter's checkpoint counters");
        client
            .batch_execute(
                "CREATE TABLE t (x int8 PRIMARY KEY); \
                 INSERT INTO t SELECT generate_series(1, 20000)",
            )
            .await
            .expect("writing rows");
        let after = PgWrites::read(&client).await.expect("reading again");
        // 20,000 heap tuples and index entries: well over 20 bytes of WAL each.
        let wal = before.until(&after).wal_bytes;
        assert!(wal > 20_000 * 20, "{wal} WAL bytes for 20,000 rows");
    }
}
