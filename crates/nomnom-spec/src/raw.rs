//! First pass: the located YAML tree read into the shape of a model file (top level,
//! entities, fields), reporting wrong shapes and unknown keys. Values are kept as nodes; the
//! semantic checks interpret them.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::suggest;
use crate::yaml::{Kind, Node, Span};

/// Keys of the top level.
pub const PROJECT_KEYS: &[&str] = &["project", "entities", "transforms"];
/// Keys of an entity.
pub const ENTITY_KEYS: &[&str] = &[
    "doc",
    "format",
    "table",
    "key",
    "version",
    "fields",
    "renamed_from",
];
/// Keys of a field in its map form.
pub const FIELD_KEYS: &[&str] = &[
    "type",
    "nullable",
    "doc",
    "json",
    "from",
    "default",
    "max_length",
    "min",
    "max",
    "pattern",
    "enum",
    "store",
    "compute",
    "hl7",
    "renamed_from",
];

/// A `key: value` pair with the key's location.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Where the key was written.
    pub key: Span,
    /// The value.
    pub value: Node,
}

/// Known keys of a mapping to their entries.
pub type Entries = BTreeMap<&'static str, Entry>;

/// Known keys that an unknown key was taken for (`feilds` → `fields`): "missing `fields`"
/// would only repeat that diagnostic, so later rules stay quiet about them.
pub type Misspelt = BTreeSet<&'static str>;

/// The top level of a model file.
#[derive(Debug, Default)]
pub struct RawProject {
    /// The top-level keys.
    pub entries: Entries,
    /// Top-level keys written with a typo.
    pub misspelt: Misspelt,
    /// Where the document starts (for problems about missing keys).
    pub span: Span,
    /// The entities, in file order.
    pub entities: Vec<RawEntity>,
}

/// One entity as written.
#[derive(Debug)]
pub struct RawEntity {
    /// The entity's name (the mapping key).
    pub name: String,
    /// Where the name was written.
    pub name_span: Span,
    /// The entity's keys (`doc`, `format`, `table`, `key`, `version`, `fields`).
    pub entries: Entries,
    /// Entity keys written with a typo.
    pub misspelt: Misspelt,
    /// The fields, in file order.
    pub fields: Vec<RawField>,
}

/// One field as written.
#[derive(Debug)]
pub struct RawField {
    /// The field's name (the mapping key).
    pub name: String,
    /// Where the name was written.
    pub name_span: Span,
    /// The type as written (shorthand string or the map's `type`), with its location.
    pub ty: Option<(String, Span)>,
    /// The map form's keys (empty for the shorthand).
    pub entries: Entries,
}

/// Reads the document's shape, reporting problems into `diags`.
pub fn read(root: &Node, diags: &mut Diagnostics) -> RawProject {
    let mut project = RawProject {
        span: root.span,
        ..RawProject::default()
    };
    if matches!(root.kind, Kind::Null) {
        diags.push(
            Diagnostic::error("nomnom::empty", Span::default(), "the model file is empty")
                .label("nothing here")
                .help("start from `nomnom init`, or write `project:` and `entities:`"),
        );
        return project;
    }
    let Some((entries, misspelt)) = known_keys(root, PROJECT_KEYS, "the top level", diags) else {
        return project;
    };
    project.entries = entries;
    project.misspelt = misspelt;
    if let Some(entities) = project.entries.get("entities") {
        for (name, name_span, value) in named(&entities.value, "entity", diags) {
            let Some((entries, misspelt)) =
                known_keys(value, ENTITY_KEYS, &format!("entity `{name}`"), diags)
            else {
                continue;
            };
            let fields = match entries.get("fields") {
                Some(f) => named(&f.value, "field", diags)
                    .into_iter()
                    .filter_map(|(n, s, v)| read_field(n, s, v, diags))
                    .collect(),
                None => Vec::new(),
            };
            project.entities.push(RawEntity {
                name,
                name_span,
                entries,
                misspelt,
                fields,
            });
        }
    }
    project
}

