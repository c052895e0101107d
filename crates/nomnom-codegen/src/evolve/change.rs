//! The changes between two snapshots of a model, each typed, classified (additive or
//! destructive) and described. [`super::diff`] finds them; [`super::sql`] writes them.

use super::snapshot::{ColumnSnapshot, Value};

/// Where in the new model a change is to be pointed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The entity (its new name; the old one when it was removed).
    pub entity: String,
    /// The field, for a change of one column.
    pub field: Option<String>,
    /// The key of the entity or field the change is about (`max_length`, `key`).
    pub key: Option<&'static str>,
    /// `false` when the entity or field is no longer in the new model.
    pub in_new_model: bool,
}

/// One change of the schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A new entity: its table is created. `required_in` names the required list field
    /// (`Patient.allergies`) of a parent that existed before, which messages written for the
    /// old model lack.
    AddTable {
        entity: String,
        table: String,
        required_in: Option<String>,
    },
    /// An entity no longer in the model (or moved under another parent: recreated).
    DropTable {
        entity: String,
        table: String,
        moved: bool,
    },
    /// `renamed_from` on an entity, or a changed `table:`.
    RenameTable {
        entity: String,
        from_entity: String,
        from: String,
        to: String,
    },
    /// A new stored field.
    AddColumn {
        entity: String,
        table: String,
        column: ColumnSnapshot,
    },
    /// A stored field no longer in the model.
    DropColumn {
        entity: String,
        table: String,
        column: String,
    },
    /// `renamed_from` on a field.
    RenameColumn {
        entity: String,
        table: String,
        from: String,
        to: String,
    },
    /// A different type.
    ChangeType {
        entity: String,
        table: String,
        from: String,
        column: ColumnSnapshot,
    },
    /// A different `max_length` (`None`: unbounded).
    Resize {
        entity: String,
        table: String,
        column: ColumnSnapshot,
        from: Option<u32>,
    },
    /// A required field made nullable.
    AllowNull {
        entity: String,
        table: String,
        column: String,
    },
    /// A nullable field made required (stored nulls get the default, when there is one).
    RequireValue {
        entity: String,
        table: String,
        column: ColumnSnapshot,
    },
    /// Different `enum`, `min` or `max`: the column's CHECK constraints are rewritten.
    Checks {
        entity: String,
        table: String,
        column: Box<ColumnSnapshot>,
        old: Box<ColumnSnapshot>,
        narrower: bool,
    },
    /// A different `pattern` or `default` (validation only: no statement).
    Rule {
        entity: String,
        table: String,
        column: String,
        what: &'static str,
        from: Option<String>,
        to: Option<String>,
    },
    /// A key on an entity that had none.
    AddKey {
        entity: String,
        table: String,
        key: Vec<String>,
    },
    /// A different key.
    ChangeKey {
        entity: String,
        table: String,
        from: Vec<String>,
        to: Vec<String>,
    },
    /// The key removed.
    DropKey {
        entity: String,
        table: String,
        from: Vec<String>,
    },
    /// A different `version:` field (what `_version` means).
    Version {
        entity: String,
        table: String,
        from: Option<String>,
        to: Option<String>,
    },
    /// A different `doc` of an entity or a field.
    Doc {
        entity: String,
        table: String,
        column: Option<String>,
        doc: Option<String>,
    },
}

impl Change {
    /// `true` when the change can lose or refuse data already stored (refused without
    /// `--allow-destructive`).
    pub fn is_destructive(&self) -> bool {
        match self {
            Change::DropTable { .. }
            | Change::DropColumn { .. }
            | Change::ChangeType { .. }
            | Change::ChangeKey { .. }
            | Change::DropKey { .. } => true,
            Change::AddColumn { column, .. } => !column.nullable && column.default.is_none(),
            Change::Resize { column, from, .. } => narrower_length(*from, column.max_length),
            Change::RequireValue { column, .. } => column.default.is_none(),
            Change::Checks { narrower, .. } => *narrower,
            _ => false,
        }
    }

