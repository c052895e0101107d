//! The first nomnom's project format, read from its located YAML: `nomnom.yaml` (project name,
//! `transforms.rust`, where the entity files are) and one `entities/*.yaml` per entity.
//!
//! Only the shape is read here; what each part becomes in our model is decided in
//! [`super::map`]. Keys this importer does not know are kept (with their location) so that the
//! mapping can warn about each one instead of dropping it silently.

use nomnom_spec::yaml::{Kind, Node};

use super::source::{as_str, entries, get, is_null, items, key_name, Doc};
use super::warning::{At, Warning};

/// The parts of `nomnom.yaml` the importer reads.
#[derive(Debug, Default)]
pub struct FirstProject {
    /// `project.name`, where it is written.
    pub name: Option<(String, At)>,
    /// `project.description`.
    pub description: Option<String>,
    /// `transforms.rust`, in file order.
    pub transforms: Vec<RustTransform>,
    /// The entity folder, relative to the project folder: `paths.config_dir` (under
    /// `paths.source_root`), or the older `entities.path`; `entities` when neither is given.
    pub entity_dir: String,
    /// `entities.order`, when given (older projects list their entities there).
    pub entity_order: Vec<String>,
    /// Keys that carry nothing the model language can hold, with why.
    pub not_carried: Vec<Warning>,
}

/// One function of `transforms.rust`.
#[derive(Debug, Clone)]
pub struct RustTransform {
    /// Its name (the Rust function name).
    pub name: String,
    /// Where its name is written.
    pub at: At,
    /// `doc`.
    pub doc: Option<String>,
    /// `args`: name, Rust type, location.
    pub args: Vec<(String, String, At)>,
    /// `return_type`, e.g. `Result<String, String>`.
    pub return_type: Option<String>,
    /// `code`: the function body.
    pub code: Option<String>,
    /// `imports`, which the model language has no place for.
    pub imports: Vec<String>,
    /// Other keys, with their locations.
    pub other_keys: Vec<(String, At)>,
}

/// One entity file.
#[derive(Debug, Clone)]
pub struct FirstEntity {
    /// The file it came from (`entities/order.yaml`).
    pub file: String,
    /// `entity.name`.
    pub name: String,
    /// Where the name is written.
    pub at: At,
    /// `source_type` (or its alias `type`): root, derived, reference, ...
    pub kind: Option<(String, At)>,
    /// `parent` (the older single-parent form).
    pub parent: Option<(String, At)>,
    /// `repeated_for`.
    pub repeated_for: Option<RepeatedFor>,
    /// `doc`.
    pub doc: Option<String>,
    /// `fields`, in order.
    pub fields: Vec<FirstField>,
    /// `persistence.database.conformant_table` (or the deprecated top-level `database`).
    pub table: Option<(String, At)>,
    /// `unicity_fields`.
    pub unicity: Vec<(String, At)>,
    /// Whether the entity has a database configuration at all.
    pub persisted: bool,
    /// `persistence.field_overrides`.
    pub overrides: Vec<Override>,
    /// Keys whose meaning the model cannot carry, each with a warning already worded.
    pub not_carried: Vec<Warning>,
    /// `conformant_id_column`, where it is written.
    id_column: Option<(String, At)>,
    /// Whether `primary_key` was warned about.
    primary_key_seen: bool,
}

/// `repeated_for: {entity, field, each_known_as}`, or the older `repeated_for: <field>` beside
/// `parent: <entity>`.
#[derive(Debug, Clone)]
pub struct RepeatedFor {
    /// The parent entity, when named here.
    pub entity: Option<String>,
    /// The parent's field holding the array.
    pub field: String,
    /// The name each item goes by in `sources`.
    pub each_known_as: Option<String>,
    /// Where `repeated_for` is written.
    pub at: At,
}

/// One field of an entity file.
#[derive(Debug, Clone)]
pub struct FirstField {
    /// `name`.
    pub name: String,
    /// Where the field's entry starts.
    pub at: At,
    /// `type`, with its location.
    pub ty: Option<(String, At)>,
    /// `nullable` (the first nomnom's default is `false`).
    pub nullable: bool,
    /// `doc`.
    pub doc: Option<String>,
    /// `computed_from`.
    pub computed: Option<Computed>,
    /// `args` (a String's length, for instance), as scalar texts.
    pub args: Vec<String>,
    /// Keys whose meaning the model cannot carry, each with a warning already worded.
    pub not_carried: Vec<Warning>,
}

