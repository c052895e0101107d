//! `src/model.rs`: the `Model` implementation tying validation, batches, migrations and the
//! OpenAPI document together, and the `Record` enum of root entities.

use nomnom_spec::model::Project;
use proc_macro2::TokenStream;
use quote::quote;

use super::{model_type, type_ident};

/// The file.
pub fn file(project: &Project) -> TokenStream {
    let model = model_type(project);
    let name = &project.name;
    let roots: Vec<_> = project.roots().collect();
    let root_names: Vec<&str> = roots.iter().map(|e| e.name.as_str()).collect();
    let variants: Vec<TokenStream> = roots
        .iter()
        .map(|e| {
            let t = type_ident(&e.name);
            let doc = format!(" A `{}` message.", e.name);
            quote!(#[doc = #doc] #t(entities::#t),)
        })
        .collect();
    let validations: Vec<TokenStream> = roots
        .iter()
        .map(|e| {
            let t = type_ident(&e.name);
            let n = &e.name;
            quote! {
                #n => field::read_root(body, |json_object, field_errors| {
                    entities::#t::read(json_object, "", field_errors)
                })
                .map(Record::#t),
            }
        })
        .collect();
    let adds: Vec<TokenStream> = roots
        .iter()
        .map(|e| {
            let t = type_ident(&e.name);
            let add = super::batch::push_fn(e);
            quote!(Record::#t(record) => batch.#add(message_id, record),)
        })
        .collect();
    let doc = format!(" The `{name}` model, wired to the runtime.");
    let model_doc = format!(" The `{name}` model: validation and persistence of its messages.");
    quote! {
        #![doc = #doc]
        use ::nomnom_runtime::export::uuid::Uuid;
        use ::nomnom_runtime::json::field;
        use ::nomnom_runtime::model::{Migration, Model, Rejection};
        use crate::batch::Batch;
        use crate::entities;

        #[doc = #model_doc]
        #[derive(Debug, Clone, Copy, Default)]
        pub struct #model;

        /// A validated message of one of the root entities, with all its children.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Record {
            #(#variants)*
        }

        impl Model for #model {
            const PROJECT: &'static str = #name;
            const ROOT_ENTITIES: &'static [&'static str] = &[#(#root_names),*];
            const OPENAPI_JSON: &'static str = include_str!("../openapi.json");
            const MIGRATIONS: &'static [Migration] = &[Migration {
                version: 1,
                name: "initial",
                sql: include_str!("../migrations/0001_initial.sql"),
            }];

            type Record = Record;
            type Batch = Batch;

            fn validate(entity: &str, body: &[u8]) -> Result<Record, Rejection> {
                match entity {
                    #(#validations)*
                    _ => Err(Rejection::UnknownEntity),
                }
            }

            fn add_to_batch(batch: &mut Batch, message_id: Uuid, record: &Record) {
                match record {
                    #(#adds)*
                }
            }
        }
    }
}
