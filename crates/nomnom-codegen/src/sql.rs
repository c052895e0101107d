//! The SQL: `migrations/0001_initial.sql` (tables, keys, constraints, hidden columns, links
//! to parents, indexes, comments). The runtime's own `message_status` table is not the
//! model's: the worker applies its DDL after the model's migrations. The statements that
//! write rows are the runtime's, built from each table's descriptor.

use nomnom_spec::model::{Entity, Literal, Project, ScalarType};
use nomnom_spec::names::{self, sql_ident};

use crate::error::GenerateError;
use crate::literal::to_sql;
use crate::types::{self, postgres_column_type};

/// The path of the first (and, until the model language learns migrations, only) migration.
pub const INITIAL_MIGRATION: &str = "migrations/0001_initial.sql";

/// A SQL string literal.
pub(crate) fn quote_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// An index or constraint name from parts, kept within PostgreSQL's 63 bytes.
pub(crate) fn derived_name(parts: &[&str]) -> String {
    let mut name = parts.join("_");
    while names::exceeds_postgres_limit(&name) {
        name.pop();
    }
    sql_ident(&name)
}

/// `CHECK` constraints for a column: `enum` as `IN (…)`, `min`/`max` on numbers.
fn checks(column: &str, ty: ScalarType, field: &nomnom_spec::model::Field) -> Vec<String> {
    column_checks(
        column,
        ty,
        field.enum_values.as_deref(),
        field.min.as_ref(),
        field.max.as_ref(),
    )
}

/// `CHECK` constraints of a column from its rules.
pub(crate) fn column_checks(
    column: &str,
    ty: ScalarType,
    enum_values: Option<&[Literal]>,
    min: Option<&Literal>,
    max: Option<&Literal>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(values) = enum_values {
        if matches!(
            ty,
            ScalarType::String | ScalarType::Integer | ScalarType::Decimal
        ) {
            let list: Vec<String> = values.iter().map(to_sql).collect();
            out.push(format!("{column} IN ({})", list.join(", ")));
        }
    }
    if types::is_numeric(ty) {
        if let Some(Literal::Number(min)) = min {
            out.push(format!("{column} >= {min}"));
        }
        if let Some(Literal::Number(max)) = max {
            out.push(format!("{column} <= {max}"));
        }
    }
    out
}

pub(crate) fn table_ddl(
    project: &Project,
    entity: &Entity,
    out: &mut String,
) -> Result<(), GenerateError> {
    let table = sql_ident(&entity.table);
    let mut lines = vec![
        "    _id UUID PRIMARY KEY".to_string(),
        "    _message_id UUID NOT NULL".to_string(),
    ];
    if entity.is_keyed() {
        // A row written by other means (a backfill) is older than every message.
        lines.push(format!(
            "    _version UUID NOT NULL DEFAULT '{NIL_VERSION}'"
        ));
    }
    let parent = project.parent_of(entity);
    if let Some(parent) = parent {
        lines.push(format!(
            "    _parent_id UUID NOT NULL REFERENCES {} (_id) ON DELETE CASCADE",
            sql_ident(&parent.table)
        ));
    }
    for field in entity.columns() {
        let (ty, nullable) = column_kind(project, entity, field)?;
        let column = sql_ident(&field.name);
        let mut line = format!(
            "    {column} {}",
            postgres_column_type(ty, field.max_length)
        );
        if !nullable {
            line.push_str(" NOT NULL");
        }
        for check in checks(&column, ty, field) {
            line.push_str(&format!(" CHECK ({check})"));
        }
        lines.push(line);
    }
    lines.push("    _ingested_at TIMESTAMPTZ NOT NULL DEFAULT now()".to_string());
    if entity.is_keyed() {
        let key: Vec<String> = entity.key.iter().map(|k| sql_ident(k)).collect();
        lines.push(format!("    UNIQUE ({})", key.join(", ")));
    }
    out.push_str(&format!(
        "CREATE TABLE {table} (\n{}\n);\n",
        lines.join(",\n")
    ));
    if parent.is_some() {
        out.push_str(&format!(
            "CREATE INDEX {} ON {table} (_parent_id);\n",
            derived_name(&[&entity.table, "parent_id", "idx"])
        ));
    }
    let doc = entity
        .doc
        .clone()
        .unwrap_or_else(|| format!("Rows of entity {} (nomnom).", entity.name));
    out.push_str(&format!(
        "COMMENT ON TABLE {table} IS {};\n",
        quote_text(&doc)
    ));
    for field in entity.columns() {
        if let Some(doc) = &field.doc {
            out.push_str(&format!(
                "COMMENT ON COLUMN {table}.{} IS {};\n",
                sql_ident(&field.name),
                quote_text(doc)
            ));
        }
    }
    out.push_str(&format!(
        "COMMENT ON COLUMN {table}._message_id IS 'The message that last wrote this row (message_status.message_id).';\n"
    ));
    if entity.is_keyed() {
        out.push_str(&format!(
            "COMMENT ON COLUMN {table}._version IS {};\n",
            quote_text(&version_comment(entity))
        ));
    }
    Ok(())
}

