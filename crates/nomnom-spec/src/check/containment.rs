//! Containment: who contains whom (one parent, no cycles, at least one root), `from:
//! parent.<field>`, and the warnings about sources.

use std::collections::{BTreeMap, HashMap};

use super::EntityInfo;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::{FieldSource, FieldType};
use crate::suggest;
use crate::yaml::Span;

/// One `list<Child>` field: who contains whom, and where.
#[derive(Debug, Clone)]
pub(super) struct Containment {
    pub(super) parent: String,
    pub(super) field: String,
}

/// Child name → the list fields containing it (an error when more than one), after
/// reporting two parents, cycles and a missing root.
pub(super) fn containment(
    infos: &[EntityInfo],
    entities_span: Span,
    diags: &mut Diagnostics,
) -> BTreeMap<String, Vec<Containment>> {
    let mut parents: BTreeMap<String, Vec<Containment>> = BTreeMap::new();
    for info in infos {
        for f in &info.fields {
            if let FieldType::List(child) = &f.field.ty {
                let here = Containment {
                    parent: info.raw.name.clone(),
                    field: f.field.name.clone(),
                };
                let list = parents.entry(child.clone()).or_default();
                if let Some(first) = list.first() {
                    diags.push(
                        Diagnostic::error(
                            "nomnom::two_parents",
                            f.type_span,
                            format!(
                                "entity `{child}` is already contained by `{}.{}`",
                                first.parent, first.field
                            ),
                        )
                        .label(format!("second parent of `{child}`"))
                        .help(format!(
                            "an entity has exactly one parent; define a separate entity for the items of `{}.{}`",
                            info.raw.name, f.field.name
                        )),
                    );
                }
                list.push(here);
            }
        }
    }
    cycles(infos, diags);
    if !infos.is_empty()
        && infos
            .iter()
            .all(|i| parents.contains_key(i.raw.name.as_str()))
    {
        diags.push(
            Diagnostic::error(
                "nomnom::no_root",
                entities_span,
                "no root entity: every entity is contained by another",
            )
            .label("nothing here can be posted")
            .help("at least one entity must not appear in any `list<...>`; clients post roots"),
        );
    }
    parents
}

