//! The SQL of a batch's writes for MySQL and MariaDB, built from a table's descriptor.
//!
//! MySQL has no `UNNEST` and no `RETURNING` on an upsert, so a table's rows go in multi-row
//! `INSERT … VALUES (…), (…) ON DUPLICATE KEY UPDATE` statements (as many rows per
//! statement as the parameter limit and the packet budget allow, see [`super::chunked`]),
//! and what a keyed batch's keys hold afterwards is read back by `SELECT`s: under the
//! proposed ids by the primary key, and the rest by joining their keys (see
//! [`super::writer`]).
//!
//! `ON DUPLICATE KEY UPDATE` has no `WHERE`: the version guard is in every assignment
//! (`c = IF(guard, VALUES(c), c)`), and since MySQL assigns left to right, each assignment
//! seeing the ones before it, the columns the guard reads go last: `_version` and then the
//! entity's version field (their guards still decide as the first assignment's did). The
//! guard's `<=` lets a redelivery of the stored version write again, as PostgreSQL's does.

use super::quoted;
use crate::db::table::Table;

/// The hidden columns written before the model's, in bind order.
pub fn hidden_columns(table: &Table) -> Vec<&'static str> {
    let mut names = vec!["_id", "_message_id"];
    if table.is_keyed() {
        names.push("_version");
    }
    if table.has_parent {
        names.push("_parent_id");
    }
    names
}

/// The number of parameters one row binds.
pub fn params_per_row(table: &Table) -> usize {
    hidden_columns(table).len() + table.columns.len()
}

/// `INSERT INTO t (…) VALUES (?, …), … ON DUPLICATE KEY UPDATE …` for `rows` rows.
pub fn insert(table: &Table, rows: usize) -> String {
    let mut names: Vec<String> = hidden_columns(table)
        .into_iter()
        .map(str::to_string)
        .collect();
    names.extend(table.columns.iter().map(|c| quoted(c.name)));
    let row = format!("({})", vec!["?"; names.len()].join(", "));
    let values = vec![row.as_str(); rows].join(", ");
    let head = format!(
        "INSERT INTO {} ({}) VALUES {values}",
        quoted(table.name),
        names.join(", ")
    );
    if !table.is_keyed() {
        // The `_id` is deterministic: a redelivered row is already there and stays as it is.
        return format!("{head} ON DUPLICATE KEY UPDATE _id = _id");
    }
    format!("{head} ON DUPLICATE KEY UPDATE {}", assignments(table))
}

fn assignments(table: &Table) -> String {
    let guard = match table.version {
        Some(field) => {
            let field = quoted(field);
            format!("({field}, _version) <= (VALUES({field}), VALUES(_version))")
        }
        None => "_version <= VALUES(_version)".to_string(),
    };
    let set = |column: &str| format!("{column} = IF({guard}, VALUES({column}), {column})");
    let mut out = vec![set("_message_id")];
    if table.has_parent {
        out.push(set("_parent_id"));
    }
    let version = table.version.map(quoted);
    for column in table.columns {
        let name = quoted(column.name);
        if !table.key.contains(&column.name) && Some(&name) != version.as_ref() {
            out.push(set(&name));
        }
    }
    out.push(format!(
        "_ingested_at = IF({guard}, CURRENT_TIMESTAMP(6), _ingested_at)"
    ));
    out.push(set("_version"));
    if let Some(version) = &version {
        out.push(set(version));
    }
    out.join(", ")
}

/// `SELECT _id, _version FROM t WHERE _id IN (?, …)` for `rows` proposed ids: the rows
/// found under them, by the primary key.
pub fn stored_under_ids(table: &Table, rows: usize) -> String {
    format!(
        "SELECT _id, _version FROM {} WHERE _id IN ({})",
        quoted(table.name),
        vec!["?"; rows].join(", ")
    )
}

