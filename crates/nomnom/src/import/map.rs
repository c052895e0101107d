//! The first nomnom's entities mapped onto the model language.
//!
//! - `root` and `reference` entities become roots; a `derived` entity with `repeated_for`
//!   becomes a child, and its parent gets a `list<Child>` field named after
//!   `repeated_for.field`;
//! - `copy_field` / `copy_from_parent` of a parent's field becomes `from: parent.<field>`;
//! - `json_get_*` and `extract_field` with `args.field` (or `field_path`) become a read of that
//!   JSON key (a path with `.` or `/` becomes a JSON pointer);
//! - `coalesce` becomes the built-in `coalesce(...)`, a transform of `transforms.rust` a
//!   `compute:` calling the carried-over transform;
//! - `conformant_table` becomes `table`, `unicity_fields` the `key`, and `field_overrides`
//!   change a field's type or nullability (with a warning where they contradict the field).
//!
//! Whatever cannot be carried is a warning at its file and line, also written as a comment
//! beside what it concerns; no field is ever left out.

use std::collections::{BTreeMap, BTreeSet};

use nomnom_spec::names::{pascal_case, snake_case};

use super::emit::{Entity, Field, Model};
use super::first::{ArgValue, Computed, FirstEntity, FirstField, FirstProject, Source};
use super::transforms::{carried_name, carry, is_json_read};
use super::types::{fallback_type, field_type, rust_type};
use super::warning::{At, Warning};

/// Sources that name the record an entity is read from, in the first nomnom's examples.
const RECORD_NAMES: &[&str] = &[
    "current", "self", "this", "raw", "raw_data", "data", "record",
];

/// What the mapping produced.
#[derive(Debug)]
pub struct Mapped {
    /// The model.
    pub model: Model,
    /// Every warning, in file order.
    pub warnings: Vec<Warning>,
}

/// Where an entity sits in the containment tree.
#[derive(Debug, Clone)]
struct Link {
    parent: usize,
    /// The parent's field holding the array (as the first nomnom names it).
    field: String,
    /// The name each item goes by in `sources`.
    item: Option<String>,
}

struct Mapper<'a> {
    project: &'a FirstProject,
    entities: &'a [FirstEntity],
    names: Vec<String>,
    links: Vec<Option<Link>>,
    /// Per entity: the first nomnom's field name → ours.
    field_names: Vec<BTreeMap<String, String>>,
    warnings: Vec<Warning>,
}

/// Maps a read project onto the model language. `fallback_name` names the project when
/// `nomnom.yaml` does not.
pub fn map(project: &FirstProject, entities: &[FirstEntity], fallback_name: &str) -> Mapped {
    let mut m = Mapper {
        project,
        entities,
        names: Vec::new(),
        links: vec![None; entities.len()],
        field_names: Vec::new(),
        warnings: project.not_carried.clone(),
    };
    let mut model = Model {
        project: m.project_name(fallback_name),
        ..Model::default()
    };
    m.entity_names();
    m.containment();
    m.field_names = entities.iter().map(|e| field_names(&e.fields)).collect();
    let mut out: Vec<Entity> = (0..entities.len()).map(|i| m.entity(i)).collect();
    m.list_fields(&mut out);
    for (i, e) in out.iter_mut().enumerate() {
        m.key(i, e);
    }

    // Transforms: every transform of `transforms.rust` that is not a JSON read is carried.
    let mut replaced = Vec::new();
    for t in &project.transforms {
        if is_json_read(&t.name) {
            replaced.push(t.name.as_str());
            continue;
        }
        let (carried, warnings) = carry(t);
        m.warnings.extend(warnings);
        model.transforms.push(carried);
    }

    model.header = header(project, &model.project, entities.len(), &replaced);
    model.entities = m.order(out);
    let mut warnings = m.warnings;
    warnings.sort_by(|a, b| {
        (file_rank(&a.file), &a.file, a.line).cmp(&(file_rank(&b.file), &b.file, b.line))
    });
    warnings.dedup();
    Mapped { model, warnings }
}

fn file_rank(file: &str) -> u8 {
    u8::from(file != "nomnom.yaml")
}

fn header(
    project: &FirstProject,
    name: &str,
    entity_files: usize,
    replaced: &[&str],
) -> Vec<String> {
    let mut h = vec![format!(
        "Imported by `nomnom import` from a project of the first nomnom (`{name}`: nomnom.yaml and \
         {entity_files} entity file{}).",
        if entity_files == 1 { "" } else { "s" }
    )];
    if let Some(d) = &project.description {
        h.push(format!("Its description: {d}"));
    }
    h.push(
        "Lines starting with `warning:` say what could not be carried over exactly; check the \
         model with `nomnom check`."
            .into(),
    );
    if !replaced.is_empty() {
        h.push(format!(
            "The first nomnom's JSON reads ({}) are not carried as code: each field reads its \
             JSON key and is validated against its type, a value of another type being refused \
             with a 422 that names the field.",
            replaced.join(", ")
        ));
    }
    h
}