/// What `_version` means for `entity`: newest wins, by its version field when it names one.
pub(crate) fn version_comment(entity: &Entity) -> String {
    let order = "the order in which the API accepted the message that last wrote this row \
                 (a UUIDv7; the nil UUID, older than every message, for rows written by other means)";
    match &entity.version {
        Some(field) => format!(
            "Newest wins: a row is overwritten only by a message whose {field} is not older; \
             between equal {field} values, {order} decides."
        ),
        None => format!(
            "Newest wins: {order}; a row is overwritten only by a message accepted after it."
        ),
    }
}

/// The version of rows not written by a message: older than all.
pub(crate) const NIL_VERSION: &str = "00000000-0000-0000-0000-000000000000";

/// The first migration: every entity table, parents first.
pub fn initial_migration(project: &Project) -> Result<String, GenerateError> {
    let mut out = format!(
        "-- {}\n-- Schema of the `{}` model. Applied once; never edited (changes go in a new migration).\n\n",
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

/// The column type and nullability of a scalar field (following `from: parent.x`).
fn column_kind(
    project: &Project,
    entity: &Entity,
    field: &nomnom_spec::model::Field,
) -> Result<(ScalarType, bool), GenerateError> {
    project.column_kind(entity, field).ok_or_else(|| {
        GenerateError(format!(
            "{}.{}: not a column, or its parent field is missing",
            entity.name, field.name
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_to_63_bytes() {
        let long = "a".repeat(70);
        let name = derived_name(&[&long, "parent_id", "idx"]);
        assert_eq!(name.len(), 63);
    }

    fn field(name: &str, ty: ScalarType) -> nomnom_spec::model::Field {
        nomnom_spec::model::Field {
            name: name.into(),
            doc: None,
            ty: nomnom_spec::model::FieldType::Scalar(ty),
            nullable: false,
            source: nomnom_spec::model::FieldSource::Key(name.into()),
            default: None,
            max_length: None,
            min: None,
            max: None,
            pattern: None,
            enum_values: None,
            stored: true,
            renamed_from: None,
        }
    }

    fn project(key: Vec<String>) -> Project {
        Project {
            name: "p".into(),
            entities: vec![Entity {
                name: "Item".into(),
                doc: Some("It's an item.".into()),
                table: "items".into(),
                renamed_from: None,
                key,
                version: None,
                fields: vec![
                    field("order", ScalarType::String),
                    nomnom_spec::model::Field {
                        min: Some(Literal::Number("0".into())),
                        max_length: Some(9),
                        enum_values: Some(vec![
                            Literal::Number("1".into()),
                            Literal::Number("2".into()),
                        ]),
                        ..field("qty", ScalarType::Integer)
                    },
                ],
                format: nomnom_spec::model::Format::Json,
                segment: None,
                parent: None,
            }],
            transforms: vec![],
        }
    }

    #[test]
    fn tables_carry_hidden_columns_checks_and_comments() {
        let ddl = initial_migration(&project(vec!["order".into()])).unwrap_or_default();
        assert!(ddl.starts_with("-- generated by nomnom, do not edit\n"));
        assert!(ddl.contains("    _id UUID PRIMARY KEY,\n    _message_id UUID NOT NULL,\n"));
        assert!(ddl.contains("    \"order\" TEXT NOT NULL,\n"));
        // max_length means nothing on an integer; enum and min become CHECKs.
        assert!(ddl.contains("    qty BIGINT NOT NULL CHECK (qty IN (1, 2)) CHECK (qty >= 0),\n"));
        assert!(ddl.contains("    UNIQUE (\"order\")\n);"));
        assert!(ddl.contains("COMMENT ON TABLE items IS 'It''s an item.';"));
        assert!(ddl.contains(
            "    _version UUID NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',\n"
        ));
        assert!(ddl.ends_with(";\n"));
        assert!(
            !ddl.contains("message_status ("),
            "the runtime creates its own table"
        );
    }
}
