//! The rules of one field: its name, type, source and constraints.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::Origin;
use crate::hl7::{self, ParsedPath};
use crate::literal::{self};
use crate::model::{Field, FieldSource, FieldType, ScalarType};
use crate::names;
use crate::pointer;
use crate::raw::{Entry, RawField};
use crate::suggest;
use crate::yaml::{Kind, Node, Span};

mod constraints;

use constraints::constraints;

/// PostgreSQL's limit on `VARCHAR(n)`.
pub const MAX_VARCHAR_LENGTH: u64 = 10_485_760;

/// A checked field with the locations later rules point at.
#[derive(Debug, Clone)]
pub struct FieldInfo {
    /// The field for the model.
    pub field: Field,
    /// Where its name was written.
    pub name_span: Span,
    /// Where its type was written.
    pub type_span: Span,
    /// Where its `from:` value was written.
    pub from_span: Option<Span>,
    /// Where its `json:` value was written.
    pub json_span: Option<Span>,
    /// Where its `json` key was written.
    pub json_key: Option<Span>,
    /// `hl7:`, when written (even when its value is in error).
    pub hl7: Option<Hl7Entry>,
    /// `compute:`: the expression and where its text lies; checked with the whole entity.
    pub compute: Option<(String, Origin)>,
}

/// A field's `hl7:` entry.
#[derive(Debug, Clone)]
pub struct Hl7Entry {
    /// Where the key `hl7` was written.
    pub key: Span,
    /// Where its text lies in the file.
    pub origin: Origin,
    /// The path with where its parts lie, when it is a valid path of a scalar field and the
    /// field's source (no `json`, `from` or `compute` contradicts it).
    pub path: Option<ParsedPath>,
}

/// Common type names from other languages, mapped to ours.
const TYPE_ALIASES: &[(&str, &str)] = &[
    ("str", "string"),
    ("text", "string"),
    ("varchar", "string"),
    ("int", "integer"),
    ("i64", "integer"),
    ("bigint", "integer"),
    ("long", "integer"),
    ("double", "float"),
    ("f64", "float"),
    ("number", "float"),
    ("numeric", "decimal"),
    ("money", "decimal"),
    ("bool", "boolean"),
    ("datetime", "timestamp"),
    ("timestamptz", "timestamp"),
    ("jsonb", "json"),
    ("object", "json"),
];

/// Our name of a type another language calls `name` (`int` → `integer`).
pub fn type_alias(name: &str) -> Option<&'static str> {
    TYPE_ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
        .map(|(_, ours)| *ours)
}

