//! The rules of tables and keys: table names, key fields, and names that collide across
//! entities.

use std::collections::HashMap;

use super::{EntityInfo, RESERVED_TABLES};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::field::FieldInfo;
use crate::model::FieldType;
use crate::names;
use crate::raw::RawEntity;
use crate::suggest;
use crate::yaml::{Kind, Span};

pub(super) fn table_name(raw: &RawEntity, diags: &mut Diagnostics) -> Option<String> {
    let (table, span, explicit) = match raw.entries.get("table") {
        Some(e) => match &e.value.kind {
            Kind::Str(s) => (s.clone(), e.value.span, true),
            _ => {
                diags.push(
                    Diagnostic::error(
                        "nomnom::invalid_table",
                        e.value.span,
                        "`table` must be a name",
                    )
                    .label("not a table name")
                    .help("write `table: my_table`"),
                );
                return None;
            }
        },
        None => (names::snake_case(&raw.name), raw.name_span, false),
    };
    let legal = table.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if explicit && !legal {
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_table",
                span,
                format!("table name `{table}` is not a plain SQL identifier"),
            )
            .label("illegal table name")
            .help(format!(
                "use ASCII letters, digits and `_`, not starting with a digit, for example `{}`",
                names::snake_case(&table).trim_start_matches(|c: char| c.is_ascii_digit())
            )),
        );
        return None;
    }
    if names::exceeds_postgres_limit(&table) {
        diags.push(
            Diagnostic::error(
                "nomnom::name_too_long",
                span,
                format!(
                    "table name `{table}` is {} bytes long; PostgreSQL identifiers hold at most {}",
                    table.len(),
                    names::POSTGRES_MAX_IDENTIFIER_BYTES
                ),
            )
            .label(if explicit {
                "too long"
            } else {
                "its default table name is too long"
            })
            .help("set a shorter `table:`"),
        );
        return None;
    }
    if RESERVED_TABLES.contains(&table.to_ascii_lowercase().as_str()) {
        diags.push(
            Diagnostic::error(
                "nomnom::reserved_name",
                span,
                format!("table name `{table}` is reserved"),
            )
            .label("nomnom creates this table itself")
            .help("choose another `table:` name"),
        );
        return None;
    }
    Some(table)
}

pub(super) fn key_fields(
    raw: &RawEntity,
    fields: &[FieldInfo],
    diags: &mut Diagnostics,
) -> Vec<String> {
    let Some(e) = raw.entries.get("key") else {
        return Vec::new();
    };
    let items: Vec<(String, Span)> = match &e.value.kind {
        Kind::Str(s) => vec![(s.clone(), e.value.span)],
        Kind::Seq(items) => {
            let mut out = Vec::new();
            for item in items {
                match &item.kind {
                    Kind::Str(s) => out.push((s.clone(), item.span)),
                    _ => diags.push(
                        Diagnostic::error(
                            "nomnom::invalid_key",
                            item.span,
                            "`key` must list field names",
                        )
                        .label("not a field name")
                        .help("write `key: [field_a, field_b]`"),
                    ),
                }
            }
            out
        }
        _ => {
            diags.push(
                Diagnostic::error("nomnom::invalid_key", if e.value.span.len == 0 { e.key } else { e.value.span }, "`key` must list field names")
                    .label("expected a list of field names")
                    .help("write `key: [field_a, field_b]`, or remove `key` for an entity without a natural key"),
            );
            return Vec::new();
        }
    };
    if items.is_empty() {
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_key",
                e.value.span,
                format!("`key` of `{}` is empty", raw.name),
            )
            .label("no field")
            .help("name the fields of the natural key, or remove `key`"),
        );
    }
    let mut key = Vec::new();
    for (name, span) in items {
        if key.contains(&name) {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_key",
                    span,
                    format!("`key` names `{name}` twice"),
                )
                .label("repeated")
                .help("remove the repetition"),
            );
            continue;
        }
        match fields.iter().find(|f| f.field.name == name) {
            Some(f) if matches!(f.field.ty, FieldType::List(_)) => diags.push(
                Diagnostic::error("nomnom::invalid_key", span, format!("key field `{name}` is a list"))
                    .label("a list cannot be part of a key")
                    .help("keys are made of scalar fields"),
            ),
            Some(f) if f.field.nullable => diags.push(
                Diagnostic::error("nomnom::invalid_key", span, format!("key field `{name}` is nullable"))
                    .label("nullable key field")
                    .help(format!("key fields must always have a value: make `{name}` required (remove `?` / `nullable`)")),
            ),
            Some(f) if !f.field.stored => diags.push(
                Diagnostic::error("nomnom::invalid_key", span, format!("key field `{name}` has `store: false`"))
                    .label("not stored")
                    .help(format!("the key is stored and indexed: remove `store: false` from `{name}`")),
            ),
            Some(_) => key.push(name),
            None if raw.fields.iter().any(|f| f.name == name) => key.push(name),
            None if raw.misspelt.contains("fields") => {}
            None => {
                let names: Vec<&str> = raw.fields.iter().map(|f| f.name.as_str()).collect();
                let help = match suggest::nearest(&name, names.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("the fields of `{}` are: {}", raw.name, names.join(", ")),
                };
                diags.push(
                    Diagnostic::error(
                        "nomnom::invalid_key",
                        span,
                        format!("key field `{name}` is not a field of `{}`", raw.name),
                    )
                    .label("no such field")
                    .help(help),
                );
            }
        }
    }
    key
}

/// Entity names that map to one Rust type, and tables defined twice.
pub(super) fn entity_collisions(infos: &[EntityInfo], diags: &mut Diagnostics) {
    let mut types: HashMap<String, &str> = HashMap::new();
    let mut tables: HashMap<String, &str> = HashMap::new();
    for info in infos {
        let name = info.raw.name.as_str();
        let ty = names::rust_type(name);
        if let Some(first) = types.get(&ty) {
            diags.push(
                Diagnostic::error(
                    "nomnom::name_collision",
                    info.raw.name_span,
                    format!("entities `{first}` and `{name}` both become the Rust type `{ty}`"),
                )
                .label(format!("collides with `{first}`"))
                .help("rename one of the entities"),
            );
        } else {
            types.insert(ty, name);
        }
        if info.table.is_empty() {
            continue;
        }
        let lower = info.table.to_ascii_lowercase();
        if let Some(first) = tables.get(&lower) {
            let span = info
                .raw
                .entries
                .get("table")
                .map_or(info.raw.name_span, |e| e.value.span);
            diags.push(
                Diagnostic::error(
                    "nomnom::duplicate_table",
                    span,
                    format!(
                        "entities `{first}` and `{name}` both use the table `{}`",
                        info.table
                    ),
                )
                .label(format!("already the table of `{first}`"))
                .help("give one of them another `table:`"),
            );
        } else {
            tables.insert(lower, name);
        }
    }
}
