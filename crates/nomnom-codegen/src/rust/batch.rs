//! `src/batch.rs`: columnar rows per table, filled from validated records (keyed rows
//! deduplicated within a batch, last wins), and `RowBatch::write`, which issues one
//! set-based statement per table with arrays bound as parameters.

use nomnom_spec::model::{Entity, FieldSource, FieldType, Project, ScalarType};
use nomnom_spec::names;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{column_kind, field_ident, ident_plain, topological, type_ident};
use crate::types::{Dialect, Postgres};
use crate::{sql, GenerateError};

/// The `Batch` field holding an entity's rows.
fn rows_field(entity: &Entity) -> Ident {
    ident_plain(&format!("{}_rows", names::snake_case(&entity.name)))
}

fn rows_type(entity: &Entity) -> Ident {
    ident_plain(&format!("{}Rows", names::rust_type(&entity.name)))
}

fn column_field(name: &str) -> Ident {
    ident_plain(&format!("col_{}", names::snake_case(name)))
}

fn add_fn(entity: &Entity) -> Ident {
    ident_plain(&format!("add_{}", names::snake_case(&entity.name)))
}

/// `id_of_<entity>`. Batch methods come in three families with distinct prefixes
/// (`add_`, `id_of_`, `push_`), so no two entity names can produce the same method.
fn id_fn(entity: &Entity) -> Ident {
    ident_plain(&format!("id_of_{}", names::snake_case(&entity.name)))
}

/// `push_<root>`: appends a whole message of a root entity.
pub fn push_fn(entity: &Entity) -> Ident {
    ident_plain(&format!("push_{}", names::snake_case(&entity.name)))
}

/// `true` when the parent of `entity` is keyed: its children are replaced on re-ingest.
fn parent_is_keyed(project: &Project, entity: &Entity) -> bool {
    entity
        .parent
        .as_ref()
        .and_then(|p| project.entity(&p.entity))
        .is_some_and(Entity::is_keyed)
}

