//! The MySQL and MariaDB migrations: the same tables as [`crate::sql`]'s in MySQL's dialect.
//!
//! The type table: `string` → `VARCHAR(n)` with `max_length`, else `LONGTEXT`; `integer` →
//! `BIGINT`; `float` → `DOUBLE`; `decimal` → `DECIMAL(65,28)` (every value the runtime's
//! 28-digit decimal holds, stored exactly: MySQL would round a wider scale silently);
//! `boolean` → `BOOLEAN`; `date` → `DATE`; `timestamp` → `DATETIME(6)` in UTC (every session
//! runs with `time_zone = '+00:00'`); `uuid` → `BINARY(16)`; `json` → `JSON`. Every table is
//! InnoDB, `utf8mb4` with the `utf8mb4_bin` collation (strings compare byte for byte, as in
//! PostgreSQL: `a` and `A` are two keys), identifiers in backticks.
//!
//! A unique index holds at most 3,072 bytes of key (768 `utf8mb4` characters), and a
//! `LONGTEXT` none at all. A key too long for that is enforced through a stored generated
//! column `_key_hash` (SHA-256 of the key's columns) carrying the unique index, beside a
//! prefix index on the key's first column for the writer's lookups.

use nomnom_spec::model::{Entity, Literal, Project, ScalarType};

use crate::error::GenerateError;
use crate::sql::{column_checks, derived_name, version_comment};

/// The most bytes of key a unique index holds (InnoDB, `DYNAMIC` rows).
pub const MAX_KEY_BYTES: u32 = 3072;
/// Bytes per character of `utf8mb4`.
const BYTES_PER_CHAR: u32 = 4;
/// MySQL's limits on comments.
const MAX_TABLE_COMMENT: usize = 2048;
const MAX_COLUMN_COMMENT: usize = 1024;

