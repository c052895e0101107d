//! The rules across fields and entities: project and entity names, tables, keys, versions,
//! identifier collisions, containment (one parent, no cycles, at least one root),
//! `from: parent.<field>`, and each root's `format` with the rules of `hl7:` that depend on
//! where an entity stands in its message. Builds the model when nothing is wrong.

use std::collections::{BTreeMap, HashMap};

mod containment;
mod tables;

use containment::{containment, parent_sources, source_warnings, Containment};
use tables::{entity_collisions, key_fields, table_name};

use crate::computed;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{Env, ParentScope};
use crate::field::{self, FieldInfo};
use crate::hl7::rules as hl7_rules;
use crate::model::{Entity, Field, FieldSource, Format, ParentLink, Project};
use crate::names;
use crate::raw::{RawEntity, RawProject};
use crate::rename;
use crate::suggest;
use crate::transforms;
use crate::version;
use crate::yaml::{Kind, Span};

/// Table names nomnom itself creates in every generated database.
pub const RESERVED_TABLES: &[&str] = &["message_status"];

/// An entity whose own rules were checked.
struct EntityInfo<'r> {
    raw: &'r RawEntity,
    doc: Option<String>,
    table: String,
    fields: Vec<FieldInfo>,
    key: Vec<String>,
    version: Option<String>,
    /// `format:` as declared, with where its key was written (`None` when not written or
    /// not a format).
    format: Option<(Format, Span)>,
}

/// Runs every rule; returns the model when no error was found.
pub fn check(raw: &RawProject, source: &str, diags: &mut Diagnostics) -> Option<Project> {
    let name = project_name(raw, diags);
    let entities_span = match raw.entries.get("entities") {
        Some(e) => e.key,
        None => {
            let quiet = raw.misspelt.contains("entities")
                || (raw.entries.is_empty() && !diags.items.is_empty());
            if !quiet {
                diags.push(
                    Diagnostic::error(
                        "nomnom::missing_key",
                        raw.span,
                        "the model has no `entities`",
                    )
                    .label("`entities` missing")
                    .help("add `entities:` with at least one entity"),
                );
            }
            raw.span
        }
    };
    if raw.entries.contains_key("entities") && raw.entities.is_empty() {
        let only_shape_errors = raw.entries["entities"].value.kind != Kind::Null
            && !matches!(raw.entries["entities"].value.kind, Kind::Map(_));
        if !only_shape_errors {
            diags.push(
                Diagnostic::error(
                    "nomnom::no_entities",
                    entities_span,
                    "the model defines no entity",
                )
                .label("empty")
                .help("define at least one entity under `entities`"),
            );
        }
    }

    let transforms::Checked {
        transforms,
        env: signatures,
    } = transforms::check(
        raw.entries.get("transforms").map(|e| &e.value),
        source,
        diags,
    );
    let entity_names: Vec<&str> = raw.entities.iter().map(|e| e.name.as_str()).collect();
    let mut infos: Vec<EntityInfo> = raw
        .entities
        .iter()
        .map(|e| check_entity(e, &entity_names, source, diags))
        .collect();
    entity_collisions(&infos, diags);
    let mut renames = rename::check(raw, diags);
    let parents = containment(&infos, entities_span, diags);
    computed_fields(&mut infos, &parents, &signatures, diags);
    let messages = Messages::new(&infos, &parents);
    for info in &infos {
        parent_sources(info, parents.get(info.raw.name.as_str()), &infos, diags);
        formats(info, &parents, &messages, diags);
        hl7_rules::check(&info.fields, &messages.scope(&info.raw.name, &infos), diags);
        source_warnings(info, parents.contains_key(info.raw.name.as_str()), diags);
    }

    if diags.has_errors() {
        return None;
    }
    let placement: Vec<(Format, Option<String>)> = infos
        .iter()
        .map(|i| {
            let name = i.raw.name.as_str();
            (
                messages.format(name),
                messages.segment(name).map(str::to_string),
            )
        })
        .collect();
    let entities = infos
        .into_iter()
        .zip(placement)
        .map(|(info, (format, segment))| {
            let parent = parents
                .get(info.raw.name.as_str())
                .and_then(|p| p.first())
                .map(|p| ParentLink {
                    entity: p.parent.clone(),
                    field: p.field.clone(),
                });
            let entity = info.raw.name.clone();
            let fields = info
                .fields
                .into_iter()
                .map(|f| {
                    let renamed_from = renames
                        .fields
                        .remove(&(entity.clone(), f.field.name.clone()));
                    Field {
                        renamed_from,
                        ..f.field
                    }
                })
                .collect();
            Entity {
                renamed_from: renames.entities.remove(&entity),
                name: entity,
                doc: info.doc,
                table: info.table,
                key: info.key,
                version: info.version,
                fields,
                parent,
                format,
                segment,
            }
        })
        .collect();
    Some(Project {
        name: name?,
        entities,
        transforms,
    })
}

