//! Snapshot A against snapshot B: the list of typed [`Change`]s, in the order their
//! statements must run (tables renamed, dropped, created; then columns renamed, changed,
//! added, dropped; then keys, versions and docs).

use std::collections::{BTreeMap, BTreeSet};

use super::change::Change;
use super::snapshot::{ColumnSnapshot, Snapshot, TableSnapshot, Value};

/// The changes that take a database of `old` to `new`. `new` carries the model's
/// `renamed_from`s.
pub fn diff(old: &Snapshot, new: &Snapshot) -> Vec<Change> {
    // New entity name → the old entity it continues.
    let mut matched: BTreeMap<&str, &TableSnapshot> = BTreeMap::new();
    for e in &new.entities {
        let found = old.entity(&e.entity).or_else(|| {
            e.renamed_from
                .as_deref()
                .and_then(|from| old.entity(from))
                .filter(|_| {
                    new.entity(e.renamed_from.as_deref().unwrap_or(""))
                        .is_none()
                })
        });
        if let Some(o) = found {
            matched.insert(&e.entity, o);
        }
    }
    let continued: BTreeSet<&str> = matched.values().map(|o| o.entity.as_str()).collect();
    // Old entity name → new name, for parents.
    let new_name: BTreeMap<&str, &str> = matched
        .iter()
        .map(|(n, o)| (o.entity.as_str(), *n))
        .collect();

    // An entity whose parent changed is dropped and created anew, and so is every entity
    // below it in the new model.
    let mut recreated: BTreeSet<&str> = BTreeSet::new();
    for e in &new.entities {
        let Some(o) = matched.get(e.entity.as_str()) else {
            continue;
        };
        let old_parent = o
            .parent
            .as_deref()
            .map(|p| new_name.get(p).copied().unwrap_or(p));
        let parent_recreated = e.parent.as_deref().is_some_and(|p| recreated.contains(p));
        if old_parent != e.parent.as_deref() || parent_recreated {
            recreated.insert(&e.entity);
        }
    }

    let mut renames = Vec::new();
    let mut drops = Vec::new();
    let mut creates = Vec::new();
    let mut columns = Vec::new();
    let mut keys = Vec::new();
    let mut docs = Vec::new();

    // Old tables no longer continued, or recreated: children before parents.
    for o in old.entities.iter().rev() {
        let moved = new_name
            .get(o.entity.as_str())
            .is_some_and(|n| recreated.contains(n));
        if !continued.contains(o.entity.as_str()) || moved {
            drops.push(Change::DropTable {
                entity: new_name
                    .get(o.entity.as_str())
                    .map_or_else(|| o.entity.clone(), |n| n.to_string()),
                table: o.table.clone(),
                moved,
            });
        }
    }

    for e in &new.entities {
        let old_table = matched
            .get(e.entity.as_str())
            .filter(|_| !recreated.contains(e.entity.as_str()));
        let Some(o) = old_table else {
            let parent_continues = e
                .parent
                .as_deref()
                .is_some_and(|p| matched.contains_key(p) && !recreated.contains(p));
            creates.push(Change::AddTable {
                entity: e.entity.clone(),
                table: e.table.clone(),
                required_in: e
                    .required_list
                    .as_ref()
                    .filter(|_| parent_continues)
                    .map(|list| format!("{}.{list}", e.parent.as_deref().unwrap_or_default())),
            });
            continue;
        };
        if o.table != e.table {
            renames.push(Change::RenameTable {
                entity: e.entity.clone(),
                from_entity: o.entity.clone(),
                from: o.table.clone(),
                to: e.table.clone(),
            });
        }
        table_changes(o, e, &mut columns, &mut keys, &mut docs);
    }

    let mut out = renames;
    out.extend(drops);
    out.extend(creates);
    out.extend(columns);
    out.extend(keys);
    out.extend(docs);
    out
}