/// A legal field name of the model for a field of the first nomnom.
fn legal_field_name(name: &str) -> String {
    let legal = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(['_', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if legal {
        return name.to_string();
    }
    let mut s = snake_case(name);
    if s.is_empty() {
        s = "field".into();
    }
    s.truncate(63);
    s
}

fn field_names(fields: &[FirstField]) -> BTreeMap<String, String> {
    let mut taken = BTreeSet::new();
    let mut out = BTreeMap::new();
    for f in fields {
        let mut name = legal_field_name(&f.name);
        let base = name.clone();
        let mut n = 2;
        while !taken.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        out.insert(f.name.clone(), name);
    }
    out
}

/// A name not among `fields`: `base`, else `base_2`, ...
fn free_name(fields: &[Field], base: &str) -> String {
    let mut name = legal_field_name(base);
    let stem = name.clone();
    let mut n = 2;
    while fields.iter().any(|f| f.name == name) {
        name = format!("{stem}_{n}");
        n += 1;
    }
    name
}

/// The JSON location for a key or a path of the first nomnom: `a.b` and `a/b` become the
/// pointer `/a/b`.
fn json_location(path: &str) -> String {
    let path = path.trim_start_matches(['/', '$', '.']);
    if path.contains(['.', '/']) {
        let segments = path
            .split(['.', '/'])
            .map(|s| s.replace('~', "~0"))
            .collect::<Vec<_>>();
        format!("/{}", segments.join("/"))
    } else {
        path.to_string()
    }
}

/// A JSON key read as one key: as it is, or as a JSON pointer when `json:` would otherwise take
/// it for one (a key starting with `/`).
fn json_key(key: &str) -> String {
    if key.starts_with('/') {
        format!("/{}", key.replace('~', "~0").replace('/', "~1"))
    } else {
        key.to_string()
    }
}

/// A constant of `computed_from.args` as an expression literal.
fn literal(value: &ArgValue) -> Result<String, &'static str> {
    match value {
        ArgValue::Str(s) => Ok(format!("'{}'", s.replace('\'', "''"))),
        ArgValue::Number(n) => {
            let digits = n.strip_prefix('-').unwrap_or(n);
            let plain = !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
                && digits.matches('.').count() <= 1
                && !digits.starts_with('.')
                && !digits.ends_with('.');
            if plain {
                Ok(n.clone())
            } else {
                Err("a number the expression language cannot write")
            }
        }
        ArgValue::Bool(_) => Err("a boolean, which the expression language cannot write"),
        ArgValue::Null => Err("null, which the expression language cannot write"),
        ArgValue::Collection => Err("a list or mapping, which an expression cannot pass"),
    }
}

impl Mapper<'_> {
    fn warn(&mut self, at: &At, message: impl Into<String>, comments: &mut Vec<String>) {
        let w = at.warning(message);
        comments.push(format!("warning: {}", w.message));
        self.warnings.push(w);
    }

    fn project_name(&mut self, fallback: &str) -> String {
        let legal = |n: &str| {
            n.len() <= 64
                && n.starts_with(|c: char| c.is_ascii_alphabetic())
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        let sanitize = |n: &str| {
            let mut s: String = n
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect();
            if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
                s = format!("project-{s}");
            }
            s.truncate(64);
            s
        };
        match &self.project.name {
            Some((name, _)) if legal(name) => name.clone(),
            Some((name, at)) => {
                let new = sanitize(name);
                self.warnings.push(at.warning(format!(
                    "project name `{name}` is not a valid crate name: imported as `{new}`"
                )));
                new
            }
            None => {
                let new = sanitize(fallback);
                self.warnings.push(
                    At {
                        file: "nomnom.yaml".into(),
                        line: 1,
                    }
                    .warning(format!(
                        "nomnom.yaml names no project (`project.name`): named `{new}` after its folder"
                    )),
                );
                new
            }
        }
    }

    fn entity_names(&mut self) {
        let mut taken = BTreeSet::new();
        for e in self.entities {
            let legal = e.name.starts_with(|c: char| c.is_ascii_uppercase())
                && e.name.chars().all(|c| c.is_ascii_alphanumeric());
            let mut name = if legal {
                e.name.clone()
            } else {
                pascal_case(&e.name)
            };
            if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
                name = format!("Entity{name}");
            }
            let base = name.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                name = format!("{base}{n}");
                n += 1;
            }
            if name != e.name {
                self.warnings.push(e.at.warning(format!(
                    "entity name `{}` is not PascalCase: imported as `{name}`",
                    e.name
                )));
            }
            self.names.push(name);
        }
    }

    fn index_of(&self, first_name: &str) -> Option<usize> {
        self.entities.iter().position(|e| e.name == first_name)
    }

    fn containment(&mut self) {
        let mut claimed: BTreeMap<(usize, String), usize> = BTreeMap::new();
        let entities = self.entities;
        for (i, e) in entities.iter().enumerate() {
            let kind = e.kind.as_ref().map(|(k, _)| k.to_ascii_lowercase());
            let kind_at = e.kind.as_ref().map_or(e.at.clone(), |(_, at)| at.clone());
            match kind.as_deref() {
                None | Some("root" | "reference" | "derived") => {}
                Some(other) => self.warnings.push(kind_at.warning(format!(
                    "source type `{other}` has no equivalent: `{}` is imported as a root entity \
                     (clients post it)",
                    e.name
                ))),
            }
            let Some(rf) = &e.repeated_for else {
                if kind.as_deref() == Some("derived") {
                    let from = e
                        .parent
                        .as_ref()
                        .map(|(p, _)| format!(" from `{p}`"))
                        .unwrap_or_default();
                    self.warnings.push(kind_at.warning(format!(
                        "`{}` is derived{from} without `repeated_for`: nomnom has no single \
                         derived record, so it is imported as a root entity (clients post it on \
                         its own)",
                        e.name
                    )));
                }
                continue;
            };
            let parent_name = rf
                .entity
                .clone()
                .or_else(|| e.parent.as_ref().map(|(p, _)| p.clone()));
            let Some(parent_name) = parent_name else {
                self.warnings.push(rf.at.warning(format!(
                    "`repeated_for` names no parent entity: `{}` is imported as a root entity",
                    e.name
                )));
                continue;
            };
            let Some(parent) = self.index_of(&parent_name) else {
                self.warnings.push(rf.at.warning(format!(
                    "`repeated_for` names entity `{parent_name}`, which no entity file defines: \
                     `{}` is imported as a root entity",
                    e.name
                )));
                continue;
            };
            if let Some(&other) = claimed.get(&(parent, rf.field.clone())) {
                self.warnings.push(rf.at.warning(format!(
                    "`{}` repeats over `{parent_name}.{}` like `{}` does: an array becomes rows of \
                     one entity only, so `{}` is imported as a root entity",
                    e.name, rf.field, self.entities[other].name, e.name
                )));
                continue;
            }
            claimed.insert((parent, rf.field.clone()), i);
            self.links[i] = Some(Link {
                parent,
                field: rf.field.clone(),
                item: rf.each_known_as.clone(),
            });
        }
        // Containment must have no cycle: an entity reaching itself through its parents is cut
        // loose and becomes a root.
        for i in 0..self.entities.len() {
            let mut seen = BTreeSet::from([i]);
            let mut at = i;
            while let Some(link) = &self.links[at] {
                at = link.parent;
                if !seen.insert(at) {
                    if at == i {
                        let e = &self.entities[i];
                        let where_ = e
                            .repeated_for
                            .as_ref()
                            .map_or(e.at.clone(), |r| r.at.clone());
                        self.warnings.push(where_.warning(format!(
                            "`{}` is contained by its own descendants: imported as a root entity",
                            e.name
                        )));
                        self.links[i] = None;
                    }
                    break;
                }
            }
        }
    }

    fn entity(&mut self, i: usize) -> Entity {
        let entities = self.entities;
        let e = &entities[i];
        let mut out = Entity {
            name: self.names[i].clone(),
            doc: e.doc.clone(),
            table: e.table.as_ref().map(|(t, _)| t.clone()),
            ..Entity::default()
        };
        let kind = e.kind.as_ref().map(|(k, _)| k.as_str()).unwrap_or("root");
        out.comments.push(match &self.links[i] {
            Some(link) => format!(
                "from {} ({kind}, repeated for {}.{}{})",
                e.file,
                self.entities[link.parent].name,
                link.field,
                link.item
                    .as_ref()
                    .map(|n| format!(", each known as `{n}`"))
                    .unwrap_or_default()
            ),
            None => format!("from {} ({kind})", e.file),
        });
        for w in &e.not_carried {
            out.comments.push(format!("warning: {}", w.message));
            self.warnings.push(w.clone());
        }
        if !e.persisted {
            let table = out.table.clone().unwrap_or_else(|| snake_case(&out.name));
            let at = e.at.clone();
            self.warn(
                &at,
                format!(
                    "the first nomnom did not store `{}` (no `persistence.database`); nomnom \
                     stores every entity, in table `{table}`",
                    e.name
                ),
                &mut out.comments,
            );
        }
        for o in &e.overrides {
            for w in &o.not_carried {
                out.comments.push(format!("warning: {}", w.message));
                self.warnings.push(w.clone());
            }
            if !e.fields.iter().any(|f| f.name == o.name) {
                let at = o.at.clone();
                self.warn(
                    &at,
                    format!(
                        "`field_overrides` names `{}`, which is no field of `{}`: not carried",
                        o.name, e.name
                    ),
                    &mut out.comments,
                );
            }
        }
        for f in 0..e.fields.len() {
            self.field(i, f, &mut out);
        }
        out
    }

    fn field(&mut self, i: usize, f: usize, entity: &mut Entity) {
        let entities = self.entities;
        let e = &entities[i];
        let first = &e.fields[f];
        let name = self.field_names[i][&first.name].clone();
        let mut out = Field {
            name: name.clone(),
            doc: first.doc.clone(),
            nullable: first.nullable,
            ..Field::default()
        };
        if name != first.name {
            out.json = Some(first.name.clone());
            self.warn(
                &first.at,
                format!(
                    "field name `{}` is not a legal field name: imported as `{name}`, reading the \
                     JSON key `{}`",
                    first.name, first.name
                ),
                &mut out.comments,
            );
        }
        for w in &first.not_carried {
            out.comments.push(format!("warning: {}", w.message));
            self.warnings.push(w.clone());
        }

        // The declared type, then what `field_overrides` says.
        let mut ty = first.ty.as_ref().map(|(t, _)| t.clone());
        let mut args = first.args.clone();
        if let Some(o) = e.overrides.iter().find(|o| o.name == first.name) {
            if let Some(new) = &o.ty {
                if ty.as_deref().is_some_and(|t| t != new) {
                    self.warn(
                        &o.at,
                        format!(
                            "`field_overrides` changes the type of `{}` from `{}` to `{new}`: the \
                             override is applied",
                            first.name,
                            ty.as_deref().unwrap_or_default()
                        ),
                        &mut out.comments,
                    );
                }
                ty = Some(new.clone());
            }
            if let Some(nullable) = o.nullable {
                if nullable != out.nullable {
                    self.warn(
                        &o.at,
                        format!(
                            "`field_overrides` makes `{}` {}, while the field says {}: the override \
                             is applied",
                            first.name,
                            if nullable { "nullable" } else { "required" },
                            if out.nullable { "nullable" } else { "required" },
                        ),
                        &mut out.comments,
                    );
                }
                out.nullable = nullable;
            }
            if !o.args.is_empty() {
                args = o.args.clone();
            }
            if out.doc.is_none() {
                out.doc = o.doc.clone();
            }
        }

        // A list some entity repeats over becomes `list<Child>` (see `list_fields`).
        if let Some(child) = self.child_over(i, &first.name) {
            out.ty = format!("list<{}>", self.names[child]);
            if let Some(c) = &first.computed {
                self.warn(
                    &c.at,
                    format!(
                        "`computed_from` of list `{}` is not carried: its items are the rows of \
                         `{}`, read from the array `{}`",
                        first.name, self.names[child], first.name
                    ),
                    &mut out.comments,
                );
            }
            entity.fields.push(out);
            return;
        }
        let ty_at = first
            .ty
            .as_ref()
            .map_or(first.at.clone(), |(_, at)| at.clone());
        out.ty = match ty.as_deref() {
            None => {
                self.warn(
                    &first.at,
                    format!(
                        "field `{}` has no type: imported as `json` (the value stored as sent)",
                        first.name
                    ),
                    &mut out.comments,
                );
                "json".into()
            }
            Some(t) => match field_type(t) {
                Ok(ours) => ours.into(),
                Err(why) => {
                    self.warn(
                        &ty_at,
                        format!("field `{}`: {why}", first.name),
                        &mut out.comments,
                    );
                    fallback_type(t).into()
                }
            },
        };
        if let Some(len) = args.first() {
            match (out.ty.as_str(), len.parse::<u64>()) {
                ("string", Ok(n)) if (1..=10_485_760).contains(&n) => out.max_length = Some(n),
                _ => self.warn(
                    &first.at,
                    format!(
                        "type arguments `{}` of `{}` are not carried (only a string's length \
                         becomes `max_length`)",
                        args.join(", "),
                        first.name
                    ),
                    &mut out.comments,
                ),
            }
        }

        match first.computed.clone() {
            None if self.links[i].is_some() => {
                let location = out.json.clone().unwrap_or_else(|| out.name.clone());
                self.warn(
                    &first.at,
                    format!(
                        "field `{}` of derived entity `{}` has no `computed_from`: it is read from \
                         the key `{location}` of each item",
                        first.name, e.name
                    ),
                    &mut out.comments,
                );
            }
            None => {}
            Some(c) => self.source(i, first, &c, &mut out, entity),
        }
        entity.fields.push(out);
    }

    /// The entity repeated over field `field` of entity `i`.
    fn child_over(&self, i: usize, field: &str) -> Option<usize> {
        self.links.iter().position(|l| {
            l.as_ref()
                .is_some_and(|l| l.parent == i && l.field == field)
        })
    }

    fn is_parent_name(&self, i: usize, name: &str) -> bool {
        let Some(link) = &self.links[i] else {
            return false;
        };
        let parent = &self.entities[link.parent].name;
        name == "parent" || name.eq_ignore_ascii_case(parent) || name == snake_case(parent)
    }

    fn is_own_name(&self, i: usize, name: &str) -> bool {
        let own = &self.entities[i].name;
        RECORD_NAMES.contains(&name) || name.eq_ignore_ascii_case(own) || name == snake_case(own)
    }

    /// Whether `source` is the JSON record entity `i` is read from.
    fn is_record(&self, i: usize, source: &Source) -> bool {
        let item = self.links[i].as_ref().and_then(|l| l.item.as_deref());
        match source {
            Source::Named(n) => {
                Some(n.as_str()) == item
                    || self.is_own_name(i, n)
                    || (self.links[i].is_none() && !self.entities.iter().any(|e| &e.name == n))
            }
            Source::Field { source, field } => {
                (self.is_parent_name(i, source) && Some(field.as_str()) == item)
                    || (self.is_own_name(i, source) && RECORD_NAMES.contains(&field.as_str()))
            }
        }
    }

    /// Where a computed field's value comes from.
    fn source(
        &mut self,
        i: usize,
        first: &FirstField,
        c: &Computed,
        out: &mut Field,
        entity: &mut Entity,
    ) {
        let transform = c.transform.as_str();
        match transform {
            "copy_field" | "copy_from_parent" | "copy_from_source" | "copy_from_context" => {
                self.copy(i, first, c, out);
            }
            _ if is_json_read(transform) => self.json_read(i, first, c, out),
            "coalesce" => {
                let args = self.call_args(i, c, None, out, entity);
                out.compute = Some(format!("coalesce({})", args.join(", ")));
            }
            _ => {
                let user = self.project.transforms.iter().find(|t| t.name == transform);
                match user {
                    Some(t) => {
                        let params = t
                            .args
                            .iter()
                            .map(|(n, ty, _)| (n.clone(), ty.clone()))
                            .collect::<Vec<_>>();
                        let args = self.call_args(i, c, Some(&params), out, entity);
                        out.compute =
                            Some(format!("{}({})", carried_name(transform), args.join(", ")));
                    }
                    None => self.not_computed(
                        first,
                        c,
                        format!(
                            "transform `{transform}`{} is neither in nomnom.yaml's \
                             `transforms.rust` nor one the importer can translate",
                            if c.sources.is_empty() {
                                " (with no source)"
                            } else {
                                ""
                            }
                        ),
                        out,
                    ),
                }
            }
        }
    }

    /// A computed field that stays a plain, nullable read of its own JSON key.
    fn not_computed(&mut self, first: &FirstField, c: &Computed, why: String, out: &mut Field) {
        out.nullable = true;
        self.warn(
            &c.at,
            format!(
                "`{}` is not computed: {why}; it is imported as a nullable field read from the \
                 JSON key `{}`: compute it with `compute:` or send it",
                first.name, first.name
            ),
            &mut out.comments,
        );
    }

    fn copy(&mut self, i: usize, first: &FirstField, c: &Computed, out: &mut Field) {
        if c.transform == "copy_from_context" {
            self.not_computed(
                first,
                c,
                "the first nomnom's processing context (a file name, a batch) does not exist in \
                 nomnom, which reads every value from the message"
                    .into(),
                out,
            );
            return;
        }
        let named_field = c.args.iter().find_map(|a| match (&a.name[..], &a.value) {
            ("field" | "field_name" | "source_field", ArgValue::Str(s)) => Some(s.clone()),
            _ => None,
        });
        let (source, field) = match c.sources.first() {
            Some(Source::Field { source, field }) => (source.clone(), field.clone()),
            Some(Source::Named(source)) => match named_field {
                Some(f) => (source.clone(), f),
                None => (source.clone(), first.name.clone()),
            },
            None => (
                "parent".into(),
                named_field.unwrap_or_else(|| first.name.clone()),
            ),
        };
        if c.sources.len() > 1 {
            self.warn(
                &c.at,
                format!(
                    "`{}` copies from several sources: only the first is carried",
                    first.name
                ),
                &mut out.comments,
            );
        }
        if !self.is_parent_name(i, &source) {
            let why = if self.links[i].is_none() {
                format!(
                    "it copies `{source}.{field}`, but `{}` is a root in nomnom (no parent to copy \
                     from)",
                    self.entities[i].name
                )
            } else {
                format!(
                    "it copies `{source}.{field}`, and `from:` copies only from the parent (`{}`)",
                    self.entities[self.links[i].as_ref().map_or(i, |l| l.parent)].name
                )
            };
            self.not_computed(first, c, why, out);
            return;
        }
        let parent = self.links[i].as_ref().map_or(i, |l| l.parent);
        let Some(ours) = self.field_names[parent].get(&field).cloned() else {
            self.not_computed(
                first,
                c,
                format!(
                    "parent `{}` has no field `{field}`",
                    self.entities[parent].name
                ),
                out,
            );
            return;
        };
        out.from = Some(format!("parent.{ours}"));
        out.json = None;
        if let Some(pf) = self.entities[parent]
            .fields
            .iter()
            .find(|f| f.name == field)
        {
            let parent_nullable = self.entities[parent]
                .overrides
                .iter()
                .find(|o| o.name == field)
                .and_then(|o| o.nullable)
                .unwrap_or(pf.nullable);
            if parent_nullable && !out.nullable {
                out.nullable = true;
                self.warn(
                    &c.at,
                    format!(
                        "`{}` is required but copies `{}.{field}`, which is nullable: imported as \
                         nullable",
                        first.name, self.entities[parent].name
                    ),
                    &mut out.comments,
                );
            }
        }
    }

    fn json_read(&mut self, i: usize, first: &FirstField, c: &Computed, out: &mut Field) {
        // `field_path` is a path (`a.b` → `/a/b`); `field` a key, read as it is.
        let key = c.args.iter().find_map(|a| match (&a.name[..], &a.value) {
            ("field_path" | "path", ArgValue::Str(s)) => Some((json_location(s), a.at.clone())),
            ("field" | "key" | "field_name", ArgValue::Str(s)) => Some((json_key(s), a.at.clone())),
            _ => None,
        });
        let location = match key {
            Some((location, at)) => {
                let literal = c.args.iter().any(|a| {
                    matches!(&a.name[..], "field" | "key" | "field_name")
                        && matches!(&a.value, ArgValue::Str(k) if k.contains(['.', '/']))
                });
                if literal {
                    self.warn(
                        &at,
                        format!(
                            "`{}` reads the key `{location}` as one key, as `args.field` names \
                             one; if it is a path, write `json: /a/b` instead",
                            first.name
                        ),
                        &mut out.comments,
                    );
                }
                location
            }
            None => {
                self.warn(
                    &c.at,
                    format!(
                        "`{}` names no JSON key (`args.field`): it reads the key `{}`",
                        c.transform, first.name
                    ),
                    &mut out.comments,
                );
                first.name.clone()
            }
        };
        for a in &c.args {
            if !matches!(
                &a.name[..],
                "field" | "field_path" | "path" | "key" | "field_name"
            ) {
                self.warn(
                    &a.at,
                    format!(
                        "argument `{}` of `{}` is not carried: the field reads its JSON key \
                         as it is",
                        a.name, c.transform
                    ),
                    &mut out.comments,
                );
            }
        }
        match c.sources.as_slice() {
            [] => {}
            [only] if self.is_record(i, only) => {}
            [only, ..] => {
                let what = match only {
                    Source::Named(n) => format!("`{n}`"),
                    Source::Field { source, field } => format!("`{source}.{field}`"),
                };
                let extra = if c.sources.len() > 1 {
                    " (and its other sources are ignored)"
                } else {
                    ""
                };
                self.warn(
                    &c.at,
                    format!(
                        "`{}` reads from {what}, which is not the record `{}` is read from: it \
                         reads the key from `{}`'s own JSON object{extra}",
                        first.name, self.entities[i].name, self.names[i]
                    ),
                    &mut out.comments,
                );
            }
        }
        if let Some(expected) = implied_type(&c.transform) {
            if expected != out.ty && !out.ty.starts_with("list<") {
                self.warn(
                    &c.at,
                    format!(
                        "`{}` reads with `{}` but is declared `{}`: the declared type (`{}`) is \
                         kept",
                        first.name,
                        c.transform,
                        first.ty.as_ref().map_or("", |(t, _)| t.as_str()),
                        out.ty
                    ),
                    &mut out.comments,
                );
            }
        }
        out.json = (location != out.name).then_some(location);
    }

    /// The arguments of a call: sources first, then `args` by the transform's parameter names.
    fn call_args(
        &mut self,
        i: usize,
        c: &Computed,
        params: Option<&[(String, String)]>,
        out: &mut Field,
        entity: &mut Entity,
    ) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(p) = params.filter(|p| p.len() < c.sources.len()) {
            self.warn(
                &c.at,
                format!(
                    "`{}` takes {} argument{} but is given {} sources: all are passed",
                    c.transform,
                    p.len(),
                    if p.len() == 1 { "" } else { "s" },
                    c.sources.len()
                ),
                &mut out.comments,
            );
        }
        for (n, source) in c.sources.iter().enumerate() {
            let param_type = params.and_then(|p| p.get(n)).map(|(_, t)| t.as_str());
            let arg = self.source_arg(i, c, source, param_type, out, entity);
            args.push(arg);
        }
        let mut rest: Vec<(String, Option<String>)> = match params {
            Some(p) => p
                .iter()
                .skip(c.sources.len())
                .map(|(n, _)| (n.clone(), None))
                .collect(),
            None => Vec::new(),
        };
        for a in &c.args {
            let text = match literal(&a.value) {
                Ok(text) => text,
                Err(why) => {
                    self.warn(
                        &a.at,
                        format!(
                            "argument `{}` of `{}` is {why}: written as `null`, replace it",
                            a.name, c.transform
                        ),
                        &mut out.comments,
                    );
                    "null".into()
                }
            };
            match rest.iter_mut().find(|(n, v)| n == &a.name && v.is_none()) {
                Some(slot) => slot.1 = Some(text),
                None => {
                    if params.is_some() {
                        self.warn(
                            &a.at,
                            format!(
                                "`{}` takes no argument `{}` after its sources: passed last",
                                c.transform, a.name
                            ),
                            &mut out.comments,
                        );
                    }
                    rest.push((a.name.clone(), Some(text)));
                }
            }
        }
        for (name, value) in rest {
            match value {
                Some(v) => args.push(v),
                None => {
                    self.warn(
                        &c.at,
                        format!(
                            "`{}` gets no value for its argument `{name}` (neither a source nor \
                             `args.{name}`): the call is incomplete",
                            c.transform
                        ),
                        &mut out.comments,
                    );
                }
            }
        }
        args
    }

    /// One source as an expression argument: a field of the entity, adding an input-only field
    /// when the value is not one yet.
    fn source_arg(
        &mut self,
        i: usize,
        c: &Computed,
        source: &Source,
        param_type: Option<&str>,
        out: &mut Field,
        entity: &mut Entity,
    ) -> String {
        let own = &self.field_names[i];
        match source {
            Source::Named(n) if own.contains_key(n) => own[n].clone(),
            Source::Field { source, field }
                if self.is_own_name(i, source) && own.contains_key(field) =>
            {
                own[field].clone()
            }
            Source::Field { source, field } if self.is_parent_name(i, source) => {
                let parent = self.links[i].as_ref().map_or(i, |l| l.parent);
                let Some(theirs) = self.field_names[parent].get(field).cloned() else {
                    self.warn(
                        &c.at,
                        format!(
                            "source `{source}.{field}` of `{}`: the parent has no field `{field}`; \
                             the call names `{field}`, which is no field here",
                            c.transform
                        ),
                        &mut out.comments,
                    );
                    return field.clone();
                };
                let from = format!("parent.{theirs}");
                if let Some(existing) = entity
                    .fields
                    .iter()
                    .find(|f| f.from.as_deref() == Some(&from))
                {
                    return existing.name.clone();
                }
                let pf = self.entities[parent]
                    .fields
                    .iter()
                    .find(|f| &f.name == field);
                let ty = pf
                    .and_then(|f| f.ty.as_ref())
                    .and_then(|(t, _)| field_type(t).ok())
                    .unwrap_or("json");
                let name = free_name(&entity.fields, &format!("parent_{theirs}"));
                entity.fields.push(Field {
                    comments: vec![format!(
                        "input only: the parent's `{theirs}`, passed to `{}`",
                        c.transform
                    )],
                    name: name.clone(),
                    ty: ty.into(),
                    nullable: pf.is_none_or(|f| f.nullable),
                    from: Some(from),
                    input_only: true,
                    ..Field::default()
                });
                name
            }
            Source::Field { source, field }
                if self.is_record(i, &Source::Named(source.clone())) =>
            {
                let location = json_location(field);
                if let Some(existing) = entity.fields.iter().find(|f| {
                    f.from.is_none()
                        && f.compute.is_none()
                        && f.json.as_deref().unwrap_or(&f.name) == location
                }) {
                    return existing.name.clone();
                }
                let (ty, _, _) = param_type.map_or(("json".to_string(), true, None), rust_type);
                let name = free_name(&entity.fields, field);
                let json = (location != name).then_some(location);
                entity.fields.push(Field {
                    comments: vec![format!(
                        "input only: read for `{}` (nullable: the first nomnom did not say)",
                        c.transform
                    )],
                    name: name.clone(),
                    ty,
                    nullable: true,
                    json,
                    input_only: true,
                    ..Field::default()
                });
                name
            }
            Source::Named(n) if self.is_record(i, source) || self.is_parent_name(i, n) => {
                self.warn(
                    &c.at,
                    format!(
                        "`{}` takes the whole record `{n}`, which an expression cannot pass: the \
                         call names `{n}`, which is no field; change the transform to take the \
                         fields it reads",
                        c.transform
                    ),
                    &mut out.comments,
                );
                n.clone()
            }
            Source::Named(n) => {
                self.warn(
                    &c.at,
                    format!(
                        "source `{n}` of `{}` is no field of `{}`: the call names it as it is",
                        c.transform, self.entities[i].name
                    ),
                    &mut out.comments,
                );
                n.clone()
            }
            Source::Field { source, field } => {
                self.warn(
                    &c.at,
                    format!(
                        "source `{source}.{field}` of `{}` is neither this entity's nor its \
                         parent's: the call names `{field}`, which is no field here",
                        c.transform
                    ),
                    &mut out.comments,
                );
                field.clone()
            }
        }
    }

    /// Adds each child's `list<Child>` field to its parent where the parent does not declare it.
    fn list_fields(&mut self, out: &mut [Entity]) {
        for (child, link) in self.links.clone().iter().enumerate() {
            let Some(link) = link else { continue };
            let declared = self.entities[link.parent]
                .fields
                .iter()
                .any(|f| f.name == link.field);
            if declared {
                continue;
            }
            let name = free_name(&out[link.parent].fields, &link.field);
            let mut field = Field {
                name: name.clone(),
                ty: format!("list<{}>", self.names[child]),
                nullable: true,
                json: (name != link.field).then(|| link.field.clone()),
                ..Field::default()
            };
            let at = self.entities[child]
                .repeated_for
                .as_ref()
                .map_or(self.entities[child].at.clone(), |r| r.at.clone());
            self.warn(
                &at,
                format!(
                    "`{}` declares no field `{}` that `{}` repeats over: added as `{name}: list<{}>?`",
                    self.entities[link.parent].name, link.field, self.entities[child].name,
                    self.names[child]
                ),
                &mut field.comments,
            );
            out[link.parent].fields.push(field);
        }
    }

    fn key(&mut self, i: usize, out: &mut Entity) {
        let entities = self.entities;
        let e = &entities[i];
        for (name, at) in &e.unicity {
            let Some(ours) = self.field_names[i].get(name).cloned() else {
                let at = at.clone();
                self.warn(
                    &at,
                    format!(
                        "`unicity_fields` names `{name}`, which is no field: left out of the key"
                    ),
                    &mut out.comments,
                );
                continue;
            };
            let Some(field) = out.fields.iter_mut().find(|f| f.name == ours) else {
                continue;
            };
            if field.ty.starts_with("list<") || field.ty == "json" {
                let at = at.clone();
                self.warn(
                    &at,
                    format!("`unicity_fields` names `{name}`, a {} field, which a key cannot hold: left out of the key", field.ty),
                    &mut out.comments,
                );
                continue;
            }
            if field.nullable {
                field.nullable = false;
                let w = at.warning(format!(
                    "`{name}` is in `unicity_fields` but nullable: a key field is required, so it \
                     is imported as required"
                ));
                field.comments.push(format!("warning: {}", w.message));
                self.warnings.push(w);
            }
            if !out.key.contains(&ours) {
                out.key.push(ours);
            }
        }
    }

    /// Roots in file order (or `entities.order`), each followed by its descendants.
    fn order(&self, out: Vec<Entity>) -> Vec<Entity> {
        let n = out.len();
        let mut rank: Vec<usize> = (0..n).collect();
        if !self.project.entity_order.is_empty() {
            rank.sort_by_key(|&i| {
                self.project
                    .entity_order
                    .iter()
                    .position(|o| o == &self.entities[i].name)
                    .unwrap_or(usize::MAX)
            });
        }
        let mut seq = Vec::with_capacity(n);
        fn visit(i: usize, rank: &[usize], links: &[Option<Link>], seq: &mut Vec<usize>) {
            seq.push(i);
            for &c in rank {
                if links[c].as_ref().is_some_and(|l| l.parent == i) {
                    visit(c, rank, links, seq);
                }
            }
        }
        for &i in &rank {
            if self.links[i].is_none() {
                visit(i, &rank, &self.links, &mut seq);
            }
        }
        let mut slots: Vec<Option<Entity>> = out.into_iter().map(Some).collect();
        seq.into_iter().filter_map(|i| slots[i].take()).collect()
    }
}

/// The type a JSON read's name implies (`json_get_int` → `integer`).
fn implied_type(transform: &str) -> Option<String> {
    let t = transform.strip_prefix("json_get_")?;
    let t = t.strip_prefix("optional_").unwrap_or(t);
    Some(
        match t {
            "string" | "str" => "string",
            "int" | "integer" | "i64" => "integer",
            "float" | "f64" | "number" => "float",
            "bool" | "boolean" => "boolean",
            _ => return None,
        }
        .to_string(),
    )
}
