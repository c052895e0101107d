//! Type-checking an expression against an [`Env`]: every name resolves, every call has the
//! right number of arguments of the right types, required literals are literals and valid.
//! The result is a [`Typed`] tree recording each value's type and nullability and the
//! conversion every argument needs, which is what generated code is written from.

use std::ops::Range;

use super::ast::{Call, Expr, ExprKind, StringLit};
use super::env::{Binding, Env, Transform};
use super::functions::{self, Function, LiteralKind, Nulls, ParamType, Returns, TypeVar};
use super::literals;
use super::report;
use super::typed::{Typed, TypedArg, TypedKind};
use super::types::{self, Member, ValueType};
use super::Origin;
use crate::diagnostic::Diagnostic;
use crate::model::ScalarType;

/// Checks `expr` against `env`; `origin` locates the expression in the model file. Returns
/// the typed tree, or every problem found, in the order they are written.
pub fn check(expr: &Expr, env: &Env, origin: Origin) -> Result<Typed, Vec<Diagnostic>> {
    let mut checker = Checker {
        env,
        origin,
        diags: Vec::new(),
    };
    match checker.infer(expr) {
        Some(typed) if checker.diags.is_empty() => Ok(typed),
        _ => {
            checker.diags.sort_by_key(|d| d.offset);
            Err(checker.diags)
        }
    }
}

struct Checker<'e> {
    env: &'e Env,
    origin: Origin,
    diags: Vec<Diagnostic>,
}

fn is_decimal_literal(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Decimal(_))
}

