//! `version: <field>` on an entity: the field whose value decides which of two messages with
//! one key is the newer (as Hudi's precombine field or ClickHouse's ReplacingMergeTree
//! version do). Without it, the order in which the API accepted the messages decides.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::field::FieldInfo;
use crate::model::{FieldType, ScalarType};
use crate::raw::RawEntity;
use crate::suggest;
use crate::yaml::Kind;

/// The types a version field may have: ordered, exact values.
const VERSION_TYPES: [ScalarType; 4] = [
    ScalarType::Integer,
    ScalarType::Decimal,
    ScalarType::Date,
    ScalarType::Timestamp,
];

/// The entity's version field, checked: a required integer, decimal, date or timestamp
/// field of a keyed entity, not part of its key.
pub fn version_field(
    raw: &RawEntity,
    fields: &[FieldInfo],
    key: &[String],
    diags: &mut Diagnostics,
) -> Option<String> {
    let e = raw.entries.get("version")?;
    let Kind::Str(name) = &e.value.kind else {
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_version",
                if e.value.span.len == 0 {
                    e.key
                } else {
                    e.value.span
                },
                "`version` must name one field",
            )
            .label("not a field name")
            .help(
                "write `version: updated_at`, naming an integer, decimal, date or timestamp field",
            ),
        );
        return None;
    };
    let span = e.value.span;
    let error = |message: String, label: &str, help: String| {
        Diagnostic::error("nomnom::invalid_version", span, message)
            .label(label.to_string())
            .help(help)
    };
    if !raw.entries.contains_key("key") {
        diags.push(error(
            format!("`{}` has a `version` but no `key`", raw.name),
            "a version orders the rows of one key",
            "add the entity's `key`; rows without one are tied to their message and never \
             overwritten, so they need no version"
                .to_string(),
        ));
        return None;
    }
    let Some(info) = fields.iter().find(|f| f.field.name == *name) else {
        if raw.fields.iter().any(|f| f.name == *name) || raw.misspelt.contains("fields") {
            // The field itself is in error, and reported as such.
            return None;
        }
        let names: Vec<&str> = raw.fields.iter().map(|f| f.name.as_str()).collect();
        let help = match suggest::nearest(name, names.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("the fields of `{}` are: {}", raw.name, names.join(", ")),
        };
        diags.push(error(
            format!("version field `{name}` is not a field of `{}`", raw.name),
            "no such field",
            help,
        ));
        return None;
    };
    let field = &info.field;
    let ordered = matches!(field.ty, FieldType::Scalar(t) if VERSION_TYPES.contains(&t));
    if !ordered {
        let ty = match &field.ty {
            FieldType::Scalar(t) => t.name().to_string(),
            FieldType::List(child) => format!("list<{child}>"),
        };
        diags.push(error(
            format!("version field `{name}` is a {ty}"),
            "not an integer, decimal, date or timestamp",
            "name a field whose values are ordered exactly: a revision number, an \
             `updated_at` timestamp, a date"
                .to_string(),
        ));
        return None;
    }
    if field.nullable {
        diags.push(error(
            format!("version field `{name}` is nullable"),
            "nullable version field",
            format!(
                "every message must carry its version: make `{name}` required (remove `?` / \
                 `nullable`)"
            ),
        ));
        return None;
    }
    if !field.stored {
        diags.push(error(
            format!("version field `{name}` has `store: false`"),
            "not stored",
            "the stored version is what a newer message is compared with: remove `store: false`"
                .to_string(),
        ));
        return None;
    }
    if key.contains(name) {
        diags.push(error(
            format!(
                "version field `{name}` is part of the key of `{}`",
                raw.name
            ),
            "in the key",
            "each version would be a row of its own, and none would ever be overwritten: \
             name a field outside the key"
                .to_string(),
        ));
        return None;
    }
    Some(name.clone())
}
