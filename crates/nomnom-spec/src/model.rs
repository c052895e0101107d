//! The validated model (the IR). Everything here has passed every rule of `nomnom check`:
//! names are legal and unique after conversion to identifiers, references resolve, the
//! containment graph is a forest, keys name required fields, and every constraint value
//! fits the type of its field.

/// A whole `nomnom.yaml`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// The generated crate's name (letters, digits, `-`, `_`).
    pub name: String,
    /// Entities in the order they were written in the file.
    pub entities: Vec<Entity>,
    /// The user transforms (`transforms:`), in the order they were written.
    pub transforms: Vec<UserTransform>,
}

/// A user transform: a Rust function the model defines and computed fields call.
#[derive(Debug, Clone, PartialEq)]
pub struct UserTransform {
    /// Its name (a snake_case Rust identifier, no built-in function's name).
    pub name: String,
    pub doc: Option<String>,
    /// Its parameters, in order: name and type (`nullable`: the function takes an `Option`).
    pub params: Vec<(String, crate::expr::ValueType)>,
    /// What it returns (`nullable`: an `Option`).
    pub returns: crate::expr::ValueType,
    /// The function's body: Rust evaluating to `Result<T, String>`.
    pub rust: String,
    /// The 1-based line of the file where the body starts.
    pub rust_line: usize,
    /// Its tests, in order.
    pub tests: Vec<TransformTest>,
}

/// One test of a user transform: arguments and what the call must give.
#[derive(Debug, Clone, PartialEq)]
pub struct TransformTest {
    /// The arguments, each checked against its parameter's type.
    pub args: Vec<Literal>,
    /// What the call must give.
    pub expect: Expected,
    /// The 1-based line of the file where the test is written.
    pub line: usize,
}

/// What a transform test expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// This value (checked against the return type; `Null` for `None`).
    Returns(Literal),
    /// An error whose message contains this text.
    Error(String),
}

/// One entity: a record type, its table and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// PascalCase name as written (`OrderLineItem`).
    pub name: String,
    pub doc: Option<String>,
    /// SQL table name (unquoted; at most 63 bytes). Defaults to the snake_case of `name`.
    pub table: String,
    /// `renamed_from: OldName`: the entity's name in the model the project was last generated
    /// from; the next migration renames that entity's table instead of dropping it.
    pub renamed_from: Option<String>,
    /// Names of the fields forming the natural key, in order. Empty: the entity has no key
    /// and its rows are tied to the message that produced them.
    pub key: Vec<String>,
    /// The field whose value decides which of two messages with one key is the newer
    /// (`version: updated_at`); `None`: the order in which the API accepted them decides.
    /// Only on keyed entities; always a required integer, decimal, date or timestamp field
    /// outside the key.
    pub version: Option<String>,
    /// Fields in the order they were written.
    pub fields: Vec<Field>,
    /// The entity containing this one through a `list<...>` field; `None` for roots.
    pub parent: Option<ParentLink>,
    /// What the messages this entity's rows come from are written in: declared by a root's
    /// `format:` (JSON when not written), and the root's for every entity it contains.
    pub format: Format,
    /// For an entity of an HL7 v2 message contained through a list with `hl7: <segment id>`:
    /// that segment id (`OBR`). Each row is one such segment, and the entity's paths of that
    /// segment (`OBR-4.1`) read this row's segment. `None` for roots and JSON entities.
    pub segment: Option<String>,
}

/// What a root's messages are written in (`format:`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// A JSON object (or an NDJSON batch of them): fields read keys and JSON pointers.
    #[default]
    Json,
    /// An HL7 v2 message in its pipe-delimited (ER7) encoding: fields read HL7 paths
    /// ([`Hl7Path`]) and lists read repeated segments.
    Hl7v2,
}

impl Format {
    /// Every format with its name in the model language.
    pub const ALL: [(Format, &'static str); 2] = [(Format::Json, "json"), (Format::Hl7v2, "hl7v2")];

    /// The format's name in the model language.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Hl7v2 => "hl7v2",
        }
    }

    /// Looks a format up by its name in the model language.
    pub fn from_name(name: &str) -> Option<Format> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }
}

/// How a child entity is contained by its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentLink {
    /// The parent entity's name.
    pub entity: String,
    /// The parent's `list<...>` field holding the children.
    pub field: String,
}

/// One field of an entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field name as written; also the column name (quoted where needed).
    pub name: String,
    pub doc: Option<String>,
    pub ty: FieldType,
    /// `true` when the value may be absent or `null`.
    pub nullable: bool,
    /// Where the value comes from: the incoming JSON object, the HL7 message, the parent
    /// record, or an expression.
    pub source: FieldSource,
    /// Used when the value is absent (never when it is an explicit `null` on a nullable field).
    pub default: Option<Literal>,
    /// Maximum length in characters (Unicode scalar values) for `string` fields; sizes the column.
    pub max_length: Option<u32>,
    /// Inclusive lower bound for numeric fields.
    pub min: Option<Literal>,
    /// Inclusive upper bound for numeric fields.
    pub max: Option<Literal>,
    /// A regular expression (Rust `regex` syntax) the whole string value must match.
    pub pattern: Option<String>,
    /// The only values allowed, each already checked against the field's type.
    pub enum_values: Option<Vec<Literal>>,
    /// `false` for `store: false`: read, validated and usable by computed fields, but not a
    /// column.
    pub stored: bool,
    /// `renamed_from: old`: the field's name in the model the project was last generated
    /// from. The next migration renames that column instead of dropping it, and a field read
    /// from a JSON key by its own name also reads the old key when the new one is absent (so
    /// messages written for the old model, queued or still being sent, are stored).
    pub renamed_from: Option<String>,
}

