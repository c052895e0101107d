//! The SQL: `migrations/0001_initial.sql` (tables, keys, constraints, hidden columns, links
//! to parents, indexes, comments, and the runtime's `message_status` table) and the
//! set-based statements the generated `RowBatch::write` issues.

use nomnom_spec::model::{Entity, Literal, Project, ScalarType};
use nomnom_spec::names::{self, sql_ident};

use crate::literal::to_sql;
use crate::rust::column_kind;
use crate::types::{self, Dialect, Postgres};
use crate::GenerateError;

/// The runtime's `message_status` DDL (one source, embedded from the runtime crate).
const MESSAGE_STATUS_SQL: &str = include_str!("../../nomnom-runtime/src/status/message_status.sql");

/// A SQL string literal.
fn quote_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// An index or constraint name from parts, kept within PostgreSQL's 63 bytes.
fn derived_name(parts: &[&str]) -> String {
    let mut name = parts.join("_");
    while names::exceeds_postgres_limit(&name) {
        name.pop();
    }
    sql_ident(&name)
}

/// `CHECK` constraints for a column: `enum` as `IN (…)`, `min`/`max` on numbers.
fn checks(column: &str, ty: ScalarType, field: &nomnom_spec::model::Field) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(values) = &field.enum_values {
        if matches!(
            ty,
            ScalarType::String | ScalarType::Integer | ScalarType::Decimal
        ) {
            let list: Vec<String> = values.iter().map(to_sql).collect();
            out.push(format!("{column} IN ({})", list.join(", ")));
        }
    }
    if types::is_numeric(ty) {
        if let Some(Literal::Number(min)) = &field.min {
            out.push(format!("{column} >= {min}"));
        }
        if let Some(Literal::Number(max)) = &field.max {
            out.push(format!("{column} <= {max}"));
        }
    }
    out
}