impl Checker<'_> {
    fn push(&mut self, code: &'static str, range: Range<usize>, text: report::Text) {
        let d = self
            .origin
            .error(code, range, text.message, text.label, text.help);
        self.diags.push(d);
    }

    /// The node's type, or `None` when it is in error (already reported).
    fn infer(&mut self, expr: &Expr) -> Option<Typed> {
        let (kind, ty) = match &expr.kind {
            ExprKind::Call(call) => return self.call(call, expr.range.clone()),
            ExprKind::Field(name) => match self.env.fields.get(name) {
                Some(Binding::Value(ty)) => (TypedKind::Field(name.clone()), *ty),
                Some(Binding::List(entity)) => {
                    let text = report::list_field(name, entity);
                    self.push("nomnom::list_in_expression", expr.range.clone(), text);
                    return None;
                }
                // Its own definition is in error, and reported there.
                None if self.env.broken_fields.contains(name) => return None,
                None => {
                    let text = report::unknown_field(name, self.env);
                    self.push("nomnom::unknown_field", expr.range.clone(), text);
                    return None;
                }
            },
            ExprKind::String(s) => (
                TypedKind::String(s.value.clone()),
                ValueType::required(ScalarType::String),
            ),
            ExprKind::Integer(n) => (
                TypedKind::Integer(*n),
                ValueType::required(ScalarType::Integer),
            ),
            ExprKind::Decimal(d) => (
                TypedKind::Decimal(d.clone()),
                ValueType::required(ScalarType::Decimal),
            ),
        };
        Some(Typed {
            kind,
            ty,
            range: expr.range.clone(),
        })
    }

    fn call(&mut self, call: &Call, range: Range<usize>) -> Option<Typed> {
        // Arguments first: their own errors are worth reporting even when the call is wrong.
        let args: Vec<Option<Typed>> = call.args.iter().map(|a| self.infer(a)).collect();
        if let Some(f) = functions::builtin(&call.name) {
            return self.builtin(f, call, range, args);
        }
        let env = self.env;
        if let Some(t) = env.transforms.get(&call.name) {
            return self.transform(t, call, range, args);
        }
        if env.broken_transforms.contains(&call.name) {
            return None; // its signature is in error, and reported there
        }
        let text = report::unknown_function(&call.name, self.env);
        self.push("nomnom::unknown_function", call.name_range.clone(), text);
        None
    }

    fn arity(
        &mut self,
        call: &Call,
        range: Range<usize>,
        arity: functions::Arity,
        usage: String,
    ) -> bool {
        let n = call.args.len();
        if arity.allows(n) {
            return true;
        }
        let (at, label) = match arity.max {
            Some(max) if n > max => {
                let extra = n - max;
                (
                    call.args[max].range.start..call.args[n - 1].range.end,
                    format!(
                        "{extra} extra {}",
                        if extra == 1 { "argument" } else { "arguments" }
                    ),
                )
            }
            _ => {
                let missing = arity.min - n;
                (
                    range,
                    format!(
                        "{missing} {} missing",
                        if missing == 1 {
                            "argument"
                        } else {
                            "arguments"
                        }
                    ),
                )
            }
        };
        let given = if n == 1 {
            "1 was given".to_string()
        } else {
            format!("{n} were given")
        };
        let message = format!("`{}` takes {}, but {given}", call.name, arity.describe());
        self.push(
            "nomnom::wrong_arity",
            at,
            report::Text {
                message,
                label,
                help: usage,
            },
        );
        false
    }

    fn builtin(
        &mut self,
        f: &'static Function,
        call: &Call,
        range: Range<usize>,
        args: Vec<Option<Typed>>,
    ) -> Option<Typed> {
        let usage = format!("call it as `{}`: {}", f.signature(), f.doc);
        if !self.arity(call, range.clone(), f.arity(), usage) {
            return None;
        }
        let n = args.len();
        let mut ok = true;
        let mut groups = None;
        for (i, (expr, arg)) in call.args.iter().zip(&args).enumerate() {
            let p = f.param(i, n).expect("within the arity");
            if let Some(kind) = p.literal {
                match &expr.kind {
                    ExprKind::String(lit) => {
                        if let Some(g) = self.literal(kind, lit, expr.range.clone()) {
                            groups = Some(g);
                        }
                    }
                    _ => self.push(
                        "nomnom::literal_required",
                        expr.range.clone(),
                        report::literal_required(f.name, p.name, kind),
                    ),
                }
            }
            if let (Some(rule), ExprKind::Integer(v)) = (p.constant, &expr.kind) {
                if let Some(text) = report::constant(f.name, p.name, rule, *v, groups) {
                    self.push("nomnom::invalid_argument", expr.range.clone(), text);
                }
            }
            let Some(arg) = arg else {
                ok = false;
                continue;
            };
            if p.ty == ParamType::Integer && arg.ty.ty != ScalarType::Integer {
                self.push(
                    "nomnom::argument_type",
                    expr.range.clone(),
                    report::mismatch(&call.name, p.name, i + 1, ScalarType::Integer, arg.ty.ty),
                );
                ok = false;
            }
        }
        let t = self.common(f, call, &args, TypeVar::T);
        let v = self.common(f, call, &args, TypeVar::V);
        let (true, Ok(t), Ok(v)) = (ok, t, v) else {
            return None;
        };
        let args: Vec<Typed> = args.into_iter().map(|a| a.expect("checked")).collect();
        let typed_args = args
            .iter()
            .zip(&call.args)
            .enumerate()
            .map(|(i, (arg, expr))| {
                let ty = match f.param(i, n).expect("within the arity").ty {
                    ParamType::Text => ScalarType::String,
                    ParamType::Integer => ScalarType::Integer,
                    ParamType::Var(TypeVar::T) => t.expect("resolved"),
                    ParamType::Var(TypeVar::V) => v.expect("resolved"),
                };
                let coercion =
                    types::coercion(arg.ty.ty, ty, is_decimal_literal(expr)).expect("checked");
                TypedArg {
                    value: arg.clone(),
                    coercion,
                    ty,
                }
            })
            .collect();
        let ty = match f.returns {
            Returns::Type(ty) => ty,
            Returns::Var(TypeVar::T) => t.expect("resolved"),
            Returns::Var(TypeVar::V) => v.expect("resolved"),
        };
        let nullable = nullability(f, &args);
        Some(Typed {
            kind: TypedKind::Builtin {
                function: f,
                args: typed_args,
            },
            ty: ValueType { ty, nullable },
            range,
        })
    }

    /// The common type of the arguments sharing `var`: `Ok(None)` when no parameter uses
    /// it, `Err(())` when it cannot be decided (reported unless an argument is in error).
    fn common(
        &mut self,
        f: &Function,
        call: &Call,
        args: &[Option<Typed>],
        var: TypeVar,
    ) -> Result<Option<ScalarType>, ()> {
        let n = args.len();
        let indices: Vec<usize> = (0..n)
            .filter(|&i| f.param(i, n).is_some_and(|p| p.ty == ParamType::Var(var)))
            .collect();
        if indices.is_empty() {
            return Ok(None);
        }
        let mut members = Vec::new();
        for &i in &indices {
            let arg = args[i].as_ref().ok_or(())?;
            members.push(Member {
                ty: arg.ty.ty,
                decimal_literal: is_decimal_literal(&call.args[i]),
            });
        }
        match types::common_type(&members) {
            Ok(ty) => Ok(Some(ty)),
            Err(j) => {
                let common = types::common_type(&members[..j]).expect("a prefix has a common type");
                let text =
                    report::no_common_type(f.name, var, indices[j] + 1, members[j].ty, common);
                self.push(
                    "nomnom::argument_type",
                    call.args[indices[j]].range.clone(),
                    text,
                );
                Err(())
            }
        }
    }

    fn transform(
        &mut self,
        t: &Transform,
        call: &Call,
        range: Range<usize>,
        args: Vec<Option<Typed>>,
    ) -> Option<Typed> {
        let names: Vec<&str> = t.params.iter().map(|p| p.name.as_str()).collect();
        let usage = format!(
            "call it as `{}({})`, as declared under `transforms:`",
            call.name,
            names.join(", ")
        );
        let n = t.params.len();
        if !self.arity(
            call,
            range.clone(),
            functions::Arity {
                min: n,
                max: Some(n),
            },
            usage,
        ) {
            return None;
        }
        let mut typed_args = Vec::new();
        let mut nullable = t.returns.nullable;
        for (i, ((expr, arg), p)) in call.args.iter().zip(args).zip(&t.params).enumerate() {
            let Some(arg) = arg else { continue };
            match types::coercion(arg.ty.ty, p.ty.ty, is_decimal_literal(expr)) {
                Some(coercion) => {
                    // A null where the transform takes no `Option` is not passed: the call is null.
                    nullable |= arg.ty.nullable && !p.ty.nullable;
                    typed_args.push(TypedArg {
                        value: arg,
                        coercion,
                        ty: p.ty.ty,
                    });
                }
                None => self.push(
                    "nomnom::argument_type",
                    expr.range.clone(),
                    report::mismatch(&call.name, &p.name, i + 1, p.ty.ty, arg.ty.ty),
                ),
            }
        }
        if typed_args.len() < n {
            return None;
        }
        Some(Typed {
            kind: TypedKind::Transform {
                name: call.name.clone(),
                args: typed_args,
            },
            ty: ValueType {
                ty: t.returns.ty,
                nullable,
            },
            range,
        })
    }

    /// Checks a required literal; for a regular expression returns its group count.
    fn literal(
        &mut self,
        kind: LiteralKind,
        lit: &StringLit,
        range: Range<usize>,
    ) -> Option<usize> {
        let (result, code) = match kind {
            LiteralKind::Regex => (literals::regex(&lit.value), "nomnom::invalid_regex"),
            _ => (
                literals::format(&lit.value, kind).map(|()| 0),
                "nomnom::invalid_format",
            ),
        };
        match result {
            Ok(groups) => Some(groups),
            Err(problem) => {
                let at = match &problem.at {
                    Some(r) => {
                        range.start + lit.source_offset(r.start)
                            ..range.start + lit.source_offset(r.end)
                    }
                    None => range,
                };
                let text = report::Text {
                    message: problem.message,
                    label: problem.label,
                    help: problem.help,
                };
                self.push(code, at, text);
                None
            }
        }
    }
}

/// Whether a built-in's result may be null, from its arguments' nullability.
fn nullability(f: &Function, args: &[Typed]) -> bool {
    let any = args.iter().any(|a| a.ty.nullable);
    match f.nulls {
        Nulls::Strict => any,
        Nulls::StrictOrNoMatch | Nulls::NullIfEqual => true,
        Nulls::SkipNulls => false,
        Nulls::SkipNullsAfterFirst => args[0].ty.nullable,
        Nulls::FirstNonNull => args.iter().all(|a| a.ty.nullable),
        Nulls::Lookup => {
            let n = args.len();
            let results_nullable = args.iter().enumerate().any(|(i, a)| {
                a.ty.nullable
                    && f.param(i, n)
                        .is_some_and(|p| p.ty == ParamType::Var(TypeVar::V))
            });
            args[0].ty.nullable || !f.default_given(n) || results_nullable
        }
    }
}

#[cfg(test)]
#[path = "check_tests/mod.rs"]
mod tests;
