//! The Rust types of nomnom's type table, recognised in an entity's fields, and the model's
//! constants as Rust values of those types.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{GenericArgument, PathArguments, Type};

use crate::attrs::Literal;

/// What a scalar field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Float,
    Decimal,
    Boolean,
    Date,
    Timestamp,
    Uuid,
    Json,
}

/// A field's shape: a column (`nullable` when it is an `Option`), or a list of children.
pub enum Shape<'a> {
    Column { kind: Kind, nullable: bool },
    Children { child: &'a Type },
}

/// The last segment of a type path and its generic arguments.
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// The single type argument of `Option<T>` or `Vec<T>`.
fn only_argument(segment: &syn::PathSegment) -> Option<&Type> {
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(t)) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

impl Kind {
    fn of(ty: &Type) -> Option<Kind> {
        let name = last_segment(ty)?.ident.to_string();
        Some(match name.as_str() {
            "String" => Kind::Text,
            "i64" => Kind::Integer,
            "f64" => Kind::Float,
            "Decimal" => Kind::Decimal,
            "bool" => Kind::Boolean,
            "NaiveDate" => Kind::Date,
            "DateTime" => Kind::Timestamp,
            "Uuid" => Kind::Uuid,
            "Json" => Kind::Json,
            _ => return None,
        })
    }