/// The type of a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    Scalar(ScalarType),
    /// `list<Entity>`: every element of the JSON array becomes a row of `Entity`.
    List(String),
}

/// The scalar types of the model language. The one table mapping each to Rust, SQL and JSON
/// validation lives in `nomnom-codegen`'s `types` module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// UTF-8 text.
    String,
    /// 64-bit signed integer.
    Integer,
    /// 64-bit IEEE float.
    Float,
    /// Exact decimal (NUMERIC); a JSON number or a string holding one; never a float.
    Decimal,
    Boolean,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339 with an offset.
    Timestamp,
    Uuid,
    /// Any JSON value, stored as JSONB.
    Json,
}

impl ScalarType {
    /// Every scalar type with its name in the model language.
    pub const ALL: [(ScalarType, &'static str); 9] = [
        (ScalarType::String, "string"),
        (ScalarType::Integer, "integer"),
        (ScalarType::Float, "float"),
        (ScalarType::Decimal, "decimal"),
        (ScalarType::Boolean, "boolean"),
        (ScalarType::Date, "date"),
        (ScalarType::Timestamp, "timestamp"),
        (ScalarType::Uuid, "uuid"),
        (ScalarType::Json, "json"),
    ];

    /// The type's name in the model language.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(t, _)| *t == self)
            .map(|(_, n)| *n)
            .unwrap_or("string")
    }

    /// Looks a type up by its name in the model language.
    pub fn from_name(name: &str) -> Option<ScalarType> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(t, _)| *t)
    }
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSource {
    /// A key of the incoming object (the field name, or the `json:` rename).
    Key(String),
    /// A JSON pointer (`/customer/id`) into nested objects, split into unescaped tokens.
    Pointer(Vec<String>),
    /// `from: parent.<field>`: copied from the enclosing record.
    Parent(String),
    /// `compute: "<expression>"`: computed from other fields of the record.
    Compute(Box<ComputeSource>),
    /// `hl7: PID-3.1` on a scalar field of an HL7 v2 entity: the value at that path.
    Hl7(Hl7Path),
    /// `hl7: OBR` on a `list<X>` field of an HL7 v2 entity: the segment id whose segments
    /// become the rows of `X`. On a root, every such segment of the message; in an entity
    /// that is itself a segment row (see [`Entity::segment`]), the group of such segments
    /// after its own segment, up to the next segment of its own type or of any enclosing
    /// entity's (the OBX segments after an OBR, up to the next OBR).
    Hl7Segment(String),
}

/// A path to one value of an HL7 v2 message, as `hl7:` writes it:
/// `SEG[occurrence]-field[repetition].component.subcomponent`, every number 1-based as HL7
/// numbers them (`MSH-10`, `PID-3.1`, `PID-3[2].1`, `OBX[2]-5`, `PID-3.4.1`). The numbers
/// not written are 1: a path without a component reads the first component, as HAPI's
/// terser does.
///
/// MSH counts its field separator as MSH-1 and its encoding characters as MSH-2 (so MSH-3
/// is the sending application and MSH-10 the message control id); those two have no
/// components or repetitions: their component and repetition are 1 and stand for the whole
/// value.
///
/// Which segment a path reads: in an entity whose rows are segments ([`Entity::segment`]),
/// a path of that segment reads the row's own segment (no `[occurrence]` is allowed there);
/// every other path reads the message's `occurrence`-th segment of its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hl7Path {
    /// The path as written in the model (`PID-3[2].1`), for messages that name it.
    pub text: String,
    /// The segment id: an upper-case letter, then two upper-case letters or digits (`PID`,
    /// `OBX`, `ZP1`).
    pub segment: String,
    /// Which occurrence of the segment in the message (`OBX[2]-5` → 2); 1 when not written.
    pub occurrence: u32,
    /// The field number (`PID-3` → 3).
    pub field: u32,
    /// Which repetition of the field (`PID-3[2]` → 2); 1 when not written.
    pub repetition: u32,
    /// The component (`PID-5.2` → 2); 1 when not written.
    pub component: u32,
    /// The subcomponent (`PID-3.4.1` → 1); 1 when not written.
    pub subcomponent: u32,
}

impl Hl7Path {
    /// The path with every number written out (`PID-3` → `PID[1]-3[1].1.1`): two paths
    /// read the same value exactly when their canonical forms are equal.
    pub fn canonical(&self) -> String {
        format!(
            "{}[{}]-{}[{}].{}.{}",
            self.segment,
            self.occurrence,
            self.field,
            self.repetition,
            self.component,
            self.subcomponent
        )
    }