/// The file.
pub fn file(project: &Project) -> Result<TokenStream, GenerateError> {
    let order = topological(project);
    let mut items = Vec::new();
    for entity in &order {
        items.push(rows_items(project, entity)?);
    }
    let fields: Vec<TokenStream> = order
        .iter()
        .map(|e| {
            let f = rows_field(e);
            let t = rows_type(e);
            quote!(#f: #t,)
        })
        .collect();
    let counts: Vec<TokenStream> = order
        .iter()
        .map(|e| {
            let f = rows_field(e);
            quote!(self.#f.id.len())
        })
        .collect();
    let drops: Vec<TokenStream> = order
        .iter()
        .map(|e| {
            let f = rows_field(e);
            quote!(self.#f.drop_root(previous);)
        })
        .collect();
    let writes: Vec<TokenStream> = order
        .iter()
        .map(|e| {
            let f = rows_field(e);
            let parent = e.parent.as_ref().and_then(|p| project.entity(&p.entity));
            match parent {
                Some(p) if p.is_keyed() => {
                    let pf = rows_field(p);
                    quote!(rows += self.#f.write(tx, &self.#pf.id).await?;)
                }
                _ => quote!(rows += self.#f.write(tx).await?;),
            }
        })
        .collect();
    let mut adders = Vec::new();
    for entity in &order {
        adders.push(adder(project, entity)?);
    }
    let keyed = if project.entities.iter().any(Entity::is_keyed) {
        quote! {
        /// Namespace of the UUIDv5 `_id` of keyed rows (name: table and key values).
        const KEY_NAMESPACE: Uuid = Uuid::from_u128(0x6e6f_6d6e_6f6d_5f6b_6579_5f6e_616d_6573);

        /// The `_id` of a keyed row: UUIDv5 of its table and key values, so every writer of
        /// one key agrees on it.
        fn key_id(table: &str, parts: &[&dyn ::std::fmt::Display]) -> Uuid {
            use ::std::fmt::Write as _;
            let mut name = String::from(table);
            for part in parts {
                name.push('\0');
                let _ = write!(name, "{part}");
            }
            Uuid::new_v5(&KEY_NAMESPACE, name.as_bytes())
        }

        }
    } else {
        quote!()
    };
    let keyless = if project.entities.iter().any(|e| !e.is_keyed()) {
        quote! {
        /// The `_id` of a keyless row: UUIDv5 of its message id and its position in the body,
        /// so a redelivered message produces the same ids.
        fn row_id(message_id: Uuid, path: &str) -> Uuid {
            Uuid::new_v5(&message_id, path.as_bytes())
        }

        }
    } else {
        quote!()
    };
    let id_helpers = quote!(#keyed #keyless);
    let doc = format!(
        " Rows of the `{}` model in columnar form, written set-based (`INSERT … SELECT * FROM UNNEST(…)`).",
        project.name
    );
    Ok(quote! {
        #![doc = #doc]
        use ::std::collections::HashMap;
        use ::nomnom_runtime::export::tokio_postgres::types::Type;
        use ::nomnom_runtime::export::tokio_postgres::{Error, Transaction};
        use ::nomnom_runtime::export::uuid::Uuid;
        use crate::entities;

        #id_helpers

        /// Sets `column[slot]`, or appends when the row is new.
        fn put<T>(column: &mut Vec<T>, slot: Option<usize>, value: T) {
            match slot {
                Some(i) => column[i] = value,
                None => column.push(value),
            }
        }

        /// Keeps the elements whose `keep` flag is set.
        fn retain<T>(column: &mut Vec<T>, keep: &[bool]) {
            let mut flags = keep.iter();
            column.retain(|_| flags.next().copied().unwrap_or(false));
        }

        #(#items)*

        /// Every table's rows for one batch of messages.
        #[derive(Debug, Default)]
        pub struct Batch {
            /// Root record `_id` → the slot of the record that currently owns it.
            roots: HashMap<Uuid, usize>,
            next_root: usize,
            #(#fields)*
        }

        impl Batch {
            /// Starts a root record; a previous record with the same `_id` in this batch is
            /// dropped with every row below it (last wins).
            fn begin_root(&mut self, id: Uuid) -> usize {
                let slot = self.next_root;
                self.next_root += 1;
                if let Some(previous) = self.roots.insert(id, slot) {
                    #(#drops)*
                }
                slot
            }

            #(#adders)*
        }

        impl ::nomnom_runtime::model::RowBatch for Batch {
            fn row_count(&self) -> usize {
                #(#counts)+*
            }

            async fn write<'a>(&'a self, tx: &'a Transaction<'a>) -> Result<u64, Error> {
                let mut rows = 0;
                #(#writes)*
                Ok(rows)
            }
        }
    })
}

/// `Batch::add_<entity>` (and `id_of_<entity>`, and `push_<root>` for roots).
fn adder(project: &Project, entity: &Entity) -> Result<TokenStream, GenerateError> {
    let ty = type_ident(&entity.name);
    let add = add_fn(entity);
    let id = id_fn(entity);
    let rows = rows_field(entity);
    let table = &entity.table;
    let id_body = if entity.is_keyed() {
        let mut parts = Vec::new();
        for k in &entity.key {
            let f = entity
                .field(k)
                .ok_or_else(|| GenerateError(format!("{}: key field {k} missing", entity.name)))?;
            let (sty, _) = column_kind(project, entity, f)?;
            let name = field_ident(k);
            parts.push(if sty == ScalarType::Decimal {
                quote!(&record.#name.normalize())
            } else {
                quote!(&record.#name)
            });
        }
        quote! {
            let _ = (message_id, path);
            key_id(#table, &[#(#parts),*])
        }
    } else {
        quote! {
            let _ = record;
            row_id(message_id, path)
        }
    };
    let is_child = entity.parent.is_some();
    let parent_param = is_child.then(|| quote!(parent_id: Uuid,));
    let parent_arg = is_child.then(|| quote!(parent_id,));
    let mut children = Vec::new();
    for field in &entity.fields {
        let FieldType::List(child_name) = &field.ty else {
            continue;
        };
        let child = project
            .entity(child_name)
            .ok_or_else(|| GenerateError(format!("unknown entity {child_name}")))?;
        let cadd = add_fn(child);
        let cid = id_fn(child);
        let name = field_ident(&field.name);
        let rel = match &field.source {
            FieldSource::Key(k) => k.replace('~', "~0").replace('/', "~1"),
            FieldSource::Pointer(tokens) => tokens
                .iter()
                .map(|t| t.replace('~', "~0").replace('/', "~1"))
                .collect::<Vec<_>>()
                .join("/"),
            FieldSource::Parent(_) => continue,
        };
        let fmt = format!("{{path}}/{rel}/{{i}}");
        children.push(quote! {
            for (i, item) in record.#name.iter().enumerate() {
                let item_path = format!(#fmt);
                let item_id = Self::#cid(message_id, &item_path, item);
                self.#cadd(root, message_id, id, &item_path, item_id, item);
            }
        });
    }
    let add_doc = format!(" Appends a `{}` row and every row below it.", entity.name);
    let id_doc = format!(
        " The `_id` of a `{}` row at `path` in message `message_id`.",
        entity.name
    );
    let root_add = if is_child {
        quote!()
    } else {
        let radd = push_fn(entity);
        let doc = format!(
            " Appends a `{}` message (the record and all its children).",
            entity.name
        );
        quote! {
            #[doc = #doc]
            pub fn #radd(&mut self, message_id: Uuid, record: &entities::#ty) {
                let id = Self::#id(message_id, "", record);
                let root = self.begin_root(id);
                self.#add(root, message_id, "", id, record);
            }
        }
    };
    let path_param = if children.is_empty() {
        quote!(_path)
    } else {
        quote!(path)
    };
    Ok(quote! {
        #[doc = #id_doc]
        fn #id(message_id: Uuid, path: &str, record: &entities::#ty) -> Uuid {
            #id_body
        }

        #root_add

        #[doc = #add_doc]
        fn #add(&mut self, root: usize, message_id: Uuid, #parent_param #path_param: &str, id: Uuid, record: &entities::#ty) {
            self.#rows.push(root, id, message_id, #parent_arg record);
            #(#children)*
        }
    })
}

/// `<Entity>Rows`: the columns of one table.
fn rows_items(project: &Project, entity: &Entity) -> Result<TokenStream, GenerateError> {
    let rows = rows_type(entity);
    let ty = type_ident(&entity.name);
    let dialect = Postgres;
    let is_child = entity.parent.is_some();
    let mut col_fields = Vec::new();
    let mut puts = Vec::new();
    let mut retains = Vec::new();
    let mut params = vec![
        quote!((&self.id, Type::UUID_ARRAY)),
        quote!((&self.message_id, Type::UUID_ARRAY)),
    ];
    if is_child {
        params.push(quote!((&self.parent_id, Type::UUID_ARRAY)));
    }
    for field in entity.columns() {
        let col = column_field(&field.name);
        let name = field_ident(&field.name);
        let (sty, nullable) = column_kind(project, entity, field)?;
        let base = crate::types::rust_type(sty);
        let full = if nullable {
            quote!(Option<#base>)
        } else {
            base
        };
        let doc = format!(" Column `{}`.", field.name);
        col_fields.push(quote!(#[doc = #doc] #col: Vec<#full>,));
        let needs_clone = matches!(sty, ScalarType::String | ScalarType::Json);
        let value = if needs_clone {
            quote!(record.#name.clone())
        } else {
            quote!(record.#name)
        };
        puts.push(quote!(put(&mut self.#col, slot, #value);));
        retains.push(quote!(retain(&mut self.#col, &keep);));
        let constant = ident_plain(dialect.array_type_constant(sty));
        params.push(quote!((&self.#col, Type::#constant)));
    }
    let insert = sql::insert_statement(project, entity)?;
    let parent_field = is_child.then(|| {
        quote!(/// `_parent_id`: the containing row. 
        parent_id: Vec<Uuid>,)
    });
    let parent_param = is_child.then(|| quote!(parent_id: Uuid,));
    let parent_put = is_child.then(|| quote!(put(&mut self.parent_id, slot, parent_id);));
    let parent_retain = is_child.then(|| quote!(retain(&mut self.parent_id, &keep);));
    let replace = parent_is_keyed(project, entity);
    let (write_param, delete) = if replace {
        let delete = sql::delete_children_statement(entity);
        (
            quote!(replaced_parents: &[Uuid],),
            quote! {
                if !replaced_parents.is_empty() {
                    tx.execute_typed(#delete, &[(&replaced_parents, Type::UUID_ARRAY)]).await?;
                }
            },
        )
    } else {
        (quote!(), quote!())
    };
    let doc = format!(
        " Rows of table `{}` (entity `{}`), one `Vec` per column.",
        entity.table, entity.name
    );
    let write_doc = if replace {
        " Deletes the children of the re-ingested parents, then inserts these rows in one statement."
    } else {
        " Inserts these rows in one statement."
    };
    Ok(quote! {
        #[doc = #doc]
        #[derive(Debug, Default)]
        struct #rows {
            /// `_id` → position, for last-wins deduplication.
            index: HashMap<Uuid, usize>,
            /// The root record slot each row came from.
            root: Vec<usize>,
            /// `_id`.
            id: Vec<Uuid>,
            /// `_message_id`.
            message_id: Vec<Uuid>,
            #parent_field
            #(#col_fields)*
        }

        impl #rows {
            /// The statement writing every row at once.
            const INSERT: &'static str = #insert;

            /// Adds a row, replacing an earlier one with the same `_id`.
            fn push(&mut self, root: usize, id: Uuid, message_id: Uuid, #parent_param record: &entities::#ty) {
                let slot = self.index.get(&id).copied();
                if slot.is_none() {
                    self.index.insert(id, self.id.len());
                }
                put(&mut self.root, slot, root);
                put(&mut self.id, slot, id);
                put(&mut self.message_id, slot, message_id);
                #parent_put
                #(#puts)*
            }

            /// Removes the rows of root record `slot` (superseded by a later one).
            fn drop_root(&mut self, slot: usize) {
                if !self.root.contains(&slot) {
                    return;
                }
                let keep: Vec<bool> = self.root.iter().map(|r| *r != slot).collect();
                retain(&mut self.root, &keep);
                retain(&mut self.id, &keep);
                retain(&mut self.message_id, &keep);
                #parent_retain
                #(#retains)*
                self.index = self.id.iter().enumerate().map(|(i, id)| (*id, i)).collect();
            }

            #[doc = #write_doc]
            async fn write(&self, tx: &Transaction<'_>, #write_param) -> Result<u64, Error> {
                #delete
                if self.id.is_empty() {
                    return Ok(0);
                }
                tx.execute_typed(Self::INSERT, &[#(#params),*]).await
            }
        }
    })
}
