//! `#[derive(Model)]` on the enum of root records: implements `Model` for the model type,
//! with a batch holding the rows of every root entity (and, nested, of all below them).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Type};

struct ModelAttrs {
    project: LitStr,
    model_type: Type,
    migrations: Vec<LitStr>,
    database: Option<LitStr>,
}

fn model_attrs(input: &DeriveInput) -> syn::Result<ModelAttrs> {
    let mut project = None;
    let mut model_type = None;
    let mut migrations = Vec::new();
    let mut database = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("model")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("project") {
                project = Some(meta.value()?.parse::<LitStr>()?);
            } else if meta.path.is_ident("model_type") {
                model_type = Some(meta.value()?.parse::<Type>()?);
            } else if meta.path.is_ident("database") {
                database = Some(meta.value()?.parse::<LitStr>()?);
            } else if meta.path.is_ident("migrations") {
                let content;
                syn::parenthesized!(content in meta.input);
                let files =
                    syn::punctuated::Punctuated::<LitStr, syn::Token![,]>::parse_terminated(
                        &content,
                    )?;
                migrations.extend(files);
            } else {
                return Err(
                    meta.error("expected `project`, `model_type`, `database` or `migrations`")
                );
            }
            Ok(())
        })?;
    }
    let missing = |what: &str| {
        syn::Error::new_spanned(
            &input.ident,
            format!("`#[model({what} = ...)]` is required"),
        )
    };
    Ok(ModelAttrs {
        project: project.ok_or_else(|| missing("project"))?,
        model_type: model_type.ok_or_else(|| missing("model_type"))?,
        migrations,
        database,
    })
}

/// `0001_initial.sql` → `Migration { version: 1, name: "initial", sql: include_str!(…) }`.
fn migration(file: &LitStr) -> syn::Result<TokenStream> {
    let text = file.value();
    let bad = || {
        syn::Error::new(
            file.span(),
            "a migration file is named `<version>_<name>.sql` (`0001_initial.sql`)",
        )
    };
    let stem = text.strip_suffix(".sql").ok_or_else(bad)?;
    let (version, name) = stem.split_once('_').ok_or_else(bad)?;
    let version: i64 = version.parse().map_err(|_| bad())?;
    let path = format!("/migrations/{text}");
    Ok(quote! {
        ::nomnom_runtime::model::Migration {
            version: #version,
            name: #name,
            sql: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), #path)),
        }
    })
}

/// A root variant: its name as clients use it, and its entity type.
struct Root<'a> {
    variant: &'a Ident,
    name: String,
    /// `#[model(renamed_from = "Old")]`: the root's name in the model before, still read
    /// (messages queued under it, clients not yet updated).
    renamed_from: Option<String>,
    entity: &'a Type,
}

fn roots(input: &DeriveInput) -> syn::Result<Vec<Root<'_>>> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            input,
            "`Model` is derived on the enum of root records",
        ));
    };
    let mut out = Vec::new();
    for variant in &data.variants {
        let Fields::Unnamed(fields) = &variant.fields else {
            return Err(syn::Error::new_spanned(
                variant,
                "a root variant holds its entity: `Order(Order)`",
            ));
        };
        let Some(field) = fields.unnamed.first().filter(|_| fields.unnamed.len() == 1) else {
            return Err(syn::Error::new_spanned(
                variant,
                "a root variant holds one entity",
            ));
        };
        let mut name = variant.ident.to_string();
        let mut renamed_from = None;
        for attr in variant.attrs.iter().filter(|a| a.path().is_ident("model")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("name") {
                    name = meta.value()?.parse::<LitStr>()?.value();
                    Ok(())
                } else if meta.path.is_ident("renamed_from") {
                    renamed_from = Some(meta.value()?.parse::<LitStr>()?.value());
                    Ok(())
                } else {
                    Err(meta.error("expected `name` or `renamed_from`"))
                }
            })?;
        }
        out.push(Root {
            variant: &variant.ident,
            name,
            renamed_from,
            entity: &field.ty,
        });
    }
    Ok(out)
}

pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let attrs = model_attrs(input)?;
    let roots = roots(input)?;
    let record = &input.ident;
    let model = &attrs.model_type;
    let project = &attrs.project;
    let database = attrs
        .database
        .as_ref()
        .map(|d| quote!(const DATABASE: &'static str = #d;));
    let migrations = attrs
        .migrations
        .iter()
        .map(migration)
        .collect::<syn::Result<Vec<_>>>()?;
    let entity = quote!(::nomnom_runtime::model::Entity);
    let rows = quote!(::nomnom_runtime::db::rows);
    let names: Vec<&str> = roots.iter().map(|r| r.name.as_str()).collect();
    let slots: Vec<Ident> = (0..roots.len())
        .map(|i| format_ident!("root_{i}"))
        .collect();
    let validations = roots.iter().map(|r| {
        let (name, variant, ty) = (&r.name, r.variant, r.entity);
        let names = std::iter::once(name).chain(r.renamed_from.as_ref());
        quote! {
            #(#names)|* => ::nomnom_runtime::model::read_root::<#ty>(body).map(#record::#variant),
        }
    });
    let adds = roots.iter().zip(&slots).map(|(r, slot)| {
        let (variant, ty) = (r.variant, r.entity);
        quote! {
            #record::#variant(record) => {
                let place = batch.roots.begin(
                    <#ty as #entity>::table().name,
                    message_id,
                    version,
                    #entity::key_id(record),
                    #entity::version(record),
                );
                if let #rows::RootPlace::Newest { at, superseded } = place {
                    if let ::std::option::Option::Some(previous) = superseded {
                        batch.drop_root(previous);
                    }
                    #rows::Rows::push(&mut batch.#slot, at, record);
                }
            }
        }
    });
    let formats = roots.iter().map(|r| {
        let ty = r.entity;
        let names = std::iter::once(&r.name).chain(r.renamed_from.as_ref());
        quote!(#(#names)|* => <#ty as #entity>::HL7,)
    });
    let previews = roots.iter().map(|r| {
        let variant = r.variant;
        quote!(#record::#variant(record) => #entity::preview(record, &mut tables),)
    });
    let fields = roots.iter().zip(&slots).map(|(r, slot)| {
        let ty = r.entity;
        quote!(#slot: <#ty as #entity>::Rows,)
    });
    Ok(quote! {
        const _: () = {
            /// The rows of one batch of messages, every table's.
            #[derive(Debug, Default)]
            pub struct Batch {
                roots: #rows::RootSlots,
                #(#fields)*
            }

            impl Batch {
                fn drop_root(&mut self, slot: usize) {
                    #(#rows::Rows::drop_root(&mut self.#slots, slot);)*
                }
            }

            impl ::nomnom_runtime::model::RowBatch for Batch {
                fn row_count(&self) -> usize {
                    0 #(+ #rows::Rows::row_count(&self.#slots))*
                }

                async fn write<'a, W: ::nomnom_runtime::db::writer::RowWriter>(
                    &'a self,
                    writer: &'a mut W,
                ) -> ::std::result::Result<::nomnom_runtime::db::write::BatchWrite, W::Error> {
                    let mut out = ::nomnom_runtime::db::write::BatchWrite::default();
                    #(#rows::Rows::write(&self.#slots, &mut *writer, ::std::option::Option::None, &mut out).await?;)*
                    out.superseded.extend_from_slice(self.roots.superseded());
                    ::std::result::Result::Ok(out)
                }
            }

            impl ::nomnom_runtime::model::Model for #model {
                const PROJECT: &'static str = #project;
                #database
                const ROOT_ENTITIES: &'static [&'static str] = &[#(#names),*];
                const OPENAPI_JSON: &'static str =
                    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"));
                const MIGRATIONS: &'static [::nomnom_runtime::model::Migration] = &[#(#migrations),*];
                type Record = #record;
                type Batch = Batch;

                fn is_hl7(entity: &str) -> bool {
                    match entity {
                        #(#formats)*
                        _ => false,
                    }
                }

                fn validate(
                    entity: &str,
                    body: &[u8],
                ) -> ::std::result::Result<#record, ::nomnom_runtime::model::Rejection> {
                    match entity {
                        #(#validations)*
                        _ => ::std::result::Result::Err(::nomnom_runtime::model::Rejection::UnknownEntity),
                    }
                }

                fn add_to_batch(
                    batch: &mut Batch,
                    message_id: ::nomnom_runtime::export::uuid::Uuid,
                    version: ::nomnom_runtime::export::uuid::Uuid,
                    record: &#record,
                ) {
                    match record {
                        #(#adds)*
                    }
                }

                fn preview(record: &#record) -> ::nomnom_runtime::preview::Tables {
                    let mut tables = ::nomnom_runtime::preview::Tables::default();
                    match record {
                        #(#previews)*
                    }
                    tables
                }
            }
        };
    })
}
