//! `src/entities.rs`: a struct per entity whose attributes state the model (table, key,
//! parent, where each field is read from, its default and its rules); `#[derive(Entity)]`
//! turns them into validation, columnar rows and SQL in the runtime.

use nomnom_spec::model::{Entity, Field, FieldSource, FieldType, Literal, Project};
use proc_macro2::TokenStream;
use quote::quote;

use super::idents::{doc_attr, field_ident, ident_plain, inconsistent, type_ident};
use super::scope::Scope;
use crate::error::GenerateError;
use crate::literal::to_json;
use crate::types::{self, RustType};

/// The file.
pub fn file(project: &Project) -> Result<TokenStream, GenerateError> {
    let scope = Scope::new(project);
    let mut items = Vec::new();
    for entity in &project.entities {
        items.push(entity_item(project, entity, &scope)?);
    }
    let uses = scope.uses();
    let doc = format!(
        " The entities of the `{}` model: one struct per entity, its table, key, version and \
         field rules stated as attributes.",
        project.name
    );
    Ok(quote! {
        #![doc = #doc]
        #uses
        #(#items)*
    })
}

fn entity_item(
    project: &Project,
    entity: &Entity,
    scope: &Scope,
) -> Result<TokenStream, GenerateError> {
    let ty = type_ident(&entity.name);
    let derive = scope.name("", "Entity");
    let table = &entity.table;
    let hl7 = match &entity.segment {
        Some(segment) => Some(quote!(, segment = #segment)),
        None if entity.is_hl7() => Some(quote!(, hl7)),
        None => None,
    };
    // A segment row's lists end at the next segment of its own type or of any enclosing
    // segment row's.
    let mut group_ends = Vec::new();
    let mut at = Some(entity);
    while let Some(e) = at {
        if let Some(segment) = &e.segment {
            group_ends.push(segment.clone());
        }
        at = project.parent_of(e);
    }
    let key = (!entity.key.is_empty()).then(|| {
        let key = entity.key.iter().map(|k| field_ident(k));
        quote!(, key(#(#key),*))
    });
    let version = entity.version.as_ref().map(|v| {
        let v = field_ident(v);
        quote!(, version = #v)
    });
    let parent = project.parent_of(entity).map(|p| {
        let p = type_ident(&p.name);
        quote!(, parent = #p)
    });
    let computed = entity.computed_in_order();
    let compute = (!computed.is_empty()).then(|| {
        let fields = computed.iter().map(|f| field_ident(&f.name));
        quote!(, compute(#(#fields),*))
    });
    let mut fields = Vec::new();
    for field in &entity.fields {
        let name = field_ident(&field.name);
        let doc = match (&field.doc, &field.source) {
            (Some(d), FieldSource::Compute(c)) => {
                doc_attr(Some(&format!("{d} Computed: `{}`.", c.text)))
            }
            (None, FieldSource::Compute(c)) => doc_attr(Some(&format!("Computed: `{}`.", c.text))),
            (d, _) => doc_attr(d.as_ref()),
        };
        let rust = field_type(project, entity, field, scope)?;
        let attrs = field_attrs(field, &group_ends)?;
        let attrs = (!attrs.is_empty()).then(|| quote!(#[field(#(#attrs),*)]));
        fields.push(quote! {
            #doc
            #attrs
            pub #name: #rust,
        });
    }
    let doc = doc_attr(entity.doc.as_ref());
    Ok(quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, #derive)]
        #[entity(table = #table #key #version #parent #compute #hl7)]
        pub struct #ty {
            #(#fields)*
        }
    })
}

/// The field's Rust type: `Option<T>` when nullable, `Vec<Child>` for lists, and the parent
/// field's type for `from: parent.x`.
fn field_type(
    project: &Project,
    entity: &Entity,
    field: &Field,
    scope: &Scope,
) -> Result<TokenStream, GenerateError> {
    if let FieldType::List(child) = &field.ty {
        let child = type_ident(child);
        return Ok(quote!(Vec<#child>));
    }
    let (ty, nullable) = project.column_kind(entity, field).ok_or_else(|| {
        inconsistent(format!(
            "{}.{}: its parent field is missing",
            entity.name, field.name
        ))
    })?;
    let base = match types::rust_type(ty) {
        RustType::Prelude(name) => {
            let name = ident_plain(name);
            quote!(#name)
        }
        RustType::Runtime(name) => scope.name("types", name),
        RustType::Timestamp => {
            let date_time = scope.name("types", "DateTime");
            let utc = scope.name("types", "Utc");
            quote!(#date_time<#utc>)
        }
    };
    Ok(if nullable {
        quote!(Option<#base>)
    } else {
        base
    })
}

/// The `#[field(...)]` arguments of a field; empty when the Rust field says it all.
/// `group_ends` are the segment types that end the groups of the entity's HL7 lists.
fn field_attrs(field: &Field, group_ends: &[String]) -> Result<Vec<TokenStream>, GenerateError> {
    let mut attrs = Vec::new();
    let ident = field_ident(&field.name).to_string();
    if ident.trim_start_matches("r#") != field.name {
        let name = &field.name;
        attrs.push(quote!(name = #name));
    }
    match &field.source {
        FieldSource::Key(key) if *key == field.name => {
            // Messages written before the rename carry the old key.
            if let Some(old) = &field.renamed_from {
                attrs.push(quote!(renamed_from = #old));
            }
        }
        FieldSource::Key(key) => attrs.push(quote!(json = #key)),
        FieldSource::Pointer(tokens) => {
            let escaped: Vec<String> = tokens
                .iter()
                .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
                .collect();
            let pointer = escaped.concat();
            attrs.push(quote!(json = #pointer));
        }
        FieldSource::Parent(from) => {
            let from = field_ident(from);
            attrs.push(quote!(from_parent = #from));
        }
        FieldSource::Compute(_) => attrs.push(quote!(computed)),
        FieldSource::Hl7(path) => {
            let text = &path.text;
            attrs.push(quote!(hl7 = #text));
        }
        FieldSource::Hl7Segment(segment) => {
            attrs.push(quote!(hl7 = #segment));
            if !group_ends.is_empty() {
                attrs.push(quote!(group_ends(#(#group_ends),*)));
            }
        }
    }
    if !field.stored {
        attrs.push(quote!(store = false));
    }
    if let FieldType::List(_) = field.ty {
        attrs.push(quote!(children));
        if field.nullable {
            attrs.push(quote!(nullable));
        }
    }
    match &field.default {
        None => {}
        Some(json @ Literal::Json(_)) => {
            let text = to_json(json).to_string();
            attrs.push(quote!(default_json = #text));
        }
        Some(literal) => {
            let value = literal_tokens(literal, field)?;
            attrs.push(quote!(default = #value));
        }
    }
    if let Some(n) = field.max_length {
        let n = proc_macro2::Literal::u32_unsuffixed(n);
        attrs.push(quote!(max_length = #n));
    }
    if let Some(pattern) = &field.pattern {
        attrs.push(quote!(pattern = #pattern));
    }
    for (bound, name) in [(&field.min, quote!(min)), (&field.max, quote!(max))] {
        if let Some(bound) = bound {
            let value = literal_tokens(bound, field)?;
            attrs.push(quote!(#name = #value));
        }
    }
    if let Some(values) = &field.enum_values {
        let values = values
            .iter()
            .map(|v| literal_tokens(v, field))
            .collect::<Result<Vec<_>, _>>()?;
        attrs.push(quote!(one_of(#(#values),*)));
    }
    Ok(attrs)
}

/// A model constant as attribute tokens: numbers keep their exact text (`-0.5`, `1e3`).
fn literal_tokens(literal: &Literal, field: &Field) -> Result<TokenStream, GenerateError> {
    Ok(match literal {
        Literal::Null => quote!(null),
        Literal::Bool(b) => quote!(#b),
        Literal::String(s) => quote!(#s),
        Literal::Number(text) => {
            let (sign, digits) = match text.strip_prefix('-') {
                Some(rest) => (quote!(-), rest),
                None => (quote!(), text.strip_prefix('+').unwrap_or(text)),
            };
            let lit: syn::Lit = syn::parse_str(digits)
                .map_err(|_| inconsistent(format!("{}: `{text}` is not a number", field.name)))?;
            quote!(#sign #lit)
        }
        Literal::Json(_) => {
            return Err(inconsistent(format!(
                "{}: a JSON value is only a `default`",
                field.name
            )))
        }
    })
}