    /// The shape of a field of type `ty`; `children` says it is marked as a list of children.
    pub fn shape(ty: &Type, children: bool) -> syn::Result<Shape<'_>> {
        let unsupported = || {
            syn::Error::new_spanned(
                ty,
                "nomnom entities hold String, i64, f64, Decimal, bool, NaiveDate, \
                 DateTime<Utc>, Uuid or Json (optionally in an Option), or Vec<Child> \
                 marked #[field(children)]",
            )
        };
        let segment = last_segment(ty).ok_or_else(unsupported)?;
        if children {
            return match (segment.ident.to_string().as_str(), only_argument(segment)) {
                ("Vec", Some(child)) => Ok(Shape::Children { child }),
                _ => Err(syn::Error::new_spanned(
                    ty,
                    "children are held in a Vec<Child>",
                )),
            };
        }
        if segment.ident == "Option" {
            let inner = only_argument(segment).ok_or_else(unsupported)?;
            let kind = Kind::of(inner).ok_or_else(unsupported)?;
            return Ok(Shape::Column {
                kind,
                nullable: true,
            });
        }
        let kind = Kind::of(ty).ok_or_else(unsupported)?;
        Ok(Shape::Column {
            kind,
            nullable: false,
        })
    }

    /// The runtime's reader (`nomnom_runtime::json::field::<reader>`) for this kind.
    pub fn reader(self) -> &'static str {
        match self {
            Kind::Text => "string",
            Kind::Integer => "integer",
            Kind::Float => "float",
            Kind::Decimal => "decimal",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
            Kind::Timestamp => "timestamp",
            Kind::Uuid => "uuid",
            Kind::Json => "json",
        }
    }

    /// `nomnom_runtime::db::table::ColumnKind::<variant>`.
    pub fn column_kind(self) -> TokenStream {
        let variant = syn::Ident::new(&format!("{self:?}"), Span::call_site());
        quote!(::nomnom_runtime::db::table::ColumnKind::#variant)
    }

    /// `true` when values are moved by `Clone` rather than copied.
    pub fn is_owned(self) -> bool {
        matches!(self, Kind::Text | Kind::Json)
    }

    /// A number of this kind as a Rust constant (`1i64`, `0.5f64`, `Decimal::from_parts(..)`).
    pub fn number(self, text: &str, span: Span) -> syn::Result<TokenStream> {
        let bad = |what: &str| syn::Error::new(span, format!("`{text}` is not {what}"));
        match self {
            Kind::Integer => {
                let n: i64 = text.parse().map_err(|_| bad("a 64-bit integer"))?;
                let lit = proc_macro2::Literal::i64_suffixed(n);
                Ok(quote!(#lit))
            }
            Kind::Float => {
                let n: f64 = text.parse().map_err(|_| bad("a number"))?;
                let lit = proc_macro2::Literal::f64_suffixed(n);
                Ok(quote!(#lit))
            }
            Kind::Decimal => {
                let value = rust_decimal::Decimal::from_scientific(text)
                    .or_else(|_| rust_decimal::Decimal::from_str_exact(text))
                    .map_err(|_| bad("a decimal of at most 28 significant digits"))?;
                let mantissa = value.mantissa().unsigned_abs();
                let (lo, mid, hi) = (
                    mantissa as u32,
                    (mantissa >> 32) as u32,
                    (mantissa >> 64) as u32,
                );
                let negative = value.is_sign_negative() && mantissa != 0;
                let scale = value.scale();
                Ok(
                    quote!(::nomnom_runtime::export::rust_decimal::Decimal::from_parts(
                        #lo, #mid, #hi, #negative, #scale
                    )),
                )
            }
            _ => Err(syn::Error::new(
                span,
                format!("a number bound needs a numeric field, not {self:?}"),
            )),
        }
    }

    /// The check `one_of(values)` for a value of this kind (named `value` in the reader).
    pub fn one_of(self, values: &[Literal], span: Span) -> syn::Result<TokenStream> {
        let mismatch =
            || syn::Error::new(span, format!("`one_of` values must fit a {self:?} field"));
        match self {
            Kind::Text | Kind::Date | Kind::Uuid => {
                let mut strs = Vec::new();
                for v in values {
                    let Literal::Str(s) = v else {
                        return Err(mismatch());
                    };
                    strs.push(s.clone());
                }
                let value = if self == Kind::Text {
                    quote!(value.as_str())
                } else {
                    quote!(value.to_string().as_str())
                };
                Ok(
                    quote!(::nomnom_runtime::json::field::one_of(#value, &[#(#strs),*], loc, errors)),
                )
            }
            Kind::Integer | Kind::Float | Kind::Decimal => {
                let mut nums = Vec::new();
                for v in values {
                    let Literal::Number(text) = v else {
                        return Err(mismatch());
                    };
                    nums.push(self.number(text, span)?);
                }
                Ok(
                    quote!(::nomnom_runtime::json::field::one_of(&value, &[#(#nums),*], loc, errors)),
                )
            }
            Kind::Boolean => {
                let mut bools = Vec::new();
                for v in values {
                    let Literal::Bool(b) = v else {
                        return Err(mismatch());
                    };
                    bools.push(*b);
                }
                Ok(
                    quote!(::nomnom_runtime::json::field::one_of(&value, &[#(#bools),*], loc, errors)),
                )
            }
            Kind::Timestamp | Kind::Json => Err(mismatch()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(kind: Kind, text: &str) -> Option<String> {
        kind.number(text, Span::call_site())
            .ok()
            .map(|t| t.to_string().replace(' ', ""))
    }

    #[test]
    fn numbers_become_constants_of_their_kind_without_a_float() {
        assert_eq!(number(Kind::Integer, "-3").as_deref(), Some("-3i64"));
        assert_eq!(number(Kind::Integer, "1.5"), None);
        assert_eq!(number(Kind::Float, "0.5").as_deref(), Some("0.5f64"));
        let parts = |text| {
            number(Kind::Decimal, text).map(|t| {
                t.trim_start_matches("::nomnom_runtime::export::rust_decimal::Decimal::from_parts")
                    .to_string()
            })
        };
        assert_eq!(
            parts("0.15").as_deref(),
            Some("(15u32,0u32,0u32,false,2u32)")
        );
        assert_eq!(
            parts("-3e2").as_deref(),
            Some("(300u32,0u32,0u32,true,0u32)")
        );
        assert_eq!(
            parts("1.5E-3").as_deref(),
            Some("(15u32,0u32,0u32,false,4u32)")
        );
        // 2^64 lands in `hi`.
        assert_eq!(
            parts("18446744073709551616").as_deref(),
            Some("(0u32,0u32,1u32,false,0u32)")
        );
        assert_eq!(parts("1e40"), None);
        assert_eq!(parts("abc"), None);
        assert_eq!(number(Kind::Text, "1"), None);
    }
}