/// `computed_from: {transform, sources, args}`.
#[derive(Debug, Clone)]
pub struct Computed {
    /// `transform`.
    pub transform: String,
    /// Where `computed_from` is written.
    pub at: At,
    /// `sources`, in order.
    pub sources: Vec<Source>,
    /// `args`, in file order.
    pub args: Vec<Arg>,
}

/// One of `sources`: a bare name (an item of `repeated_for`, an entity, a field) or
/// `{source, field}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `- item`
    Named(String),
    /// `- {source: Order, field: order_key}` (`parent:` is an alias of `source:`).
    Field {
        /// The entity (or `parent`, `current`, an item name) the value belongs to.
        source: String,
        /// The field of it.
        field: String,
    },
}

/// One `key: value` of `computed_from.args`.
#[derive(Debug, Clone)]
pub struct Arg {
    /// The argument's name.
    pub name: String,
    /// Its value.
    pub value: ArgValue,
    /// Where it is written.
    pub at: At,
}

/// A constant argument of a transform.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgValue {
    /// A string.
    Str(String),
    /// A number, exactly as written.
    Number(String),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// A list or a mapping, which no expression literal can hold.
    Collection,
}

/// A `persistence.field_overrides` entry.
#[derive(Debug, Clone)]
pub struct Override {
    /// The field it overrides.
    pub name: String,
    /// Where the entry starts.
    pub at: At,
    /// `type`.
    pub ty: Option<String>,
    /// `nullable`.
    pub nullable: Option<bool>,
    /// `args` (a String's length).
    pub args: Vec<String>,
    /// `doc`.
    pub doc: Option<String>,
    /// Keys whose meaning the model cannot carry.
    pub not_carried: Vec<Warning>,
}

/// Reads `nomnom.yaml`. Its shape is forgiving: what is absent takes the first nomnom's
/// default, and what is not understood is warned about.
pub fn read_project(doc: &Doc) -> FirstProject {
    let mut project = FirstProject {
        entity_dir: "entities".into(),
        ..FirstProject::default()
    };
    let Some(top) = entries(&doc.root) else {
        project.not_carried.push(
            doc.at(&doc.root)
                .warning("nomnom.yaml is not a mapping: nothing of it is carried"),
        );
        return project;
    };
    let mut source_root: Option<String> = None;
    let mut config_dir: Option<String> = None;
    for (key, value) in top {
        let name = key_name(key).unwrap_or_default();
        let at = doc.at(key);
        match name.as_str() {
            "project" => read_project_meta(doc, value, &mut project),
            "transforms" => read_transforms(doc, value, &mut project),
            "paths" => {
                source_root = get(value, "source_root").and_then(|(_, v)| doc.scalar(v));
                config_dir = get(value, "config_dir").and_then(|(_, v)| doc.scalar(v));
                project.not_carried.push(at.warning(
                    "`paths` (where the first nomnom wrote its generated files) is not carried: \
                     `nomnom generate` takes its output folder on the command line",
                ));
            }
            "entities" => {
                if let Some((_, path)) = get(value, "path") {
                    config_dir = doc.scalar(path);
                }
                if let Some((_, order)) = get(value, "order") {
                    project.entity_order = items(order)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|n| as_str(n).map(str::to_string))
                        .collect();
                }
            }
            "database" => project.not_carried.push(at.warning(
                "`database` is not carried: nomnom generates for PostgreSQL, configured by \
                 DATABASE_URL when the service starts",
            )),
            "dependencies" | "codegen" | "pipeline" | "infrastructure" | "directories" | "rust"
            | "python" | "helpers" => project.not_carried.push(at.warning(format!(
                "`{name}` (a build setting of the first nomnom) is not carried: nomnom writes \
                 the generated project's own Cargo.toml, Dockerfile and deployment"
            ))),
            _ => project.not_carried.push(at.warning(format!(
                "`{name}` is not a key the importer knows: not carried"
            ))),
        }
    }
    if let Some(dir) = config_dir {
        let dir = dir
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        project.entity_dir = match source_root.as_deref().map(|r| r.trim_end_matches('/')) {
            None | Some("." | "./" | "") => dir,
            Some(root) => format!("{}/{dir}", root.trim_start_matches("./")),
        };
    }
    project
}

