//! Changes to statements. [`Dialect`] is the seam a database implements; [`Postgres`] is
//! the one written so far (it reuses the initial migration's DDL for new tables).

use nomnom_spec::model::{Literal, Project, ScalarType};
use nomnom_spec::names::sql_ident;

use super::change::Change;
use super::snapshot::{ColumnSnapshot, Value};
use crate::error::GenerateError;
use crate::literal::to_sql;
use crate::sql::{
    column_checks, derived_name, quote_text, table_ddl, version_comment, NIL_VERSION,
};
use crate::types::postgres_column_type;

/// A database's way of writing each kind of change.
pub trait Dialect {
    /// The statements (each ending with `;`) that apply `change`; `project` is the new model.
    /// Empty for a change with no statement (a rule checked only by the worker).
    fn statements(&self, change: &Change, project: &Project) -> Result<Vec<String>, GenerateError>;
}

/// PostgreSQL.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Dialect for Postgres {
    fn statements(&self, change: &Change, project: &Project) -> Result<Vec<String>, GenerateError> {
        let t = |table: &str| sql_ident(table);
        let c = |column: &str| sql_ident(column);
        Ok(match change {
            Change::AddTable { entity, .. } => {
                let e = project
                    .entity(entity)
                    .ok_or_else(|| GenerateError(format!("no entity `{entity}` in the model")))?;
                let mut ddl = String::new();
                table_ddl(project, e, &mut ddl)?;
                vec![ddl.trim_end().to_string()]
            }
            Change::DropTable { table, .. } => vec![format!("DROP TABLE {};", t(table))],
            Change::RenameTable {
                entity, from, to, ..
            } => {
                let mut out = vec![format!("ALTER TABLE {} RENAME TO {};", t(from), t(to))];
                if project.entity(entity).is_some_and(|e| e.parent.is_some()) {
                    out.push(format!(
                        "ALTER INDEX IF EXISTS {} RENAME TO {};",
                        derived_name(&[from, "parent_id", "idx"]),
                        derived_name(&[to, "parent_id", "idx"])
                    ));
                }
                out
            }
            Change::AddColumn { table, column, .. } => add_column(table, column),
            Change::DropColumn { table, column, .. } => {
                vec![format!(
                    "ALTER TABLE {} DROP COLUMN {};",
                    t(table),
                    c(column)
                )]
            }
            Change::RenameColumn {
                table, from, to, ..
            } => vec![format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {};",
                t(table),
                c(from),
                c(to)
            )],
            Change::ChangeType { table, column, .. } => {
                let ty = postgres_column_type(column.scalar(), column.max_length);
                let mut out = vec![drop_checks(table, &column.name)];
                out.push(format!(
                    "ALTER TABLE {} ALTER COLUMN {col} TYPE {ty} USING {col}::{ty};",
                    t(table),
                    col = c(&column.name)
                ));
                out.extend(add_checks(table, column));
                out
            }
            Change::Resize { table, column, .. } => {
                let ty = postgres_column_type(ScalarType::String, column.max_length);
                let col = c(&column.name);
                if change.is_destructive() {
                    let n = column.max_length.unwrap_or_default();
                    vec![format!(
                        "ALTER TABLE {} ALTER COLUMN {col} TYPE {ty} USING left({col}, {n});",
                        t(table)
                    )]
                } else {
                    vec![format!(
                        "ALTER TABLE {} ALTER COLUMN {col} TYPE {ty};",
                        t(table)
                    )]
                }
            }
            Change::AllowNull { table, column, .. } => vec![format!(
                "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL;",
                t(table),
                c(column)
            )],
            Change::RequireValue { table, column, .. } => {
                let col = c(&column.name);
                let mut out = Vec::new();
                if let Some(default) = &column.default {
                    out.push(format!(
                        "UPDATE {} SET {col} = {} WHERE {col} IS NULL;",
                        t(table),
                        sql_value(default, column)
                    ));
                }
                out.push(format!(
                    "ALTER TABLE {} ALTER COLUMN {col} SET NOT NULL;",
                    t(table)
                ));
                out
            }
            Change::Checks { table, column, .. } => {
                let mut out = vec![drop_checks(table, &column.name)];
                out.extend(add_checks(table, column));
                out
            }
            Change::Rule { .. } => Vec::new(),
            Change::AddKey { entity, table, key } => {
                let mut out = vec![format!(
                    "ALTER TABLE {} ADD COLUMN _version UUID NOT NULL DEFAULT '{NIL_VERSION}';",
                    t(table)
                )];
                out.push(unique_check(table, key));
                out.push(format!(
                    "ALTER TABLE {} ADD UNIQUE ({});",
                    t(table),
                    columns(key)
                ));
                if let Some(e) = project.entity(entity) {
                    out.push(format!(
                        "COMMENT ON COLUMN {}._version IS {};",
                        t(table),
                        quote_text(&version_comment(e))
                    ));
                }
                out
            }
            Change::ChangeKey { table, to, .. } => vec![
                drop_unique(table),
                unique_check(table, to),
                format!("ALTER TABLE {} ADD UNIQUE ({});", t(table), columns(to)),
            ],
            Change::DropKey { table, .. } => vec![
                drop_unique(table),
                format!("ALTER TABLE {} DROP COLUMN _version;", t(table)),
            ],
            Change::Version { entity, table, .. } => match project.entity(entity) {
                Some(e) => vec![format!(
                    "COMMENT ON COLUMN {}._version IS {};",
                    t(table),
                    quote_text(&version_comment(e))
                )],
                None => Vec::new(),
            },
            Change::Doc {
                entity,
                table,
                column: None,
                doc,
            } => {
                let doc = doc
                    .clone()
                    .unwrap_or_else(|| format!("Rows of entity {entity} (nomnom)."));
                vec![format!(
                    "COMMENT ON TABLE {} IS {};",
                    t(table),
                    quote_text(&doc)
                )]
            }
            Change::Doc {
                table,
                column: Some(column),
                doc,
                ..
            } => vec![format!(
                "COMMENT ON COLUMN {}.{} IS {};",
                t(table),
                c(column),
                doc.as_deref()
                    .map_or_else(|| "NULL".to_string(), quote_text)
            )],
        })
    }
}

