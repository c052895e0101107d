//! The expression language of `compute:`.
//!
//! An expression is a function call, a field of the same entity, a string literal in single
//! quotes (`''` escapes a quote), an integer or a decimal literal:
//! `upper(trim(raw_id))`, `parse_date(shipped_raw, '%d/%m/%Y')`.
//!
//! - [`parse`](parse::parse) turns the text into an [`Expr`](ast::Expr) whose nodes keep
//!   their byte ranges within the text;
//! - [`check()`] types it against an [`Env`] (the entity's fields and the user transforms)
//!   and the [built-in functions](functions::FUNCTIONS), giving a [`Typed`] tree that
//!   records every conversion generated code must make;
//! - [`check_computed`] does both for one computed field and checks that the value fits the
//!   field's declared type;
//! - [`cycles`] finds computed fields that depend on each other.
//!
//! The type rules (any value becomes text where text is expected, integers widen, nothing
//! narrows) are in [`types`]; the built-in functions are data in [`functions`].
//!
//! Every diagnostic points inside the expression: an [`Origin`] says where the expression's
//! text lies in the model file.

pub mod ast;
pub mod check;
pub mod cycles;
pub mod env;
pub mod functions;
pub mod literals;
pub mod parse;
mod report;
pub mod signature;
pub mod typed;
pub mod types;

use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::model::ScalarType;
use crate::yaml::Span;

pub use check::check;
pub use cycles::{cycle_diagnostic, find_cycles, references, Reference};
pub use env::{Binding, Env, ParentScope, Transform, TransformParam};
pub use report::is_identifier;
pub use typed::{Typed, TypedArg, TypedKind};
pub use types::{Coercion, ValueType};

/// Where an expression's text lies in the model file, to turn a byte range within the
/// expression into a [`Span`] of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The text is written verbatim in the file from this byte offset: the first character
    /// of a plain scalar, or the first character *inside the quotes* of a quoted one. Every
    /// diagnostic points at its exact column.
    At(usize),
    /// The file holds the text in another form (escapes such as `\"` or `''`, lines folded
    /// into one): positions inside it cannot be mapped, so every diagnostic points at this,
    /// the whole scalar.
    Scalar(Span),
}

impl Origin {
    /// Where `value`, the decoded text of the YAML scalar written at `span` in `source`,
    /// lies: [`Origin::At`] when the scalar holds it verbatim (plain, or quoted without
    /// escapes), [`Origin::Scalar`] otherwise.
    pub fn of_scalar(source: &str, span: Span, value: &str) -> Origin {
        let raw = if span.len == 0 {
            source.get(span.offset..).unwrap_or("")
        } else {
            source
                .get(span.offset..span.offset + span.len)
                .unwrap_or("")
        };
        // A block scalar (`|`, `>`) of one line holds its text verbatim too; its span runs on
        // over the line break and the next line's indentation.
        if raw
            .strip_prefix(value.trim_end_matches('\n'))
            .is_some_and(|rest| span.len == 0 || rest.trim().is_empty())
            && !value.is_empty()
        {
            return Origin::At(span.offset);
        }
        if value.is_empty() && (span.len == 0 || raw.is_empty()) {
            return Origin::At(span.offset);
        }
        for quote in ['"', '\''] {
            let inner = raw.strip_prefix(quote).and_then(|r| r.strip_prefix(value));
            if inner.is_some_and(|r| r.starts_with(quote) && (span.len == 0 || r.len() == 1)) {
                return Origin::At(span.offset + 1);
            }
        }
        Origin::Scalar(Span {
            offset: span.offset,
            len: if span.len == 0 {
                0
            } else {
                raw.trim_end().len()
            },
        })
    }

    /// The file span of `range`, a byte range within the expression.
    pub fn span(self, range: Range<usize>) -> Span {
        match self {
            Origin::At(base) => Span {
                offset: base + range.start,
                len: range.end.saturating_sub(range.start),
            },
            Origin::Scalar(span) => span,
        }
    }

    /// An error at `range` within the expression. When only the whole scalar can be marked,
    /// the label says the problem is somewhere inside it.
    pub fn error(
        self,
        code: &'static str,
        range: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        let label = label.into();
        let label = match self {
            Origin::At(_) => label,
            Origin::Scalar(_) => format!("{label}, somewhere in this expression"),
        };
        Diagnostic::error(code, self.span(range), message)
            .label(label)
            .help(help)
    }
}

/// A computed field's expression, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    /// The typed tree generated code is written from.
    pub typed: Typed,
    /// How the computed value becomes the field's declared type.
    pub coercion: Coercion,
    /// The fields the expression reads, in the order written (for cycle detection).
    pub references: Vec<Reference>,
}

/// Parses and type-checks the expression `text` of the computed field `field`, declared
/// `declared`, and checks that its value fits that type (with the rules of [`types`]).
/// `origin` locates the text in the model file.
///
/// The value's nullability is `computed.typed.ty.nullable`; a nullable value on a required
/// field is not an error here (a null is rejected when a message computes one).
pub fn check_computed(
    field: &str,
    declared: ScalarType,
    text: &str,
    origin: Origin,
    env: &Env,
) -> Result<Computed, Vec<Diagnostic>> {
    let expr = parse::parse(text).map_err(|e| vec![syntax_diagnostic(&e, origin)])?;
    let typed = check::check(&expr, env, origin)?;
    let decimal_literal = matches!(expr.kind, ast::ExprKind::Decimal(_));
    let Some(coercion) = types::coercion(typed.ty.ty, declared, decimal_literal) else {
        let found = typed.ty.ty;
        return Err(vec![origin.error(
            "nomnom::compute_type_mismatch",
            expr.range.clone(),
            format!(
                "field `{field}` is declared {} but its expression computes {}",
                declared.name(),
                types::article(found)
            ),
            format!("{}, not {}", found.name(), types::article(declared)),
            format!(
                "{}; or declare `{field}` as `{}`",
                types::conversion_hint(found, declared),
                found.name()
            ),
        )]);
    };
    Ok(Computed {
        references: cycles::references(&expr),
        typed,
        coercion,
    })
}

/// A parse error as a diagnostic of the model file.
pub fn syntax_diagnostic(e: &parse::ParseError, origin: Origin) -> Diagnostic {
    origin.error(
        "nomnom::expression_syntax",
        e.range.clone(),
        e.message.clone(),
        e.label.clone(),
        e.help.clone(),
    )
}

#[cfg(test)]
mod tests;
