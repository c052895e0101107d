//! Multi-row statements over a batch's rows: as few statements as the limits allow, each
//! with a row count that is a power of two.
//!
//! A statement carries at most [`MAX_PARAMS`] parameters (the protocol's limit is 65,535)
//! and about [`PACKET_BUDGET`] bytes of values, well under the default `max_allowed_packet`
//! (16 MiB on MariaDB, 64 MiB on MySQL 8).
//!
//! `mysql_async` prepares a statement's text once per connection and keeps it
//! (`stmt_cache_size`), but a multi-row statement's text depends on its row count. Had each
//! batch's count a text of its own, every batch would prepare its statements afresh, and the
//! server answers a prepare with one definition per placeholder: some 40,000 for 2,000 line
//! items, read and parsed by both sides before a row is written. Split into powers of two
//! (2,000 = 1,024 + 512 + 256 + 128 + 64 + 16), a statement kind has at most 16 texts per
//! table, each prepared once per connection; a batch pays a few more round trips instead.

use mysql_async::prelude::Queryable;
use mysql_async::{Params, Row, Value};

/// Parameters bound by one statement at most.
pub const MAX_PARAMS: usize = 60_000;
/// Bytes of values sent by one statement, about.
pub const PACKET_BUDGET: usize = 4 << 20;

/// A value's share of a statement's packet.
fn size(value: &Value) -> usize {
    match value {
        Value::Bytes(bytes) => bytes.len() + 9,
        _ => 12,
    }
}

/// The row counts of the statements that carry `rows` (each row's parameters given): runs
/// as long as the limits allow, each split into powers of two, largest first.
pub fn statement_rows(rows: &[Vec<Value>]) -> Vec<usize> {
    let mut counts = Vec::new();
    let (mut count, mut params, mut bytes) = (0usize, 0usize, 0usize);
    for row in rows {
        let row_bytes: usize = row.iter().map(size).sum();
        if count > 0 && (params + row.len() > MAX_PARAMS || bytes + row_bytes > PACKET_BUDGET) {
            push_powers_of_two(&mut counts, count);
            (count, params, bytes) = (0, 0, 0);
        }
        count += 1;
        params += row.len();
        bytes += row_bytes;
    }
    push_powers_of_two(&mut counts, count);
    counts
}

/// `count` as a sum of distinct powers of two, largest first.
fn push_powers_of_two(out: &mut Vec<usize>, count: usize) {
    for bit in (0..usize::BITS).rev() {
        let power = 1usize << bit;
        if count & power != 0 {
            out.push(power);
        }
    }
}

/// Runs `sql(n)` over `rows`, `n` rows' parameters at a time ([`statement_rows`]); the rows
/// the statements answered, in order.
pub async fn run<Q, F>(
    conn: &mut Q,
    rows: Vec<Vec<Value>>,
    sql: F,
) -> Result<Vec<Row>, mysql_async::Error>
where
    Q: Queryable,
    F: Fn(usize) -> String,
{
    let counts = statement_rows(&rows);
    let mut answered = Vec::new();
    let mut rows = rows.into_iter();
    for count in counts {
        let params: Vec<Value> = rows.by_ref().take(count).flatten().collect();
        answered.extend(
            conn.exec::<Row, _, _>(sql(count), Params::Positional(params))
                .await?,
        );
    }
    Ok(answered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(count: usize, width: usize) -> Vec<Vec<Value>> {
        vec![vec![Value::Int(1); width]; count]
    }

    #[test]
    fn counts_split_into_powers_of_two_largest_first() {
        assert_eq!(
            statement_rows(&rows(2_000, 19)),
            [1024, 512, 256, 128, 64, 16]
        );
        assert_eq!(statement_rows(&rows(512, 12)), [512]);
        assert_eq!(statement_rows(&rows(1, 3)), [1]);
        assert!(statement_rows(&[]).is_empty());
    }

    #[test]
    fn runs_break_at_the_parameter_limit_and_the_packet_budget() {
        // 20,000 rows of 4 parameters: runs of 15,000 and 5,000.
        let counts = statement_rows(&rows(20_000, 4));
        assert_eq!(counts.iter().sum::<usize>(), 20_000);
        assert_eq!(counts[..4], [8192, 4096, 2048, 512]);
        assert!(counts.iter().all(|c| c.is_power_of_two()));
        // Rows of 1 MiB each: 3 to a statement (4 MiB budget), split 2 + 1.
        let big = vec![vec![Value::Bytes(vec![b'x'; 1 << 20])]; 6];
        assert_eq!(statement_rows(&big), [2, 1, 2, 1]);
        // A row larger than the budget still goes, alone.
        let huge = vec![vec![Value::Bytes(vec![b'x'; 5 << 20])]; 2];
        assert_eq!(statement_rows(&huge), [1, 1]);
    }
}