fn project_name(raw: &RawProject, diags: &mut Diagnostics) -> Option<String> {
    let Some(e) = raw.entries.get("project") else {
        let quiet =
            raw.misspelt.contains("project") || (raw.entries.is_empty() && !diags.items.is_empty());
        if !quiet {
            diags.push(
                Diagnostic::error(
                    "nomnom::missing_key",
                    raw.span,
                    "the model has no `project` name",
                )
                .label("`project` missing")
                .help("add `project: my-pipeline` (letters, digits, `-`, `_`)"),
            );
        }
        return None;
    };
    let Kind::Str(name) = &e.value.kind else {
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_project_name",
                e.value.span,
                "the project name must be text",
            )
            .label("not a name")
            .help("write `project: my-pipeline`"),
        );
        return None;
    };
    let legal = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !legal {
        let suggestion = names::k8s_name(name);
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_project_name",
                e.value.span,
                format!("project name `{name}` is not a valid crate name"),
            )
            .label("illegal project name")
            .help(format!(
                "use at most 64 ASCII letters, digits, `-` and `_`, starting with a letter, for example `{suggestion}`"
            )),
        );
        return None;
    }
    Some(name.clone())
}

/// The computed fields of every entity, checked once containment is known (an expression
/// naming a field of the parent gets a hint to copy it).
fn computed_fields(
    infos: &mut [EntityInfo],
    parents: &BTreeMap<String, Vec<Containment>>,
    transforms: &Env,
    diags: &mut Diagnostics,
) {
    let scopes: Vec<Option<ParentScope>> = infos
        .iter()
        .map(|info| {
            let link = parents.get(info.raw.name.as_str())?.first()?;
            let parent = infos.iter().find(|i| i.raw.name == link.parent)?;
            Some(ParentScope {
                entity: link.parent.clone(),
                fields: parent
                    .fields
                    .iter()
                    .map(|f| (f.field.name.clone(), computed::binding(&f.field)))
                    .collect(),
            })
        })
        .collect();
    for (info, scope) in infos.iter_mut().zip(scopes) {
        if !info.fields.iter().any(|f| f.compute.is_some()) {
            continue;
        }
        let written: Vec<&str> = info.raw.fields.iter().map(|f| f.name.as_str()).collect();
        let env = computed::env(&info.fields, &written, transforms, scope);
        computed::check(&mut info.fields, &env, diags);
    }
}