fn read_field(
    name: String,
    name_span: Span,
    value: &Node,
    diags: &mut Diagnostics,
) -> Option<RawField> {
    match &value.kind {
        Kind::Str(ty) => Some(RawField {
            name,
            name_span,
            ty: Some((ty.clone(), value.span)),
            entries: Entries::new(),
        }),
        Kind::Map(_) => {
            let (entries, misspelt) =
                known_keys(value, FIELD_KEYS, &format!("field `{name}`"), diags)?;
            let ty = match entries.get("type") {
                Some(Entry {
                    value:
                        Node {
                            kind: Kind::Str(t),
                            span,
                        },
                    ..
                }) => Some((t.clone(), *span)),
                Some(other) => {
                    diags.push(
                        Diagnostic::error(
                            "nomnom::invalid_type",
                            other.value.span,
                            format!("the type of field `{name}` must be written as text"),
                        )
                        .label("not a type name")
                        .help("write a type such as `string`, `integer?` or `list<Entity>`"),
                    );
                    None
                }
                None if misspelt.contains("type") => None,
                None => {
                    diags.push(
                        Diagnostic::error(
                            "nomnom::missing_type",
                            name_span,
                            format!("field `{name}` has no `type`"),
                        )
                        .label("type missing")
                        .help("add `type: string` (or another type) to the field"),
                    );
                    None
                }
            };
            Some(RawField {
                name,
                name_span,
                ty,
                entries,
            })
        }
        _ => {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_field",
                    if value.span.len == 0 {
                        name_span
                    } else {
                        value.span
                    },
                    format!("field `{name}` must be a type or a mapping"),
                )
                .label("expected a type such as `string` or `{type: string, nullable: true}`")
                .help("write `name: type`, `name: type?`, or `name: {type: ..., ...}`"),
            );
            None
        }
    }
}

/// A mapping's entries whose keys are names (entities, fields), in order.
fn named<'n>(node: &'n Node, what: &str, diags: &mut Diagnostics) -> Vec<(String, Span, &'n Node)> {
    if node.kind == Kind::Null {
        // Reported as "defines no ..." by the rules that need at least one.
        return Vec::new();
    }
    let Kind::Map(entries) = &node.kind else {
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_shape",
                node.span,
                format!("expected a mapping of {what} names to {what} definitions"),
            )
            .label(format!("not a mapping of {what}s"))
            .help(format!("write one `Name: ...` line per {what}")),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        match &k.kind {
            Kind::Str(s) => out.push((s.clone(), k.span, v)),
            _ => diags.push(
                Diagnostic::error(
                    "nomnom::invalid_name",
                    k.span,
                    format!("{what} names must be text"),
                )
                .label("not a name")
                .help(format!("name the {what} with letters, digits, `_` or `-`")),
            ),
        }
    }
    out
}

/// A mapping's entries whose keys must be among `known`; unknown keys are reported with the
/// nearest known key.
fn known_keys(
    node: &Node,
    known: &[&'static str],
    context: &str,
    diags: &mut Diagnostics,
) -> Option<(Entries, Misspelt)> {
    let Kind::Map(entries) = &node.kind else {
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_shape",
                node.span,
                format!("{context} must be a mapping"),
            )
            .label("expected a mapping")
            .help(format!("{context} takes the keys {}", list(known))),
        );
        return None;
    };
    let mut out = Entries::new();
    let mut misspelt = Misspelt::new();
    for (k, v) in entries {
        let Kind::Str(key) = &k.kind else {
            diags.push(
                Diagnostic::error(
                    "nomnom::unknown_key",
                    k.span,
                    format!("unknown key in {context}"),
                )
                .label("not a known key")
                .help(format!("{context} takes the keys {}", list(known))),
            );
            continue;
        };
        match known.iter().find(|&&n| n == key) {
            Some(&name) => {
                out.insert(
                    name,
                    Entry {
                        key: k.span,
                        value: v.clone(),
                    },
                );
            }
            None => {
                let hint = match suggest::nearest(key, known.iter().copied()) {
                    Some(near) => {
                        misspelt.insert(near);
                        format!("did you mean `{near}`?")
                    }
                    None => format!("{context} takes the keys {}", list(known)),
                };
                diags.push(
                    Diagnostic::error(
                        "nomnom::unknown_key",
                        k.span,
                        format!("unknown key `{key}` in {context}"),
                    )
                    .label("unknown key")
                    .help(hint),
                );
            }
        }
    }
    Some((out, misspelt))
}

/// `a`, `b` and `c` → "`a`, `b`, `c`".
pub fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