fn table_ddl(project: &Project, entity: &Entity, out: &mut String) -> Result<(), GenerateError> {
    let dialect = Postgres;
    let table = sql_ident(&entity.table);
    let mut lines = vec![
        "    _id UUID PRIMARY KEY".to_string(),
        "    _message_id UUID NOT NULL".to_string(),
    ];
    let parent = entity
        .parent
        .as_ref()
        .and_then(|p| project.entity(&p.entity));
    if let Some(parent) = parent {
        lines.push(format!(
            "    _parent_id UUID NOT NULL REFERENCES {} (_id) ON DELETE CASCADE",
            sql_ident(&parent.table)
        ));
    }
    for field in entity.columns() {
        let (ty, nullable) = column_kind(project, entity, field)?;
        let column = sql_ident(&field.name);
        let mut line = format!("    {column} {}", dialect.column_type(ty, field.max_length));
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
    Ok(())
}

/// The first migration: every entity table (parents first) and `message_status`.
pub fn initial_migration(project: &Project) -> Result<String, GenerateError> {
    let mut out = format!(
        "-- {}\n-- Schema of the `{}` model. Applied once; never edited (changes go in a new migration).\n\n",
        crate::emit::HEADER,
        project.name
    );
    for entity in crate::rust::topological(project) {
        table_ddl(project, entity, &mut out)?;
        out.push('\n');
    }
    out.push_str(MESSAGE_STATUS_SQL);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// `INSERT … SELECT * FROM UNNEST($1::uuid[], …) ON CONFLICT …` for one table: an upsert on
/// the key for keyed entities, `DO NOTHING` on the deterministic `_id` for keyless ones.
pub fn insert_statement(project: &Project, entity: &Entity) -> Result<String, GenerateError> {
    let dialect = Postgres;
    let mut columns = vec!["_id".to_string(), "_message_id".to_string()];
    let mut casts = vec!["uuid[]", "uuid[]"];
    if entity.parent.is_some() {
        columns.push("_parent_id".into());
        casts.push("uuid[]");
    }
    let mut updates = vec!["_message_id = EXCLUDED._message_id".to_string()];
    if entity.parent.is_some() {
        updates.push("_parent_id = EXCLUDED._parent_id".into());
    }
    for field in entity.columns() {
        let (ty, _) = column_kind(project, entity, field)?;
        let column = sql_ident(&field.name);
        if !entity.key.contains(&field.name) {
            updates.push(format!("{column} = EXCLUDED.{column}"));
        }
        columns.push(column);
        casts.push(dialect.array_type(ty));
    }
    updates.push("_ingested_at = now()".into());
    let params: Vec<String> = casts
        .iter()
        .enumerate()
        .map(|(i, cast)| format!("${}::{cast}", i + 1))
        .collect();
    let table = sql_ident(&entity.table);
    let list = columns.join(", ");
    let unnest = format!("UNNEST({})", params.join(", "));
    if !entity.is_keyed() {
        return Ok(format!(
            "INSERT INTO {table} ({list}) SELECT * FROM {unnest} ON CONFLICT (_id) DO NOTHING"
        ));
    }
    let key: Vec<String> = entity.key.iter().map(|k| sql_ident(k)).collect();
    // Rows go in key order, so concurrent writers lock the same keys in the same order
    // instead of deadlocking each other.
    let positions: Vec<String> = key
        .iter()
        .filter_map(|k| columns.iter().position(|c| c == k))
        .map(|i| (i + 1).to_string())
        .collect();
    let upsert = format!(
        "ORDER BY {} ON CONFLICT ({}) DO UPDATE SET {}",
        positions.join(", "),
        key.join(", "),
        updates.join(", ")
    );
    if !returns_stored_ids(project, entity) {
        return Ok(format!(
            "INSERT INTO {table} ({list}) SELECT * FROM {unnest} {upsert}"
        ));
    }
    // A row whose key was stored before keeps its `_id`; its children need that id, so
    // the statement answers each proposed id with the stored one.
    let same_key: Vec<String> = key
        .iter()
        .map(|k| format!("written.{k} = proposed.{k}"))
        .collect();
    Ok(format!(
        "WITH proposed ({list}) AS (SELECT * FROM {unnest}), \
         written AS (INSERT INTO {table} ({list}) SELECT * FROM proposed {upsert} RETURNING _id, {}) \
         SELECT proposed._id, written._id FROM proposed JOIN written ON {}",
        key.join(", "),
        same_key.join(" AND ")
    ))
}

/// `true` when the upsert of `entity` answers with the `_id` stored for each row: keyed
/// entities with children (keyless rows keep their proposed id, and a childless row's id is
/// needed by nobody).
pub fn returns_stored_ids(project: &Project, entity: &Entity) -> bool {
    entity.is_keyed() && project.children_of(entity).next().is_some()
}

/// Deletes the rows of `entity` below the parents written in a batch (a parent written
/// again replaces its children).
///
/// The parent ids go through `ARRAY(SELECT unnest(…))` so the planner does not see how many
/// there are. Given the array itself, it estimates each id to match 0.5% of the table until
/// the table has statistics, which for a batch of 500 parents is the whole table: it then
/// scans the table sequentially on every batch, and the worker slows down as the table grows
/// (seen in the benchmark with autovacuum off). With the count hidden it estimates a handful
/// and uses the `_parent_id` index, which is right for any batch size.
pub fn delete_children_statement(entity: &Entity) -> String {
    format!(
        "DELETE FROM {} WHERE _parent_id = ANY(ARRAY(SELECT unnest($1::uuid[])))",
        sql_ident(&entity.table)
    )
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
        }
    }

    fn project(key: Vec<String>) -> Project {
        Project {
            name: "p".into(),
            entities: vec![Entity {
                name: "Item".into(),
                doc: Some("It's an item.".into()),
                table: "items".into(),
                key,
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
                parent: None,
            }],
        }
    }

    #[test]
    fn keyed_tables_upsert_in_key_order_and_keyless_ones_skip_conflicts() {
        let keyed = project(vec!["order".into()]);
        assert_eq!(
            insert_statement(&keyed, &keyed.entities[0]).ok().as_deref(),
            Some(
                "INSERT INTO items (_id, _message_id, \"order\", qty) SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::int8[]) \
                 ORDER BY 3 ON CONFLICT (\"order\") DO UPDATE SET _message_id = EXCLUDED._message_id, qty = EXCLUDED.qty, _ingested_at = now()"
            )
        );
        let keyless = project(vec![]);
        let sql = insert_statement(&keyless, &keyless.entities[0]).unwrap_or_default();
        assert!(
            sql.ends_with("$4::int8[]) ON CONFLICT (_id) DO NOTHING"),
            "{sql}"
        );
    }

    #[test]
    fn keyed_tables_with_children_answer_the_stored_ids() {
        let mut parent = project(vec!["order".into()]);
        parent.entities[0].fields.push(nomnom_spec::model::Field {
            ty: nomnom_spec::model::FieldType::List("Part".into()),
            ..field("parts", ScalarType::String)
        });
        parent.entities.push(Entity {
            name: "Part".into(),
            doc: None,
            table: "parts".into(),
            key: vec![],
            fields: vec![field("n", ScalarType::Integer)],
            parent: Some(nomnom_spec::model::ParentLink {
                entity: "Item".into(),
                field: "parts".into(),
            }),
        });
        assert!(returns_stored_ids(&parent, &parent.entities[0]));
        assert!(!returns_stored_ids(&parent, &parent.entities[1]));
        assert_eq!(
            insert_statement(&parent, &parent.entities[0]).ok().as_deref(),
            Some(
                "WITH proposed (_id, _message_id, \"order\", qty) AS (SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::int8[])), \
                 written AS (INSERT INTO items (_id, _message_id, \"order\", qty) SELECT * FROM proposed ORDER BY 3 \
                 ON CONFLICT (\"order\") DO UPDATE SET _message_id = EXCLUDED._message_id, qty = EXCLUDED.qty, _ingested_at = now() \
                 RETURNING _id, \"order\") \
                 SELECT proposed._id, written._id FROM proposed JOIN written ON written.\"order\" = proposed.\"order\""
            )
        );
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
        assert!(ddl.contains("CREATE TABLE IF NOT EXISTS message_status"));
    }

    #[test]
    fn message_status_comes_from_the_runtime() {
        assert!(MESSAGE_STATUS_SQL.contains("CREATE TABLE IF NOT EXISTS message_status"));
    }
}