/// `SELECT p.n, s._id, s._version FROM (SELECT ? AS n, ? AS k … UNION ALL …) AS p JOIN t AS
/// s ON s.k = p.k` for `rows` keys: which `_id` and version each key of the batch holds now.
pub fn stored_under_keys(table: &Table, rows: usize) -> String {
    let mut first = vec!["? AS n".to_string()];
    for (i, _) in table.key.iter().enumerate() {
        first.push(format!("? AS k{i}"));
    }
    let mut selects = vec![format!("SELECT {}", first.join(", "))];
    let rest = format!("SELECT {}", vec!["?"; table.key.len() + 1].join(", "));
    selects.extend(std::iter::repeat_n(rest, rows.saturating_sub(1)));
    let join: Vec<String> = table
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("s.{} = p.k{i}", quoted(k)))
        .collect();
    format!(
        "SELECT p.n, s._id, s._version FROM ({}) AS p JOIN {} AS s ON {}",
        selects.join(" UNION ALL "),
        quoted(table.name),
        join.join(" AND ")
    )
}

/// Deletes the rows below `parents` parents written again.
pub fn delete_children(table: &Table, parents: usize) -> String {
    format!(
        "DELETE FROM {} WHERE _parent_id IN ({})",
        quoted(table.name),
        vec!["?"; parents].join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::table::{Column, ColumnKind};

    const COLUMNS: &[Column] = &[
        Column {
            name: "order",
            kind: ColumnKind::Text,
        },
        Column {
            name: "qty",
            kind: ColumnKind::Integer,
        },
    ];

    #[test]
    fn keyed_upserts_guard_every_assignment_and_set_the_version_last() {
        let keyed = Table::new("items", COLUMNS, &["order"], None, false, false);
        assert_eq!(
            insert(&keyed, 2),
            "INSERT INTO `items` (_id, _message_id, _version, `order`, `qty`) VALUES \
             (?, ?, ?, ?, ?), (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE \
             _message_id = IF(_version <= VALUES(_version), VALUES(_message_id), _message_id), \
             `qty` = IF(_version <= VALUES(_version), VALUES(`qty`), `qty`), \
             _ingested_at = IF(_version <= VALUES(_version), CURRENT_TIMESTAMP(6), _ingested_at), \
             _version = IF(_version <= VALUES(_version), VALUES(_version), _version)"
        );
        let versioned = Table::new("items", COLUMNS, &["order"], Some("qty"), false, false);
        assert!(insert(&versioned, 1).ends_with(
            "_version = IF((`qty`, _version) <= (VALUES(`qty`), VALUES(_version)), VALUES(_version), _version), \
             `qty` = IF((`qty`, _version) <= (VALUES(`qty`), VALUES(_version)), VALUES(`qty`), `qty`)"
        ));
    }

    #[test]
    fn keyless_rows_are_never_written_twice_and_keys_are_read_back_by_position() {
        let keyless = Table::new("it`ems", COLUMNS, &[], None, true, false);
        assert_eq!(
            insert(&keyless, 1),
            "INSERT INTO `it``ems` (_id, _message_id, _parent_id, `order`, `qty`) VALUES (?, ?, ?, ?, ?) \
             ON DUPLICATE KEY UPDATE _id = _id"
        );
        let keyed = Table::new("items", COLUMNS, &["order"], None, false, true);
        assert_eq!(
            stored_under_keys(&keyed, 2),
            "SELECT p.n, s._id, s._version FROM (SELECT ? AS n, ? AS k0 UNION ALL SELECT ?, ?) AS p \
             JOIN `items` AS s ON s.`order` = p.k0"
        );
        assert_eq!(
            stored_under_ids(&keyed, 3),
            "SELECT _id, _version FROM `items` WHERE _id IN (?, ?, ?)"
        );
        assert_eq!(
            delete_children(&keyless, 2),
            "DELETE FROM `it``ems` WHERE _parent_id IN (?, ?)"
        );
    }
}
