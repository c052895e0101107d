//! `src/model.rs`: the model type, and the enum of root records whose `#[derive(Model)]`
//! implements `nomnom_runtime::model::Model` for it (project, root entities, migrations).

use crate::database::Database;
use nomnom_spec::model::Project;
use proc_macro2::TokenStream;
use quote::quote;

use super::idents::{model_type, type_ident};
use super::scope::Scope;

/// The file; `migrations` are the migration files' names (`0001_initial.sql`), in order.
pub fn file(project: &Project, migrations: &[String], database: Database) -> TokenStream {
    let scope = Scope::new(project);
    let derive = scope.name("", "Model");
    let model = model_type(project);
    let name = &project.name;
    // PostgreSQL, the default, is not named: its projects read as before.
    let database = database.is_mysql().then(|| {
        let d = database.name();
        quote!(database = #d,)
    });
    let variants: Vec<TokenStream> = project
        .roots()
        .map(|e| {
            let t = type_ident(&e.name);
            let doc = format!(" A `{}` message.", e.name);
            let rename = (t != e.name.as_str()).then(|| {
                let n = &e.name;
                quote!(#[model(name = #n)])
            });
            // Messages queued under the root's old name are still read.
            let old = e
                .renamed_from
                .as_ref()
                .map(|old| quote!(#[model(renamed_from = #old)]));
            quote!(#[doc = #doc] #rename #old #t(entities::#t),)
        })
        .collect();
    let uses = scope.uses();
    let doc = format!(" The `{name}` model: its root records, wired to the runtime.");
    let model_doc = format!(
        " The `{name}` model: validation and persistence of its messages (implemented by \
         `#[derive(Model)]` on [`Record`])."
    );
    quote! {
        #![doc = #doc]
        #uses
        use crate::entities;

        #[doc = #model_doc]
        #[derive(Debug, Clone, Copy, Default)]
        pub struct #model;

        /// A validated message of one of the root entities, with all its children.
        #[derive(Debug, Clone, PartialEq, #derive)]
        #[model(project = #name, model_type = #model, #database migrations(#(#migrations),*))]
        pub enum Record {
            #(#variants)*
        }
    }
}
