//! A checked `compute:` expression as Rust: one call of the runtime's `compute` functions (or
//! of a user transform) per call in the expression, in the same shape.
//!
//! Every node is written as an expression of type `Option<V>` (`None` is SQL's null), `V`
//! being `Cow<str>` for text (borrowed from the record where it can be), `Json` for json, and
//! the field's Rust type otherwise. A function that can fail is followed by `?` (the method
//! returns `Result<_, ComputeError>`). `coalesce` and `lookup` compute an argument only when
//! it is needed, as PostgreSQL does, so a fallible argument after the chosen one never fails.

use nomnom_spec::expr::{Coercion, Typed, TypedArg, TypedKind};
use nomnom_spec::model::{ScalarType, UserTransform};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::idents::field_ident;
use crate::error::GenerateError;
use crate::rust::idents::inconsistent;

/// The functions that can fail (a bad value, a bad argument).
const FALLIBLE: &[&str] = &[
    "substring",
    "split_part",
    "regex_capture",
    "parse_date",
    "parse_timestamp",
    "to_integer",
    "to_decimal",
    "to_float",
];

/// Writes expressions; `transforms` are the model's user transforms.
pub struct Writer<'t> {
    pub transforms: &'t [UserTransform],
}

/// `true` when computing `t` may fail.
pub fn fallible(t: &Typed) -> bool {
    let mut found = false;
    t.walk(&mut |node| match &node.kind {
        TypedKind::Builtin { function, .. } if FALLIBLE.contains(&function.name) => found = true,
        TypedKind::Transform { .. } => found = true,
        _ => {}
    });
    found
}