/// The changes within one table that continues from `o` to `e`.
fn table_changes(
    o: &TableSnapshot,
    e: &TableSnapshot,
    columns: &mut Vec<Change>,
    keys: &mut Vec<Change>,
    docs: &mut Vec<Change>,
) {
    let entity = &e.entity;
    let table = &e.table;
    // New column name → the old column it continues.
    let mut matched: BTreeMap<&str, &ColumnSnapshot> = BTreeMap::new();
    for c in &e.columns {
        let found = o.column(&c.name).or_else(|| {
            c.renamed_from
                .as_deref()
                .filter(|from| e.column(from).is_none())
                .and_then(|from| o.column(from))
        });
        if let Some(oc) = found {
            matched.insert(&c.name, oc);
        }
    }
    let continued: BTreeSet<&str> = matched.values().map(|c| c.name.as_str()).collect();
    let renamed: BTreeMap<&str, &str> = matched
        .iter()
        .map(|(n, oc)| (oc.name.as_str(), *n))
        .collect();

    let mut renames = Vec::new();
    let mut changes = Vec::new();
    let mut adds = Vec::new();
    for c in &e.columns {
        let Some(oc) = matched.get(c.name.as_str()) else {
            adds.push(Change::AddColumn {
                entity: entity.clone(),
                table: table.clone(),
                column: c.clone(),
            });
            continue;
        };
        if oc.name != c.name {
            renames.push(Change::RenameColumn {
                entity: entity.clone(),
                table: table.clone(),
                from: oc.name.clone(),
                to: c.name.clone(),
            });
        }
        column_changes(entity, table, oc, c, &mut changes, docs);
    }
    let drops = o
        .columns
        .iter()
        .filter(|oc| !continued.contains(oc.name.as_str()))
        .map(|oc| Change::DropColumn {
            entity: entity.clone(),
            table: table.clone(),
            column: oc.name.clone(),
        });
    columns.extend(renames);
    columns.extend(changes);
    columns.extend(adds);
    columns.extend(drops);

    let old_key: Vec<String> = o
        .key
        .iter()
        .map(|k| {
            renamed
                .get(k.as_str())
                .map_or_else(|| k.clone(), |n| n.to_string())
        })
        .collect();
    let keyed = |k: &[String]| !k.is_empty();
    match (keyed(&old_key), keyed(&e.key)) {
        (false, true) => keys.push(Change::AddKey {
            entity: entity.clone(),
            table: table.clone(),
            key: e.key.clone(),
        }),
        (true, false) => keys.push(Change::DropKey {
            entity: entity.clone(),
            table: table.clone(),
            from: old_key.clone(),
        }),
        (true, true) if old_key != e.key => keys.push(Change::ChangeKey {
            entity: entity.clone(),
            table: table.clone(),
            from: old_key.clone(),
            to: e.key.clone(),
        }),
        _ => {}
    }
    let old_version = o.version.as_ref().map(|v| {
        renamed
            .get(v.as_str())
            .map_or_else(|| v.clone(), |n| n.to_string())
    });
    if keyed(&e.key) && keyed(&old_key) && old_version != e.version {
        keys.push(Change::Version {
            entity: entity.clone(),
            table: table.clone(),
            from: old_version,
            to: e.version.clone(),
        });
    }
    if o.doc != e.doc {
        docs.push(Change::Doc {
            entity: entity.clone(),
            table: table.clone(),
            column: None,
            doc: e.doc.clone(),
        });
    }
}

/// The changes of one column that continues from `o` to `c`.
fn column_changes(
    entity: &str,
    table: &str,
    o: &ColumnSnapshot,
    c: &ColumnSnapshot,
    changes: &mut Vec<Change>,
    docs: &mut Vec<Change>,
) {
    let (entity, table) = (entity.to_string(), table.to_string());
    if o.ty != c.ty {
        changes.push(Change::ChangeType {
            entity,
            table,
            from: o.ty.clone(),
            column: c.clone(),
        });
        return;
    }
    if o.max_length != c.max_length {
        changes.push(Change::Resize {
            entity: entity.clone(),
            table: table.clone(),
            column: c.clone(),
            from: o.max_length,
        });
    }
    if o.nullable && !c.nullable {
        changes.push(Change::RequireValue {
            entity: entity.clone(),
            table: table.clone(),
            column: c.clone(),
        });
    } else if !o.nullable && c.nullable {
        changes.push(Change::AllowNull {
            entity: entity.clone(),
            table: table.clone(),
            column: c.name.clone(),
        });
    }
    if o.enum_values != c.enum_values || o.min != c.min || o.max != c.max {
        changes.push(Change::Checks {
            entity: entity.clone(),
            table: table.clone(),
            column: Box::new(c.clone()),
            old: Box::new(o.clone()),
            narrower: narrower_rules(o, c),
        });
    }
    if o.pattern != c.pattern {
        changes.push(Change::Rule {
            entity: entity.clone(),
            table: table.clone(),
            column: c.name.clone(),
            what: "pattern",
            from: o.pattern.clone(),
            to: c.pattern.clone(),
        });
    }
    // A field made required reports its default with that change.
    let made_required = o.nullable && !c.nullable;
    if o.default != c.default && !made_required {
        changes.push(Change::Rule {
            entity: entity.clone(),
            table: table.clone(),
            column: c.name.clone(),
            what: "default",
            from: o.default.as_ref().map(Value::to_string),
            to: c.default.as_ref().map(Value::to_string),
        });
    }
    if o.doc != c.doc {
        docs.push(Change::Doc {
            entity,
            table,
            column: Some(c.name.clone()),
            doc: c.doc.clone(),
        });
    }
}

