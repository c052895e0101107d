//! Changes to statements for MySQL and MariaDB ([`Mysql`], the other side of the
//! [`Dialect`] seam). Differences from PostgreSQL's that bite:
//! - a column's type, nullability or length changes with `MODIFY COLUMN` and its whole
//!   definition, read from the new model;
//! - `CHECK` constraints of a column are dropped by name, found in `information_schema` and
//!   dropped through a prepared statement (MySQL has no `DO` blocks);
//! - the key's unique index has a name of nomnom's (`<table>_key`), dropped by that name;
//! - a column's doc is not rewritten (a comment changes only with the column's whole
//!   definition); the table's is.
//!
//! Every statement commits by itself: the worker records each one applied and resumes a
//! half-applied migration where it stopped.

use nomnom_spec::model::{Literal, Project, ScalarType};

use super::change::Change;
use super::snapshot::{ColumnSnapshot, Value};
use super::sql::Dialect;
use crate::error::GenerateError;
use crate::sql::{derived_name, version_comment};
use crate::sql_mysql::{check_clause, checks, column_type, ident, quote_text, table_ddl};

/// MySQL and MariaDB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mysql;

fn key_index(table: &str) -> String {
    ident(&derived_name(&[table, "key"]).replace('"', ""))
}

fn sql_value(v: &Value) -> String {
    match Literal::from(v) {
        Literal::Null => "NULL".into(),
        Literal::Bool(b) => if b { "TRUE" } else { "FALSE" }.into(),
        Literal::Number(text) => text,
        Literal::String(s) => quote_text(&s),
        Literal::Json(j) => quote_text(&j.to_string()),
    }
}

/// `TYPE [NOT NULL]` of a column as the snapshot has it.
fn definition(column: &ColumnSnapshot) -> String {
    let mut out = column_type(column.scalar(), column.max_length);
    if !column.nullable {
        out.push_str(" NOT NULL");
    }
    out
}

/// The definition of `column` of `entity` in the new model.
fn definition_in(project: &Project, entity: &str, column: &str) -> Result<String, GenerateError> {
    let e = project
        .entity(entity)
        .ok_or_else(|| GenerateError(format!("no entity `{entity}` in the model")))?;
    let field = e
        .columns()
        .find(|f| f.name == column)
        .ok_or_else(|| GenerateError(format!("no column `{column}` in entity `{entity}`")))?;
    let (ty, nullable) = project
        .column_kind(e, field)
        .ok_or_else(|| GenerateError(format!("{entity}.{column}: not a column")))?;
    let mut out = column_type(ty, field.max_length);
    if !nullable {
        out.push_str(" NOT NULL");
    }
    Ok(out)
}

fn rule_checks(column: &ColumnSnapshot) -> Vec<String> {
    let values: Option<Vec<Literal>> = column
        .enum_values
        .as_ref()
        .map(|v| v.iter().map(Literal::from).collect());
    checks(
        &ident(&column.name),
        column.scalar(),
        values.as_deref(),
        column.min.as_ref().map(Literal::from).as_ref(),
        column.max.as_ref().map(Literal::from).as_ref(),
    )
}

fn add_checks(table: &str, column: &ColumnSnapshot) -> Vec<String> {
    rule_checks(column)
        .into_iter()
        .map(|check| format!("ALTER TABLE {} ADD CHECK ({check});", ident(table)))
        .collect()
}

/// Drops every `CHECK` constraint whose clause names `column`, whatever the server named it.
fn drop_checks(table: &str, column: &str) -> Vec<String> {
    let like = quote_text(&format!("%`{}`%", column.replace('`', "``")));
    vec![
        format!(
            "SET @nomnom_ddl = (SELECT CONCAT('ALTER TABLE ', {t}, ' ', GROUP_CONCAT(CONCAT('DROP CONSTRAINT `', \
             REPLACE(cc.CONSTRAINT_NAME, '`', '``'), '`') SEPARATOR ', ')) \
             FROM information_schema.CHECK_CONSTRAINTS cc \
             JOIN information_schema.TABLE_CONSTRAINTS tc ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA \
             AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME AND tc.CONSTRAINT_TYPE = 'CHECK' \
             WHERE cc.CONSTRAINT_SCHEMA = DATABASE() AND tc.TABLE_NAME = {name} \
             AND (cc.CHECK_CLAUSE LIKE {like} OR cc.CHECK_CLAUSE LIKE {plain}));",
            t = quote_text(&ident(table)),
            name = quote_text(table),
            plain = quote_text(&format!("%{column}%")),
        ),
        "PREPARE nomnom_ddl FROM IFNULL(@nomnom_ddl, 'DO 0');".to_string(),
        "EXECUTE nomnom_ddl;".to_string(),
        "DEALLOCATE PREPARE nomnom_ddl;".to_string(),
    ]
}

