//! Changes to statements for MySQL and MariaDB ([`Mysql`], the other side of the
//! [`Dialect`] seam). Differences from PostgreSQL's that bite:
//! - a column's type, nullability or length changes with `MODIFY COLUMN` and its whole
//!   definition, read from the new model;
//! - `CHECK` constraints of a column are dropped by name, found in `information_schema` and
//!   dropped through a prepared statement (MySQL has no `DO` blocks); MariaDB keeps a rule
//!   written in a column's definition in the column, where every `MODIFY COLUMN` drops it, so
//!   each change that modifies a column writes its rules again (`replace_checks`);
//! - the key's unique index has a name of nomnom's (`<table>_key`), dropped by that name; a
//!   key too long for an index is enforced on a hashed column, added and dropped with it
//!   ([`crate::sql_mysql::key_index`]); a renamed table's indexes are renamed with it;
//! - a column's doc is not rewritten (a comment changes only with the column's whole
//!   definition); the table's is.
//!
//! Every statement commits by itself: the worker records each one applied and resumes a
//! half-applied migration where it stopped.

use nomnom_spec::model::{Literal, Project};

use super::change::Change;
use super::snapshot::{ColumnSnapshot, Value};
use super::sql::Dialect;
use crate::error::GenerateError;
use crate::sql::{derived_name, version_comment};
use crate::sql_mysql::{
    check_clause, checks, column_type, ident, key_index, key_index_name, key_prefix_index_name,
    quote_text, table_ddl, KeyIndex,
};

/// MySQL and MariaDB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mysql;

/// The statements that enforce the key of `entity` (new model) on `table`.
fn add_key(project: &Project, entity: &str, table: &str) -> Result<Vec<String>, GenerateError> {
    let e = project
        .entity(entity)
        .ok_or_else(|| GenerateError(format!("no entity `{entity}` in the model")))?;
    let unique = key_index_name(table);
    Ok(match key_index(project, e)? {
        KeyIndex::Columns(columns) => vec![format!(
            "ALTER TABLE {} ADD UNIQUE KEY {unique} ({columns});",
            ident(table)
        )],
        KeyIndex::Hashed { hash, prefix } => {
            let mut out = vec![format!(
                "ALTER TABLE {} ADD COLUMN _key_hash {hash};",
                ident(table)
            )];
            out.push(format!(
                "ALTER TABLE {} ADD UNIQUE KEY {unique} (_key_hash);",
                ident(table)
            ));
            if let Some(prefix) = prefix {
                out.push(format!(
                    "ALTER TABLE {} ADD KEY {} ({prefix});",
                    ident(table),
                    key_prefix_index_name(table)
                ));
            }
            out
        }
    })
}

/// The statements that give the indexes nomnom named after table `from` (the key's, its
/// prefix's, the parent id's) the names of table `to`, those the table has: later migrations
/// find them by those names. (A foreign key keeps its name: MySQL cannot rename one.)
fn rename_indexes(from: &str, to: &str) -> Vec<String> {
    let renames: Vec<(String, String)> = [&["key"][..], &["key", "prefix"], &["parent_id", "idx"]]
        .iter()
        .map(|suffix| {
            let name = |table: &str| {
                let mut parts = vec![table];
                parts.extend(suffix.iter().copied());
                derived_name(&parts).replace('"', "")
            };
            (name(from), name(to))
        })
        .collect();
    let cases: Vec<String> = renames
        .iter()
        .map(|(old, new)| format!("WHEN {} THEN {}", quote_text(old), quote_text(&ident(new))))
        .collect();
    let names: Vec<String> = renames.iter().map(|(old, _)| quote_text(old)).collect();
    vec![
        format!(
            "SET @nomnom_ddl = (SELECT CONCAT('ALTER TABLE ', {t}, ' ', GROUP_CONCAT(DISTINCT \
             CONCAT('RENAME INDEX `', INDEX_NAME, '` TO ', CASE INDEX_NAME {cases} END) \
             SEPARATOR ', ')) FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {name} AND INDEX_NAME IN ({names}));",
            t = quote_text(&ident(to)),
            cases = cases.join(" "),
            name = quote_text(to),
            names = names.join(", "),
        ),
        "PREPARE nomnom_ddl FROM IFNULL(@nomnom_ddl, 'DO 0');".to_string(),
        "EXECUTE nomnom_ddl;".to_string(),
        "DEALLOCATE PREPARE nomnom_ddl;".to_string(),
    ]
}