/// A MySQL identifier, always in backticks.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A MySQL string literal (quotes doubled, backslashes escaped: the default `sql_mode`
/// reads `\` as an escape).
pub fn quote_text(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

fn comment(s: &str, max: usize) -> String {
    let mut cut = s.to_string();
    while cut.chars().count() > max {
        cut.pop();
    }
    quote_text(&cut)
}

/// The MySQL column type of a field.
pub fn column_type(ty: ScalarType, max_length: Option<u32>) -> String {
    match (ty, max_length) {
        (ScalarType::String, Some(n)) => format!("VARCHAR({n})"),
        (ScalarType::String, None) => "LONGTEXT".into(),
        (ScalarType::Integer, _) => "BIGINT".into(),
        (ScalarType::Float, _) => "DOUBLE".into(),
        (ScalarType::Decimal, _) => "DECIMAL(65,28)".into(),
        (ScalarType::Boolean, _) => "BOOLEAN".into(),
        (ScalarType::Date, _) => "DATE".into(),
        (ScalarType::Timestamp, _) => "DATETIME(6)".into(),
        (ScalarType::Uuid, _) => "BINARY(16)".into(),
        (ScalarType::Json, _) => "JSON".into(),
    }
}

/// The bytes a column takes in an index (`None`: it cannot be indexed whole).
fn key_bytes(ty: ScalarType, max_length: Option<u32>) -> Option<u32> {
    match (ty, max_length) {
        (ScalarType::String, Some(n)) => Some(n.saturating_mul(BYTES_PER_CHAR)),
        (ScalarType::String, None) | (ScalarType::Json, _) => None,
        (ScalarType::Decimal, _) => Some(30),
        (ScalarType::Uuid, _) => Some(16),
        _ => Some(8),
    }
}

/// A constant of the model in MySQL's SQL.
fn literal(lit: &Literal) -> String {
    match lit {
        Literal::Null => "NULL".into(),
        Literal::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Literal::Number(text) => text.clone(),
        Literal::String(s) => quote_text(s),
        Literal::Json(v) => quote_text(&v.to_string()),
    }
}

/// A column's `CHECK`s in MySQL's dialect (the rules of [`crate::sql::column_checks`]).
pub fn checks(
    column: &str,
    ty: ScalarType,
    enum_values: Option<&[Literal]>,
    min: Option<&Literal>,
    max: Option<&Literal>,
) -> Vec<String> {
    // The rules are the same; only string constants are written differently.
    let mut out = column_checks(column, ty, None, min, max);
    if let Some(values) = enum_values {
        if matches!(
            ty,
            ScalarType::String | ScalarType::Integer | ScalarType::Decimal
        ) {
            let list: Vec<String> = values.iter().map(literal).collect();
            out.insert(0, format!("{column} IN ({})", list.join(", ")));
        }
    }
    out
}

/// A column's rules as its one `CHECK` (MariaDB takes one per column, after the comment).
pub fn check_clause(checks: &[String]) -> String {
    if checks.is_empty() {
        String::new()
    } else {
        format!(" CHECK ({})", checks.join(" AND "))
    }
}

/// The `CREATE TABLE` of `entity`.
pub fn table_ddl(
    project: &Project,
    entity: &Entity,
    out: &mut String,
) -> Result<(), GenerateError> {
    let table = ident(&entity.table);
    let mut lines = vec![
        "    _id BINARY(16) NOT NULL".to_string(),
        "    _message_id BINARY(16) NOT NULL".to_string(),
    ];
    if entity.is_keyed() {
        // A row written by other means (a backfill) is older than every message.
        lines.push(format!(
            "    _version BINARY(16) NOT NULL DEFAULT X'{}' COMMENT {}",
            "0".repeat(32),
            comment(&version_comment(entity), MAX_COLUMN_COMMENT)
        ));
    }
    let parent = project.parent_of(entity);
    if parent.is_some() {
        lines.push("    _parent_id BINARY(16) NOT NULL".to_string());
    }
    let mut key_total: Option<u32> = Some(0);
    for field in entity.columns() {
        let (ty, nullable) = project.column_kind(entity, field).ok_or_else(|| {
            GenerateError(format!(
                "{}.{}: not a column, or its parent field is missing",
                entity.name, field.name
            ))
        })?;
        let column = ident(&field.name);
        if entity.key.contains(&field.name) {
            key_total = key_total
                .zip(key_bytes(ty, field.max_length))
                .map(|(a, b)| a.saturating_add(b));
        }
        let mut line = format!("    {column} {}", column_type(ty, field.max_length));
        if !nullable {
            line.push_str(" NOT NULL");
        }
        if let Some(doc) = &field.doc {
            line.push_str(&format!(" COMMENT {}", comment(doc, MAX_COLUMN_COMMENT)));
        }
        line.push_str(&check_clause(&checks(
            &column,
            ty,
            field.enum_values.as_deref(),
            field.min.as_ref(),
            field.max.as_ref(),
        )));
        lines.push(line);
    }
    lines.push("    _ingested_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)".to_string());
    lines.push("    PRIMARY KEY (_id)".to_string());
    if entity.is_keyed() {
        let key: Vec<String> = entity.key.iter().map(|k| ident(k)).collect();
        let unique = ident(&derived_name(&[&entity.table, "key"]).replace('"', ""));
        if key_total.is_some_and(|bytes| bytes <= MAX_KEY_BYTES) {
            lines.push(format!("    UNIQUE KEY {unique} ({})", key.join(", ")));
        } else {
            // Too long for a unique index: the index is on the key's hash.
            let parts: Vec<String> = key.iter().map(|k| format!("CAST({k} AS CHAR)")).collect();
            lines.insert(
                lines.len() - 2,
                format!(
                    "    _key_hash BINARY(32) AS (UNHEX(SHA2(CONCAT_WS(CHAR(0), {}), 256))) STORED",
                    parts.join(", ")
                ),
            );
            lines.push(format!("    UNIQUE KEY {unique} (_key_hash)"));
            lines.push(format!(
                "    KEY {} ({}(191))",
                ident(&derived_name(&[&entity.table, "key", "prefix"]).replace('"', "")),
                key[0]
            ));
        }
    }
    if let Some(parent) = parent {
        lines.push(format!(
            "    KEY {} (_parent_id)",
            ident(&derived_name(&[&entity.table, "parent_id", "idx"]).replace('"', ""))
        ));
        lines.push(format!(
            "    CONSTRAINT {} FOREIGN KEY (_parent_id) REFERENCES {} (_id) ON DELETE CASCADE",
            ident(&derived_name(&[&entity.table, "parent_id", "fk"]).replace('"', "")),
            ident(&parent.table)
        ));
    }
    let doc = entity
        .doc
        .clone()
        .unwrap_or_else(|| format!("Rows of entity {} (nomnom).", entity.name));
    out.push_str(&format!(
        "CREATE TABLE {table} (\n{}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT={};\n",
        lines.join(",\n"),
        comment(&doc, MAX_TABLE_COMMENT)
    ));
    Ok(())
}

/// The first migration: every entity table, parents first.
pub fn initial_migration(project: &Project) -> Result<String, GenerateError> {
    let mut out = format!(
        "-- {}\n-- Schema of the `{}` model for MySQL and MariaDB. Applied once; never edited \
         (changes go in a new migration). MySQL commits each statement by itself: the worker \
         records every statement applied and resumes a half-applied migration at the one that \
         failed.\n\n",
        crate::emit::HEADER,
        project.name
    );
    for entity in project.in_containment_order() {
        table_ddl(project, entity, &mut out)?;
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    Ok(out)
}
