//! What the worker knows of a generated table: its name, its columns and their kinds, its
//! key and its place in the containment tree. The derive states it (`#[entity(table = …)]`
//! and the field types); the set-based statements are built from it here, once per table.

use std::sync::OnceLock;

use tokio_postgres::types::Type;

/// The kind of value a column holds, as the model's type table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// `string`: `TEXT` or `VARCHAR(n)`.
    Text,
    /// `integer`: `BIGINT`.
    Integer,
    /// `float`: `DOUBLE PRECISION`.
    Float,
    /// `decimal`: `NUMERIC`.
    Decimal,
    /// `boolean`: `BOOLEAN`.
    Boolean,
    /// `date`: `DATE`.
    Date,
    /// `timestamp`: `TIMESTAMPTZ`.
    Timestamp,
    /// `uuid`: `UUID`.
    Uuid,
    /// `json`: `JSONB`.
    Json,
}

impl ColumnKind {
    /// The PostgreSQL array type a column's values are bound as, for `UNNEST`.
    pub fn array_type(self) -> Type {
        match self {
            ColumnKind::Text => Type::TEXT_ARRAY,
            ColumnKind::Integer => Type::INT8_ARRAY,
            ColumnKind::Float => Type::FLOAT8_ARRAY,
            ColumnKind::Decimal => Type::NUMERIC_ARRAY,
            ColumnKind::Boolean => Type::BOOL_ARRAY,
            ColumnKind::Date => Type::DATE_ARRAY,
            ColumnKind::Timestamp => Type::TIMESTAMPTZ_ARRAY,
            ColumnKind::Uuid => Type::UUID_ARRAY,
            ColumnKind::Json => Type::JSONB_ARRAY,
        }
    }

    /// The name of that array type in SQL (`text[]`).
    pub fn array_cast(self) -> &'static str {
        match self {
            ColumnKind::Text => "text[]",
            ColumnKind::Integer => "int8[]",
            ColumnKind::Float => "float8[]",
            ColumnKind::Decimal => "numeric[]",
            ColumnKind::Boolean => "bool[]",
            ColumnKind::Date => "date[]",
            ColumnKind::Timestamp => "timestamptz[]",
            ColumnKind::Uuid => "uuid[]",
            ColumnKind::Json => "jsonb[]",
        }
    }
}

/// One column of a model field.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The column's name as the migration created it (unquoted).
    pub name: &'static str,
    /// What it holds.
    pub kind: ColumnKind,
}

/// A generated table.
#[derive(Debug)]
pub struct Table {
    /// The table's name as the migration created it (unquoted).
    pub name: &'static str,
    /// The model's columns, in field order (the hidden `_id`, `_message_id` and
    /// `_parent_id` are not listed).
    pub columns: &'static [Column],
    /// The names of the key's columns; empty for an entity without a key.
    pub key: &'static [&'static str],
    /// The column of the entity's version field (`version:` in the model), compared before
    /// the hidden `_version`; `None` when the entity names none.
    pub version: Option<&'static str>,
    /// `true` for a child entity: its rows carry `_parent_id`.
    pub has_parent: bool,
    /// `true` when some entity is contained in this one.
    pub has_children: bool,
    statements: OnceLock<Statements>,
}

/// The statements writing one table, built on first use.
#[derive(Debug)]
pub(crate) struct Statements {
    pub(crate) insert: String,
    pub(crate) delete_children: String,
    pub(crate) superseded: String,
}

impl Table {
    /// A table descriptor (a `static` in generated code).
    pub const fn new(
        name: &'static str,
        columns: &'static [Column],
        key: &'static [&'static str],
        version: Option<&'static str>,
        has_parent: bool,
        has_children: bool,
    ) -> Table {
        Table {
            name,
            columns,
            key,
            version,
            has_parent,
            has_children,
            statements: OnceLock::new(),
        }
    }

    /// `true` when rows are upserted on a key rather than tied to their message.
    pub fn is_keyed(&self) -> bool {
        !self.key.is_empty()
    }

    /// `true` when the upsert answers the `_id` stored for each row: keyed tables with
    /// children (a keyless row keeps its proposed id, and a childless row's id is needed by
    /// nobody).
    pub fn returns_stored_ids(&self) -> bool {
        self.is_keyed() && self.has_children
    }

    pub(crate) fn statements(&self) -> &Statements {
        self.statements.get_or_init(|| Statements {
            insert: insert_statement(self),
            delete_children: delete_children_statement(self),
            superseded: superseded_statement(self),
        })
    }

    /// The statement writing every row of a batch at once (see [`insert_statement`]).
    pub fn insert_sql(&self) -> &str {
        &self.statements().insert
    }
}