/// `true` for a legal field name: ASCII letters, digits, `_` and `-`, not starting with `_` or `-`.
fn legal_field_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Checks one field of an entity. `entity_names` are all entities of the file (for
/// `list<...>`). Returns `None` when the field is too broken to take part in later rules.
pub fn check(
    raw: &RawField,
    entity_names: &[&str],
    source: &str,
    diags: &mut Diagnostics,
) -> Option<FieldInfo> {
    let name = raw.name.as_str();
    check_name(raw, diags);
    let (ty_text, type_span) = raw.ty.clone()?;
    let (ty, shorthand_nullable) = resolve_type(name, &ty_text, type_span, entity_names, diags)?;

    let nullable = match raw.entries.get("nullable") {
        None => shorthand_nullable,
        Some(Entry {
            value: Node {
                kind: Kind::Bool(b),
                ..
            },
            ..
        }) => {
            if shorthand_nullable && !b {
                diags.push(
                    Diagnostic::error(
                        "nomnom::conflict",
                        raw.entries["nullable"].value.span,
                        format!("field `{name}` is both nullable (`?`) and `nullable: false`"),
                    )
                    .label("contradicts the `?` of the type")
                    .help("remove the `?` or the `nullable` key"),
                );
            }
            *b || shorthand_nullable
        }
        Some(e) => {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_value",
                    e.value.span,
                    "`nullable` must be true or false",
                )
                .label(format!("found {}", literal::describe(&e.value, source)))
                .help("write `nullable: true` or `nullable: false`"),
            );
            shorthand_nullable
        }
    };

    let doc = text_entry(raw.entries.get("doc"), "doc", diags);
    let mut field = Field {
        name: name.to_string(),
        doc,
        ty: ty.clone(),
        nullable,
        source: FieldSource::Key(name.to_string()),
        default: None,
        max_length: None,
        min: None,
        max: None,
        pattern: None,
        enum_values: None,
        stored: true,
        renamed_from: None,
    };
    store_entry(raw, source, &mut field, diags);

    let json_span = raw.entries.get("json").map(|e| e.value.span);
    if let Some(json) = text_entry(raw.entries.get("json"), "json", diags) {
        field.source = json_source(name, &json, json_span.unwrap_or_default(), diags);
    }
    let from_span = raw.entries.get("from").map(|e| e.value.span);
    if let Some(from) = text_entry(raw.entries.get("from"), "from", diags) {
        let span = from_span.unwrap_or_default();
        match from.strip_prefix("parent.").filter(|f| !f.is_empty()) {
            Some(parent_field) => field.source = FieldSource::Parent(parent_field.to_string()),
            None => diags.push(
                Diagnostic::error(
                    "nomnom::invalid_from",
                    span,
                    format!("`from: {from}` is not of the form `parent.<field>`"),
                )
                .label("expected `parent.<field>`")
                .help("copy a value of the enclosing record with `from: parent.<field name>`"),
            ),
        }
        if let Some(json) = raw.entries.get("json") {
            diags.push(
                Diagnostic::error(
                    "nomnom::conflict",
                    json.key,
                    format!("field `{name}` has both `json` and `from`"),
                )
                .label("`json` reads the item, `from` reads the parent")
                .help("keep one of them"),
            );
        }
    }

    let compute = compute_entry(raw, source, diags);
    let hl7 = hl7_entry(raw, &ty, source, &mut field, diags);

    match &ty {
        FieldType::List(child) => {
            for key in [
                "compute",
                "store",
                "from",
                "default",
                "max_length",
                "min",
                "max",
                "pattern",
                "enum",
            ] {
                if let Some(e) = raw.entries.get(key) {
                    let help = match key {
                        "compute" => format!(
                            "a list is read from an array of the message, one row of `{child}` \
                             per item; compute the fields of `{child}` instead"
                        ),
                        "store" => format!(
                            "a list never has a column: its items are stored as rows of \
                             `{child}`; remove `store`"
                        ),
                        "from" => format!(
                            "a list is read from an array of the message; `from: parent.<field>` \
                             copies a single value into a field of `{child}`"
                        ),
                        "default" => "an absent list has no items; remove `default`".to_string(),
                        _ => format!("constraints belong on the fields of `{child}`"),
                    };
                    diags.push(
                        Diagnostic::error(
                            "nomnom::not_applicable",
                            e.key,
                            format!("`{key}` does not apply to the list field `{name}`"),
                        )
                        .label(format!("`{key}` on a list"))
                        .help(help),
                    );
                }
            }
        }
        FieldType::Scalar(scalar) => {
            constraints(&mut field, *scalar, raw, source, diags);
            if let (Some(e), FieldSource::Parent(_)) = (raw.entries.get("default"), &field.source) {
                diags.push(
                    Diagnostic::error(
                        "nomnom::conflict",
                        e.key,
                        format!("field `{name}` has both `default` and `from`"),
                    )
                    .label("never used: the value comes from the parent")
                    .help("remove `default`"),
                );
            }
        }
    }
    Some(FieldInfo {
        field,
        name_span: raw.name_span,
        type_span,
        from_span,
        json_span,
        json_key: raw.entries.get("json").map(|e| e.key),
        hl7,
        compute,
    })
}

/// `hl7:`: a path on a scalar field (`PID-3.1`), a segment id on a list (`OBR`). Sets the
/// field's source when nothing contradicts it; reports the keys it excludes (`compute` is
/// reported with `compute`). Whether the entity reads HL7 at all is checked with its root.
fn hl7_entry(
    raw: &RawField,
    ty: &FieldType,
    source: &str,
    field: &mut Field,
    diags: &mut Diagnostics,
) -> Option<Hl7Entry> {
    let entry = raw.entries.get("hl7")?;
    let name = &raw.name;
    let mut out = Hl7Entry {
        key: entry.key,
        origin: Origin::Scalar(entry.value.span),
        path: None,
    };
    let Some(text) = text_entry(Some(entry), "hl7", diags) else {
        return Some(out);
    };
    out.origin = Origin::of_scalar(source, entry.value.span, &text);
    let mut clear = !raw.entries.contains_key("compute");
    for (key, label) in [
        (
            "json",
            "`json` reads a JSON object, `hl7` an HL7 v2 message",
        ),
        (
            "from",
            "`from` copies the parent's value, `hl7` reads the message",
        ),
    ] {
        if raw.entries.contains_key(key) {
            clear = false;
            diags.push(
                Diagnostic::error(
                    "nomnom::conflict",
                    entry.key,
                    format!("field `{name}` has both `hl7` and `{key}`"),
                )
                .label(label)
                .help(format!("keep one of them: `{key}` or `hl7`")),
            );
        }
    }
    match ty {
        FieldType::List(_) => match hl7::parse_segment_id(&text) {
            Ok(segment) if clear => field.source = FieldSource::Hl7Segment(segment),
            Ok(_) => {}
            Err(e) => diags.push(path_error(out.origin, e)),
        },
        FieldType::Scalar(ScalarType::Json) => diags.push(
            Diagnostic::error(
                "nomnom::not_applicable",
                entry.key,
                format!("`hl7` does not apply to the json field `{name}`"),
            )
            .label("an HL7 value is text, not JSON")
            .help("declare the field `string`, or a number, date or timestamp type the text converts to"),
        ),
        FieldType::Scalar(_) => match hl7::parse_path(&text) {
            Ok(parsed) if clear => {
                field.source = FieldSource::Hl7(parsed.path.clone());
                out.path = Some(parsed);
            }
            Ok(_) => {}
            Err(e) => diags.push(path_error(out.origin, e)),
        },
    }
    Some(out)
}

