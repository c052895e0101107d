//! The computed fields of one entity: every `compute:` expression checked against the
//! entity's fields and the user transforms, cycles among them refused, and each field's
//! source set to its checked expression.

use crate::diagnostic::Diagnostics;
use crate::expr::{self, Binding, Env, ValueType};
use crate::field::FieldInfo;
use crate::model::{ComputeSource, FieldSource, FieldType};

/// What the expressions of an entity may name: its fields, and `transforms`.
pub fn env(fields: &[FieldInfo], transforms: &Env) -> Env {
    let mut env = Env {
        fields: Default::default(),
        transforms: transforms.transforms.clone(),
    };
    for info in fields {
        let binding = match &info.field.ty {
            FieldType::Scalar(ty) => Binding::Value(ValueType {
                ty: *ty,
                nullable: info.field.nullable,
            }),
            FieldType::List(child) => Binding::List(child.clone()),
        };
        env.fields.insert(info.field.name.clone(), binding);
    }
    env
}

/// Checks the computed fields among `fields` (the entity's checked fields) and sets their
/// source; reports every problem into `diags`.
pub fn check(fields: &mut [FieldInfo], transforms: &Env, diags: &mut Diagnostics) {
    let env = env(fields, transforms);
    let mut deps: Vec<(String, Vec<String>)> = Vec::new();
    for info in fields.iter_mut() {
        let Some((text, origin)) = info.compute.clone() else {
            continue;
        };
        let FieldType::Scalar(declared) = info.field.ty else {
            continue; // `compute` on a list is reported with the field.
        };
        match expr::check_computed(&info.field.name, declared, &text, origin, &env) {
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