    /// Why messages accepted under the old model and still queued would be refused by a
    /// worker running the new one, when they would.
    pub fn breaks_queued(&self) -> Option<String> {
        match self {
            Change::AddTable {
                entity,
                required_in: Some(list),
                ..
            } => Some(format!(
                "`{list}` is a new required list: messages written for the old model lack it and \
                 will be refused (dead-lettered) by the new worker; write `list<{entity}>?` to \
                 accept them"
            )),
            Change::AddColumn { entity, column, .. }
                if !column.nullable && column.default.is_none() =>
            {
                Some(format!(
                    "`{entity}.{}` is new, required and has no default: messages written for the \
                     old model lack it and will be refused (dead-lettered) by the new worker",
                    column.name
                ))
            }
            Change::RequireValue { entity, column, .. } if column.default.is_none() => {
                Some(format!(
                    "`{entity}.{}` is now required without a default: queued messages without it \
                     will be refused (dead-lettered) by the new worker",
                    column.name
                ))
            }
            Change::Resize {
                entity,
                column,
                from,
                ..
            } if narrower_length(*from, column.max_length) => Some(format!(
                "`{entity}.{}` is shorter: queued messages with longer values will be refused",
                column.name
            )),
            Change::Checks {
                entity,
                column,
                narrower: true,
                ..
            } => Some(format!(
                "`{entity}.{}` allows fewer values: queued messages with the values no longer \
                 allowed will be refused",
                column.name
            )),
            Change::ChangeType { entity, column, .. } => Some(format!(
                "`{entity}.{}` changed type: queued messages with values of the old type will \
                 be refused",
                column.name
            )),
            Change::Rule {
                entity,
                column,
                what: "pattern",
                to: Some(_),
                ..
            } => Some(format!(
                "`{entity}.{column}` has a new pattern: queued messages are checked against it, \
                 and those that do not match will be refused"
            )),
            _ => None,
        }
    }

    /// What stored data a destructive change discards or may refuse (written as a comment
    /// above its statements).
    pub fn discards(&self) -> Option<String> {
        Some(match self {
            Change::DropTable {
                table, moved: true, ..
            } => format!(
                "every row of table {table}: the entity moved under another parent, so its table \
                 is dropped and created anew"
            ),
            Change::DropTable { table, .. } => format!("every row of table {table}"),
            Change::DropColumn { table, column, .. } => {
                format!("every value of column {table}.{column}")
            }
            Change::ChangeType { table, column, .. } => format!(
                "nothing if every stored value of {table}.{} converts to {}; otherwise the \
                 migration fails and is rolled back",
                column.name, column.ty
            ),
            Change::Resize { table, column, .. } if self.is_destructive() => format!(
                "the characters of longer values of {table}.{} past the first {}",
                column.name,
                column.max_length.unwrap_or_default()
            ),
            Change::RequireValue { table, column, .. } if column.default.is_none() => format!(
                "nothing; the migration fails (and is rolled back) if a row of {table} has no \
                 {}: give the field a `default` to fill them",
                column.name
            ),
            Change::AddColumn { table, column, .. } if self.is_destructive() => format!(
                "nothing; the migration fails (and is rolled back) if {table} has rows, which \
                 have no {}: give the field a `default` (existing rows get it) or make it \
                 nullable",
                column.name
            ),
            Change::Checks { table, column, .. } if self.is_destructive() => format!(
                "nothing; the migration fails (and is rolled back) if a row of {table} breaks \
                 the narrower rule of {}",
                column.name
            ),
            Change::ChangeKey { table, .. } | Change::DropKey { table, .. } => format!(
                "nothing, but which rows of {table} a message overwrites changes: rows were \
                 unique by the old key"
            ),
            _ => return None,
        })
    }