/// A path or segment id error at its place inside the text (or at the whole value when the
/// file writes the text in another form).
fn path_error(origin: Origin, e: hl7::PathError) -> Diagnostic {
    let label = match origin {
        Origin::At(_) => e.label,
        Origin::Scalar(_) => format!("{}, somewhere in this path", e.label),
    };
    Diagnostic::error("nomnom::invalid_hl7_path", origin.span(e.range), e.message)
        .label(label)
        .help(e.help)
}

/// `store: true | false`.
fn store_entry(raw: &RawField, source: &str, field: &mut Field, diags: &mut Diagnostics) {
    let Some(e) = raw.entries.get("store") else {
        return;
    };
    match e.value.kind {
        Kind::Bool(stored) => field.stored = stored,
        _ => {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_value",
                    if e.value.span.len == 0 {
                        e.key
                    } else {
                        e.value.span
                    },
                    "`store` must be true or false",
                )
                .label(format!("found {}", literal::describe(&e.value, source)))
                .help(
                    "write `store: false` for a field that is read (or computed) but has no column",
                ),
            );
        }
    }
}

/// `compute: "<expression>"`: the text and where it lies; reports the keys it excludes.
fn compute_entry(
    raw: &RawField,
    source: &str,
    diags: &mut Diagnostics,
) -> Option<(String, Origin)> {
    let entry = raw.entries.get("compute")?;
    let name = &raw.name;
    let text = match &entry.value.kind {
        Kind::Str(text) => text.clone(),
        Kind::Null => {
            diags.push(
                Diagnostic::error(
                    "nomnom::expression_syntax",
                    entry.key,
                    format!("`compute` of field `{name}` has no expression"),
                )
                .label("empty")
                .help("write a function call, a field name or a literal, such as `compute: \"upper(trim(code))\"`"),
            );
            return None;
        }
        _ => {
            let written = literal::number_text(&entry.value, source);
            let help = if written.is_empty() {
                "write the expression as text, such as `compute: \"upper(trim(code))\"`".to_string()
            } else {
                format!("quote it to make it an expression: `compute: \"{written}\"`")
            };
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_value",
                    entry.value.span,
                    format!("`compute` of field `{name}` must be text"),
                )
                .label(format!("found {}", literal::describe(&entry.value, source)))
                .help(help),
            );
            return None;
        }
    };
    for key in ["json", "hl7", "from", "default"] {
        if let Some(e) = raw.entries.get(key) {
            diags.push(
                Diagnostic::error(
                    "nomnom::conflict",
                    e.key,
                    format!("field `{name}` is computed; `{key}` does not apply"),
                )
                .label(match key {
                    "json" | "hl7" => "reads the value from the message",
                    "from" => "copies the value from the parent",
                    _ => "used when the value is absent from the message",
                })
                .help(match key {
                    "json" => "remove `json`; read the key into a field of its own (`store: false` if it needs no column) and name that field in the expression",
                    "hl7" => "remove `hl7`; read the path into a field of its own (`store: false` if it needs no column) and name that field in the expression",
                    "from" => "remove `from`; copy the parent's value into a field of its own (`store: false` if it needs no column) and name that field in the expression",
                    _ => "a computed value is never absent: remove `default`, and give the expression a fallback with `coalesce(…, <value>)`",
                }),
            );
        }
    }
    let origin = Origin::of_scalar(source, entry.value.span, &text);
    Some((text, origin))
}