impl Dialect for Mysql {
    fn statements(&self, change: &Change, project: &Project) -> Result<Vec<String>, GenerateError> {
        let t = ident;
        let c = ident;
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
            Change::RenameTable { from, to, .. } => {
                vec![format!("RENAME TABLE {} TO {};", t(from), t(to))]
            }
            Change::AddColumn { table, column, .. } => {
                let mut line = format!(
                    "ALTER TABLE {} ADD COLUMN {} {}",
                    t(table),
                    c(&column.name),
                    column_type(column.scalar(), column.max_length)
                );
                if let Some(default) = &column.default {
                    // An expression default: the form MySQL takes for TEXT and JSON too.
                    line.push_str(&format!(" DEFAULT ({})", sql_value(default)));
                }
                if !column.nullable {
                    line.push_str(" NOT NULL");
                }
                if let Some(doc) = &column.doc {
                    line.push_str(&format!(" COMMENT {}", quote_text(doc)));
                }
                line.push_str(&check_clause(&rule_checks(column)));
                line.push(';');
                vec![line]
            }
            Change::DropColumn { table, column, .. } => {
                let mut out = drop_checks(table, column);
                out.push(format!(
                    "ALTER TABLE {} DROP COLUMN {};",
                    t(table),
                    c(column)
                ));
                out
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
                let mut out = drop_checks(table, &column.name);
                out.push(format!(
                    "ALTER TABLE {} MODIFY COLUMN {} {};",
                    t(table),
                    c(&column.name),
                    definition(column)
                ));
                out.extend(add_checks(table, column));
                out
            }
            Change::Resize { table, column, .. } => {
                let col = c(&column.name);
                let mut out = Vec::new();
                if change.is_destructive() {
                    let n = column.max_length.unwrap_or_default();
                    out.push(format!(
                        "UPDATE {} SET {col} = LEFT({col}, {n}) WHERE CHAR_LENGTH({col}) > {n};",
                        t(table)
                    ));
                }
                let ty = column_type(ScalarType::String, column.max_length);
                let null = if column.nullable { "" } else { " NOT NULL" };
                out.push(format!(
                    "ALTER TABLE {} MODIFY COLUMN {col} {ty}{null};",
                    t(table)
                ));
                out
            }
            Change::AllowNull {
                entity,
                table,
                column,
            } => {
                let def = definition_in(project, entity, column)?;
                let def = def.trim_end_matches(" NOT NULL");
                vec![format!(
                    "ALTER TABLE {} MODIFY COLUMN {} {def} NULL;",
                    t(table),
                    c(column)
                )]
            }
            Change::RequireValue { table, column, .. } => {
                let col = c(&column.name);
                let mut out = Vec::new();
                if let Some(default) = &column.default {
                    out.push(format!(
                        "UPDATE {} SET {col} = {} WHERE {col} IS NULL;",
                        t(table),
                        sql_value(default)
                    ));
                }
                out.push(format!(
                    "ALTER TABLE {} MODIFY COLUMN {col} {};",
                    t(table),
                    definition(column)
                ));
                out
            }
            Change::Checks { table, column, .. } => {
                let mut out = drop_checks(table, &column.name);
                out.extend(add_checks(table, column));
                out
            }
            Change::Rule { .. } => Vec::new(),
            Change::AddKey { entity, table, key } => {
                let comment = project
                    .entity(entity)
                    .map(|e| format!(" COMMENT {}", quote_text(&version_comment(e))))
                    .unwrap_or_default();
                vec![
                    format!(
                        "ALTER TABLE {} ADD COLUMN _version BINARY(16) NOT NULL DEFAULT X'{}'{comment};",
                        t(table),
                        "0".repeat(32)
                    ),
                    format!(
                        "ALTER TABLE {} ADD UNIQUE KEY {} ({});",
                        t(table),
                        key_index(table),
                        columns(key)
                    ),
                ]
            }
            Change::ChangeKey { table, to, .. } => vec![
                format!("ALTER TABLE {} DROP INDEX {};", t(table), key_index(table)),
                format!(
                    "ALTER TABLE {} ADD UNIQUE KEY {} ({});",
                    t(table),
                    key_index(table),
                    columns(to)
                ),
            ],
            Change::DropKey { table, .. } => vec![
                format!("ALTER TABLE {} DROP INDEX {};", t(table), key_index(table)),
                format!("ALTER TABLE {} DROP COLUMN _version;", t(table)),
            ],
            Change::Version { .. } => Vec::new(),
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
                    "ALTER TABLE {} COMMENT = {};",
                    t(table),
                    quote_text(&doc)
                )]
            }
            Change::Doc { .. } => Vec::new(),
        })
    }
}

fn columns(names: &[String]) -> String {
    names
        .iter()
        .map(|n| ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}