fn read_project_meta(doc: &Doc, value: &Node, project: &mut FirstProject) {
    let Some(meta) = entries(value) else {
        project.not_carried.push(
            doc.at(value)
                .warning("`project` is not a mapping: its name is not carried"),
        );
        return;
    };
    let mut dropped = Vec::new();
    for (key, value) in meta {
        match key_name(key).unwrap_or_default().as_str() {
            "name" => project.name = doc.scalar(value).map(|n| (n, doc.at(value))),
            "description" => project.description = doc.scalar(value),
            other => dropped.push((format!("`project.{other}`"), doc.at(key))),
        }
    }
    if let Some((_, at)) = dropped.first() {
        let names = dropped.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>();
        project.not_carried.push(at.warning(format!(
            "{} not carried: the model language has a project name only (no Python module, \
             no version of its own)",
            join_names(&names)
        )));
    }
}

fn read_transforms(doc: &Doc, value: &Node, project: &mut FirstProject) {
    let Some(sections) = entries(value) else {
        return;
    };
    for (key, section) in sections {
        let at = doc.at(key);
        match key_name(key).unwrap_or_default().as_str() {
            "rust" => {
                for (name, def) in entries(section).unwrap_or_default() {
                    if let Some(t) = read_transform(doc, name, def) {
                        project.transforms.push(t);
                    }
                }
            }
            "builtin" | "functions" => {} // names only: the fields that use them are mapped
            "python" | "python_module" | "pyo3_functions" => project.not_carried.push(
                at.warning("Python transforms are not carried: nomnom's transforms are Rust"),
            ),
            other => project.not_carried.push(at.warning(format!(
                "`transforms.{other}` is not carried: only `transforms.rust` holds code the \
                 model can take"
            ))),
        }
    }
}

fn read_transform(doc: &Doc, name: &Node, def: &Node) -> Option<RustTransform> {
    let mut t = RustTransform {
        name: key_name(name)?,
        at: doc.at(name),
        doc: None,
        args: Vec::new(),
        return_type: None,
        code: None,
        imports: Vec::new(),
        other_keys: Vec::new(),
    };
    for (key, value) in entries(def).unwrap_or_default() {
        match key_name(key).unwrap_or_default().as_str() {
            "doc" => t.doc = doc.scalar(value),
            "return_type" => t.return_type = doc.scalar(value),
            "code" => t.code = doc.scalar(value),
            "imports" => {
                t.imports = items(value)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|i| doc.scalar(i))
                    .collect();
            }
            "args" => {
                for arg in items(value).unwrap_or_default() {
                    let arg_name = get(arg, "name").and_then(|(_, v)| doc.scalar(v));
                    let arg_type = get(arg, "type").and_then(|(_, v)| doc.scalar(v));
                    if let (Some(n), Some(ty)) = (arg_name, arg_type) {
                        t.args.push((n, ty, doc.at(arg)));
                    }
                }
            }
            other => t.other_keys.push((other.to_string(), doc.at(key))),
        }
    }
    Some(t)
}

/// Reads one entity file; `Err` is one line naming the file and line.
pub fn read_entity(doc: &Doc) -> Result<FirstEntity, String> {
    let Some((_, entity)) = get(&doc.root, "entity") else {
        return Err(format!(
            "{}: not an entity file of the first nomnom (no `entity:` mapping at the top)",
            doc.at(&doc.root)
        ));
    };
    let Some(keys) = entries(entity) else {
        return Err(format!("{}: `entity` is not a mapping", doc.at(entity)));
    };
    let Some((name_key, name)) = get(entity, "name").and_then(|(k, v)| Some((k, as_str(v)?)))
    else {
        return Err(format!("{}: the entity has no `name`", doc.at(entity)));
    };
    let mut e = FirstEntity {
        file: doc.file.clone(),
        name: name.to_string(),
        at: doc.at(name_key),
        kind: None,
        parent: None,
        repeated_for: None,
        doc: None,
        fields: Vec::new(),
        table: None,
        unicity: Vec::new(),
        persisted: false,
        overrides: Vec::new(),
        not_carried: Vec::new(),
        id_column: None,
        primary_key_seen: false,
    };
    for (key, value) in keys {
        let at = doc.at(key);
        let key = key_name(key).unwrap_or_default();
        match key.as_str() {
            "name" => {}
            "source_type" | "type" => e.kind = doc.scalar(value).map(|k| (k, at)),
            "parent" => e.parent = doc.scalar(value).map(|p| (p, at)),
            "doc" => e.doc = doc.scalar(value),
            "repeated_for" => e.repeated_for = read_repeated_for(doc, value, at),
            "fields" => {
                for field in items(value).unwrap_or_default() {
                    match read_field(doc, field) {
                        Some(f) => e.fields.push(f),
                        None => e.not_carried.push(doc.at(field).warning(
                            "a field without a `name` is not carried: give it one and import again",
                        )),
                    }
                }
            }
            "persistence" => read_persistence(doc, value, &mut e),
            "database" => read_database(doc, value, &mut e),
            "prefix" => e.not_carried.push(at.warning(
                "`prefix` is not carried: nomnom's API names the entity of each message \
                 (`POST /ingest/message?entity=...`) instead of a message prefix",
            )),
            "repetition" => {
                if doc.scalar(value).as_deref() == Some("repeated") && e.repeated_for.is_none() {
                    e.not_carried.push(at.warning(
                        "`repetition: repeated` without `repeated_for` is not carried: \
                         a repeated entity needs the parent field it repeats over",
                    ));
                }
            }
            "parents" | "derivation" => e.not_carried.push(at.warning(format!(
                "`{key}` (derivation from several parents) is not carried: an entity of the \
                 model has at most one parent, the entity holding its `list<...>` field"
            ))),
            "serialization" => {}
            other => e.not_carried.push(at.warning(format!(
                "`{other}` is not carried: the model language has no equivalent"
            ))),
        }
    }
    if let (Some((column, at)), false) = (&e.id_column, e.primary_key_seen) {
        let w = at.warning(format!(
            "id column `{column}` is not carried: every table's primary key is nomnom's hidden \
             `_id`, a UUID it generates; queries naming `{column}` need `_id`"
        ));
        e.not_carried.push(w);
    }
    Ok(e)
}

