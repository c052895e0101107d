//! The runtime names a generated file uses: imported with `use` so the file reads plainly,
//! unless an entity of the model has the same name, in which case they are written with
//! their full path.

use std::cell::RefCell;
use std::collections::BTreeSet;

use nomnom_spec::model::Project;
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::idents::{ident_plain, type_ident};

/// The names one generated file takes from the runtime.
pub struct Scope {
    /// The Rust names of the model's entities.
    taken: BTreeSet<String>,
    /// `(module path under nomnom_runtime, name)` pairs used unqualified.
    imported: RefCell<BTreeSet<(&'static str, &'static str)>>,
}

impl Scope {
    pub fn new(project: &Project) -> Scope {
        Scope {
            taken: project
                .entities
                .iter()
                .map(|e| type_ident(&e.name).to_string())
                .collect(),
            imported: RefCell::default(),
        }
    }

    /// `name` from `nomnom_runtime::<module>` (`""` for the crate root): plain when no entity
    /// takes it (and then imported), else its full path.
    pub fn name(&self, module: &'static str, name: &'static str) -> TokenStream {
        let ident = ident_plain(name);
        if self.taken.contains(name) {
            let path = module_path(module);
            return quote!(::nomnom_runtime #(::#path)* ::#ident);
        }
        self.imported.borrow_mut().insert((module, name));
        quote!(#ident)
    }

    /// The `use` items for every name used unqualified, one per module.
    pub fn uses(&self) -> TokenStream {
        let imported = self.imported.borrow();
        let mut modules: Vec<&str> = imported.iter().map(|(m, _)| *m).collect();
        modules.dedup();
        let items = modules.into_iter().map(|module| {
            let path = module_path(module);
            let names: Vec<Ident> = imported
                .iter()
                .filter(|(m, _)| *m == module)
                .map(|(_, n)| ident_plain(n))
                .collect();
            if names.len() == 1 {
                let name = &names[0];
                quote!(use ::nomnom_runtime #(::#path)* ::#name;)
            } else {
                quote!(use ::nomnom_runtime #(::#path)* ::{#(#names),*};)
            }
        });
        quote!(#(#items)*)
    }
}

fn module_path(module: &str) -> Vec<Ident> {
    module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(ident_plain)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nomnom_spec::model::Entity;

    fn project(entity: &str) -> Project {
        Project {
            name: "p".into(),
            entities: vec![Entity {
                name: entity.into(),
                doc: None,
                table: "t".into(),
                renamed_from: None,
                key: vec![],
                version: None,
                fields: vec![],
                format: nomnom_spec::model::Format::Json,
                segment: None,
                parent: None,
            }],
            transforms: vec![],
        }
    }

    #[test]
    fn names_are_imported_unless_an_entity_takes_them() {
        let scope = Scope::new(&project("Uuid"));
        assert_eq!(scope.name("types", "Decimal").to_string(), "Decimal");
        assert_eq!(
            scope.name("types", "Uuid").to_string(),
            ":: nomnom_runtime :: types :: Uuid"
        );
        assert_eq!(scope.name("", "Entity").to_string(), "Entity");
        assert_eq!(scope.name("types", "Json").to_string(), "Json");
        assert_eq!(
            scope.uses().to_string(),
            "use :: nomnom_runtime :: Entity ; use :: nomnom_runtime :: types :: { Decimal , Json } ;"
        );
    }
}
