//! The `#[entity(...)]` and `#[field(...)]` attributes, parsed.

use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Field, Ident, LitStr, Path, Token};

/// A constant of the model (`default`, `min`, `max`, `one_of`), with its exact text.
#[derive(Debug, Clone)]
pub enum Literal {
    Null,
    Bool(bool),
    /// A number as written (`-1`, `100.5`, `1e3`).
    Number(String),
    Str(String),
}

impl syn::parse::Parse for Literal {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(Ident) {
            let word = input.call(Ident::parse_any)?;
            return match word.to_string().as_str() {
                "null" => Ok(Literal::Null),
                _ => Err(syn::Error::new(word.span(), "expected a literal or `null`")),
            };
        }
        let negative = input.parse::<Option<Token![-]>>()?.is_some();
        let sign = if negative { "-" } else { "" };
        match input.parse::<syn::Lit>()? {
            syn::Lit::Bool(b) if !negative => Ok(Literal::Bool(b.value)),
            syn::Lit::Str(s) if !negative => Ok(Literal::Str(s.value())),
            syn::Lit::Int(n) => Ok(Literal::Number(format!("{sign}{}", n.base10_digits()))),
            syn::Lit::Float(n) => Ok(Literal::Number(format!("{sign}{}", n.base10_digits()))),
            other => Err(syn::Error::new(
                other.span(),
                "expected a number, string or bool",
            )),
        }
    }
}

/// `#[entity(table = "...", key(a, b), version = updated_at, parent = Parent,
/// compute(c, d))]`.
pub struct EntityAttrs {
    pub table: LitStr,
    pub key: Vec<Ident>,
    /// The field whose value orders the versions of a keyed row.
    pub version: Option<Ident>,
    pub parent: Option<Path>,
    /// The computed fields, in the order they are computed (each after those it reads).
    pub compute: Vec<Ident>,
    /// `hl7`: a root read from HL7 v2 messages.
    pub hl7: bool,
    /// `segment = "OBR"`: each record is one segment of an HL7 v2 message.
    pub segment: Option<LitStr>,
}

impl EntityAttrs {
    /// `true` when records are read from HL7 v2 messages.
    pub fn is_hl7(&self) -> bool {
        self.hl7 || self.segment.is_some()
    }
}

impl EntityAttrs {
    pub fn parse(attrs: &[Attribute], span: proc_macro2::Span) -> syn::Result<EntityAttrs> {
        let mut table = None;
        let mut key = Vec::new();
        let mut parent = None;
        let mut version = None;
        let mut compute = Vec::new();
        let mut hl7 = false;
        let mut segment = None;
        for attr in attrs.iter().filter(|a| a.path().is_ident("entity")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("table") {
                    table = Some(meta.value()?.parse::<LitStr>()?);
                } else if meta.path.is_ident("key") {
                    meta.parse_nested_meta(|part| {
                        key.push(part.path.require_ident()?.clone());
                        Ok(())
                    })?;
                } else if meta.path.is_ident("version") {
                    version = Some(meta.value()?.call(Ident::parse_any)?);
                } else if meta.path.is_ident("parent") {
                    parent = Some(meta.value()?.parse::<Path>()?);
                } else if meta.path.is_ident("hl7") {
                    hl7 = true;
                } else if meta.path.is_ident("segment") {
                    segment = Some(meta.value()?.parse::<LitStr>()?);
                } else if meta.path.is_ident("compute") {
                    meta.parse_nested_meta(|part| {
                        compute.push(
                            part.path
                                .get_ident()
                                .cloned()
                                .ok_or_else(|| part.error("expected a field name"))?,
                        );
                        Ok(())
                    })?;
                } else {
                    return Err(
                        meta.error("expected `table`, `key`, `version`, `parent` or `compute`")
                    );
                }
                Ok(())
            })?;
        }
        let table = table
            .ok_or_else(|| syn::Error::new(span, "an entity needs `#[entity(table = \"...\")]`"))?;
        Ok(EntityAttrs {
            table,
            key,
            version,
            parent,
            compute,
            hl7,
            segment,
        })
    }
}

/// Where a field's value comes from.
pub enum Source {
    /// A key of the JSON object.
    Key(String),
    /// A JSON pointer below the object (its tokens, unescaped, and its text as written).
    Pointer(Vec<String>, String),
    /// A field of the parent record.
    Parent(Ident),
    /// Computed from the record's other fields by the method `compute_<field>`.
    Computed,
    /// An HL7 v2 path (`PID-3.1`) for a column, a segment id (`OBR`) for a list.
    Hl7(String),
}

/// `#[field(...)]` of one struct field.
pub struct FieldAttrs {
    /// The model's name of the field (its column).
    pub name: String,
    pub source: Source,
    pub default: Option<Literal>,
    pub default_json: Option<String>,
    pub max_length: Option<usize>,
    pub pattern: Option<String>,
    pub min: Option<Literal>,
    pub max: Option<Literal>,
    pub one_of: Option<Vec<Literal>>,
    pub children: bool,
    pub nullable: bool,
    /// `false` for `store = false`: read and checked, no column.
    pub stored: bool,
    /// For a list of HL7 segments inside a segment row: the segment types that end its group
    /// (`group_ends("OBR")`: the OBX after this OBR up to the next OBR).
    pub group_ends: Vec<String>,
    /// `renamed_from = "old"`: a field read from a key also reads the key `old` when its own
    /// is absent (messages written for the model before the rename).
    pub renamed_from: Option<String>,
}

