//! `#[derive(Entity)]`: `Entity::read` (every field read and checked, every error recorded),
//! `Entity::finish` (computed fields, then values handed down to the children), the table
//! descriptor, the key identity and version, and `Child::inherit` for `from_parent` fields.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, Ident, Type};

use crate::attrs::{EntityAttrs, FieldAttrs, Literal, Source};
use crate::kind::{Kind, Shape};

/// One struct field, understood.
pub struct Member<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
    pub shape: Shape<'a>,
}

impl Member<'_> {
    /// The local holding the field's value inside `read`.
    fn local(&self) -> Ident {
        format_ident!("__v_{}", self.ident.unraw())
    }
}

/// The struct's fields, in order.
pub fn members(input: &DeriveInput) -> syn::Result<Vec<Member<'_>>> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(input, "an entity is a struct"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(input, "an entity has named fields"));
    };
    let mut out = Vec::new();
    for field in &fields.named {
        let attrs = FieldAttrs::parse(field)?;
        let shape = Kind::shape(&field.ty, attrs.children)?;
        let ident = field
            .ident
            .as_ref()
            .ok_or_else(|| syn::Error::new_spanned(field, "entity fields must be named"))?;
        out.push(Member {
            ident,
            ty: &field.ty,
            attrs,
            shape,
        });
    }
    Ok(out)
}

pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let ty = &input.ident;
    let entity = EntityAttrs::parse(&input.attrs, ty.span())?;
    let members = members(input)?;
    let read = if entity.is_hl7() {
        crate::hl7::read_fns(&entity, &members)?
    } else {
        read_fn(&entity, &members)?
    };
    let key_id = key_id_fn(&entity, &members)?;
    let version = version_fn(&entity, &members)?;
    let finish = finish_fn(&entity, &members)?;
    let preview = preview_fn(&entity, &members);
    let table = table_fn(&entity, &members);
    let child = child_impl(ty, &entity, &members);
    let rows = crate::rows::expand(ty, &members);
    Ok(quote! {
        const _: () = {
            #rows

            impl ::nomnom_runtime::model::Entity for #ty {
                type Rows = Rows;
                #table
                #read
                #key_id
                #version
                #finish
                #preview
            }

            #child
        };
    })
}

