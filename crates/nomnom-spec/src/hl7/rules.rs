//! The rules of `hl7:` that depend on the entity a field belongs to: whether its root reads
//! HL7 v2 at all, that every value of an HL7 entity has somewhere to come from, and which
//! segment a path or a list reads in a segment group.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::field::FieldInfo;
use crate::model::{FieldSource, FieldType};

/// Where an entity stands in its message.
pub struct Scope<'a> {
    /// The entity's name.
    pub entity: &'a str,
    /// Its root (itself for a root).
    pub root: &'a str,
    /// `true` when its root reads HL7 v2 messages.
    pub hl7: bool,
    /// The `format` its root declares: `None` when not written; `Err` when written wrongly
    /// (already reported: nothing is said about `hl7` then).
    pub declared: Option<Result<crate::model::Format, ()>>,
    /// The segment each of its rows is (`OBR`), when it is contained through `hl7: SEG`.
    pub segment: Option<&'a str>,
    /// The enclosing segment entities, nearest first: (entity, its segment).
    pub ancestors: Vec<(&'a str, &'a str)>,
    /// The segment entities it contains, at any depth: (entity, its segment).
    pub descendants: Vec<(&'a str, &'a str)>,
}

/// Checks the `hl7`, `json` and missing sources of one entity's fields.
pub fn check(fields: &[FieldInfo], scope: &Scope, diags: &mut Diagnostics) {
    if matches!(scope.declared, Some(Err(()))) {
        return;
    }
    if !scope.hl7 {
        not_hl7(fields, scope, diags);
        return;
    }
    let entity = scope.entity;
    for f in fields {
        let name = &f.field.name;
        let is_list = matches!(f.field.ty, FieldType::List(_));
        if f.hl7.is_none() {
            if let Some(json) = f.json_key {
                diags.push(
                    Diagnostic::error(
                        "nomnom::not_applicable",
                        json,
                        format!("`json` does not apply in `{entity}`, which is read from HL7 v2 messages"),
                    )
                    .label("no JSON object to read")
                    .help(if is_list {
                        "name the segment whose every occurrence becomes a row: `hl7: OBR`"
                    } else {
                        "read the value with an HL7 path instead, such as `hl7: PID-3.1`"
                    }),
                );
                continue;
            }
            let sourced = f.from_span.is_some() || f.compute.is_some();
            if is_list {
                let FieldType::List(child) = &f.field.ty else {
                    continue;
                };
                diags.push(
                    Diagnostic::error(
                        "nomnom::hl7_missing_source",
                        f.name_span,
                        format!("the list `{name}` of `{entity}` names no segment"),
                    )
                    .label("which segments are its rows?")
                    .help(format!(
                        "add the segment id whose every occurrence becomes a row of `{child}`, such as `hl7: OBR`"
                    )),
                );
            } else if !sourced {
                let help = if scope.root == entity {
                    "read it with a path such as `hl7: PID-3.1`, or compute it with `compute:`"
                } else {
                    "read it with a path such as `hl7: PID-3.1`, copy it with `from: parent.<field>`, or compute it with `compute:`"
                };
                diags.push(
                    Diagnostic::error(
                        "nomnom::hl7_missing_source",
                        f.name_span,
                        format!("field `{name}` of `{entity}` has no `hl7` path"),
                    )
                    .label(format!(
                        "nothing to read: `{entity}` is read from HL7 v2 messages"
                    ))
                    .help(help),
                );
            }
            continue;
        }
        if let FieldSource::Hl7Segment(seg) = &f.field.source {
            list_segment(f, seg, scope, diags);
        }
        if let (Some(own), Some(hl7)) = (scope.segment, &f.hl7) {
            if let Some(parsed) = &hl7.path {
                path_scope(own, parsed, hl7.origin, scope, diags);
            }
        }
    }
}

/// A JSON entity: one error, at the first `hl7`, for all its fields that have one.
fn not_hl7(fields: &[FieldInfo], scope: &Scope, diags: &mut Diagnostics) {
    let with: Vec<&FieldInfo> = fields.iter().filter(|f| f.hl7.is_some()).collect();
    let Some(first) = with.first() else {
        return;
    };
    let Some(hl7) = &first.hl7 else {
        return;
    };
    let (entity, root) = (scope.entity, scope.root);
    let first_name = &first.field.name;
    let fields = match with.len() {
        1 => format!("field `{first_name}` has an `hl7` path"),
        2 => format!(
            "fields `{first_name}` and `{}` have `hl7` paths",
            with[1].field.name
        ),
        n => format!("field `{first_name}` and {} others have `hl7` paths", n - 1),
    };
    let (label, set) = match scope.declared {
        Some(Ok(_)) => (
            format!("`{root}` has `format: json`"),
            "set `format: hl7v2` on",
        ),
        _ => (
            format!("`{root}` has no `format: hl7v2`"),
            "add `format: hl7v2` to",
        ),
    };
    let help = if root == entity {
        format!("{set} `{entity}` to read HL7 v2 messages, or read the values with `json:`")
    } else {
        format!("`{entity}` is read from the JSON messages of its root `{root}`: {set} `{root}`, or read the values with `json:`")
    };
    diags.push(
        Diagnostic::error(
            "nomnom::hl7_in_json_entity",
            hl7.key,
            format!("{fields}, but `{entity}` is read from JSON"),
        )
        .label(label)
        .help(help),
    );
}

