//! The derives that generated nomnom code states its model with; the behaviour they expand
//! to calls `nomnom-runtime`, which re-exports them.
//!
//! - `#[derive(Entity)]` on an entity's struct: reading it from a JSON object with every
//!   constraint of the model (`#[field(...)]`), its table (`#[entity(...)]`), and its rows
//!   in columnar form with their set-based write.
//! - `#[derive(Model)]` on the enum of root records: the `Model` implementation (project,
//!   root entities, migrations, OpenAPI document, validation by entity, the batch of rows).
//!
//! They understand the Rust types of nomnom's type table (`String`, `i64`, `f64`,
//! `Decimal`, `bool`, `NaiveDate`, `DateTime<Utc>`, `Uuid`, `Json`, each optionally in an
//! `Option`, and `Vec<Child>` for lists); anything else is a compile error that says so.

mod attrs;
mod entity;
mod hl7;
mod kind;
mod model;
mod rows;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Derives `nomnom_runtime::model::Entity` (and `Child<Parent>` for a contained entity).
///
/// Struct attribute: `#[entity(table = "orders", key(order_key), parent = Order)]`.
/// Field attributes (`#[field(...)]`): `name = "userId"` (the model's name when it is not
/// the Rust field's), `json = "key"` or `json = "/a/b"` (where the value is read),
/// `default = lit`, `default_json = "{...}"`, `max_length = n`, `pattern = "re"`,
/// `min = n`, `max = n`, `one_of(a, b, ...)`, `from_parent = field`, `children`
/// (with `nullable` when the list may be absent).
#[proc_macro_derive(Entity, attributes(entity, field))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    entity::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `nomnom_runtime::model::Model` for the type named in
/// `#[model(project = "p", model_type = PModel, migrations("0001_initial.sql"))]` on the
/// enum of root records (one variant per root entity, named as the entity or with
/// `#[model(name = "...")]`).
#[proc_macro_derive(Model, attributes(model))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    model::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