/// `fn table()`: the descriptor the worker's statements are built from.
fn table_fn(entity: &EntityAttrs, members: &[Member<'_>]) -> TokenStream {
    let name = &entity.table;
    let mut columns = Vec::new();
    let mut has_children = false;
    for m in members {
        match &m.shape {
            Shape::Column { .. } if !m.attrs.stored => {}
            Shape::Column { kind, .. } => {
                let column = &m.attrs.name;
                let kind = kind.column_kind();
                columns.push(
                    quote!(::nomnom_runtime::db::table::Column { name: #column, kind: #kind }),
                );
            }
            Shape::Children { .. } => has_children = true,
        }
    }
    let key: Vec<String> = entity
        .key
        .iter()
        .map(|k| {
            members
                .iter()
                .find(|m| m.ident == k)
                .map_or_else(|| k.unraw().to_string(), |m| m.attrs.name.clone())
        })
        .collect();
    let has_parent = entity.parent.is_some();
    let version = match entity
        .version
        .as_ref()
        .and_then(|v| members.iter().find(|m| m.ident == v))
    {
        Some(m) => {
            let column = &m.attrs.name;
            quote!(::std::option::Option::Some(#column))
        }
        None => quote!(::std::option::Option::None),
    };
    quote! {
        fn table() -> &'static ::nomnom_runtime::db::table::Table {
            static TABLE: ::nomnom_runtime::db::table::Table = ::nomnom_runtime::db::table::Table::new(
                #name,
                &[#(#columns),*],
                &[#(#key),*],
                #version,
                #has_parent,
                #has_children,
            );
            &TABLE
        }
    }
}

fn read_fn(entity: &EntityAttrs, members: &[Member<'_>]) -> syn::Result<TokenStream> {
    let mut reads = Vec::new();
    let mut inits = Vec::new();
    for m in members {
        let ident = m.ident;
        let local = m.local();
        inits.push(quote!(#ident: #local?));
        reads.push(read_member(m)?);
    }
    // The root finishes the whole tree once every record of it was read.
    let finish = entity.parent.is_none().then(|| {
        quote! {
            let __read = __errors.len();
            ::nomnom_runtime::model::Entity::finish(
                &mut record,
                &::nomnom_runtime::model::RecordAt::body(__path),
                __errors,
            );
            if __errors.len() > __read {
                return ::std::option::Option::None;
            }
        }
    });
    Ok(quote! {
        fn read(
            __object: &::nomnom_runtime::json::Object<'_>,
            __path: &str,
            __errors: &mut ::std::vec::Vec<::nomnom_runtime::model::FieldError>,
        ) -> ::std::option::Option<Self> {
            let _ = (&__object, &__path, &__errors);
            #(#reads)*
            #[allow(unused_mut)]
            let mut record = Self { #(#inits),* };
            #finish
            ::std::option::Option::Some(record)
        }
    })
}

/// `let __v_x = …;` for one field.
fn read_member(m: &Member<'_>) -> syn::Result<TokenStream> {
    let local = m.local();
    let field = quote!(::nomnom_runtime::json::field);
    let (slot, rel) = match &m.attrs.source {
        Source::Hl7(_) => {
            return Err(syn::Error::new(
                m.ident.span(),
                "`hl7` reads a field of an entity marked `#[entity(hl7)]` or `#[entity(segment = \"...\")]`",
            ))
        }
        Source::Parent(_) | Source::Computed => {
            // Filled by `finish` once the whole record is read.
            return Ok(
                quote!(let #local = ::std::option::Option::Some(::std::default::Default::default());),
            );
        }
        Source::Key(key) => (
            match &m.attrs.renamed_from {
                Some(old) => quote!(__object.get(#key).or_else(|| __object.get(#old))),
                None => quote!(__object.get(#key)),
            },
            key.replace('~', "~0").replace('/', "~1"),
        ),
        Source::Pointer(tokens, text) => (
            quote!(__object.pointer(&[#(#tokens),*])),
            text.trim_start_matches('/').to_string(),
        ),
    };
    let loc = quote!(&#field::Loc::new(__path, #rel));
    match &m.shape {
        Shape::Children { child } => {
            let nullable = m.attrs.nullable;
            Ok(quote! {
                let #local = #field::list(
                    #slot, #loc, #nullable, __errors,
                    <#child as ::nomnom_runtime::model::Entity>::read,
                );
            })
        }
        Shape::Column { kind, nullable } => {
            let (default_item, slot) = default_slot(m, slot)?;
            let (check_items, reader) = reader(m, *kind)?;
            let how = if *nullable {
                quote!(nullable)
            } else {
                quote!(required)
            };
            Ok(quote! {
                let #local = {
                    #default_item
                    #check_items
                    #field::#how(#slot, #loc, __errors, #reader)
                };
            })
        }
    }
}

/// The slot with the field's default when the value is absent, and the item it needs.
fn default_slot(m: &Member<'_>, slot: TokenStream) -> syn::Result<(TokenStream, TokenStream)> {
    let value = quote!(::nomnom_runtime::json::Value);
    let cow = quote!(::std::borrow::Cow::Borrowed);
    let constant = match (&m.attrs.default, &m.attrs.default_json) {
        (None, None) => return Ok((quote!(), slot)),
        (Some(_), Some(_)) => {
            return Err(syn::Error::new(
                m.ident.span(),
                "`default` and `default_json` exclude each other",
            ))
        }
        (None, Some(text)) => {
            let item = quote! {
                // The text is nomnom's own serialisation of the model's default: valid JSON.
                static DEFAULT: ::std::sync::LazyLock<#value<'static>> = ::std::sync::LazyLock::new(|| {
                    ::nomnom_runtime::json::parse(#text.as_bytes()).unwrap_or(#value::Null)
                });
            };
            return Ok((
                item,
                quote!(#slot.or(::std::option::Option::Some(&*DEFAULT))),
            ));
        }
        (Some(Literal::Null), None) => quote!(#value::Null),
        (Some(Literal::Bool(b)), None) => quote!(#value::Bool(#b)),
        (Some(Literal::Number(text)), None) => quote!(#value::Number(#cow(#text))),
        (Some(Literal::Str(s)), None) => quote!(#value::String(#cow(#s))),
    };
    Ok((
        quote!(const DEFAULT: #value<'static> = #constant;),
        quote!(#slot.or(::std::option::Option::Some(&DEFAULT))),
    ))
}

/// The converter for a column: the runtime's reader, then the field's checks.
fn reader(m: &Member<'_>, kind: Kind) -> syn::Result<(TokenStream, TokenStream)> {
    let field = quote!(::nomnom_runtime::json::field);
    let base = Ident::new(kind.reader(), Span::call_site());
    let (items, checks) = checks(m, kind)?;
    if checks.is_empty() {
        return Ok((items, quote!(#field::#base)));
    }
    Ok((
        items,
        quote! {
            |value: &::nomnom_runtime::json::Value<'_>,
             loc: &#field::Loc<'_>,
             errors: &mut ::std::vec::Vec<::nomnom_runtime::model::FieldError>| {
                let value = #field::#base(value, loc, errors)?;
                let ok = #(#checks)&*;
                ok.then_some(value)
            }
        },
    ))
}

/// The field's constraint checks on its converted `value` (each a `bool` expression using
/// `value`, `loc` and `errors`), with the items they need.
pub(crate) fn checks(m: &Member<'_>, kind: Kind) -> syn::Result<(TokenStream, Vec<TokenStream>)> {
    let field = quote!(::nomnom_runtime::json::field);
    let span = m.ident.span();
    let mut items = Vec::new();
    let mut checks = Vec::new();
    if let Some(n) = m.attrs.max_length {
        if kind != Kind::Text {
            return Err(syn::Error::new(span, "`max_length` needs a String field"));
        }
        checks.push(quote!(#field::max_length(&value, #n, loc, errors)));
    }
    if let Some(pattern) = &m.attrs.pattern {
        if kind != Kind::Text {
            return Err(syn::Error::new(span, "`pattern` needs a String field"));
        }
        let anchored = format!("^(?:{pattern})$");
        items.push(quote! {
            static PATTERN: ::std::sync::LazyLock<::nomnom_runtime::export::regex::Regex> =
                ::std::sync::LazyLock::new(|| {
                    ::nomnom_runtime::export::regex::Regex::new(#anchored)
                        .expect("the pattern was compiled by nomnom when generating")
                });
        });
        checks.push(quote!(#field::pattern(&value, &PATTERN, #pattern, loc, errors)));
    }
    for (bound, check) in [(&m.attrs.min, "min"), (&m.attrs.max, "max")] {
        let Some(bound) = bound else { continue };
        let Literal::Number(text) = bound else {
            return Err(syn::Error::new(span, format!("`{check}` must be a number")));
        };
        let value = kind.number(text, span)?;
        let check = Ident::new(check, Span::call_site());
        checks.push(quote!(#field::#check(&value, &#value, loc, errors)));
    }
    if let Some(values) = &m.attrs.one_of {
        checks.push(kind.one_of(values, span)?);
    }
    Ok((quote!(#(#items)*), checks))
}

fn key_id_fn(entity: &EntityAttrs, members: &[Member<'_>]) -> syn::Result<TokenStream> {
    if entity.key.is_empty() {
        return Ok(quote! {
            fn key_id(&self) -> ::std::option::Option<::nomnom_runtime::export::uuid::Uuid> {
                ::std::option::Option::None
            }
        });
    }
    let table = &entity.table;
    let mut parts = Vec::new();
    for k in &entity.key {
        let m = members.iter().find(|m| m.ident == k).ok_or_else(|| {
            syn::Error::new(k.span(), "the key names a field that does not exist")
        })?;
        parts.push(match m.shape {
            Shape::Column {
                kind: Kind::Decimal,
                nullable: false,
            } => quote!(&self.#k.normalize()),
            Shape::Column {
                nullable: false, ..
            } => quote!(&self.#k),
            _ => {
                return Err(syn::Error::new(
                    k.span(),
                    "a key field is a column that is not an Option",
                ))
            }
        });
    }
    Ok(quote! {
        fn key_id(&self) -> ::std::option::Option<::nomnom_runtime::export::uuid::Uuid> {
            ::std::option::Option::Some(::nomnom_runtime::db::row_ids::key_id(#table, &[#(#parts),*]))
        }
    })
}

/// `fn version()`: the value of the version field, which must be a required integer,
/// decimal, date or timestamp column of a keyed entity.
fn version_fn(entity: &EntityAttrs, members: &[Member<'_>]) -> syn::Result<TokenStream> {
    let Some(field) = &entity.version else {
        return Ok(quote! {
            fn version(&self) -> ::std::option::Option<::nomnom_runtime::db::version::FieldVersion> {
                ::std::option::Option::None
            }
        });
    };
    if entity.key.is_empty() {
        return Err(syn::Error::new(
            field.span(),
            "`version` needs a key: rows without one are tied to their message",
        ));
    }
    let m = members.iter().find(|m| m.ident == field).ok_or_else(|| {
        syn::Error::new(field.span(), "`version` names a field that does not exist")
    })?;
    match m.shape {
        Shape::Column {
            kind: Kind::Integer | Kind::Decimal | Kind::Date | Kind::Timestamp,
            nullable: false,
        } => {}
        _ => {
            return Err(syn::Error::new(
                field.span(),
                "`version` names a required integer, decimal, date or timestamp field",
            ))
        }
    }
    Ok(quote! {
        fn version(&self) -> ::std::option::Option<::nomnom_runtime::db::version::FieldVersion> {
            ::std::option::Option::Some(::nomnom_runtime::db::version::FieldVersion::from(self.#field))
        }
    })
}

/// `finish`: the computed fields in their order, each checked like a field read from the
/// message; then every child takes this record's values and is finished in turn.
fn finish_fn(entity: &EntityAttrs, members: &[Member<'_>]) -> syn::Result<TokenStream> {
    for m in members {
        if matches!(m.attrs.source, Source::Computed) && !entity.compute.contains(m.ident) {
            return Err(syn::Error::new(
                m.ident.span(),
                "a computed field is listed in the entity's `compute(...)`",
            ));
        }
    }
    let mut steps = Vec::new();
    for ident in &entity.compute {
        let m = members
            .iter()
            .find(|m| m.ident == ident && matches!(m.attrs.source, Source::Computed))
            .ok_or_else(|| {
                syn::Error::new(
                    ident.span(),
                    "`compute(...)` names a `#[field(computed)]` field",
                )
            })?;
        let Shape::Column { kind, nullable } = m.shape else {
            return Err(syn::Error::new(ident.span(), "a list cannot be computed"));
        };
        let method = format_ident!("compute_{}", ident.unraw());
        let rel = m.attrs.name.replace('~', "~0").replace('/', "~1");
        let (items, checks) = checks(m, kind)?;
        let check = if checks.is_empty() {
            quote!(::nomnom_runtime::model::computed::unchecked)
        } else {
            quote! {
                |value, loc: &::nomnom_runtime::json::field::Loc<'_>,
                 errors: &mut ::std::vec::Vec<::nomnom_runtime::model::FieldError>| {
                    let ok = #(#checks)&*;
                    ok.then_some(value)
                }
            }
        };
        let how = if nullable {
            quote!(nullable)
        } else {
            quote!(required)
        };
        steps.push(quote! {
            {
                #items
                let computed = Self::#method(self);
                if let ::std::option::Option::Some(value) =
                    ::nomnom_runtime::model::computed::#how(at, #rel, computed, errors, #check)
                {
                    self.#ident = value;
                }
            }
        });
    }
    let lists: Vec<TokenStream> = members
        .iter()
        .filter_map(|m| match &m.shape {
            Shape::Children { child } => Some((m, *child)),
            Shape::Column { .. } => None,
        })
        .map(|(m, child): (&Member<'_>, &Type)| {
            let ident = m.ident;
            let rel = match &m.attrs.source {
                Source::Pointer(_, text) => text.trim_start_matches('/').to_string(),
                Source::Key(key) => key.replace('~', "~0").replace('/', "~1"),
                Source::Parent(_) | Source::Computed | Source::Hl7(_) => m.attrs.name.clone(),
            };
            quote! {
                let mut items = ::std::mem::take(&mut self.#ident);
                for (i, item) in items.iter_mut().enumerate() {
                    <#child as ::nomnom_runtime::model::Child<Self>>::inherit(item, self);
                    ::nomnom_runtime::model::Entity::finish(item, &at.item(#rel, i), errors);
                }
                self.#ident = items;
            }
        })
        .collect();
    let (at, errors) = if steps.is_empty() && lists.is_empty() {
        (quote!(_at), quote!(_errors))
    } else {
        (quote!(at), quote!(errors))
    };
    Ok(quote! {
        fn finish(
            &mut self,
            #at: &::nomnom_runtime::model::RecordAt<'_>,
            #errors: &mut ::std::vec::Vec<::nomnom_runtime::model::FieldError>,
        ) {
            #(#steps)*
            #(#lists)*
        }
    })
}

/// `preview`: the record's row of stored columns, then its children's.
fn preview_fn(entity: &EntityAttrs, members: &[Member<'_>]) -> TokenStream {
    let table = &entity.table;
    let mut columns = Vec::new();
    let mut lists = Vec::new();
    for m in members {
        let ident = m.ident;
        match &m.shape {
            Shape::Column { .. } if !m.attrs.stored => {}
            Shape::Column { .. } => {
                let name = &m.attrs.name;
                columns.push(quote! {
                    row.insert(
                        ::std::string::String::from(#name),
                        ::nomnom_runtime::preview::PreviewValue::preview(&self.#ident),
                    );
                });
            }
            Shape::Children { .. } => lists.push(quote! {
                for item in &self.#ident {
                    ::nomnom_runtime::model::Entity::preview(item, tables);
                }
            }),
        }
    }
    quote! {
        fn preview(&self, tables: &mut ::nomnom_runtime::preview::Tables) {
            let mut row = ::nomnom_runtime::preview::Row::new();
            #(#columns)*
            tables.push(#table, row);
            #(#lists)*
        }
    }
}

/// `impl Child<Parent>` for an entity contained in another.
fn child_impl(ty: &Ident, entity: &EntityAttrs, members: &[Member<'_>]) -> TokenStream {
    let Some(parent) = &entity.parent else {
        return quote!();
    };
    let copies: Vec<TokenStream> = members
        .iter()
        .filter_map(|m| match (&m.attrs.source, &m.shape) {
            (Source::Parent(from), Shape::Column { kind, .. }) => {
                let ident = m.ident;
                Some(if kind.is_owned() {
                    quote!(self.#ident = ::std::clone::Clone::clone(&parent.#from);)
                } else {
                    quote!(self.#ident = parent.#from;)
                })
            }
            _ => None,
        })
        .collect();
    let parent_name = if copies.is_empty() {
        quote!(_parent)
    } else {
        quote!(parent)
    };
    quote! {
        impl ::nomnom_runtime::model::Child<#parent> for #ty {
            fn inherit(&mut self, #parent_name: &#parent) {
                #(#copies)*
            }
        }
    }
}