/// `true` when the new `enum`/`min`/`max` refuse a value the old ones allowed.
fn narrower_rules(o: &ColumnSnapshot, c: &ColumnSnapshot) -> bool {
    let enum_narrower = match (&o.enum_values, &c.enum_values) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(old), Some(new)) => old.iter().any(|v| !new.contains(v)),
    };
    // A lower bound is narrower when it rises (or appears); an upper one when it falls.
    let bound_narrower = |old: &Option<Value>, new: &Option<Value>, lower: bool| match (old, new) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(a), Some(b)) => match (a.as_number(), b.as_number()) {
            (Some(a), Some(b)) => {
                if lower {
                    b > a
                } else {
                    b < a
                }
            }
            _ => a != b,
        },
    };
    enum_narrower || bound_narrower(&o.min, &c.min, true) || bound_narrower(&o.max, &c.max, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str) -> ColumnSnapshot {
        ColumnSnapshot {
            name: name.into(),
            ty: "integer".into(),
            nullable: false,
            doc: None,
            default: None,
            max_length: None,
            min: None,
            max: None,
            pattern: None,
            enum_values: None,
            renamed_from: None,
        }
    }

    fn num(n: &str) -> Option<Value> {
        Some(Value::Number(n.into()))
    }

    #[test]
    fn bounds_and_enums_narrow_or_relax() {
        let old = ColumnSnapshot {
            min: num("0"),
            max: num("10"),
            enum_values: Some(vec![Value::Number("1".into()), Value::Number("2".into())]),
            ..column("n")
        };
        let relaxed = ColumnSnapshot {
            min: num("-5"),
            max: None,
            enum_values: Some(vec![
                Value::Number("1".into()),
                Value::Number("2".into()),
                Value::Number("3".into()),
            ]),
            ..column("n")
        };
        assert!(!narrower_rules(&old, &relaxed));
        assert!(narrower_rules(&relaxed, &old));
        let higher_min = ColumnSnapshot {
            min: num("1"),
            ..old.clone()
        };
        assert!(narrower_rules(&old, &higher_min));
        let lower_max = ColumnSnapshot {
            max: num("9.5"),
            ..old.clone()
        };
        assert!(narrower_rules(&old, &lower_max));
        let fewer_values = ColumnSnapshot {
            enum_values: Some(vec![Value::Number("1".into())]),
            ..old.clone()
        };
        assert!(narrower_rules(&old, &fewer_values));
    }

    fn snapshot(columns: Vec<ColumnSnapshot>) -> Snapshot {
        Snapshot {
            generated_by: String::new(),
            format: 1,
            project: "p".into(),
            model_version: 1,
            entities: vec![TableSnapshot {
                entity: "E".into(),
                table: "e".into(),
                doc: None,
                parent: None,
                key: vec!["a".into()],
                version: None,
                columns,
                renamed_from: None,
                required_list: None,
            }],
        }
    }

    #[test]
    fn a_rename_continues_the_column_and_the_key_follows_it() {
        let old = snapshot(vec![column("a"), column("b")]);
        let mut new = snapshot(vec![
            ColumnSnapshot {
                renamed_from: Some("a".into()),
                ..column("x")
            },
            column("b"),
        ]);
        new.entities[0].key = vec!["x".into()];
        let changes = diff(&old, &new);
        assert_eq!(
            changes,
            [Change::RenameColumn {
                entity: "E".into(),
                table: "e".into(),
                from: "a".into(),
                to: "x".into(),
            }]
        );
        // Without `renamed_from`, the old column is dropped and a new one added.
        new.entities[0].columns[0].renamed_from = None;
        let changes = diff(&old, &new);
        assert!(changes
            .iter()
            .any(|c| matches!(c, Change::DropColumn { column, .. } if column == "a")));
        assert!(changes
            .iter()
            .any(|c| matches!(c, Change::ChangeKey { .. })));
    }
}