/// A list's segment: not MSH, not the segment of the entity itself or of an enclosing one.
fn list_segment(f: &FieldInfo, seg: &str, scope: &Scope, diags: &mut Diagnostics) {
    let Some(hl7) = &f.hl7 else {
        return;
    };
    let at = hl7.origin.span(0..seg.len());
    let entity = scope.entity;
    if seg == "MSH" {
        diags.push(
            Diagnostic::error(
                "nomnom::hl7_segment_scope",
                at,
                "a message has one MSH segment: a list cannot read MSH segments",
            )
            .label("one per message")
            .help(format!(
                "read MSH values with paths (`hl7: MSH-10`) in the fields of `{}`",
                scope.root
            )),
        );
    } else if scope.segment == Some(seg) {
        diags.push(
            Diagnostic::error(
                "nomnom::hl7_segment_scope",
                at,
                format!("the rows of `{entity}` are {seg} segments: its list cannot read {seg} segments too"),
            )
            .label(format!("{seg} ends each `{entity}` row's group"))
            .help(format!(
                "the {seg} segments after this row's own belong to the next rows of `{entity}`, never to this one: list {seg} segments only in the entity containing `{entity}`"
            )),
        );
    } else if let Some((outer, _)) = scope.ancestors.iter().find(|(_, s)| *s == seg) {
        diags.push(
            Diagnostic::error(
                "nomnom::hl7_segment_scope",
                at,
                format!("`{entity}` lies inside the {seg} group of each `{outer}` row: its list cannot read {seg} segments"),
            )
            .label(format!("each {seg} ends the group"))
            .help(format!(
                "the group of each `{outer}` row ends at the next {seg}, so this list would always be empty: list {seg} segments only in the entity containing `{outer}`"
            )),
        );
    }
}

/// A path of a segment entity: its own segment reads its row (no occurrence there); a path
/// of an enclosing or contained group's segment without an occurrence would read the
/// message's first such segment, which is seldom the one meant.
fn path_scope(
    own: &str,
    parsed: &crate::hl7::ParsedPath,
    origin: crate::expr::Origin,
    scope: &Scope,
    diags: &mut Diagnostics,
) {
    let path = &parsed.path;
    let (entity, seg, text) = (scope.entity, path.segment.as_str(), path.text.as_str());
    if seg == own {
        if let Some(occ) = &parsed.occurrence {
            let written = &text[occ.clone()];
            diags.push(
                Diagnostic::error(
                    "nomnom::hl7_segment_scope",
                    origin.span(occ.clone()),
                    format!("in `{entity}`, a path of {seg} reads the row's own {seg} segment: `{written}` does not apply"),
                )
                .label("no occurrence here")
                .help(format!(
                    "remove `{written}`; read other {seg} segments as rows of `{entity}`"
                )),
            );
        }
        return;
    }
    if parsed.occurrence.is_some() {
        return;
    }
    let rest = &text[parsed.segment.end..];
    let explicit = format!("{seg}[1]{rest}");
    let at = origin.span(parsed.segment.clone());
    if let Some((outer, _)) = scope.ancestors.iter().find(|(_, s)| *s == seg) {
        diags.push(
            Diagnostic::error(
                "nomnom::hl7_segment_scope",
                at,
                format!("`{text}` in `{entity}` reads the message's first {seg}, not the {seg} of this row's `{outer}`"),
            )
            .label(format!("the message's first {seg}"))
            .help(format!(
                "read `{text}` in `{outer}` and copy it down with `from: parent.<field>`; write `{explicit}` to read the message's first {seg} on purpose"
            )),
        );
    } else if let Some((inner, _)) = scope.descendants.iter().find(|(_, s)| *s == seg) {
        diags.push(
            Diagnostic::error(
                "nomnom::hl7_segment_scope",
                at,
                format!("`{text}` in `{entity}` reads the message's first {seg}, which may belong to another `{entity}` row"),
            )
            .label(format!("the message's first {seg}"))
            .help(format!(
                "the {seg} segments of each `{entity}` row are rows of `{inner}`: read `{text}` there; write `{explicit}` to read the message's first {seg} on purpose"
            )),
        );
    }
}
