//! `src/computed.rs`: for each computed field a method `compute_<field>` of its entity, the
//! field's expression written in Rust. `#[derive(Entity)]` calls them in the order the entity's
//! `compute(...)` lists, and checks each value like a field read from the message.

use std::collections::BTreeSet;

use nomnom_spec::expr::Coercion;
use nomnom_spec::model::{Entity, Field, FieldSource, Project, ScalarType};
use nomnom_spec::names;
use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote};

use super::expr::{coerce, Writer};
use super::idents::{ident_plain, inconsistent, type_ident};
use crate::error::GenerateError;
use crate::types::{self, RustType};

/// `true` when some field of the model is computed.
pub fn any(project: &Project) -> bool {
    project
        .entities
        .iter()
        .any(|e| !e.computed_in_order().is_empty())
}

/// The file (only written when the model computes something).
pub fn file(project: &Project) -> Result<TokenStream, GenerateError> {
    let writer = Writer {
        transforms: &project.transforms,
    };
    let mut impls = Vec::new();
    for entity in &project.entities {
        let computed = entity.computed_in_order();
        if computed.is_empty() {
            continue;
        }
        let ty = type_ident(&entity.name);
        let methods = computed
            .iter()
            .map(|f| method(&writer, entity, f))
            .collect::<Result<Vec<_>, _>>()?;
        impls.push(quote! {
            impl entities::#ty {
                #(#methods)*
            }
        });
    }
    let body = quote!(#(#impls)*);
    let uses = uses(&body);
    let doc = format!(
        " The computed fields of the `{}` model: a method per field, computing its value from \
         the record's other fields with the expression of the model, written in Rust \
         (`nomnom_runtime::compute` has the functions). `#[derive(Entity)]` calls them once the \
         record is read, each after the fields it reads, and checks the value like any other.",
        project.name
    );
    Ok(quote! {
        #![doc = #doc]
        #uses
        #body
    })
}

fn method(
    writer: &Writer<'_>,
    entity: &Entity,
    field: &Field,
) -> Result<TokenStream, GenerateError> {
    let FieldSource::Compute(source) = &field.source else {
        return Err(inconsistent(format!(
            "{}.{} is not computed",
            entity.name, field.name
        )));
    };
    let nomnom_spec::model::FieldType::Scalar(ty) = field.ty else {
        return Err(inconsistent(format!(
            "{}.{} is a list",
            entity.name, field.name
        )));
    };
    let rust = names::rust_field(&field.name);
    let name = format_ident!("compute_{}", rust.trim_start_matches("r#"));
    let typed = &source.computed.typed;
    let coercion = source.computed.coercion;
    let value = match writer.owned_text(typed)? {
        Some(owned) if ty == ScalarType::String && typed.ty.ty == ScalarType::String => owned,
        _ if ty == ScalarType::String => {
            let value = coerce(writer.node(typed)?, coercion);
            quote!(#value.map(Cow::into_owned))
        }
        _ => coerce(writer.node(typed)?, coercion),
    };
    let base = match types::rust_type(ty) {
        RustType::Prelude(n) | RustType::Runtime(n) => {
            let n = ident_plain(n);
            quote!(#n)
        }
        RustType::Timestamp => quote!(DateTime<Utc>),
    };
    let body = match writer.as_result(typed)? {
        Some(result) if coercion == Coercion::None => result,
        _ => quote!(Ok(#value)),
    };
    let doc = format!(" `{}: {}`", field.name, source.text);
    Ok(quote! {
        #[doc = #doc]
        pub(crate) fn #name(&self) -> Result<Option<#base>, ComputeError> {
            #body
        }
    })
}

/// The `use` items for the names `body` uses.
fn uses(body: &TokenStream) -> TokenStream {
    let mut idents = BTreeSet::new();
    collect_idents(body.clone(), &mut idents);
    let has = |name: &str| idents.contains(name);
    let mut out = vec![quote!(
        use crate::entities;
    )];
    if has("Cow") {
        out.push(quote!(
            use std::borrow::Cow;
        ));
    }
    if has("LazyLock") {
        out.push(quote!(
            use std::sync::LazyLock;
        ));
    }
    out.push(quote!(
        use nomnom_runtime::compute::{self, ComputeError};
    ));
    if has("Regex") {
        out.push(quote!(
            use nomnom_runtime::export::regex::Regex;
        ));
    }
    let runtime_types: Vec<_> = ["DateTime", "Decimal", "Json", "NaiveDate", "Utc", "Uuid"]
        .into_iter()
        .filter(|n| has(n))
        .map(ident_plain)
        .collect();
    if !runtime_types.is_empty() {
        out.push(quote!(use nomnom_runtime::types::{#(#runtime_types),*};));
    }
    if has("transforms") {
        out.push(quote!(
            use crate::transforms;
        ));
    }
    quote!(#(#out)*)
}

fn collect_idents(tokens: TokenStream, out: &mut BTreeSet<String>) {
    for t in tokens {
        match t {
            TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            TokenTree::Group(g) => collect_idents(g.stream(), out),
            _ => {}
        }
    }
}