fn read_repeated_for(doc: &Doc, value: &Node, at: At) -> Option<RepeatedFor> {
    if let Some(field) = as_str(value) {
        return Some(RepeatedFor {
            entity: None,
            field: field.to_string(),
            each_known_as: None,
            at,
        });
    }
    let text = |k: &str| get(value, k).and_then(|(_, v)| doc.scalar(v));
    Some(RepeatedFor {
        entity: text("entity"),
        field: text("field")?,
        each_known_as: text("each_known_as"),
        at,
    })
}

fn read_field(doc: &Doc, node: &Node) -> Option<FirstField> {
    let name = get(node, "name").and_then(|(_, v)| doc.scalar(v))?;
    let mut f = FirstField {
        name,
        at: doc.at(node),
        ty: None,
        nullable: false,
        doc: None,
        computed: None,
        args: Vec::new(),
        not_carried: Vec::new(),
    };
    for (key, value) in entries(node).unwrap_or_default() {
        let at = doc.at(key);
        let key = key_name(key).unwrap_or_default();
        match key.as_str() {
            "name" => {}
            "type" => f.ty = doc.scalar(value).map(|t| (t, doc.at(value))),
            "nullable" => match value.kind {
                Kind::Bool(b) => f.nullable = b,
                _ => f.not_carried.push(at.warning(
                    "`nullable` is not `true` or `false`: the field is imported as nullable",
                )),
            },
            "doc" => f.doc = doc.scalar(value),
            "computed_from" => f.computed = read_computed(doc, value, at),
            "args" => f.args = scalar_list(doc, value),
            "primary_key" | "index" if matches!(value.kind, Kind::Bool(false)) => {}
            "primary_key" => f.not_carried.push(at.warning(
                "`primary_key` is not carried: every table's primary key is nomnom's hidden \
                 `_id`; name the field in the entity's `key` to make it unique",
            )),
            "index" => f.not_carried.push(at.warning(
                "`index` is not carried: the model declares no secondary indexes; create \
                 it in a migration of your own",
            )),
            other => f.not_carried.push(at.warning(format!(
                "`{other}` is not carried: the model language has no equivalent; \
                 the field is read from the JSON key `{}`",
                f.name
            ))),
        }
    }
    Some(f)
}

