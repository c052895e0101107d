//! The computed fields of one entity: every `compute:` expression checked against the
//! entity's fields and the user transforms, cycles among them refused, and each field's
//! source set to its checked expression.

use crate::diagnostic::Diagnostics;
use crate::expr::{self, Binding, Env, ParentScope, ValueType};
use crate::field::FieldInfo;
use crate::model::{ComputeSource, Field, FieldSource, FieldType};

/// What the expressions of an entity may name: its fields, and `transforms`. `all_fields`
/// names every field written in the entity, including those too broken to check (naming
/// one is then not reported again); `parent` is the containing entity, for hints.
pub fn env(
    fields: &[FieldInfo],
    all_fields: &[&str],
    transforms: &Env,
    parent: Option<ParentScope>,
) -> Env {
    let mut env = Env {
        transforms: transforms.transforms.clone(),
        broken_transforms: transforms.broken_transforms.clone(),
        parent,
        ..Env::default()
    };
    for info in fields {
        env.fields
            .insert(info.field.name.clone(), binding(&info.field));
    }
    for name in all_fields {
        if !env.fields.contains_key(*name) {
            env.broken_fields.insert((*name).to_string());
        }
    }
    env
}

/// What naming `field` in an expression stands for.
pub fn binding(field: &Field) -> Binding {
    match &field.ty {
        FieldType::Scalar(ty) => Binding::Value(ValueType {
            ty: *ty,
            nullable: field.nullable,
        }),
        FieldType::List(child) => Binding::List(child.clone()),
    }
}

/// Checks the computed fields among `fields` (the entity's checked fields) against `env`
/// (see [`env`]) and sets their source; reports every problem into `diags`.
pub fn check(fields: &mut [FieldInfo], env: &Env, diags: &mut Diagnostics) {
    let mut deps: Vec<(String, Vec<String>)> = Vec::new();
    for info in fields.iter_mut() {
        let Some((text, origin)) = info.compute.clone() else {
            continue;
        };
        let FieldType::Scalar(declared) = info.field.ty else {
            continue; // `compute` on a list is reported with the field.
        };
        match expr::check_computed(&info.field.name, declared, &text, origin, env) {
            Ok(computed) => {
                let reads = computed.references.iter().map(|r| r.name.clone()).collect();
                deps.push((info.field.name.clone(), reads));
                info.field.source =
                    FieldSource::Compute(Box::new(ComputeSource { text, computed }));
            }
            Err(found) => {
                for d in found {
                    diags.push(d);
                }
            }
        }
    }
    for cycle in expr::find_cycles(&deps) {
        let Some(info) = fields.iter().find(|f| f.field.name == cycle[0]) else {
            continue;
        };
        let (Some((_, origin)), FieldSource::Compute(source)) = (&info.compute, &info.field.source)
        else {
            continue;
        };
        let at = source
            .computed
            .references
            .iter()
            .find(|r| r.name == cycle[1])
            .map_or(0..source.text.len(), |r| r.range.clone());
        diags.push(expr::cycle_diagnostic(&cycle, origin.span(at)));
    }
}