    /// One line saying what changed.
    pub fn describe(&self) -> String {
        match self {
            Change::AddTable { entity, table, .. } => {
                format!("new entity `{entity}` (table {table})")
            }
            Change::DropTable {
                entity,
                moved: true,
                ..
            } => format!("`{entity}` moved under another parent"),
            Change::DropTable { entity, .. } => format!("entity `{entity}` removed"),
            Change::RenameTable {
                entity,
                from_entity,
                from,
                to,
            } if from_entity != entity => {
                format!("entity `{from_entity}` renamed to `{entity}` (table {from} → {to})")
            }
            Change::RenameTable {
                entity, from, to, ..
            } => format!("table of `{entity}` renamed: {from} → {to}"),
            Change::AddColumn { entity, column, .. } => match (&column.default, column.nullable) {
                (Some(d), _) => format!(
                    "new field `{entity}.{}` with default {d} (existing rows get it)",
                    column.name
                ),
                (None, true) => format!("new nullable field `{entity}.{}`", column.name),
                (None, false) => format!(
                    "new required field `{entity}.{}` without a default",
                    column.name
                ),
            },
            Change::DropColumn { entity, column, .. } => {
                format!("field `{entity}.{column}` removed")
            }
            Change::RenameColumn {
                entity, from, to, ..
            } => format!("field `{entity}.{from}` renamed to `{to}`"),
            Change::ChangeType {
                entity,
                from,
                column,
                ..
            } => format!(
                "field `{entity}.{}` changed type: {from} → {}",
                column.name, column.ty
            ),
            Change::Resize {
                entity,
                column,
                from,
                ..
            } => format!(
                "field `{entity}.{}` {}: max_length {} → {}",
                column.name,
                if self.is_destructive() {
                    "narrowed"
                } else {
                    "widened"
                },
                length(*from),
                length(column.max_length)
            ),
            Change::AllowNull { entity, column, .. } => {
                format!("field `{entity}.{column}` made nullable")
            }
            Change::RequireValue { entity, column, .. } => match &column.default {
                Some(d) => format!(
                    "field `{entity}.{}` made required (stored nulls get its default {d})",
                    column.name
                ),
                None => format!(
                    "field `{entity}.{}` made required without a default",
                    column.name
                ),
            },
            Change::Checks {
                entity,
                column,
                old,
                narrower,
                ..
            } => format!(
                "field `{entity}.{}` {}: {}",
                column.name,
                if *narrower { "narrowed" } else { "relaxed" },
                rule_changes(old, column)
            ),
            Change::Rule {
                entity,
                column,
                what,
                from,
                to,
                ..
            } => format!(
                "field `{entity}.{column}`: {what} {} → {} (validation only)",
                from.as_deref().unwrap_or("none"),
                to.as_deref().unwrap_or("none")
            ),
            Change::AddKey { entity, key, .. } => {
                format!("`{entity}` gets the key ({})", key.join(", "))
            }
            Change::ChangeKey {
                entity, from, to, ..
            } => format!(
                "key of `{entity}` changed: ({}) → ({})",
                from.join(", "),
                to.join(", ")
            ),
            Change::DropKey { entity, from, .. } => {
                format!("key ({}) of `{entity}` removed", from.join(", "))
            }
            Change::Version {
                entity, from, to, ..
            } => format!(
                "version of `{entity}`: {} → {}",
                from.as_deref().unwrap_or("acceptance order"),
                to.as_deref().unwrap_or("acceptance order")
            ),
            Change::Doc {
                entity,
                column: Some(c),
                ..
            } => format!("doc of `{entity}.{c}` changed"),
            Change::Doc { entity, .. } => format!("doc of `{entity}` changed"),
        }
    }

    /// A few words for the migration's file name (`widen_patients_name`).
    pub fn slug(&self) -> String {
        let s = match self {
            Change::AddTable { table, .. } => format!("add_table_{table}"),
            Change::DropTable { table, .. } => format!("drop_table_{table}"),
            Change::RenameTable { to, .. } => format!("rename_table_{to}"),
            Change::AddColumn { table, column, .. } => format!("add_{table}_{}", column.name),
            Change::DropColumn { table, column, .. } => format!("drop_{table}_{column}"),
            Change::RenameColumn { table, to, .. } => format!("rename_{table}_{to}"),
            Change::ChangeType { table, column, .. } => format!("retype_{table}_{}", column.name),
            Change::Resize { table, column, .. } => {
                let verb = if self.is_destructive() {
                    "narrow"
                } else {
                    "widen"
                };
                format!("{verb}_{table}_{}", column.name)
            }
            Change::AllowNull { table, column, .. } => format!("nullable_{table}_{column}"),
            Change::RequireValue { table, column, .. } => {
                format!("require_{table}_{}", column.name)
            }
            Change::Checks { table, column, .. } => format!("checks_{table}_{}", column.name),
            Change::Rule {
                table,
                column,
                what,
                ..
            } => format!("{what}_{table}_{column}"),
            Change::AddKey { table, .. } => format!("key_{table}"),
            Change::ChangeKey { table, .. } => format!("rekey_{table}"),
            Change::DropKey { table, .. } => format!("unkey_{table}"),
            Change::Version { table, .. } => format!("version_{table}"),
            Change::Doc { table, .. } => format!("doc_{table}"),
        };
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect()
    }

