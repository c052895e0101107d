//! `renamed_from:` on an entity or a field: the name it had in the model the project was
//! last generated from, so the next migration renames the table or column instead of
//! dropping and adding it. Checked here: text, not the entity's (field's) own name, not the
//! name of another entity (field) of the model, and claimed by one entity (field) only.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::raw::{Entry, RawProject};
use crate::yaml::Kind;

/// The checked renames: entity name → old name; (entity, field) → old field name.
#[derive(Debug, Default)]
pub struct Renames {
    pub entities: BTreeMap<String, String>,
    pub fields: BTreeMap<(String, String), String>,
}

/// Reads and checks every `renamed_from` of the model.
pub fn check(raw: &RawProject, diags: &mut Diagnostics) -> Renames {
    let mut out = Renames::default();
    let entity_names: Vec<&str> = raw.entities.iter().map(|e| e.name.as_str()).collect();
    let mut claimed: BTreeMap<String, &str> = BTreeMap::new();
    for entity in &raw.entities {
        if let Some((old, entry)) = old_name(entity.entries.get("renamed_from"), diags) {
            let clash = if old == entity.name {
                Some("it is the entity's own name".to_string())
            } else if entity_names.contains(&old.as_str()) {
                Some(format!("`{old}` is another entity of this model"))
            } else {
                claimed
                    .get(&old)
                    .map(|other| format!("`{other}` is already renamed from `{old}`"))
            };
            match clash {
                Some(why) => diags.push(invalid(entry, &old, &why, "entity")),
                None => {
                    claimed.insert(old.clone(), &entity.name);
                    out.entities.insert(entity.name.clone(), old);
                }
            }
        }
        let field_names: Vec<&str> = entity.fields.iter().map(|f| f.name.as_str()).collect();
        let mut claimed: BTreeMap<String, &str> = BTreeMap::new();
        for field in &entity.fields {
            let Some((old, entry)) = old_name(field.entries.get("renamed_from"), diags) else {
                continue;
            };
            let clash = if old == field.name {
                Some("it is the field's own name".to_string())
            } else if field_names.contains(&old.as_str()) {
                Some(format!("`{old}` is another field of `{}`", entity.name))
            } else {
                claimed
                    .get(&old)
                    .map(|other| format!("`{other}` is already renamed from `{old}`"))
            };
            match clash {
                Some(why) => diags.push(invalid(entry, &old, &why, "field")),
                None => {
                    claimed.insert(old.clone(), &field.name);
                    out.fields
                        .insert((entity.name.clone(), field.name.clone()), old);
                }
            }
        }
    }
    out
}

/// The old name written, or `None` (with a diagnostic when it is not text).
fn old_name<'e>(entry: Option<&'e Entry>, diags: &mut Diagnostics) -> Option<(String, &'e Entry)> {
    let entry = entry?;
    match &entry.value.kind {
        Kind::Str(s) if !s.trim().is_empty() => Some((s.clone(), entry)),
        _ => {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_rename",
                    if entry.value.span.len == 0 {
                        entry.key
                    } else {
                        entry.value.span
                    },
                    "`renamed_from` must name the old name",
                )
                .label("not a name")
                .help("write `renamed_from: old_name`, the name in the model last generated"),
            );
            None
        }
    }
}

fn invalid(entry: &Entry, old: &str, why: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "nomnom::invalid_rename",
        entry.value.span,
        format!("`renamed_from: {old}` cannot be used here: {why}"),
    )
    .label("not a rename")
    .help(format!(
        "`renamed_from` names the {what}'s name in the model the project was last generated \
         from; remove it once that migration is applied everywhere"
    ))
}