fn check_entity<'r>(
    raw: &'r RawEntity,
    entity_names: &[&str],
    source: &str,
    diags: &mut Diagnostics,
) -> EntityInfo<'r> {
    let name = raw.name.as_str();
    let pascal = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric());
    if !pascal {
        let suggestion = names::pascal_case(name);
        let help = if suggestion.starts_with(|c: char| c.is_ascii_uppercase()) {
            format!("write entity names in PascalCase, for example `{suggestion}`")
        } else {
            "write entity names in PascalCase: an upper-case ASCII letter, then letters and digits"
                .to_string()
        };
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_entity_name",
                raw.name_span,
                format!("entity name `{name}` is not PascalCase"),
            )
            .label("not PascalCase")
            .help(help),
        );
    }
    let doc = field::text_entry(raw.entries.get("doc"), "doc", diags);
    let table = table_name(raw, diags);

    let fields_entry = raw.entries.get("fields");
    match fields_entry {
        None if raw.misspelt.contains("fields") => {}
        None => diags.push(
            Diagnostic::error(
                "nomnom::no_fields",
                raw.name_span,
                format!("entity `{name}` has no `fields`"),
            )
            .label("`fields` missing")
            .help("add `fields:` with at least one field"),
        ),
        Some(e)
            if matches!(&e.value.kind, Kind::Map(m) if m.is_empty())
                || e.value.kind == Kind::Null =>
        {
            diags.push(
                Diagnostic::error(
                    "nomnom::no_fields",
                    e.key,
                    format!("entity `{name}` defines no field"),
                )
                .label("empty")
                .help("define at least one field, for example `id: string`"),
            )
        }
        Some(_) => {}
    }

    let mut fields: Vec<FieldInfo> = Vec::new();
    let mut idents: HashMap<String, &str> = HashMap::new();
    for f in &raw.fields {
        let ident = names::rust_field(&f.name);
        if let Some(first) = idents.get(&ident) {
            diags.push(
                Diagnostic::error(
                    "nomnom::name_collision",
                    f.name_span,
                    format!("fields `{first}` and `{}` of `{name}` both become the identifier `{ident}`", f.name),
                )
                .label(format!("collides with `{first}`"))
                .help("rename one of them; keep its JSON key with `json:`"),
            );
        } else {
            idents.insert(ident, f.name.as_str());
        }
        if let Some(info) = field::check(f, entity_names, source, diags) {
            fields.push(info);
        }
    }
    let key = key_fields(raw, &fields, diags);
    let version = version::version_field(raw, &fields, &key, diags);
    EntityInfo {
        raw,
        doc,
        table: table.unwrap_or_default(),
        fields,
        key,
        version,
        format: format_entry(raw, diags),
    }
}

/// `format: json | hl7v2`.
fn format_entry(raw: &RawEntity, diags: &mut Diagnostics) -> Option<(Format, Span)> {
    let e = raw.entries.get("format")?;
    let written = match &e.value.kind {
        Kind::Str(s) => s.as_str(),
        _ => "",
    };
    if let Some(format) = Format::from_name(written) {
        return Some((format, e.key));
    }
    let lower = written.to_ascii_lowercase();
    let names = Format::ALL.map(|(_, n)| n);
    let help = if lower.contains("hl7") || lower == "er7" {
        "did you mean `hl7v2`? (HL7 v2 messages in their pipe-delimited encoding, any version)"
            .to_string()
    } else if let Some(near) = suggest::nearest(written, names) {
        format!("did you mean `{near}`?")
    } else {
        "write `format: hl7v2` for HL7 v2 messages, or `format: json` (the default)".to_string()
    };
    let (message, at) = if written.is_empty() {
        (
            "`format` must be `json` or `hl7v2`".to_string(),
            if e.value.span.len == 0 {
                e.key
            } else {
                e.value.span
            },
        )
    } else {
        (format!("unknown format `{written}`"), e.value.span)
    };
    diags.push(
        Diagnostic::error("nomnom::unknown_format", at, message)
            .label("not a format")
            .help(help),
    );
    None
}

/// What each entity's messages are written in, and which segment each row of a segment
/// entity is: a root's `format` holds for everything it contains; a child reached through a
/// list with `hl7: SEG` of an HL7 entity is a row per `SEG`.
struct Messages<'a> {
    /// Entity → its root.
    roots: HashMap<&'a str, &'a str>,
    /// Root → its declared format (`Err` when written wrongly).
    declared: HashMap<&'a str, Result<Format, ()>>,
    /// Entity → its parent (the first, when the model wrongly gives it several).
    parents: HashMap<&'a str, &'a str>,
    /// Entity → its segment.
    segments: HashMap<&'a str, &'a str>,
}