impl Writer<'_> {
    /// `t` as an `Option<V>` expression.
    pub fn node(&self, t: &Typed) -> Result<TokenStream, GenerateError> {
        Ok(match &t.kind {
            TypedKind::Field(name) => {
                let f = field_ident(name);
                match (t.ty.ty, t.ty.nullable) {
                    (ScalarType::String, _) => quote!(compute::text(&self.#f)),
                    (ScalarType::Json, false) => quote!(Some(self.#f.clone())),
                    (ScalarType::Json, true) => quote!(self.#f.clone()),
                    (_, false) => quote!(Some(self.#f)),
                    (_, true) => quote!(self.#f),
                }
            }
            TypedKind::String(s) => quote!(compute::text(#s)),
            TypedKind::Integer(n) => {
                let n = Literal::i64_suffixed(*n);
                quote!(Some(#n))
            }
            TypedKind::Decimal(text) => quote!(Decimal::from_str_exact(#text).ok()),
            TypedKind::Builtin { function, args } => self.builtin(function.name, args)?,
            TypedKind::Transform { name, args } => self.transform_call(name, args, true)?,
        })
    }

    /// An argument converted to the type its parameter takes.
    pub fn arg(&self, a: &TypedArg) -> Result<TokenStream, GenerateError> {
        if a.coercion == Coercion::ToFloat {
            if let TypedKind::Decimal(text) = &a.value.kind {
                let lit: syn::LitFloat = syn::parse_str(&format!("{text}f64"))
                    .map_err(|_| inconsistent(format!("`{text}` is not a float literal")))?;
                return Ok(quote!(Some(#lit)));
            }
        }
        let value = self.node(&a.value)?;
        Ok(coerce(value, a.coercion))
    }

    fn args(&self, args: &[TypedArg]) -> Result<Vec<TokenStream>, GenerateError> {
        args.iter().map(|a| self.arg(a)).collect()
    }

    fn builtin(&self, name: &str, args: &[TypedArg]) -> Result<TokenStream, GenerateError> {
        let f = format_ident!("{name}");
        Ok(match name {
            "concat" | "concat_ws" | "sha256" => {
                let owned = self.new_text(name, args)?;
                quote!(#owned.map(Cow::Owned))
            }
            "regex_capture" => {
                let s = self.arg(&args[0])?;
                let TypedKind::String(pattern) = &args[1].value.kind else {
                    return Err(inconsistent(
                        "the pattern of regex_capture is a literal".into(),
                    ));
                };
                let group = self.arg(&args[2])?;
                quote! {{
                    static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
                        compute::compile_regex(#pattern).expect("checked by nomnom check")
                    });
                    compute::regex_capture(#s, &PATTERN, #group)?
                }}
            }
            "parse_date" | "parse_timestamp" | "to_integer" | "to_decimal" | "to_float" => {
                let call = self.parse_call(name, args)?;
                quote!(#call?)
            }
            "coalesce" => self.coalesce(args)?,
            "lookup" => self.lookup(args)?,
            _ => {
                let values = self.args(args)?;
                let call = quote!(compute::#f(#(#values),*));
                if FALLIBLE.contains(&name) {
                    quote!(#call?)
                } else {
                    call
                }
            }
        })
    }

    /// A call reading a value from text (`parse_date`, `to_integer`, …), as the
    /// `Result<Option<T>, ComputeError>` it returns.
    fn parse_call(&self, name: &str, args: &[TypedArg]) -> Result<TokenStream, GenerateError> {
        let f = format_ident!("{name}");
        let s = self.arg(&args[0])?;
        Ok(match args.get(1).map(|a| &a.value.kind) {
            Some(TypedKind::String(format)) => quote!(compute::#f(#s, #format)),
            Some(_) => return Err(inconsistent(format!("the format of {name} is a literal"))),
            None => quote!(compute::#f(#s)),
        })
    }

    /// `t` as the `Result` a method returns, when it is a call reading a value from text
    /// whose value needs no conversion (`to_decimal(…)` for a decimal field).
    pub fn as_result(&self, t: &Typed) -> Result<Option<TokenStream>, GenerateError> {
        Ok(match &t.kind {
            TypedKind::Builtin { function, args }
                if matches!(
                    function.name,
                    "parse_date" | "parse_timestamp" | "to_integer" | "to_decimal" | "to_float"
                ) =>
            {
                Some(self.parse_call(function.name, args)?)
            }
            _ => None,
        })
    }

    /// The calls that make a new `String` (`concat`, `concat_ws`, `sha256`), as an
    /// `Option<String>`.
    fn new_text(&self, name: &str, args: &[TypedArg]) -> Result<TokenStream, GenerateError> {
        // `concat` and `concat_ws` write every value themselves (booleans as `t` and `f`):
        // their values are passed unconverted.
        let values = |args: &[TypedArg]| -> Result<Vec<TokenStream>, GenerateError> {
            args.iter().map(|a| self.node(&a.value)).collect()
        };
        Ok(match name {
            "concat" => {
                let parts = values(args)?;
                quote!(Some(compute::concat(&[#(&#parts),*])))
            }
            "concat_ws" => {
                let sep = self.arg(&args[0])?;
                let parts = values(&args[1..])?;
                quote!(compute::concat_ws(#sep, &[#(&#parts),*]))
            }
            _ => {
                let s = self.arg(&args[0])?;
                quote!(compute::sha256(#s))
            }
        })
    }

    /// `t` as an `Option<String>` when computing it makes a new string anyway (`concat`,
    /// `concat_ws`, `sha256`, a transform returning text), so a text field takes it as it is.
    pub fn owned_text(&self, t: &Typed) -> Result<Option<TokenStream>, GenerateError> {
        Ok(match &t.kind {
            TypedKind::Builtin { function, args }
                if matches!(function.name, "concat" | "concat_ws" | "sha256") =>
            {
                Some(self.new_text(function.name, args)?)
            }
            TypedKind::Transform { name, args } if t.ty.ty == ScalarType::String => {
                Some(self.transform_call(name, args, false)?)
            }
            _ => None,
        })
    }

    /// The first argument that is not null, each computed only when those before are null.
    fn coalesce(&self, args: &[TypedArg]) -> Result<TokenStream, GenerateError> {
        let values = self.args(args)?;
        if !args.iter().any(|a| fallible(&a.value)) {
            return Ok(quote!(compute::coalesce([#(#values),*])));
        }
        let mut values = values.into_iter().rev();
        let mut out = values.next().unwrap_or_else(|| quote!(None));
        for value in values {
            out = quote! {
                match #value {
                    Some(value) => Some(value),
                    None => #out,
                }
            };
        }
        Ok(out)
    }

    /// `CASE key WHEN k1 THEN v1 … ELSE default END`, strict in `key`: each value to match is
    /// computed in turn until one equals the key, and only the chosen result is computed.
    fn lookup(&self, args: &[TypedArg]) -> Result<TokenStream, GenerateError> {
        let key = self.arg(&args[0])?;
        let rest = &args[1..];
        let mut chain = TokenStream::new();
        for (i, pair) in rest.chunks_exact(2).enumerate() {
            let (k, v) = (self.arg(&pair[0])?, self.arg(&pair[1])?);
            let branch = quote! {
                if #k.is_some_and(|k| compute::SqlEq::sql_eq(&k, &key)) {
                    #v
                }
            };
            chain.extend(if i == 0 { branch } else { quote!(else #branch) });
        }
        let default = match rest.len() % 2 {
            1 => self.arg(&rest[rest.len() - 1])?,
            _ => quote!(None),
        };
        let out = quote!(#chain else { #default });
        Ok(quote! {
            match #key {
                Some(key) => #out,
                None => None,
            }
        })
    }

    /// A call of a user transform: strict in each parameter that is not nullable (a null
    /// there gives null without calling it); its `Err(message)` fails the field. Text it
    /// returns is a `Cow` when `cow`, else the `String` itself.
    fn transform_call(
        &self,
        name: &str,
        args: &[TypedArg],
        cow: bool,
    ) -> Result<TokenStream, GenerateError> {
        let transform = self
            .transforms
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| inconsistent(format!("no transform `{name}`")))?;
        let params: Vec<(ScalarType, bool)> = transform
            .params
            .iter()
            .map(|(_, p)| (p.ty, p.nullable))
            .collect();
        let f = format_ident!("{name}");
        let mut scrutinees = Vec::new();
        let mut patterns = Vec::new();
        let mut passed = Vec::new();
        for (i, (a, (ty, nullable))) in args.iter().zip(&params).enumerate() {
            let value = self.arg(a)?;
            let local = format_ident!("arg{i}");
            scrutinees.push(value);
            patterns.push(if *nullable {
                quote!(#local)
            } else {
                quote!(Some(#local))
            });
            passed.push(match (ty, nullable) {
                (ScalarType::String | ScalarType::Json, false) => quote!(&#local),
                (ScalarType::String, true) => quote!(#local.as_deref()),
                (ScalarType::Json, true) => quote!(#local.as_ref()),
                _ => quote!(#local),
            });
        }
        let returns = (transform.returns.ty, transform.returns.nullable);
        let call = quote! {
            transforms::#f(#(#passed),*).map_err(|e| ComputeError::new(#name, e))?
        };
        let value = match returns {
            (ScalarType::String, false) if cow => quote!(Some(Cow::Owned(#call))),
            (ScalarType::String, true) if cow => quote!(#call.map(Cow::Owned)),
            (_, false) => quote!(Some(#call)),
            (_, true) => call,
        };
        if params.iter().all(|(_, nullable)| *nullable) {
            return Ok(quote! {
                match (#(#scrutinees,)*) {
                    (#(#patterns,)*) => #value,
                }
            });
        }
        if let ([scrutinee], [pattern]) = (scrutinees.as_slice(), patterns.as_slice()) {
            return Ok(quote! {
                match #scrutinee {
                    #pattern => #value,
                    None => None,
                }
            });
        }
        Ok(quote! {
            match (#(#scrutinees,)*) {
                (#(#patterns,)*) => #value,
                _ => None,
            }
        })
    }
}

/// `value` (an `Option<V>`) converted as `coercion` says.
pub fn coerce(value: TokenStream, coercion: Coercion) -> TokenStream {
    match coercion {
        Coercion::None => value,
        Coercion::ToText => quote!(compute::text(#value)),
        Coercion::ToDecimal => quote!(#value.map(Decimal::from)),
        Coercion::ToFloat => quote!(#value.map(|n| n as f64)),
    }
}
