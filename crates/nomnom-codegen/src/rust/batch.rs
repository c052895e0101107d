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

/// `key_of_<entity>`. Batch methods come in three families with distinct prefixes
/// (`add_`, `key_of_`, `push_`), so no two entity names can produce the same method.
fn key_fn(entity: &Entity) -> Ident {
    ident_plain(&format!("key_of_{}", names::snake_case(&entity.name)))
}

/// The local in `Batch::write` holding the `_id`s stored for an entity's rows.
fn stored_ids_var(entity: &Entity) -> Ident {
    ident_plain(&format!("stored_{}", names::snake_case(&entity.name)))
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
            let args = match parent {
                Some(p) if p.is_keyed() => {
                    let pf = rows_field(p);
                    let stored = stored_ids_var(p);
                    quote!(&#stored.resolve(&self.#pf.id), &#stored)
                }
                _ => quote!(),
            };
            if sql::returns_stored_ids(project, e) {
                let stored = stored_ids_var(e);
                quote! {
                    let #stored = self.#f.write(tx, #args).await?;
                    rows += #stored.rows();
                }
            } else {
                quote!(rows += self.#f.write(tx, #args).await?;)
            }
        })
        .collect();
    let mut adders = Vec::new();
    for entity in &order {
        adders.push(adder(project, entity)?);
    }
    let mut id_helpers = vec![quote!(row_id)];
    if project.entities.iter().any(Entity::is_keyed) {
        id_helpers.push(quote!(key_id));
    }
    if project
        .entities
        .iter()
        .any(|e| sql::returns_stored_ids(project, e))
    {
        id_helpers.push(quote!(StoredIds));
    }
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
        use ::nomnom_runtime::db::row_ids::{#(#id_helpers),*};
        use crate::entities;

        /// A row's two ids: its identity within the batch (its key, or its `_id` when the
        /// entity has no key) and the `_id` proposed for it.
        #[derive(Debug, Clone, Copy)]
        struct RowIds {
            key: Uuid,
            id: Uuid,
        }

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
            /// Root record identity (its key, or its `_id` when keyless) → the slot of the
            /// record that currently owns it.
            roots: HashMap<Uuid, usize>,
            next_root: usize,
            #(#fields)*
        }

        impl Batch {
            /// Starts a root record; a previous record with the same identity in this batch
            /// is dropped with every row below it (last wins).
            fn begin_root(&mut self, key: Uuid) -> usize {
                let slot = self.next_root;
                self.next_root += 1;
                if let Some(previous) = self.roots.insert(key, slot) {
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

/// `Batch::add_<entity>` (and `key_of_<entity>` for keyed entities, and `push_<root>` for
/// roots).
fn adder(project: &Project, entity: &Entity) -> Result<TokenStream, GenerateError> {
    let ty = type_ident(&entity.name);
    let add = add_fn(entity);
    let rows = rows_field(entity);
    let table = &entity.table;
    let key_of = if entity.is_keyed() {
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
        let key = key_fn(entity);
        let doc = format!(
            " The identity of a `{}` row within a batch: its key (a later row with the same key replaces it).",
            entity.name
        );
        quote! {
            #[doc = #doc]
            fn #key(record: &entities::#ty) -> Uuid {
                key_id(#table, &[#(#parts),*])
            }
        }
    } else {
        quote!()
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
        let item_key = if child.is_keyed() {
            let ckey = key_fn(child);
            quote!(Self::#ckey(item))
        } else {
            quote!(item_id)
        };
        children.push(quote! {
            for (i, item) in record.#name.iter().enumerate() {
                let item_path = format!(#fmt);
                let item_id = row_id(message_id, &item_path);
                let item_ids = RowIds { key: #item_key, id: item_id };
                self.#cadd(root, message_id, ids.id, &item_path, item_ids, item);
            }
        });
    }
    let add_doc = format!(" Appends a `{}` row and every row below it.", entity.name);
    let root_add = if is_child {
        quote!()
    } else {
        let radd = push_fn(entity);
        let doc = format!(
            " Appends a `{}` message (the record and all its children).",
            entity.name
        );
        let root_key = if entity.is_keyed() {
            let key = key_fn(entity);
            quote!(Self::#key(record))
        } else {
            quote!(id)
        };
        quote! {
            #[doc = #doc]
            pub fn #radd(&mut self, message_id: Uuid, record: &entities::#ty) {
                let id = row_id(message_id, "");
                let ids = RowIds { key: #root_key, id };
                let root = self.begin_root(ids.key);
                self.#add(root, message_id, "", ids, record);
            }
        }
    };
    let path_param = if children.is_empty() {
        quote!(_path)
    } else {
        quote!(path)
    };
    Ok(quote! {
        #key_of

        #root_add

        #[doc = #add_doc]
        fn #add(&mut self, root: usize, message_id: Uuid, #parent_param #path_param: &str, ids: RowIds, record: &entities::#ty) {
            self.#rows.push(root, ids, message_id, #parent_arg record);
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
    let replace = parent_is_keyed(project, entity);
    if replace {
        params.push(quote!((&parent_id, Type::UUID_ARRAY)));
    } else if is_child {
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
        quote!(/// `_parent_id`: the containing row (its proposed `_id`).
        parent_id: Vec<Uuid>,)
    });
    let parent_param = is_child.then(|| quote!(parent_id: Uuid,));
    let parent_put = is_child.then(|| quote!(put(&mut self.parent_id, slot, parent_id);));
    let parent_retain = is_child.then(|| quote!(retain(&mut self.parent_id, &keep);));
    let (write_params, prepare) = if replace {
        let delete = sql::delete_children_statement(entity);
        (
            quote!(replaced_parents: &[Uuid], stored_parents: &StoredIds),
            quote! {
                if !replaced_parents.is_empty() {
                    tx.execute_typed(#delete, &[(&replaced_parents, Type::UUID_ARRAY)]).await?;
                }
                let parent_ids = stored_parents.resolve(&self.parent_id);
                let parent_id: &[Uuid] = &parent_ids;
            },
        )
    } else {
        (quote!(), quote!())
    };
    let returns_ids = sql::returns_stored_ids(project, entity);
    let (output, empty, run) = if returns_ids {
        (
            quote!(StoredIds),
            quote!(StoredIds::default()),
            quote! {
                let rows = tx.query_typed(Self::INSERT, &[#(#params),*]).await?;
                StoredIds::from_rows(&rows)
            },
        )
    } else {
        (
            quote!(u64),
            quote!(0),
            quote!(tx.execute_typed(Self::INSERT, &[#(#params),*]).await),
        )
    };
    let doc = format!(
        " Rows of table `{}` (entity `{}`), one `Vec` per column.",
        entity.table, entity.name
    );
    let write_doc = match (replace, returns_ids) {
        (true, true) => " Deletes the children of the re-ingested parents, then upserts these rows in one statement, which answers the `_id` kept for each.",
        (true, false) => " Deletes the children of the re-ingested parents, then writes these rows in one statement.",
        (false, true) => " Upserts these rows in one statement, which answers the `_id` kept for each.",
        (false, false) => " Writes these rows in one statement.",
    };
    Ok(quote! {
        #[doc = #doc]
        #[derive(Debug, Default)]
        struct #rows {
            /// Identity → position, for last-wins deduplication.
            index: HashMap<Uuid, usize>,
            /// The root record slot each row came from.
            root: Vec<usize>,
            /// Each row's identity within the batch (`RowIds::key`).
            key: Vec<Uuid>,
            /// `_id` (proposed).
            id: Vec<Uuid>,
            /// `_message_id`.
            message_id: Vec<Uuid>,
            #parent_field
            #(#col_fields)*
        }

        impl #rows {
            /// The statement writing every row at once.
            const INSERT: &'static str = #insert;

            /// Adds a row, replacing an earlier one with the same identity.
            fn push(&mut self, root: usize, ids: RowIds, message_id: Uuid, #parent_param record: &entities::#ty) {
                let slot = self.index.get(&ids.key).copied();
                if slot.is_none() {
                    self.index.insert(ids.key, self.key.len());
                }
                put(&mut self.root, slot, root);
                put(&mut self.key, slot, ids.key);
                put(&mut self.id, slot, ids.id);
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
                retain(&mut self.key, &keep);
                retain(&mut self.id, &keep);
                retain(&mut self.message_id, &keep);
                #parent_retain
                #(#retains)*
                self.index = self.key.iter().enumerate().map(|(i, key)| (*key, i)).collect();
            }

            #[doc = #write_doc]
            async fn write(&self, tx: &Transaction<'_>, #write_params) -> Result<#output, Error> {
                #prepare
                if self.id.is_empty() {
                    return Ok(#empty);
                }
                #run
            }
        }
    })
}