    /// Where the change is pointed at in the new model.
    pub fn place(&self) -> Place {
        let at = |entity: &String, field: Option<&String>, key: Option<&'static str>, new| Place {
            entity: entity.clone(),
            field: field.cloned(),
            key,
            in_new_model: new,
        };
        match self {
            Change::AddTable {
                required_in: Some(list),
                ..
            } => match list.split_once('.') {
                Some((parent, field)) => {
                    at(&parent.to_string(), Some(&field.to_string()), None, true)
                }
                None => at(list, None, None, true),
            },
            Change::AddTable { entity, .. } => at(entity, None, None, true),
            Change::DropTable { entity, moved, .. } => at(entity, None, None, *moved),
            Change::RenameTable { entity, .. } => at(entity, None, None, true),
            Change::AddColumn { entity, column, .. } => at(entity, Some(&column.name), None, true),
            Change::DropColumn { entity, .. } => at(entity, None, None, true),
            Change::RenameColumn { entity, to, .. } => {
                at(entity, Some(to), Some("renamed_from"), true)
            }
            Change::ChangeType { entity, column, .. } => at(entity, Some(&column.name), None, true),
            Change::Resize { entity, column, .. } => {
                at(entity, Some(&column.name), Some("max_length"), true)
            }
            Change::AllowNull { entity, column, .. } => at(entity, Some(column), None, true),
            Change::RequireValue { entity, column, .. } => {
                at(entity, Some(&column.name), None, true)
            }
            Change::Checks {
                entity,
                column,
                old,
                ..
            } => {
                let key = if column.enum_values != old.enum_values {
                    "enum"
                } else if column.min != old.min {
                    "min"
                } else {
                    "max"
                };
                at(entity, Some(&column.name), Some(key), true)
            }
            Change::Rule {
                entity,
                column,
                what,
                ..
            } => at(entity, Some(column), Some(what), true),
            Change::AddKey { entity, .. }
            | Change::ChangeKey { entity, .. }
            | Change::DropKey { entity, .. } => at(entity, None, Some("key"), true),
            Change::Version { entity, .. } => at(entity, None, Some("version"), true),
            Change::Doc { entity, column, .. } => at(entity, column.as_ref(), Some("doc"), true),
        }
    }
}

/// `true` when `to` allows fewer characters than `from` (`None`: unbounded).
pub fn narrower_length(from: Option<u32>, to: Option<u32>) -> bool {
    match (from, to) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(a), Some(b)) => b < a,
    }
}

fn length(n: Option<u32>) -> String {
    n.map_or_else(|| "none".to_string(), |n| n.to_string())
}

fn values(v: &Option<Vec<Value>>) -> String {
    match v {
        None => "any".to_string(),
        Some(v) => format!(
            "[{}]",
            v.iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn bound(v: &Option<Value>) -> String {
    v.as_ref()
        .map_or_else(|| "none".to_string(), Value::to_string)
}

/// `enum [a, b] → [a, b, c]; min 0 → none` for the rules that differ.
fn rule_changes(old: &ColumnSnapshot, new: &ColumnSnapshot) -> String {
    let mut parts = Vec::new();
    if old.enum_values != new.enum_values {
        parts.push(format!(
            "enum {} → {}",
            values(&old.enum_values),
            values(&new.enum_values)
        ));
    }
    if old.min != new.min {
        parts.push(format!("min {} → {}", bound(&old.min), bound(&new.min)));
    }
    if old.max != new.max {
        parts.push(format!("max {} → {}", bound(&old.max), bound(&new.max)));
    }
    parts.join("; ")
}
