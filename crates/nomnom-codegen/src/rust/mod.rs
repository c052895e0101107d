//! The generated Rust: `src/lib.rs`, `src/entities.rs` (types and validation),
//! `src/batch.rs` (columnar rows and set-based SQL), `src/model.rs` (the `Model` impl) and
//! the two binaries. Built with `quote!`, checked by `syn`, printed by `prettyplease`.

pub(crate) mod batch;
mod entities;
mod model;

use nomnom_spec::model::{Entity, Field, FieldSource, FieldType, Project};
use nomnom_spec::names;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::emit::rust_file;
use crate::{cargo, types, FileTree, GenerateError};

/// Adds every Rust file.
pub fn files(project: &Project, tree: &mut FileTree) -> Result<(), GenerateError> {
    tree.insert("src/lib.rs", rust_file(lib(project))?);
    tree.insert("src/entities.rs", rust_file(entities::file(project)?)?);
    tree.insert("src/batch.rs", rust_file(batch::file(project)?)?);
    tree.insert("src/model.rs", rust_file(model::file(project))?);
    let model = model_type(project);
    let lib = ident_plain(&cargo::lib_name(project));
    for (bin, module, what) in [
        ("ingestion-api", "api", "The HTTP ingestion API"),
        ("worker", "worker", "The worker"),
    ] {
        let module = ident_plain(module);
        let doc = format!(
            " {what} of the `{}` ingestion service (all behaviour lives in `nomnom-runtime`).",
            project.name
        );
        let tokens = quote! {
            #![doc = #doc]
            fn main() -> ::std::process::ExitCode {
                ::nomnom_runtime::#module::run::<#lib::#model>()
            }
        };
        tree.insert(format!("src/bin/{bin}.rs"), rust_file(tokens)?);
    }
    Ok(())
}

fn lib(project: &Project) -> TokenStream {
    let doc = format!(
        " The `{}` ingestion service: entity types, validation, row batches and SQL generated from `nomnom.yaml`.",
        project.name
    );
    let model = model_type(project);
    quote! {
        #![doc = #doc]
        pub mod batch;
        pub mod entities;
        pub mod model;
        pub use model::{#model, Record};
    }
}

/// The type implementing `nomnom_runtime::model::Model` (`TpchModel`).
pub fn model_type(project: &Project) -> Ident {
    ident_plain(&format!("{}Model", names::rust_type(&project.name)))
}

/// An identifier that is known not to be a keyword.
pub fn ident_plain(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

/// A Rust identifier from `names::rust_field` (raw when it is a keyword).
pub fn field_ident(name: &str) -> Ident {
    let s = names::rust_field(name);
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(&s, Span::call_site()),
    }
}

/// The struct of an entity.
pub fn type_ident(entity: &str) -> Ident {
    ident_plain(&names::rust_type(entity))
}

/// The full Rust type of a field in its struct: `Option<T>` when nullable, `Vec<Child>` for
/// lists, and the parent field's type for `from: parent.x`.
pub fn field_type(
    project: &Project,
    entity: &Entity,
    field: &Field,
) -> Result<TokenStream, GenerateError> {
    if let FieldSource::Parent(src) = &field.source {
        let (parent, pfield) = parent_field(project, entity, src)?;
        return field_type(project, parent, pfield);
    }
    Ok(match &field.ty {
        FieldType::List(child) => {
            let child = type_ident(child);
            quote!(Vec<#child>)
        }
        FieldType::Scalar(ty) => {
            let t = types::rust_type(*ty);
            if field.nullable {
                quote!(Option<#t>)
            } else {
                t
            }
        }
    })
}

/// The effective scalar type and nullability of a column (following `from: parent.x`).
pub fn column_kind<'a>(
    project: &'a Project,
    entity: &'a Entity,
    field: &'a Field,
) -> Result<(nomnom_spec::model::ScalarType, bool), GenerateError> {
    if let FieldSource::Parent(src) = &field.source {
        let (parent, pfield) = parent_field(project, entity, src)?;
        return column_kind(project, parent, pfield);
    }
    match field.ty {
        FieldType::Scalar(t) => Ok((t, field.nullable)),
        FieldType::List(_) => Err(GenerateError(format!(
            "{}.{} is a list, not a column",
            entity.name, field.name
        ))),
    }
}

/// The parent entity and its field `src`.
pub fn parent_field<'a>(
    project: &'a Project,
    entity: &Entity,
    src: &str,
) -> Result<(&'a Entity, &'a Field), GenerateError> {
    let parent = entity
        .parent
        .as_ref()
        .and_then(|p| project.entity(&p.entity))
        .ok_or_else(|| {
            GenerateError(format!(
                "{} has `from: parent.{src}` but no parent",
                entity.name
            ))
        })?;
    let field = parent
        .field(src)
        .ok_or_else(|| GenerateError(format!("{} has no field `{src}`", parent.name)))?;
    Ok((parent, field))
}

/// A `SCREAMING_SNAKE` constant name for something of `entity`.`field`. The parts are
/// joined by `__`, which snake_case names never contain, so two fields cannot share one.
pub fn const_ident(entity: &str, field: &str, what: &str) -> Ident {
    ident_plain(&format!(
        "{}__{}__{}",
        names::snake_case(entity).to_uppercase(),
        names::snake_case(field).to_uppercase(),
        what
    ))
}

/// Entities in containment order: each parent before its children (roots in file order,
/// then depth first in the order of their list fields).
pub fn topological(project: &Project) -> Vec<&Entity> {
    fn visit<'a>(project: &'a Project, e: &'a Entity, out: &mut Vec<&'a Entity>) {
        out.push(e);
        for child in project.children_of(e) {
            visit(project, child, out);
        }
    }
    let mut out = Vec::new();
    for root in project.roots() {
        visit(project, root, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_escape_keywords_and_avoid_collisions() {
        assert_eq!(field_ident("type").to_string(), "r#type");
        assert_eq!(field_ident("self").to_string(), "self_");
        assert_eq!(field_ident("userId").to_string(), "user_id");
        // `Page.view_url` and `PageView.url` must not share a constant.
        assert_ne!(
            const_ident("Page", "view_url", "PATTERN"),
            const_ident("PageView", "url", "PATTERN")
        );
        assert_eq!(
            const_ident("PageView", "url", "PATTERN").to_string(),
            "PAGE_VIEW__URL__PATTERN"
        );
        assert_eq!(
            entities::local_ident("json_object").to_string(),
            "field_json_object"
        );
        assert_eq!(
            entities::local_ident("parent_id").to_string(),
            "field_parent_id"
        );
        assert_eq!(entities::local_ident("order").to_string(), "order");
        assert_eq!(
            model_type(&Project {
                name: "web-analytics".into(),
                entities: vec![]
            })
            .to_string(),
            "WebAnalyticsModel"
        );
    }

    #[test]
    fn rust_files_are_pretty_printed_under_the_header() {
        let text = rust_file(quote! { pub fn f() -> u8 { 1 } }).unwrap_or_default();
        assert_eq!(
            text,
            "// generated by nomnom, do not edit\npub fn f() -> u8 {\n    1\n}\n"
        );
        assert!(
            rust_file(quote! { fn () }).is_err(),
            "invalid Rust is an error, not a file"
        );
    }
}
