//! The generated Rust: `src/lib.rs`, `src/entities.rs` (a struct per entity, its table, key
//! and field rules stated as `#[derive(Entity)]` attributes), `src/model.rs` (the enum of
//! root records with `#[derive(Model)]`) and the two binaries. The behaviour (reading JSON,
//! checking constraints, columnar rows, SQL) is the runtime's and its derive's. Built with
//! `quote!`, checked by `syn`, printed by `prettyplease`.

mod computed;
mod entities;
mod expr;
mod idents;
mod model;
mod scope;
mod transforms;

use nomnom_spec::model::Project;
use proc_macro2::TokenStream;
use quote::quote;

use crate::cargo;
use crate::emit::rust_file;
use crate::error::GenerateError;
use crate::tree::FileTree;
use idents::{ident_plain, model_type};

/// Adds every Rust file.
pub fn files(
    project: &Project,
    migrations: &[String],
    database: crate::database::Database,
    tree: &mut FileTree,
) -> Result<(), GenerateError> {
    tree.insert("src/lib.rs", rust_file(lib(project))?);
    tree.insert("src/entities.rs", rust_file(entities::file(project)?)?);
    tree.insert(
        "src/model.rs",
        rust_file(model::file(project, migrations, database))?,
    );
    if computed::any(project) {
        tree.insert("src/computed.rs", rust_file(computed::file(project)?)?);
    }
    if !project.transforms.is_empty() {
        tree.insert(
            "src/transforms.rs",
            transforms::file(project, nomnom_spec::MODEL_FILE)?,
        );
    }
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
    let doc = format!(
        " The rows each message becomes, without NATS or PostgreSQL: \
         `cargo run --example preview -- <RootEntity> <message.json> ...` prints one JSON line \
         per file, its rows table by table or why the `{}` API would refuse it.",
        project.name
    );
    let tokens = quote! {
        #![doc = #doc]
        fn main() -> ::std::process::ExitCode {
            ::nomnom_runtime::preview::run::<#lib::#model>()
        }
    };
    tree.insert("examples/preview.rs", rust_file(tokens)?);
    Ok(())
}

fn lib(project: &Project) -> TokenStream {
    let doc = format!(
        " The `{}` ingestion service: the model's entities and root records, stated as Rust \
         types; `nomnom-runtime` reads, checks and stores them.",
        project.name
    );
    let model = model_type(project);
    let computed = computed::any(project).then(|| {
        quote!(
            mod computed;
        )
    });
    let transforms = (!project.transforms.is_empty()).then(|| {
        quote!(
            pub mod transforms;
        )
    });
    quote! {
        #![doc = #doc]
        #computed
        pub mod entities;
        pub mod model;
        #transforms
        pub use model::{#model, Record};
    }
}