fn read_computed(doc: &Doc, node: &Node, at: At) -> Option<Computed> {
    let transform = get(node, "transform").and_then(|(_, v)| doc.scalar(v))?;
    let mut sources = Vec::new();
    if let Some((_, list)) = get(node, "sources") {
        for s in items(list).unwrap_or_default() {
            if let Some(name) = as_str(s) {
                sources.push(Source::Named(name.to_string()));
            } else {
                let source = get(s, "source")
                    .or_else(|| get(s, "parent"))
                    .and_then(|(_, v)| doc.scalar(v));
                let field = get(s, "field").and_then(|(_, v)| doc.scalar(v));
                match (source, field) {
                    (Some(source), Some(field)) => sources.push(Source::Field { source, field }),
                    (Some(source), None) => sources.push(Source::Named(source)),
                    _ => {}
                }
            }
        }
    }
    let mut args = Vec::new();
    for (key, value) in get(node, "args")
        .and_then(|(_, a)| entries(a))
        .unwrap_or_default()
    {
        let value_kind = match &value.kind {
            Kind::Str(s) => ArgValue::Str(s.clone()),
            Kind::Number(_) => ArgValue::Number(doc.scalar(value).unwrap_or_default()),
            Kind::Bool(b) => ArgValue::Bool(*b),
            Kind::Null => ArgValue::Null,
            Kind::Seq(_) | Kind::Map(_) => ArgValue::Collection,
        };
        args.push(Arg {
            name: key_name(key).unwrap_or_default(),
            value: value_kind,
            at: doc.at(key),
        });
    }
    Some(Computed {
        transform,
        at,
        sources,
        args,
    })
}

fn read_persistence(doc: &Doc, node: &Node, e: &mut FirstEntity) {
    for (key, value) in entries(node).unwrap_or_default() {
        let at = doc.at(key);
        match key_name(key).unwrap_or_default().as_str() {
            "database" => read_database(doc, value, e),
            "primary_key" => {
                e.primary_key_seen = true;
                let name = get(value, "name")
                    .and_then(|(_, v)| doc.scalar(v))
                    .unwrap_or_else(|| "id".into());
                e.not_carried.push(at.warning(format!(
                    "primary key column `{name}` is not carried: every table's primary key is \
                     nomnom's hidden `_id`, a UUID it generates; queries naming `{name}` need `_id`"
                )));
            }
            "field_overrides" => {
                for o in items(value).unwrap_or_default() {
                    if let Some(o) = read_override(doc, o) {
                        e.overrides.push(o);
                    }
                }
            }
            other => e.not_carried.push(at.warning(format!(
                "`persistence.{other}` is not carried: the model language has no equivalent"
            ))),
        }
    }
}

fn read_database(doc: &Doc, node: &Node, e: &mut FirstEntity) {
    if is_null(node) {
        return;
    }
    e.persisted = true;
    for (key, value) in entries(node).unwrap_or_default() {
        let at = doc.at(key);
        match key_name(key).unwrap_or_default().as_str() {
            "conformant_table" => e.table = doc.scalar(value).map(|t| (t, doc.at(value))),
            "unicity_fields" => {
                e.unicity = items(value)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|n| doc.scalar(n).map(|s| (s, doc.at(n))))
                    .collect();
            }
            // Reported with `primary_key`, or on its own when that is absent (`read_entity`).
            "conformant_id_column" => e.id_column = doc.scalar(value).map(|c| (c, at)),
            "autogenerate_conformant_id" => {}
            "foreign_keys" => e.not_carried.push(at.warning(
                "`foreign_keys` are not carried: nomnom links a child's rows to its parent's \
                 by `_parent_id`; other references are not enforced",
            )),
            other => e.not_carried.push(at.warning(format!(
                "`database.{other}` is not carried: the model language has no equivalent"
            ))),
        }
    }
}

fn read_override(doc: &Doc, node: &Node) -> Option<Override> {
    let name = get(node, "name").and_then(|(_, v)| doc.scalar(v))?;
    let mut o = Override {
        name,
        at: doc.at(node),
        ty: None,
        nullable: None,
        args: Vec::new(),
        doc: None,
        not_carried: Vec::new(),
    };
    for (key, value) in entries(node).unwrap_or_default() {
        let at = doc.at(key);
        match key_name(key).unwrap_or_default().as_str() {
            "name" => {}
            "type" => o.ty = doc.scalar(value),
            "nullable" => {
                if let Kind::Bool(b) = value.kind {
                    o.nullable = Some(b);
                }
            }
            "args" => o.args = scalar_list(doc, value),
            "doc" => o.doc = doc.scalar(value),
            "primary_key" | "index" if matches!(value.kind, Kind::Bool(false)) => {}
            other => o.not_carried.push(at.warning(format!(
                "`{other}` of this field override is not carried: the model language has no \
                 equivalent"
            ))),
        }
    }
    Some(o)
}

fn scalar_list(doc: &Doc, node: &Node) -> Vec<String> {
    match &node.kind {
        Kind::Seq(list) => list.iter().filter_map(|n| doc.scalar(n)).collect(),
        _ => doc.scalar(node).into_iter().collect(),
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