/// The statements that drop the key's unique index from `table`, and the hash column and
/// prefix index of a hashed key when the table has them (looked up, since whether the old key
/// was hashed depends on the old model's column types).
fn drop_key(table: &str) -> Vec<String> {
    let prefix = derived_name(&[table, "key", "prefix"]).replace('"', "");
    vec![
        format!("ALTER TABLE {} DROP INDEX {};", ident(table), key_index_name(table)),
        format!(
            "SET @nomnom_ddl = (SELECT CONCAT('ALTER TABLE ', {t}, ' ', GROUP_CONCAT(part SEPARATOR ', ')) \
             FROM (SELECT DISTINCT CONCAT('DROP INDEX ', {prefix_ident}) AS part \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = {name} AND INDEX_NAME = {prefix_name} \
             UNION ALL SELECT 'DROP COLUMN _key_hash' FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {name} \
             AND COLUMN_NAME = '_key_hash') hashed);",
            t = quote_text(&ident(table)),
            name = quote_text(table),
            prefix_ident = quote_text(&ident(&prefix)),
            prefix_name = quote_text(&prefix),
        ),
        "PREPARE nomnom_ddl FROM IFNULL(@nomnom_ddl, 'DO 0');".to_string(),
        "EXECUTE nomnom_ddl;".to_string(),
        "DEALLOCATE PREPARE nomnom_ddl;".to_string(),
    ]
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

/// The definition of `column` of `entity` in the new model, and its rules.
fn definition_in(
    project: &Project,
    entity: &str,
    column: &str,
) -> Result<(String, Vec<String>), GenerateError> {
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
    let rules = checks(
        &ident(column),
        ty,
        field.enum_values.as_deref(),
        field.min.as_ref(),
        field.max.as_ref(),
    );
    Ok((out, rules))
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
    add_rules(table, &rule_checks(column))
}

/// A column's rules as one `CHECK`, as a fresh install writes them.
fn add_rules(table: &str, rules: &[String]) -> Vec<String> {
    if rules.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "ALTER TABLE {} ADD CHECK ({});",
        ident(table),
        rules.join(" AND ")
    )]
}

/// Drops every table-level `CHECK` constraint whose clause names `column`, whatever the server
/// named it. A fresh install writes the rules in the column's definition: MySQL 8 keeps them
/// as table constraints, which this drops; MariaDB keeps them in the column (a constraint
/// named as the column, which `DROP CONSTRAINT` cannot drop) and every `MODIFY COLUMN`
/// replaces them, so a change of rules modifies the column too ([`replace_checks`]).
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
             AND cc.CONSTRAINT_NAME <> {column_name} AND cc.CHECK_CLAUSE LIKE {like});",
            t = quote_text(&ident(table)),
            name = quote_text(table),
            column_name = quote_text(column),
        ),
        "PREPARE nomnom_ddl FROM IFNULL(@nomnom_ddl, 'DO 0');".to_string(),
        "EXECUTE nomnom_ddl;".to_string(),
        "DEALLOCATE PREPARE nomnom_ddl;".to_string(),
    ]
}

/// `column` redefined as the snapshot has it, with its rules: the old rules dropped (MySQL's
/// table constraints by [`drop_checks`], MariaDB's column ones by the `MODIFY COLUMN`), the
/// column modified, the new rules added as table constraints. Every change that modifies a
/// column goes through here, so no server is left with the old rules or without the new.
fn replace_checks(table: &str, column: &ColumnSnapshot) -> Vec<String> {
    let mut out = drop_checks(table, &column.name);
    out.push(format!(
        "ALTER TABLE {} MODIFY COLUMN {} {};",
        ident(table),
        ident(&column.name),
        definition(column)
    ));
    out.extend(add_checks(table, column));
    out
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
                let mut out = vec![format!("RENAME TABLE {} TO {};", t(from), t(to))];
                out.extend(rename_indexes(from, to));
                out
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
            Change::ChangeType { table, column, .. } => replace_checks(table, column),
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
                out.extend(replace_checks(table, column));
                out
            }
            Change::AllowNull {
                entity,
                table,
                column,
            } => {
                // As in replace_checks: the rules survive the MODIFY on every server.
                let (def, rules) = definition_in(project, entity, column)?;
                let def = def.trim_end_matches(" NOT NULL");
                let mut out = drop_checks(table, column);
                out.push(format!(
                    "ALTER TABLE {} MODIFY COLUMN {} {def} NULL;",
                    t(table),
                    c(column)
                ));
                out.extend(add_rules(table, &rules));
                out
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
                out.extend(replace_checks(table, column));
                out
            }
            Change::Checks { table, column, .. } => replace_checks(table, column),
            Change::Rule { .. } => Vec::new(),
            Change::AddKey { entity, table, .. } => {
                let comment = project
                    .entity(entity)
                    .map(|e| format!(" COMMENT {}", quote_text(&version_comment(e))))
                    .unwrap_or_default();
                let mut out = vec![format!(
                    "ALTER TABLE {} ADD COLUMN _version BINARY(16) NOT NULL DEFAULT X'{}'{comment};",
                    t(table),
                    "0".repeat(32)
                )];
                out.extend(add_key(project, entity, table)?);
                out
            }
            Change::ChangeKey { entity, table, .. } => {
                let mut out = drop_key(table);
                out.extend(add_key(project, entity, table)?);
                out
            }
            Change::DropKey { table, .. } => {
                let mut out = drop_key(table);
                out.push(format!("ALTER TABLE {} DROP COLUMN _version;", t(table)));
                out
            }
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