    /// `true` for MSH-1 and MSH-2, which hold the encoding characters themselves.
    pub fn is_encoding_field(&self) -> bool {
        self.segment == "MSH" && self.field <= 2
    }
}

impl std::fmt::Display for Hl7Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A computed field's expression, as written and as checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ComputeSource {
    /// The expression as written in the model.
    pub text: String,
    /// The checked expression generated code is written from.
    pub computed: crate::expr::Computed,
}

/// A constant from the model (`default`, `enum`, `min`, `max`), already checked against the
/// field's type. Numbers keep their exact text so decimals never pass through a float.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    /// A number exactly as written (`1`, `0.15`, `-3e2`).
    Number(String),
    String(String),
    /// Any JSON value, for `json` fields.
    Json(serde_json::Value),
}

impl Project {
    /// Looks an entity up by name.
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.name == name)
    }

    /// Entities no other entity contains: what clients post, in file order.
    pub fn roots(&self) -> impl Iterator<Item = &Entity> {
        self.entities.iter().filter(|e| e.parent.is_none())
    }

    /// The entities directly contained by `parent`, in the order of its `list<...>` fields.
    pub fn children_of<'a>(&'a self, parent: &'a Entity) -> impl Iterator<Item = &'a Entity> {
        parent.fields.iter().filter_map(move |f| match &f.ty {
            FieldType::List(child) => self.entity(child),
            FieldType::Scalar(_) => None,
        })
    }

    /// The entity containing `entity`, if any.
    pub fn parent_of(&self, entity: &Entity) -> Option<&Entity> {
        entity.parent.as_ref().and_then(|p| self.entity(&p.entity))
    }

    /// The field a `from: parent.<name>` field copies, with its entity.
    pub fn parent_field(&self, entity: &Entity, name: &str) -> Option<(&Entity, &Field)> {
        let parent = self.parent_of(entity)?;
        Some((parent, parent.field(name)?))
    }

    /// The column type and nullability of a scalar field, following `from: parent.x` to the
    /// field it copies; `None` for a list.
    pub fn column_kind(&self, entity: &Entity, field: &Field) -> Option<(ScalarType, bool)> {
        if let FieldSource::Parent(src) = &field.source {
            let (parent, pfield) = self.parent_field(entity, src)?;
            return self.column_kind(parent, pfield);
        }
        match field.ty {
            FieldType::Scalar(t) => Some((t, field.nullable)),
            FieldType::List(_) => None,
        }
    }

    /// `true` when some entity is contained in `entity`.
    pub fn has_children(&self, entity: &Entity) -> bool {
        self.children_of(entity).next().is_some()
    }

    /// Entities in containment order: each parent before its children (roots in file order,
    /// then depth first in the order of their list fields).
    pub fn in_containment_order(&self) -> Vec<&Entity> {
        fn visit<'a>(project: &'a Project, e: &'a Entity, out: &mut Vec<&'a Entity>) {
            out.push(e);
            for child in project.children_of(e) {
                visit(project, child, out);
            }
        }
        let mut out = Vec::new();
        for root in self.roots() {
            visit(self, root, &mut out);
        }
        out
    }
}

impl Entity {
    /// Looks a field up by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Fields stored as columns (everything but `list<...>` and `store: false` fields), in
    /// order.
    pub fn columns(&self) -> impl Iterator<Item = &Field> {
        self.fields
            .iter()
            .filter(|f| matches!(f.ty, FieldType::Scalar(_)) && f.stored)
    }

    /// The computed fields in the order they can be computed: each after the computed fields
    /// it reads, otherwise in the order written (the model has no cycle among them).
    pub fn computed_in_order(&self) -> Vec<&Field> {
        let computed: Vec<(&Field, &ComputeSource)> = self
            .fields
            .iter()
            .filter_map(|f| match &f.source {
                FieldSource::Compute(c) => Some((f, c.as_ref())),
                _ => None,
            })
            .collect();
        let mut out: Vec<&Field> = Vec::new();
        while out.len() < computed.len() {
            let before = out.len();
            for (field, source) in &computed {
                let placed = out.iter().any(|f| f.name == field.name);
                let ready = source.computed.references.iter().all(|r| {
                    r.name == field.name
                        || out.iter().any(|f| f.name == r.name)
                        || !computed.iter().any(|(f, _)| f.name == r.name)
                });
                if !placed && ready {
                    out.push(field);
                    break;
                }
            }
            if out.len() == before {
                // A cycle, which the checker refuses: keep the rest in written order.
                out.extend(
                    computed
                        .iter()
                        .map(|(f, _)| *f)
                        .filter(|f| !out.iter().any(|o| o.name == f.name))
                        .collect::<Vec<_>>(),
                );
            }
        }
        out
    }

    /// `true` when the entity has a natural key.
    pub fn is_keyed(&self) -> bool {
        !self.key.is_empty()
    }

    /// `true` when the entity's rows come from HL7 v2 messages.
    pub fn is_hl7(&self) -> bool {
        self.format == Format::Hl7v2
    }
}
