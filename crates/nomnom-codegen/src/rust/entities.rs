//! `src/entities.rs`: a struct per entity and its `read` function, which validates one JSON
//! object against the model and records every field error with its JSON pointer.

use nomnom_spec::model::{Entity, Field, FieldSource, FieldType, Literal, Project, ScalarType};
use nomnom_spec::names;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{const_ident, field_ident, field_type, ident_plain, type_ident};
use crate::literal::{number_tokens, to_json};
use crate::{types, GenerateError};

/// Names of `read`'s parameters; a field whose local would clash gets a `field_` prefix.
const RESERVED_LOCALS: &[&str] = &["json_object", "json_path", "field_errors"];

/// The local variable holding a field's validated value inside `read`.
pub fn local_ident(field: &str) -> Ident {
    let s = names::rust_field(field);
    if RESERVED_LOCALS.contains(&s.as_str()) || s.starts_with("parent_") {
        ident_plain(&format!("field_{s}"))
    } else {
        field_ident(field)
    }
}

/// The `read` parameter carrying a `from: parent.x` value into a child.
fn parent_param(field: &str) -> Ident {
    ident_plain(&format!("parent_{}", names::snake_case(field)))
}

/// How the JSON object is searched for a field, and the escaped pointer relative to it.
fn lookup(field: &Field) -> (TokenStream, String) {
    match &field.source {
        FieldSource::Key(k) => (quote!(json_object.get(#k)), nomnom_runtime_escape(k)),
        FieldSource::Pointer(tokens) => {
            let rel: Vec<String> = tokens.iter().map(|t| nomnom_runtime_escape(t)).collect();
            (quote!(json_object.pointer(&[#(#tokens),*])), rel.join("/"))
        }
        FieldSource::Parent(_) => (quote!(None), String::new()),
    }
}

/// RFC 6901 escaping, as `nomnom_runtime::json::escape_pointer_token` does at run time.
fn nomnom_runtime_escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The file.
pub fn file(project: &Project) -> Result<TokenStream, GenerateError> {
    let mut items = Vec::new();
    for entity in &project.entities {
        items.push(entity_items(project, entity)?);
    }
    let doc = format!(
        " The entities of the `{}` model: one struct per entity, and the validation that reads it from a JSON object.",
        project.name
    );
    Ok(quote! {
        #![doc = #doc]
        use ::nomnom_runtime::json::{self, field};
        use ::nomnom_runtime::model;
        #(#items)*
    })
}

fn entity_items(project: &Project, entity: &Entity) -> Result<TokenStream, GenerateError> {
    let ty = type_ident(&entity.name);
    let mut statics = Vec::new();
    let mut struct_fields = Vec::new();
    let mut reads = Vec::new();
    let mut list_reads = Vec::new();
    let mut params = Vec::new();
    let mut inits = Vec::new();
    let mut reads_body = false;

    for field in &entity.fields {
        let name = field_ident(&field.name);
        let full = field_type(project, entity, field)?;
        let doc = field.doc.as_ref().map(|d| {
            let d = format!(" {d}");
            quote!(#[doc = #d])
        });
        struct_fields.push(quote! { #doc pub #name: #full, });
        let local = local_ident(&field.name);
        inits.push(quote!(#name: #local?));

        if let FieldSource::Parent(_) = &field.source {
            let param = parent_param(&field.name);
            params.push(quote!(#param: Option<&#full>));
            reads.push(quote!(let #local = #param.cloned();));
            continue;
        }
        reads_body = true;
        let (slot, rel) = lookup(field);
        match &field.ty {
            FieldType::List(child_name) => {
                let child = project
                    .entity(child_name)
                    .ok_or_else(|| GenerateError(format!("unknown entity {child_name}")))?;
                let child_ty = type_ident(child_name);
                let mut args = Vec::new();
                for cf in &child.fields {
                    if let FieldSource::Parent(src) = &cf.source {
                        let plocal = local_ident(src);
                        args.push(quote!(#plocal.as_ref()));
                    }
                }
                let nullable = field.nullable;
                list_reads.push(quote! {
                    let #local = field::list(
                        #slot,
                        &field::Loc::new(json_path, #rel),
                        #nullable,
                        field_errors,
                        |json_object: &json::Object<'_>, json_path: &str, field_errors: &mut Vec<model::FieldError>| {
                            #child_ty::read(json_object, json_path, field_errors #(, #args)*)
                        },
                    );
                });
            }
            FieldType::Scalar(sty) => {
                let slot = match &field.default {
                    None => slot,
                    Some(default) => {
                        let (item, value) = default_static(entity, field, default);
                        statics.push(item);
                        quote!(#slot.or(Some(#value)))
                    }
                };
                let read = scalar_reader(entity, field, *sty, &mut statics)?;
                let how = if field.nullable {
                    quote!(nullable)
                } else {
                    quote!(required)
                };
                reads.push(quote! {
                    let #local = field::#how(#slot, &field::Loc::new(json_path, #rel), field_errors, #read);
                });
            }
        }
    }

    let struct_doc = entity.doc.as_ref().map(|d| {
        let d = format!(" {d}");
        quote!(#[doc = #d])
    });
    let read_doc = format!(
        " Reads one `{}` from the JSON object at `json_path`, recording every field error; `None` when any field failed.",
        entity.name
    );
    // An entity made only of parent values reads nothing from its object.
    let (obj, path, errors) = if reads_body {
        (quote!(json_object), quote!(json_path), quote!(field_errors))
    } else {
        (
            quote!(_json_object),
            quote!(_json_path),
            quote!(_field_errors),
        )
    };
    Ok(quote! {
        #(#statics)*

        #struct_doc
        #[derive(Debug, Clone, PartialEq)]
        pub struct #ty {
            #(#struct_fields)*
        }

        impl #ty {
            #[doc = #read_doc]
            pub fn read(
                #obj: &json::Object<'_>,
                #path: &str,
                #errors: &mut Vec<model::FieldError>
                #(, #params)*
            ) -> Option<Self> {
                #(#reads)*
                #(#list_reads)*
                Some(Self { #(#inits),* })
            }
        }
    })
}

/// The constant a missing value defaults to, read through the same converter as a message
/// value. Returns the item and the expression of a `&json::Value<'static>`.
fn default_static(entity: &Entity, field: &Field, default: &Literal) -> (TokenStream, TokenStream) {
    let name = const_ident(&entity.name, &field.name, "DEFAULT");
    let doc = format!(
        " Default of `{}.{}` when the value is absent.",
        entity.name, field.name
    );
    let value = match default {
        Literal::Null => Some(quote!(json::Value::Null)),
        Literal::Bool(b) => Some(quote!(json::Value::Bool(#b))),
        Literal::Number(text) => {
            Some(quote!(json::Value::Number(::std::borrow::Cow::Borrowed(#text))))
        }
        Literal::String(s) => Some(quote!(json::Value::String(::std::borrow::Cow::Borrowed(#s)))),
        Literal::Json(_) => None,
    };
    match value {
        Some(value) => (
            quote! {
                #[doc = #doc]
                const #name: json::Value<'static> = #value;
            },
            quote!(&#name),
        ),
        None => {
            let text = to_json(default).to_string();
            (
                quote! {
                    #[doc = #doc]
                    static #name: ::std::sync::LazyLock<json::Value<'static>> = ::std::sync::LazyLock::new(|| {
                        // The text is nomnom's own serialisation of the model's default: valid JSON.
                        json::parse(#text.as_bytes()).unwrap_or(json::Value::Null)
                    });
                },
                quote!(&*#name),
            )
        }
    }
}

/// The converter for a scalar field: the runtime's reader, followed by the field's checks.
fn scalar_reader(
    entity: &Entity,
    field: &Field,
    ty: ScalarType,
    statics: &mut Vec<TokenStream>,
) -> Result<TokenStream, GenerateError> {
    let reader = ident_plain(types::json_reader(ty));
    let mut checks = Vec::new();
    if let (ScalarType::String, Some(n)) = (ty, field.max_length) {
        let n = n as usize;
        checks.push(quote!(field::max_length(&value, #n, loc, errors)));
    }
    if let Some(pattern) = &field.pattern {
        if ty != ScalarType::String {
            return Err(GenerateError(format!(
                "{}.{}: `pattern` needs a string field",
                entity.name, field.name
            )));
        }
        let anchored = format!("^(?:{pattern})$");
        regex::Regex::new(&anchored).map_err(|e| {
            GenerateError(format!(
                "{}.{}: invalid pattern: {e}",
                entity.name, field.name
            ))
        })?;
        let name = const_ident(&entity.name, &field.name, "PATTERN");
        let doc = format!(
            " `{}.{}` must match `{pattern}` (whole value).",
            entity.name, field.name
        );
        statics.push(quote! {
            #[doc = #doc]
            static #name: ::std::sync::LazyLock<::nomnom_runtime::export::regex::Regex> =
                ::std::sync::LazyLock::new(|| {
                    ::nomnom_runtime::export::regex::Regex::new(#anchored)
                        .expect("the pattern was compiled by nomnom when generating")
                });
        });
        checks.push(quote!(field::pattern(&value, &#name, #pattern, loc, errors)));
    }
    for (bound, check) in [(&field.min, "min"), (&field.max, "max")] {
        let Some(bound) = bound else { continue };
        let Literal::Number(text) = bound else {
            return Err(GenerateError(format!(
                "{}.{}: `{check}` must be a number",
                entity.name, field.name
            )));
        };
        let value = number_tokens(ty, text)?;
        let check = ident_plain(check);
        checks.push(quote!(field::#check(&value, &#value, loc, errors)));
    }
    if let Some(allowed) = &field.enum_values {
        checks.push(enum_check(entity, field, ty, allowed)?);
    }
    let reader = quote!(field::#reader);
    if checks.is_empty() {
        return Ok(reader);
    }
    Ok(quote! {
        |value: &json::Value<'_>, loc: &field::Loc<'_>, errors: &mut Vec<model::FieldError>| {
            let value = #reader(value, loc, errors)?;
            let ok = #(#checks)&*;
            ok.then_some(value)
        }
    })
}

fn enum_check(
    entity: &Entity,
    field: &Field,
    ty: ScalarType,
    allowed: &[Literal],
) -> Result<TokenStream, GenerateError> {
    let unsupported = || {
        GenerateError(format!(
            "{}.{}: `enum` is not supported on `{}` fields",
            entity.name,
            field.name,
            ty.name()
        ))
    };
    match ty {
        ScalarType::String | ScalarType::Date | ScalarType::Uuid => {
            let mut strs = Vec::new();
            for lit in allowed {
                match lit {
                    Literal::String(s) => strs.push(s.clone()),
                    _ => return Err(unsupported()),
                }
            }
            let value = if ty == ScalarType::String {
                quote!(value.as_str())
            } else {
                quote!(value.to_string().as_str())
            };
            Ok(quote!(field::one_of(#value, &[#(#strs),*], loc, errors)))
        }
        ScalarType::Integer | ScalarType::Float | ScalarType::Decimal => {
            let mut nums = Vec::new();
            for lit in allowed {
                match lit {
                    Literal::Number(text) => nums.push(number_tokens(ty, text)?),
                    _ => return Err(unsupported()),
                }
            }
            Ok(quote!(field::one_of(&value, &[#(#nums),*], loc, errors)))
        }
        ScalarType::Boolean => {
            let mut bools = Vec::new();
            for lit in allowed {
                match lit {
                    Literal::Bool(b) => bools.push(*b),
                    _ => return Err(unsupported()),
                }
            }
            Ok(quote!(field::one_of(&value, &[#(#bools),*], loc, errors)))
        }
        ScalarType::Timestamp | ScalarType::Json => Err(unsupported()),
    }
}
