//! The columnar rows of an entity (a `Column` per field, the rows of each list of children
//! nested), implementing `nomnom_runtime::db::rows::Rows`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

use crate::attrs::Source;
use crate::entity::Member;
use crate::kind::Shape;

pub fn expand(ty: &Ident, members: &[Member<'_>]) -> TokenStream {
    let rows = quote!(::nomnom_runtime::db::rows);
    let mut fields = Vec::new();
    let mut puts = Vec::new();
    let mut retains = Vec::new();
    let mut params = Vec::new();
    let mut child_pushes = Vec::new();
    let mut child_drops = Vec::new();
    let mut child_counts = Vec::new();
    let mut child_writes = Vec::new();
    for m in members {
        let ident = m.ident;
        match &m.shape {
            Shape::Column { .. } if !m.attrs.stored => {}
            Shape::Column { kind, .. } => {
                let field_ty = m.ty;
                fields.push(quote!(#ident: #rows::Column<#field_ty>,));
                let value = if kind.is_owned() {
                    quote!(::std::clone::Clone::clone(&record.#ident))
                } else {
                    quote!(record.#ident)
                };
                puts.push(quote!(self.#ident.put(place, #value);));
                retains.push(quote!(self.#ident.retain(&keep);));
                params
                    .push(quote!(&self.#ident as &dyn ::nomnom_runtime::db::values::ColumnValues));
            }
            Shape::Children { child } => {
                let list = match &m.attrs.source {
                    Source::Key(key) => key.clone(),
                    Source::Pointer(_, text) => text.clone(),
                    Source::Parent(_) | Source::Computed | Source::Hl7(_) => m.attrs.name.clone(),
                };
                fields.push(quote!(#ident: <#child as ::nomnom_runtime::model::Entity>::Rows,));
                child_pushes.push(quote! {
                    for (i, item) in record.#ident.iter().enumerate() {
                        let path = at.child_path(#list, i);
                        let key = ::nomnom_runtime::model::Entity::key_id(item);
                        #rows::Rows::push(&mut self.#ident, at.child(&path, key), item);
                    }
                });
                child_drops.push(quote!(#rows::Rows::drop_root(&mut self.#ident, slot);));
                child_counts.push(quote!(+ #rows::Rows::row_count(&self.#ident)));
                child_writes.push(quote! {
                    #rows::Rows::write(&self.#ident, &mut *writer, ::std::option::Option::Some(&written), &mut *out).await?;
                });
            }
        }
    }
    quote! {
        #[derive(Debug, Default)]
        pub struct Rows {
            __hidden: #rows::HiddenColumns,
            #(#fields)*
        }

        impl #rows::Rows for Rows {
            type Entity = #ty;

            fn push(&mut self, at: #rows::RowAt<'_>, record: &#ty) {
                let version = ::nomnom_runtime::model::Entity::version(record);
                let ::std::option::Option::Some(place) = self.__hidden.push(&at, version) else {
                    return;
                };
                #(#puts)*
                #(#child_pushes)*
            }

            fn drop_root(&mut self, slot: usize) {
                if let ::std::option::Option::Some(keep) = self.__hidden.drop_root(slot) {
                    let _ = &keep;
                    #(#retains)*
                }
                #(#child_drops)*
            }

            fn row_count(&self) -> usize {
                self.__hidden.len() #(#child_counts)*
            }

            async fn write<'a, W: ::nomnom_runtime::db::writer::RowWriter>(
                &'a self,
                writer: &'a mut W,
                parent: ::std::option::Option<&'a W::Written>,
                out: &'a mut ::nomnom_runtime::db::write::BatchWrite,
            ) -> ::std::result::Result<(), W::Error> {
                #[allow(unused_variables)]
                let written = ::nomnom_runtime::db::writer::RowWriter::write_table(
                    &mut *writer,
                    <#ty as ::nomnom_runtime::model::Entity>::table(),
                    &self.__hidden,
                    parent,
                    &[#(#params),*],
                    &mut *out,
                )
                .await?;
                #(#child_writes)*
                ::std::result::Result::Ok(())
            }
        }
    }
}