/// A SQL identifier, always double-quoted: the descriptor holds names exactly as the
/// migration created them, and quoting keeps reserved words and mixed case intact.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `INSERT … SELECT * FROM UNNEST($1::uuid[], …) ON CONFLICT …`: an upsert on the key for
/// keyed tables, `DO NOTHING` on the deterministic `_id` for keyless ones.
///
/// Keyed rows go in key order, so concurrent writers lock the same keys in the same order
/// instead of deadlocking each other, and a stored row is updated only when the incoming
/// row's version is not older than its own (see [`super::version`]): the update of an older
/// row is skipped, and the statement does not count (or return) it. A keyed table with
/// children answers each proposed id with the stored one: a row whose key was stored before
/// keeps its `_id`, and its children need that id.
///
/// Rows of a child table whose parent row was skipped are bound with a `NULL` `_parent_id`
/// and are not inserted.
pub fn insert_statement(table: &Table) -> String {
    let mut columns = vec!["_id".to_string(), "_message_id".to_string()];
    let mut casts = vec!["uuid[]", "uuid[]"];
    let mut updates = vec!["_message_id = EXCLUDED._message_id".to_string()];
    if table.is_keyed() {
        columns.push("_version".into());
        casts.push("uuid[]");
        updates.push("_version = EXCLUDED._version".into());
    }
    if table.has_parent {
        columns.push("_parent_id".into());
        casts.push("uuid[]");
        updates.push("_parent_id = EXCLUDED._parent_id".into());
    }
    for column in table.columns {
        let name = quoted(column.name);
        if !table.key.contains(&column.name) {
            updates.push(format!("{name} = EXCLUDED.{name}"));
        }
        columns.push(name);
        casts.push(column.kind.array_cast());
    }
    updates.push("_ingested_at = now()".into());
    let params: Vec<String> = casts
        .iter()
        .enumerate()
        .map(|(i, cast)| format!("${}::{cast}", i + 1))
        .collect();
    let name = quoted(table.name);
    let list = columns.join(", ");
    let unnest = format!("UNNEST({})", params.join(", "));
    let with_parent = if table.has_parent {
        " WHERE proposed._parent_id IS NOT NULL"
    } else {
        ""
    };
    if !table.is_keyed() {
        return format!(
            "INSERT INTO {name} ({list}) SELECT * FROM {unnest} AS proposed ({list}){with_parent} \
             ON CONFLICT (_id) DO NOTHING"
        );
    }
    let key: Vec<String> = table.key.iter().map(|k| quoted(k)).collect();
    let positions: Vec<String> = key
        .iter()
        .filter_map(|k| columns.iter().position(|c| c == k))
        .map(|i| (i + 1).to_string())
        .collect();
    let upsert = format!(
        "ORDER BY {} ON CONFLICT ({}) DO UPDATE SET {} WHERE {}",
        positions.join(", "),
        key.join(", "),
        updates.join(", "),
        version_guard(table)
    );
    if !table.returns_stored_ids() {
        return format!(
            "INSERT INTO {name} AS stored ({list}) SELECT * FROM {unnest} AS proposed ({list}){with_parent} {upsert}"
        );
    }
    let same_key: Vec<String> = key
        .iter()
        .map(|k| format!("written.{k} = proposed.{k}"))
        .collect();
    format!(
        "WITH proposed ({list}) AS (SELECT * FROM {unnest}), \
         written AS (INSERT INTO {name} AS stored ({list}) SELECT * FROM proposed{with_parent} {upsert} RETURNING _id, {}) \
         SELECT proposed._id, written._id FROM proposed JOIN written ON {}",
        key.join(", "),
        same_key.join(" AND ")
    )
}

/// The condition under which a stored keyed row takes the incoming one: the incoming
/// version is not older. With a version field, the field decides and `_version` (the order
/// the messages were accepted in) breaks ties.
fn version_guard(table: &Table) -> String {
    match table.version {
        Some(field) => {
            let field = quoted(field);
            format!("(stored.{field}, stored._version) <= (EXCLUDED.{field}, EXCLUDED._version)")
        }
        None => "stored._version <= EXCLUDED._version".to_string(),
    }
}

/// Which rows of a keyed table's batch were not applied: the positions (1-based) of the
/// rows whose key holds another version than theirs after the upsert. Binds `_version` and
/// then the key's columns. Run only when the upsert wrote fewer rows than it was given.
pub fn superseded_statement(table: &Table) -> String {
    let mut names = vec!["_version".to_string()];
    let mut params = vec!["$1::uuid[]".to_string()];
    let mut join = Vec::new();
    for (i, key) in table.key.iter().enumerate() {
        let kind = table
            .columns
            .iter()
            .find(|c| c.name == *key)
            .map_or(ColumnKind::Text, |c| c.kind);
        let key = quoted(key);
        params.push(format!("${}::{}", i + 2, kind.array_cast()));
        join.push(format!("stored.{key} = proposed.{key}"));
        names.push(key);
    }
    format!(
        "SELECT proposed.n FROM UNNEST({}) WITH ORDINALITY AS proposed ({}, n) \
         JOIN {} AS stored ON {} WHERE stored._version <> proposed._version",
        params.join(", "),
        names.join(", "),
        quoted(table.name),
        join.join(" AND ")
    )
}