/// Reports every containment cycle once, at the `list<...>` field closing it, from the
/// cycle's entity written first in the file.
pub(super) fn cycles(infos: &[EntityInfo], diags: &mut Diagnostics) {
    let children = |name: &str| -> Vec<(&str, Span)> {
        infos
            .iter()
            .find(|i| i.raw.name == name)
            .map(|i| {
                i.fields
                    .iter()
                    .filter_map(|f| match &f.field.ty {
                        FieldType::List(c) => Some((c.as_str(), f.type_span)),
                        FieldType::Scalar(_) => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut done: Vec<&str> = Vec::new();
    for info in infos {
        let start = info.raw.name.as_str();
        // Depth-first search for a path start → … → start through entities not yet searched
        // (a cycle through an earlier entity was reported from there).
        let mut stack: Vec<Vec<&str>> = vec![vec![start]];
        let mut visited: Vec<&str> = Vec::new();
        let mut steps = 0usize;
        while let Some(path) = stack.pop() {
            steps += 1;
            if steps > 10_000 {
                break;
            }
            let Some(&last) = path.last() else { continue };
            let mut found = None;
            for (child, span) in children(last) {
                if child == start {
                    found = Some(span);
                    break;
                }
                if !done.contains(&child) && !visited.contains(&child) {
                    visited.push(child);
                    let mut next = path.clone();
                    next.push(child);
                    stack.push(next);
                }
            }
            if let Some(span) = found {
                let mut shown = path.clone();
                shown.push(start);
                diags.push(
                    Diagnostic::error(
                        "nomnom::containment_cycle",
                        span,
                        format!("containment cycle: {}", shown.join(" contains ")),
                    )
                    .label(format!("`{start}` would contain itself"))
                    .help("a record cannot contain its own ancestors; remove one of the `list<...>` fields of the cycle"),
                );
                break;
            }
        }
        done.push(start);
    }
}

/// `from: parent.<field>`: the entity has a parent, the parent has the field, the types match.
pub(super) fn parent_sources(
    info: &EntityInfo,
    parents: Option<&Vec<Containment>>,
    infos: &[EntityInfo],
    diags: &mut Diagnostics,
) {
    let name = info.raw.name.as_str();
    for f in &info.fields {
        let FieldSource::Parent(wanted) = &f.field.source else {
            continue;
        };
        let span = f.from_span.unwrap_or(f.name_span);
        let Some(link) = parents.and_then(|p| p.first()) else {
            diags.push(
                Diagnostic::error(
                    "nomnom::no_parent",
                    span,
                    format!("field `{}` reads `parent.{wanted}`, but `{name}` has no parent", f.field.name),
                )
                .label("no enclosing record")
                .help(format!(
                    "`from: parent.<field>` works in entities contained through `list<{name}>`; remove `from` for a root entity"
                )),
            );
            continue;
        };
        let Some(parent) = infos.iter().find(|i| i.raw.name == link.parent) else {
            continue;
        };
        let Some(pf) = parent.fields.iter().find(|p| &p.field.name == wanted) else {
            if parent.raw.fields.iter().any(|p| &p.name == wanted) {
                continue;
            }
            let names: Vec<&str> = parent.raw.fields.iter().map(|p| p.name.as_str()).collect();
            let help = match suggest::nearest(wanted, names.iter().copied()) {
                Some(near) => format!("did you mean `parent.{near}`?"),
                None => format!(
                    "the fields of `{}` are: {}",
                    parent.raw.name,
                    names.join(", ")
                ),
            };
            diags.push(
                Diagnostic::error(
                    "nomnom::unknown_parent_field",
                    span,
                    format!("the parent `{}` has no field `{wanted}`", parent.raw.name),
                )
                .label("no such field in the parent")
                .help(help),
            );
            continue;
        };
        match (&pf.field.ty, &f.field.ty) {
            (FieldType::List(_), _) => diags.push(
                Diagnostic::error(
                    "nomnom::from_type_mismatch",
                    span,
                    format!("`parent.{wanted}` is a list, not a value"),
                )
                .label("cannot copy a list")
                .help("copy a scalar field of the parent, such as its key"),
            ),
            (FieldType::Scalar(p), FieldType::Scalar(c)) if p != c => diags.push(
                Diagnostic::error(
                    "nomnom::from_type_mismatch",
                    span,
                    format!(
                        "field `{}` is {} but `parent.{wanted}` is {}",
                        f.field.name,
                        c.name(),
                        p.name()
                    ),
                )
                .label("types differ")
                .help(format!("declare `{}` as `{}`", f.field.name, p.name())),
            ),
            _ if pf.field.nullable && !f.field.nullable => diags.push(
                Diagnostic::error(
                    "nomnom::from_type_mismatch",
                    span,
                    format!(
                        "field `{}` is required but `parent.{wanted}` is nullable",
                        f.field.name
                    ),
                )
                .label("may be null")
                .help(format!(
                    "make `{}` nullable, or the parent's field required",
                    f.field.name
                )),
            ),
            _ => {}
        }
    }
}

/// Valid but suspicious: two fields reading one JSON value; a child key that does not
/// include anything from its parent.
pub(super) fn source_warnings(info: &EntityInfo, has_parent: bool, diags: &mut Diagnostics) {
    let mut seen: HashMap<(&str, Vec<String>), &str> = HashMap::new();
    for f in &info.fields {
        if f.compute.is_some() {
            continue; // not read from the message (even when its expression is in error)
        }
        let (what, path) = match &f.field.source {
            FieldSource::Key(k) => ("JSON value", vec![k.clone()]),
            FieldSource::Pointer(p) => ("JSON value", p.clone()),
            FieldSource::Hl7(p) => ("HL7 value", vec![p.canonical()]),
            FieldSource::Hl7Segment(s) => ("HL7 segments", vec![s.clone()]),
            FieldSource::Parent(_) | FieldSource::Compute(_) => continue,
        };
        let at = match (&f.hl7, &f.field.source) {
            (Some(h), FieldSource::Hl7(p)) => h.origin.span(0..p.text.len()),
            (Some(h), FieldSource::Hl7Segment(s)) => h.origin.span(0..s.len()),
            _ => f.json_span.unwrap_or(f.name_span),
        };
        if let Some(first) = seen.get(&(what, path.clone())) {
            diags.push(
                Diagnostic::warning(
                    "nomnom::shared_source",
                    at,
                    format!(
                        "fields `{first}` and `{}` read the same {what}",
                        f.field.name
                    ),
                )
                .label(format!("same value as `{first}`"))
                .help("this is legal, but usually a copy-paste slip"),
            );
        } else {
            seen.insert((what, path), &f.field.name);
        }
    }
    if has_parent && !info.key.is_empty() {
        let from_parent = info
            .key
            .iter()
            .any(|k| reads_parent(info, k, &mut Vec::new()));
        if !from_parent {
            if let Some(e) = info.raw.entries.get("key") {
                diags.push(
                    Diagnostic::warning(
                        "nomnom::child_key_without_parent",
                        e.value.span,
                        format!("the key of `{}` takes nothing from its parent", info.raw.name),
                    )
                    .label("unique across all parents")
                    .help("children of different parents with equal keys overwrite each other; add a `from: parent.<key>` field to the key if that is not intended"),
                );
            }
        }
    }
}

/// `true` when the field `name` of `info` is copied from the parent, or computed from a field
/// that is (directly or through other computed fields).
pub(super) fn reads_parent<'a>(
    info: &'a EntityInfo,
    name: &'a str,
    seen: &mut Vec<&'a str>,
) -> bool {
    if seen.contains(&name) {
        return false;
    }
    seen.push(name);
    let Some(f) = info.fields.iter().find(|f| f.field.name == name) else {
        return false;
    };
    match &f.field.source {
        FieldSource::Parent(_) => true,
        FieldSource::Compute(c) => c
            .computed
            .references
            .iter()
            .any(|r| reads_parent(info, &r.name, seen)),
        FieldSource::Key(_)
        | FieldSource::Pointer(_)
        | FieldSource::Hl7(_)
        | FieldSource::Hl7Segment(_) => false,
    }
}
