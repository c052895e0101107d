//! `#[entity(hl7)]` and `#[entity(segment = "OBR")]`: entities read from HL7 v2 messages.
//! `Entity::read_hl7` reads each `#[field(hl7 = "PID-3.1")]` at its path (in the record's own
//! segment row for a path of that segment), converts and checks it like a JSON value, reads
//! each `#[field(children, hl7 = "OBR")]` list from its segment group, and finishes a root as
//! `read` does; `read` refuses JSON.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::Ident;

use crate::attrs::{EntityAttrs, Literal, Source};
use crate::entity::{checks, Member};
use crate::kind::Shape;

/// `const HL7`, `read_hl7` and the refusing `read`.
pub fn read_fns(entity: &EntityAttrs, members: &[Member<'_>]) -> syn::Result<TokenStream> {
    let mut reads = Vec::new();
    let mut inits = Vec::new();
    for m in members {
        let ident = m.ident;
        let local = format_ident!("__v_{}", ident.unraw());
        inits.push(quote!(#ident: #local?));
        reads.push(read_member(m, &local)?);
    }
    let finish = entity.parent.is_none().then(|| {
        quote! {
            let __read = __errors.len();
            ::nomnom_runtime::model::Entity::finish(
                &mut record,
                &::nomnom_runtime::model::RecordAt::body(""),
                __errors,
            );
            if __errors.len() > __read {
                return ::std::option::Option::None;
            }
        }
    });
    Ok(quote! {
        const HL7: bool = true;

        fn read(
            _object: &::nomnom_runtime::json::Object<'_>,
            path: &str,
            errors: &mut ::std::vec::Vec<::nomnom_runtime::model::FieldError>,
        ) -> ::std::option::Option<Self> {
            errors.push(::nomnom_runtime::model::FieldError {
                path: path.to_string(),
                rule: "format",
                message: "this entity is read from HL7 v2 messages, not JSON".to_string(),
            });
            ::std::option::Option::None
        }

        fn read_hl7(
            __message: &::nomnom_runtime::hl7::Message<'_>,
            __row: ::std::option::Option<&::nomnom_runtime::hl7::Segment<'_>>,
            __errors: &mut ::std::vec::Vec<::nomnom_runtime::model::FieldError>,
        ) -> ::std::option::Option<Self> {
            let _ = (&__message, &__row, &__errors);
            #(#reads)*
            #[allow(unused_mut)]
            let mut record = Self { #(#inits),* };
            #finish
            ::std::option::Option::Some(record)
        }
    })
}

/// `let __v_x = …;` for one field of an HL7 entity.
fn read_member(m: &Member<'_>, local: &Ident) -> syn::Result<TokenStream> {
    let hl7 = quote!(::nomnom_runtime::hl7);
    let path = match (&m.attrs.source, &m.shape) {
        (Source::Parent(_) | Source::Computed, _) => {
            // Filled by `finish` once the whole record is read.
            return Ok(
                quote!(let #local = ::std::option::Option::Some(::std::default::Default::default());),
            );
        }
        (Source::Hl7(segment), Shape::Children { child }) => {
            let ends = &m.attrs.group_ends;
            return Ok(quote! {
                let #local = #hl7::field::list(
                    __message, __row, #segment, &[#(#ends),*], __errors,
                    |segment, errors| {
                        <#child as ::nomnom_runtime::model::Entity>::read_hl7(
                            __message, ::std::option::Option::Some(segment), errors,
                        )
                    },
                );
            });
        }
        (Source::Hl7(path), Shape::Column { .. }) => path.clone(),
        _ => {
            return Err(syn::Error::new(
                m.ident.span(),
                "a field of an HL7 entity reads `hl7 = \"...\"`, `from_parent` or is `computed`",
            ))
        }
    };
    let Shape::Column { kind, nullable } = m.shape else {
        return Err(syn::Error::new(
            m.ident.span(),
            "an HL7 path reads a column",
        ));
    };
    let default = match &m.attrs.default {
        None | Some(Literal::Null) => quote!(),
        Some(Literal::Str(s)) => quote!(let value = #hl7::field::or_default(value, #s);),
        Some(Literal::Number(n)) => quote!(let value = #hl7::field::or_default(value, #n);),
        Some(Literal::Bool(b)) => {
            let text = if *b { "Y" } else { "N" };
            quote!(let value = #hl7::field::or_default(value, #text);)
        }
    };
    let base = Ident::new(kind.reader(), Span::call_site());
    if base == "json" {
        return Err(syn::Error::new(
            m.ident.span(),
            "a json field does not read HL7",
        ));
    }
    let (items, checks) = checks(m, kind)?;
    let reader = if checks.is_empty() {
        quote!(#hl7::field::#base)
    } else {
        quote! {
            |text: &str,
             loc: &::nomnom_runtime::json::field::Loc<'_>,
             errors: &mut ::std::vec::Vec<::nomnom_runtime::model::FieldError>| {
                let value = #hl7::field::#base(text, loc, errors)?;
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
    Ok(quote! {
        let #local = {
            static PATH: ::std::sync::LazyLock<#hl7::Path> = ::std::sync::LazyLock::new(|| {
                #hl7::Path::parse(#path).expect("the path was checked by nomnom check")
            });
            #items
            let value = __message.get_in(__row, &PATH);
            #default
            #hl7::field::#how(value, &::nomnom_runtime::json::field::Loc::hl7(#path), __errors, #reader)
        };
    })
}
