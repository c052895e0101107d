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

/// How a table's key is enforced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyIndex {
    /// A unique index on the key's columns (this list, quoted).
    Columns(String),
    /// A key too long for a unique index: the index is on the stored column `_key_hash` of
    /// this definition, beside an index on this part of the key's first column, when it can
    /// have one (a JSON column cannot).
    Hashed {
        hash: String,
        prefix: Option<String>,
    },
}

/// The name of the key's unique index.
pub fn key_index_name(table: &str) -> String {
    ident(&derived_name(&[table, "key"]).replace('"', ""))
}

/// The name of the index on the key's first column beside a hashed key.
pub fn key_prefix_index_name(table: &str) -> String {
    ident(&derived_name(&[table, "key", "prefix"]).replace('"', ""))
}

/// How the key of `entity` is enforced: on its columns when they fit a unique index
/// ([`MAX_KEY_BYTES`]), else on their hash.
pub fn key_index(project: &Project, entity: &Entity) -> Result<KeyIndex, GenerateError> {
    let mut total: Option<u32> = Some(0);
    let mut first_part = None;
    for name in &entity.key {
        let field = entity
            .columns()
            .find(|f| &f.name == name)
            .ok_or_else(|| GenerateError(format!("{}: no key field `{name}`", entity.name)))?;
        let (ty, _) = project
            .column_kind(entity, field)
            .ok_or_else(|| GenerateError(format!("{}.{name}: not a column", entity.name)))?;
        total = total
            .zip(key_bytes(ty, field.max_length))
            .map(|(a, b)| a.saturating_add(b));
        if first_part.is_none() {
            first_part = Some(match ty {
                ScalarType::Json => None,
                ScalarType::String => Some(format!("{}(191)", ident(name))),
                _ => Some(ident(name)),
            });
        }
    }
    let quoted: Vec<String> = entity.key.iter().map(|k| ident(k)).collect();
    if total.is_some_and(|bytes| bytes <= MAX_KEY_BYTES) {
        return Ok(KeyIndex::Columns(quoted.join(", ")));
    }
    let parts: Vec<String> = quoted
        .iter()
        .map(|k| format!("CAST({k} AS CHAR)"))
        .collect();
    Ok(KeyIndex::Hashed {
        hash: format!(
            "BINARY(32) AS (UNHEX(SHA2(CONCAT_WS(CHAR(0), {}), 256))) STORED",
            parts.join(", ")
        ),
        prefix: first_part.flatten(),
    })
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
    for field in entity.columns() {
        let (ty, nullable) = project.column_kind(entity, field).ok_or_else(|| {
            GenerateError(format!(
                "{}.{}: not a column, or its parent field is missing",
                entity.name, field.name
            ))
        })?;
        let column = ident(&field.name);
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
        let unique = key_index_name(&entity.table);
        match key_index(project, entity)? {
            KeyIndex::Columns(columns) => {
                lines.push(format!("    UNIQUE KEY {unique} ({columns})"));
            }
            KeyIndex::Hashed { hash, prefix } => {
                lines.insert(lines.len() - 2, format!("    _key_hash {hash}"));
                lines.push(format!("    UNIQUE KEY {unique} (_key_hash)"));
                if let Some(prefix) = prefix {
                    lines.push(format!(
                        "    KEY {} ({prefix})",
                        key_prefix_index_name(&entity.table)
                    ));
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entity_key(yaml: &str) -> KeyIndex {
        let loaded = nomnom_spec::load_str(yaml, "nomnom.yaml").expect("a valid model");
        let entity = loaded.project.entity("Note").expect("entity Note");
        key_index(&loaded.project, entity).expect("a key index")
    }

    #[test]
    fn a_key_that_fits_an_index_is_indexed_as_its_columns() {
        let key = entity_key(
            "project: p\nentities:\n  Note:\n    key: [id, code]\n    fields:\n      \
             id: integer\n      code: {type: string, max_length: 700}\n",
        );
        assert_eq!(key, KeyIndex::Columns("`id`, `code`".into()));
    }

    #[test]
    fn a_key_too_long_for_an_index_is_hashed_with_a_prefix_index_its_first_column_can_take() {
        let long = "project: p\nentities:\n  Note:\n    key: [FIRST, text]\n    fields:\n      \
                    FIRST\n      text: string\n";
        // A string takes a prefix of 191 characters; an integer is indexed whole (a prefix
        // length on it is refused); a JSON column takes no index at all.
        for (first, prefix) in [
            ("id: string", Some("`id`(191)")),
            ("id: integer", Some("`id`")),
            ("id: json", None),
        ] {
            let yaml = long.replace("FIRST, ", "id, ").replace("FIRST", first);
            match entity_key(&yaml) {
                KeyIndex::Hashed { hash, prefix: got } => {
                    assert!(hash.starts_with("BINARY(32) AS (UNHEX(SHA2("), "{hash}");
                    assert_eq!(got.as_deref(), prefix, "{first}");
                }
                other => panic!("{first}: {other:?}"),
            }
        }
    }
}