fn columns(names: &[String]) -> String {
    names
        .iter()
        .map(|n| sql_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A model constant as SQL of the column's type.
fn sql_value(v: &Value, column: &ColumnSnapshot) -> String {
    let lit = Literal::from(v);
    let text = to_sql(&lit);
    match (column.scalar(), &lit) {
        (ScalarType::String | ScalarType::Json | ScalarType::Boolean, _) | (_, Literal::Null) => {
            text
        }
        (ty, _) => format!("{text}::{}", postgres_column_type(ty, column.max_length)),
    }
}

/// `ADD COLUMN`: a default fills the rows already stored and stays the column's default, so
/// a worker of the previous model still running while the workers are upgraded (its rows
/// lack the column) writes it too.
fn add_column(table: &str, column: &ColumnSnapshot) -> Vec<String> {
    let t = sql_ident(table);
    let col = sql_ident(&column.name);
    let mut line = format!(
        "ALTER TABLE {t} ADD COLUMN {col} {}",
        postgres_column_type(column.scalar(), column.max_length)
    );
    if let Some(default) = &column.default {
        line.push_str(&format!(" DEFAULT {}", sql_value(default, column)));
    }
    if !column.nullable {
        line.push_str(" NOT NULL");
    }
    for check in rule_checks(&col, column) {
        line.push_str(&format!(" CHECK ({check})"));
    }
    line.push(';');
    let mut out = vec![line];
    if let Some(doc) = &column.doc {
        out.push(format!(
            "COMMENT ON COLUMN {t}.{col} IS {};",
            quote_text(doc)
        ));
    }
    out
}

fn rule_checks(col: &str, column: &ColumnSnapshot) -> Vec<String> {
    let values: Option<Vec<Literal>> = column
        .enum_values
        .as_ref()
        .map(|v| v.iter().map(Literal::from).collect());
    column_checks(
        col,
        column.scalar(),
        values.as_deref(),
        column.min.as_ref().map(Literal::from).as_ref(),
        column.max.as_ref().map(Literal::from).as_ref(),
    )
}

fn add_checks(table: &str, column: &ColumnSnapshot) -> Vec<String> {
    let col = sql_ident(&column.name);
    rule_checks(&col, column)
        .into_iter()
        .map(|check| format!("ALTER TABLE {} ADD CHECK ({check});", sql_ident(table)))
        .collect()
}

/// Drops every CHECK constraint on `column` alone (those of the initial migration have
/// names PostgreSQL chose).
fn drop_checks(table: &str, column: &str) -> String {
    format!(
        "DO $nomnom$\nDECLARE c record;\nBEGIN\n    FOR c IN\n        SELECT con.conname FROM pg_constraint con\n        \
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]\n        \
         WHERE con.conrelid = {}::regclass AND con.contype = 'c'\n          \
         AND cardinality(con.conkey) = 1 AND a.attname = {}\n    LOOP\n        \
         EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', {}, c.conname);\n    END LOOP;\nEND\n$nomnom$;",
        quote_text(&sql_ident(table)),
        quote_text(column),
        quote_text(table)
    )
}

/// Drops the table's UNIQUE constraint (its key; named by PostgreSQL).
fn drop_unique(table: &str) -> String {
    format!(
        "DO $nomnom$\nDECLARE c record;\nBEGIN\n    FOR c IN\n        SELECT conname FROM pg_constraint\n        \
         WHERE conrelid = {}::regclass AND contype = 'u'\n    LOOP\n        \
         EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', {}, c.conname);\n    END LOOP;\nEND\n$nomnom$;",
        quote_text(&sql_ident(table)),
        quote_text(table)
    )
}

/// Fails (naming the duplicates, up to ten) when rows of `table` share a value of `key`.
fn unique_check(table: &str, key: &[String]) -> String {
    let cols = columns(key);
    let texts = key
        .iter()
        .map(|k| format!("{}::text", sql_ident(k)))
        .collect::<Vec<_>>()
        .join(", ");
    let message = format!(
        "cannot add the key ({}) to table {table}: rows share a key (key: rows): %",
        key.join(", ")
    );
    format!(
        "DO $nomnom$\nDECLARE duplicates text;\nBEGIN\n    \
         SELECT string_agg(format('(%s): %s', k, n), ', ') INTO duplicates FROM (\n        \
         SELECT concat_ws(', ', {texts}) AS k, count(*) AS n FROM {}\n        \
         GROUP BY {cols} HAVING count(*) > 1 ORDER BY count(*) DESC, 1 LIMIT 10\n    ) d;\n    \
         IF duplicates IS NOT NULL THEN\n        RAISE EXCEPTION {}, duplicates;\n    END IF;\nEND\n$nomnom$;",
        sql_ident(table),
        quote_text(&message)
    )
}