impl<'a> Messages<'a> {
    fn new(infos: &'a [EntityInfo], parents: &'a BTreeMap<String, Vec<Containment>>) -> Self {
        let mut m = Messages {
            roots: HashMap::new(),
            declared: HashMap::new(),
            parents: HashMap::new(),
            segments: HashMap::new(),
        };
        for info in infos {
            let name = info.raw.name.as_str();
            if let Some(link) = parents.get(name).and_then(|p| p.first()) {
                m.parents.insert(name, link.parent.as_str());
            }
            match info.format {
                Some((format, _)) => {
                    m.declared.insert(name, Ok(format));
                }
                None if info.raw.entries.contains_key("format") => {
                    m.declared.insert(name, Err(()));
                }
                None => {}
            }
        }
        for info in infos {
            let name = info.raw.name.as_str();
            m.roots.insert(name, m.root_of(name));
        }
        for info in infos {
            let name = info.raw.name.as_str();
            let Some(link) = parents.get(name).and_then(|p| p.first()) else {
                continue;
            };
            if m.format(&link.parent) != Format::Hl7v2 {
                continue;
            }
            let list = infos
                .iter()
                .find(|i| i.raw.name == link.parent)
                .and_then(|p| p.fields.iter().find(|f| f.field.name == link.field));
            if let Some(FieldSource::Hl7Segment(seg)) = list.map(|f| &f.field.source) {
                m.segments.insert(name, seg.as_str());
            }
        }
        m
    }

    /// The entity's root: its topmost ancestor (or where a containment cycle closes).
    fn root_of(&self, name: &'a str) -> &'a str {
        let mut at = name;
        let mut seen = vec![name];
        while let Some(&parent) = self.parents.get(at) {
            if seen.contains(&parent) {
                break;
            }
            seen.push(parent);
            at = parent;
        }
        at
    }

    fn format(&self, name: &str) -> Format {
        self.declared_for(name)
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    /// The format `name`'s root declares.
    fn declared_for(&self, name: &str) -> Option<Result<Format, ()>> {
        let root = self.roots.get(name).copied().unwrap_or(name);
        self.declared.get(root).copied()
    }

    fn segment(&self, name: &str) -> Option<&'a str> {
        self.segments.get(name).copied()
    }

    /// Where `name` stands in its message, for the rules of `hl7:`.
    fn scope(&self, name: &'a str, infos: &'a [EntityInfo]) -> hl7_rules::Scope<'a> {
        let mut ancestors = Vec::new();
        let mut seen = vec![name];
        let mut at = name;
        while let Some(&parent) = self.parents.get(at) {
            if seen.contains(&parent) {
                break;
            }
            seen.push(parent);
            if let Some(seg) = self.segment(parent) {
                ancestors.push((parent, seg));
            }
            at = parent;
        }
        let mut descendants = Vec::new();
        let mut stack = vec![name];
        let mut visited = vec![name];
        while let Some(at) = stack.pop() {
            for info in infos {
                let child = info.raw.name.as_str();
                if self.parents.get(child) == Some(&at) && !visited.contains(&child) {
                    visited.push(child);
                    stack.push(child);
                    if let Some(seg) = self.segment(child) {
                        descendants.push((child, seg));
                    }
                }
            }
        }
        hl7_rules::Scope {
            entity: name,
            root: self.roots.get(name).copied().unwrap_or(name),
            hl7: self.format(name) == Format::Hl7v2,
            declared: self.declared_for(name),
            segment: self.segment(name),
            ancestors,
            descendants,
        }
    }
}

/// `format` is a root's: on a child it is an error.
fn formats(
    info: &EntityInfo,
    parents: &BTreeMap<String, Vec<Containment>>,
    messages: &Messages,
    diags: &mut Diagnostics,
) {
    let (Some((_, key)), Some(link)) = (
        info.format,
        parents.get(info.raw.name.as_str()).and_then(|p| p.first()),
    ) else {
        return;
    };
    let name = &info.raw.name;
    let root = messages.roots.get(name.as_str()).copied().unwrap_or(name);
    diags.push(
        Diagnostic::error(
            "nomnom::format_on_child",
            key,
            format!(
                "`format` applies to roots, and `{name}` is contained by `{}.{}`",
                link.parent, link.field
            ),
        )
        .label("on a child")
        .help(format!(
            "`{name}` is read from the messages of its root `{root}`: remove `format` here, and set it on `{root}`"
        )),
    );
}