impl FieldAttrs {
    pub fn parse(field: &Field) -> syn::Result<FieldAttrs> {
        let ident = field
            .ident
            .as_ref()
            .ok_or_else(|| syn::Error::new_spanned(field, "entity fields must be named"))?;
        let mut out = FieldAttrs {
            name: ident.unraw().to_string(),
            source: Source::Key(String::new()),
            default: None,
            default_json: None,
            max_length: None,
            pattern: None,
            min: None,
            max: None,
            one_of: None,
            children: false,
            nullable: false,
            stored: true,
            group_ends: Vec::new(),
            renamed_from: None,
        };
        let mut json = None;
        let mut from_parent = None;
        let mut computed = None;
        let mut hl7 = None;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("field")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("computed") {
                    computed = Some(meta.path.span());
                    return Ok(());
                }
                if meta.path.is_ident("hl7") {
                    hl7 = Some(meta.value()?.parse::<LitStr>()?);
                    return Ok(());
                }
                if meta.path.is_ident("group_ends") {
                    let content;
                    syn::parenthesized!(content in meta.input);
                    let ends = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                    out.group_ends = ends.iter().map(LitStr::value).collect();
                    return Ok(());
                }
                out.set(&meta, &mut json, &mut from_parent)
            })?;
        }
        if let Some(path) = hl7 {
            if json.is_some() || from_parent.is_some() || computed.is_some() {
                return Err(syn::Error::new(
                    path.span(),
                    "an HL7 field has no `json`, `from_parent` or `computed`",
                ));
            }
            out.source = Source::Hl7(path.value());
            return Ok(out);
        }
        if let Some(span) = computed {
            if json.is_some() || from_parent.is_some() || out.default.is_some() {
                return Err(syn::Error::new(
                    span,
                    "a computed field has no `json`, `from_parent` or `default`",
                ));
            }
            out.source = Source::Computed;
            return Ok(out);
        }
        out.source = match (from_parent, json) {
            (Some(parent), None) => Source::Parent(parent),
            (Some(parent), Some(_)) => {
                return Err(syn::Error::new(
                    parent.span(),
                    "`from_parent` and `json` exclude each other",
                ))
            }
            (None, Some(json)) => match json.strip_prefix('/') {
                Some(pointer) => Source::Pointer(
                    pointer.split('/').map(unescape_pointer_token).collect(),
                    json.clone(),
                ),
                None => Source::Key(json),
            },
            (None, None) => Source::Key(out.name.clone()),
        };
        Ok(out)
    }

    fn set(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        json: &mut Option<String>,
        from_parent: &mut Option<Ident>,
    ) -> syn::Result<()> {
        let path = &meta.path;
        if path.is_ident("name") {
            self.name = meta.value()?.parse::<LitStr>()?.value();
        } else if path.is_ident("json") {
            *json = Some(meta.value()?.parse::<LitStr>()?.value());
        } else if path.is_ident("from_parent") {
            *from_parent = Some(meta.value()?.call(Ident::parse_any)?);
        } else if path.is_ident("default") {
            self.default = Some(meta.value()?.parse()?);
        } else if path.is_ident("default_json") {
            self.default_json = Some(meta.value()?.parse::<LitStr>()?.value());
        } else if path.is_ident("max_length") {
            self.max_length = Some(meta.value()?.parse::<syn::LitInt>()?.base10_parse()?);
        } else if path.is_ident("pattern") {
            self.pattern = Some(meta.value()?.parse::<LitStr>()?.value());
        } else if path.is_ident("min") {
            self.min = Some(meta.value()?.parse()?);
        } else if path.is_ident("max") {
            self.max = Some(meta.value()?.parse()?);
        } else if path.is_ident("one_of") {
            let content;
            syn::parenthesized!(content in meta.input);
            let values = Punctuated::<Literal, Token![,]>::parse_terminated(&content)?;
            self.one_of = Some(values.into_iter().collect());
        } else if path.is_ident("children") {
            self.children = true;
        } else if path.is_ident("nullable") {
            self.nullable = true;
        } else if path.is_ident("renamed_from") {
            self.renamed_from = Some(meta.value()?.parse::<LitStr>()?.value());
        } else if path.is_ident("store") {
            self.stored = meta.value()?.parse::<syn::LitBool>()?.value;
        } else {
            return Err(meta.error(
                "expected one of `name`, `json`, `from_parent`, `computed`, `store`, `default`, \
                 `default_json`, `max_length`, `pattern`, `min`, `max`, `one_of`, `children`, \
                 `nullable`, `renamed_from`",
            ));
        }
        Ok(())
    }
}

/// RFC 6901: `~1` is `/`, `~0` is `~`.
fn unescape_pointer_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}