fn check_name(raw: &RawField, diags: &mut Diagnostics) {
    let name = raw.name.as_str();
    if name.starts_with('_') {
        diags.push(
            Diagnostic::error(
                "nomnom::reserved_name",
                raw.name_span,
                format!("field name `{name}` starts with `_`"),
            )
            .label("reserved")
            .help("names starting with `_` are reserved for nomnom's own columns (`_id`, `_message_id`, `_parent_id`, `_ingested_at`); rename the field and keep the JSON key with `json:`"),
        );
    } else if !legal_field_name(name) {
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_name",
                raw.name_span,
                format!("field name `{name}` has characters other than ASCII letters, digits, `_` and `-`"),
            )
            .label("illegal name")
            .help(format!(
                "rename it (for example `{}`) and keep the JSON key with `json: {name:?}`",
                names::snake_case(name).trim_start_matches('_')
            )),
        );
    }
    if names::exceeds_postgres_limit(name) {
        diags.push(
            Diagnostic::error(
                "nomnom::name_too_long",
                raw.name_span,
                format!(
                    "field name `{name}` is {} bytes long; PostgreSQL identifiers hold at most {}",
                    name.len(),
                    names::POSTGRES_MAX_IDENTIFIER_BYTES
                ),
            )
            .label("too long for a column name")
            .help("use a shorter name and keep the JSON key with `json:`"),
        );
    }
}

/// `string?` → (string, nullable); `list<X>` → (List(X), false) when `X` exists.
fn resolve_type(
    name: &str,
    text: &str,
    span: Span,
    entity_names: &[&str],
    diags: &mut Diagnostics,
) -> Option<(FieldType, bool)> {
    let trimmed = text.trim();
    let (base, nullable) = match trimmed.strip_suffix('?') {
        Some(b) => (b.trim_end(), true),
        None => (trimmed, false),
    };
    if let Some(scalar) = ScalarType::from_name(base) {
        return Some((FieldType::Scalar(scalar), nullable));
    }
    if let Some(inner) = base.strip_prefix("list<").and_then(|r| r.strip_suffix('>')) {
        let child = inner.trim();
        if entity_names.contains(&child) {
            return Some((FieldType::List(child.to_string()), nullable));
        }
        let hint = match suggest::nearest(child, entity_names.iter().copied()) {
            Some(near) => format!("did you mean `list<{near}>`?"),
            None => format!(
                "define an entity `{child}` under `entities`, or use one of: {}",
                entity_names.join(", ")
            ),
        };
        diags.push(
            Diagnostic::error(
                "nomnom::undefined_entity",
                span,
                format!("field `{name}` is a list of `{child}`, which is not defined"),
            )
            .label("no such entity")
            .help(hint),
        );
        return None;
    }
    let scalar_names: Vec<&str> = ScalarType::ALL.iter().map(|(_, n)| *n).collect();
    let hint = if entity_names.contains(&base) {
        format!("an entity is contained through a list: `list<{base}>`")
    } else if let Some(ours) = type_alias(base) {
        format!("did you mean `{ours}`?")
    } else if let Some(near) = suggest::nearest(base, scalar_names.iter().copied()) {
        format!("did you mean `{near}`?")
    } else if base.starts_with("list") {
        "a list is written `list<Entity>`".to_string()
    } else {
        format!(
            "the types are {}, and `list<Entity>`; add `?` for nullable",
            scalar_names.join(", ")
        )
    };
    diags.push(
        Diagnostic::error(
            "nomnom::unknown_type",
            span,
            format!("unknown type `{base}` for field `{name}`"),
        )
        .label("unknown type")
        .help(hint),
    );
    None
}

/// The value of a text entry (`doc`, `json`, `from`, `pattern`), reporting non-text values.
pub fn text_entry(entry: Option<&Entry>, key: &str, diags: &mut Diagnostics) -> Option<String> {
    let e = entry?;
    match &e.value.kind {
        Kind::Str(s) => Some(s.clone()),
        _ => {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_value",
                    if e.value.span.len == 0 {
                        e.key
                    } else {
                        e.value.span
                    },
                    format!("`{key}` must be text"),
                )
                .label("expected text")
                .help("quote the value"),
            );
            None
        }
    }
}

fn json_source(name: &str, json: &str, span: Span, diags: &mut Diagnostics) -> FieldSource {
    if json.is_empty() {
        diags.push(
            Diagnostic::error(
                "nomnom::invalid_json_source",
                span,
                format!("`json` of field `{name}` is empty"),
            )
            .label("empty key")
            .help("name the key of the incoming object, or a JSON pointer such as `/customer/id`"),
        );
        return FieldSource::Key(name.to_string());
    }
    if !json.starts_with('/') {
        return FieldSource::Key(json.to_string());
    }
    match pointer::parse(json) {
        Ok(tokens) => FieldSource::Pointer(tokens),
        Err(pointer::PointerError::BadEscape(token)) => {
            diags.push(
                Diagnostic::error(
                    "nomnom::invalid_json_source",
                    span,
                    format!("JSON pointer `{json}` has an invalid escape in `{token}`"),
                )
                .label("`~` must be followed by `0` or `1`")
                .help("in JSON pointers write `~0` for `~` and `~1` for `/`"),
            );
            FieldSource::Key(name.to_string())
        }
    }
}