/// Deletes the rows below the parents written in a batch (a parent written again replaces
/// its children).
///
/// The parent ids go through `ARRAY(SELECT unnest(…))` so the planner does not see how many
/// there are. Given the array itself, it estimates each id to match 0.5% of the table until
/// the table has statistics, which for a batch of 500 parents is the whole table: it then
/// scans the table sequentially on every batch, and the worker slows down as the table grows.
/// With the count hidden it estimates a handful and uses the `_parent_id` index, which is
/// right for any batch size.
pub fn delete_children_statement(table: &Table) -> String {
    format!(
        "DELETE FROM {} WHERE _parent_id = ANY(ARRAY(SELECT unnest($1::uuid[])))",
        quoted(table.name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn keyed_tables_upsert_newer_versions_in_key_order_and_keyless_ones_skip_conflicts() {
        let keyed = Table::new("items", COLUMNS, &["order"], None, false, false);
        assert_eq!(
            keyed.insert_sql(),
            "INSERT INTO \"items\" AS stored (_id, _message_id, _version, \"order\", \"qty\") SELECT * FROM \
             UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int8[]) AS proposed (_id, _message_id, _version, \"order\", \"qty\") \
             ORDER BY 4 ON CONFLICT (\"order\") DO UPDATE SET _message_id = EXCLUDED._message_id, _version = EXCLUDED._version, \
             \"qty\" = EXCLUDED.\"qty\", _ingested_at = now() WHERE stored._version <= EXCLUDED._version"
        );
        let keyless = Table::new("items", COLUMNS, &[], None, true, false);
        assert_eq!(
            keyless.insert_sql(),
            "INSERT INTO \"items\" (_id, _message_id, _parent_id, \"order\", \"qty\") SELECT * FROM \
             UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int8[]) AS proposed (_id, _message_id, _parent_id, \"order\", \"qty\") \
             WHERE proposed._parent_id IS NOT NULL ON CONFLICT (_id) DO NOTHING"
        );
    }

    #[test]
    fn a_version_field_decides_before_the_order_of_acceptance() {
        let versioned = Table::new("items", COLUMNS, &["order"], Some("qty"), false, false);
        assert!(versioned.insert_sql().ends_with(
            "WHERE (stored.\"qty\", stored._version) <= (EXCLUDED.\"qty\", EXCLUDED._version)"
        ));
        assert_eq!(
            superseded_statement(&versioned),
            "SELECT proposed.n FROM UNNEST($1::uuid[], $2::text[]) WITH ORDINALITY AS proposed (_version, \"order\", n) \
             JOIN \"items\" AS stored ON stored.\"order\" = proposed.\"order\" WHERE stored._version <> proposed._version"
        );
    }

    #[test]
    fn keyed_tables_with_children_answer_the_stored_ids() {
        let parent = Table::new("items", COLUMNS, &["order"], None, true, true);
        assert!(parent.returns_stored_ids());
        assert!(!Table::new("items", COLUMNS, &[], None, false, true).returns_stored_ids());
        assert_eq!(
            parent.insert_sql(),
            "WITH proposed (_id, _message_id, _version, _parent_id, \"order\", \"qty\") AS \
             (SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::int8[])), \
             written AS (INSERT INTO \"items\" AS stored (_id, _message_id, _version, _parent_id, \"order\", \"qty\") \
             SELECT * FROM proposed WHERE proposed._parent_id IS NOT NULL ORDER BY 5 \
             ON CONFLICT (\"order\") DO UPDATE SET _message_id = EXCLUDED._message_id, _version = EXCLUDED._version, \
             _parent_id = EXCLUDED._parent_id, \"qty\" = EXCLUDED.\"qty\", _ingested_at = now() \
             WHERE stored._version <= EXCLUDED._version RETURNING _id, \"order\") \
             SELECT proposed._id, written._id FROM proposed JOIN written ON written.\"order\" = proposed.\"order\""
        );
    }

    #[test]
    fn names_with_quotes_stay_one_identifier() {
        let odd = Table::new("we\"ird", COLUMNS, &[], None, true, false);
        assert_eq!(
            delete_children_statement(&odd),
            "DELETE FROM \"we\"\"ird\" WHERE _parent_id = ANY(ARRAY(SELECT unnest($1::uuid[])))"
        );
    }
}
