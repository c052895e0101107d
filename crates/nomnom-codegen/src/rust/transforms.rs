//! `src/transforms.rs`: the model's user transforms as Rust functions, their bodies exactly as
//! written in the model (comments and layout kept), and each of their tests as a unit test
//! named after its line in the model (`normalize_phone_line_42`), which `nomnom test` reports.

use nomnom_spec::expr::ValueType;
use nomnom_spec::model::{Expected, Literal, Project, ScalarType, UserTransform};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::idents::{ident_plain, inconsistent};
use crate::emit::rust_file;
use crate::error::GenerateError;
use crate::types::{self, RustType};

/// The marker a body replaces after printing.
const BODY: &str = "__nomnom_body!";

/// The file's text (only written when the model has transforms). `model_file` names the
/// model in messages (`nomnom.yaml`).
pub fn file(project: &Project, model_file: &str) -> Result<String, GenerateError> {
    let mut functions = Vec::new();
    let mut tests = Vec::new();
    for (i, t) in project.transforms.iter().enumerate() {
        check_body(t, model_file)?;
        functions.push(function(t, i));
        for test in &t.tests {
            tests.push(unit_test(t, test, model_file)?);
        }
    }
    let doc = format!(
        " The user transforms of the `{}` model (`transforms:` in its {model_file}), called by \
         computed fields like the built-in functions: a null argument where a transform takes no \
         `Option` gives null without calling it, and an `Err` fails the computed field. Each test \
         of the model is a unit test below.",
        project.name
    );
    let test_module = (!tests.is_empty()).then(|| {
        quote! {
            #[cfg(test)]
            mod tests {
                use super::*;
                #(#tests)*
            }
        }
    });
    let tokens = quote! {
        #![doc = #doc]
        #![allow(unused_imports)]
        use nomnom_runtime::types::{DateTime, Decimal, Json, NaiveDate, Utc, Uuid};
        #(#functions)*
        #test_module
    };
    let printed = rust_file(tokens)?;
    Ok(insert_bodies(&printed, &project.transforms))
}

/// The body must be Rust (statements and a final expression); reported at its line.
fn check_body(t: &UserTransform, model_file: &str) -> Result<(), GenerateError> {
    syn::parse_str::<syn::Block>(&format!("{{\n{}\n}}", t.rust)).map_err(|e| {
        let line = t.rust_line + e.span().start().line.saturating_sub(2);
        GenerateError(format!(
            "{model_file}:{line}: the body of transform `{}` is not Rust: {e}",
            t.name
        ))
    })?;
    Ok(())
}

fn function(t: &UserTransform, index: usize) -> TokenStream {
    let name = ident_plain(&t.name);
    let doc = t.doc.as_ref().map(|d| {
        let d = format!(" {d}");
        quote!(#[doc = #d])
    });
    let params = t.params.iter().map(|(n, ty)| {
        let n = ident_plain(n);
        let ty = param_type(*ty);
        quote!(#n: #ty)
    });
    let returns = owned_type(t.returns);
    let marker = proc_macro2::Literal::usize_unsuffixed(index);
    quote! {
        #doc
        pub fn #name(#(#params),*) -> Result<#returns, String> {
            __nomnom_body!(#marker)
        }
    }
}

/// A parameter's Rust type: text and json borrowed, the rest by value; `Option` when nullable.
fn param_type(ty: ValueType) -> TokenStream {
    let base = match ty.ty {
        ScalarType::String => quote!(&str),
        ScalarType::Json => quote!(&Json),
        other => base_type(other),
    };
    if ty.nullable {
        quote!(Option<#base>)
    } else {
        base
    }
}

/// A returned value's Rust type.
fn owned_type(ty: ValueType) -> TokenStream {
    let base = base_type(ty.ty);
    if ty.nullable {
        quote!(Option<#base>)
    } else {
        base
    }
}

fn base_type(ty: ScalarType) -> TokenStream {
    match types::rust_type(ty) {
        RustType::Prelude(n) | RustType::Runtime(n) => {
            let n = ident_plain(n);
            quote!(#n)
        }
        RustType::Timestamp => quote!(DateTime<Utc>),
    }
}

fn unit_test(
    t: &UserTransform,
    test: &nomnom_spec::model::TransformTest,
    model_file: &str,
) -> Result<TokenStream, GenerateError> {
    let name = ident_plain(&t.name);
    let test_name = format_ident!("{}_line_{}", t.name, test.line);
    let at = format!("the test at {model_file}:{}", test.line);
    let args = test
        .args
        .iter()
        .zip(&t.params)
        .map(|(lit, (_, ty))| value(lit, *ty, true))
        .collect::<Result<Vec<_>, _>>()?;
    let call = quote!(#name(#(#args),*));
    Ok(match &test.expect {
        Expected::Returns(lit) => {
            let expected = value(lit, t.returns, false)?;
            quote! {
                #[test]
                fn #test_name() {
                    assert_eq!(#call, Ok(#expected), #at);
                }
            }
        }
        Expected::Error(text) => quote! {
            #[test]
            fn #test_name() {
                match #call {
                    Ok(value) => panic!("{}: expected an error containing {:?}, got Ok({:?})", #at, #text, value),
                    Err(e) => assert!(e.contains(#text), "{}: expected an error containing {:?}, got {:?}", #at, #text, e),
                }
            }
        },
    })
}

/// A test value as Rust: an argument (`borrowed`: text as `&str`, json as `&Json`) or an
/// expected result.
fn value(lit: &Literal, ty: ValueType, borrowed: bool) -> Result<TokenStream, GenerateError> {
    let base = match lit {
        Literal::Null if ty.nullable => return Ok(quote!(None)),
        Literal::Null if ty.ty == ScalarType::Json => quote!(Json::null()),
        Literal::Null => return Err(inconsistent("a null test value of a required type".into())),
        Literal::Bool(b) => quote!(#b),
        Literal::String(s) | Literal::Number(s) => match ty.ty {
            ScalarType::String if borrowed => quote!(#s),
            ScalarType::String => quote!(#s.to_string()),
            ScalarType::Integer => {
                let n: i64 = s
                    .parse()
                    .map_err(|_| inconsistent(format!("`{s}` is not an integer")))?;
                let n = proc_macro2::Literal::i64_suffixed(n);
                quote!(#n)
            }
            ScalarType::Float => {
                let n: f64 = s
                    .parse()
                    .map_err(|_| inconsistent(format!("`{s}` is not a float")))?;
                let n = proc_macro2::Literal::f64_suffixed(n);
                quote!(#n)
            }
            ScalarType::Decimal => quote!(Decimal::from_str_exact(#s).unwrap()),
            ScalarType::Date => quote!(#s.parse::<NaiveDate>().unwrap()),
            ScalarType::Timestamp => quote!(#s.parse::<DateTime<Utc>>().unwrap()),
            ScalarType::Uuid => quote!(Uuid::parse_str(#s).unwrap()),
            ScalarType::Boolean | ScalarType::Json => {
                return Err(inconsistent(format!("test value `{s}`")))
            }
        },
        Literal::Json(v) => {
            let text = v.to_string();
            quote!(Json::parse(#text).unwrap())
        }
    };
    let base = if borrowed && ty.ty == ScalarType::Json {
        quote!(&#base)
    } else {
        base
    };
    Ok(if ty.nullable {
        quote!(Some(#base))
    } else {
        base
    })
}

/// Replaces each printed `__nomnom_body!(i)` line with transform `i`'s body, indented like
/// it.
fn insert_bodies(printed: &str, transforms: &[UserTransform]) -> String {
    let mut out = String::with_capacity(printed.len() + 1024);
    for line in printed.lines() {
        let trimmed = line.trim_start();
        let index = trimmed
            .strip_prefix(BODY)
            .and_then(|r| r.strip_prefix('('))
            .and_then(|r| r.strip_suffix(')'))
            .and_then(|n| n.parse::<usize>().ok());
        match index.and_then(|i| transforms.get(i)) {
            Some(t) => {
                let indent = &line[..line.len() - trimmed.len()];
                for body_line in dedent(&t.rust).lines() {
                    if body_line.trim().is_empty() {
                        out.push('\n');
                    } else {
                        out.push_str(indent);
                        out.push_str(body_line);
                        out.push('\n');
                    }
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// `text` without the indentation all its lines share.
fn dedent(text: &str) -> String {
    let common = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|l| l.get(common..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_keep_their_layout_and_comments() {
        let loaded = nomnom_spec::load_str(
            "project: p\ntransforms:\n  twice:\n    args:\n      - s: string\n    returns: string\n    rust: |\n      // doubled\n      Ok(format!(\"{s}{s}\"))\n    tests:\n      - {args: [ab], returns: abab}\nentities:\n  E:\n    fields:\n      a: string\n      b: {type: string, compute: \"twice(a)\"}\n",
            "nomnom.yaml",
        )
        .unwrap();
        let text = file(&loaded.project, "nomnom.yaml").unwrap();
        assert!(text.contains("pub fn twice(s: &str) -> Result<String, String> {\n    // doubled\n    Ok(format!(\"{s}{s}\"))\n}"), "{text}");
        assert!(text.contains("fn twice_line_11()"), "{text}");
        assert!(text.contains("assert_eq!(twice(\"ab\"), Ok(\"abab\".to_string()), \"the test at nomnom.yaml:11\");"), "{text}");
    }

    #[test]
    fn a_body_that_is_not_rust_is_reported_at_its_line() {
        let loaded = nomnom_spec::load_str(
            "project: p\ntransforms:\n  bad:\n    returns: string\n    rust: |\n      let x = ;\n      Ok(x)\nentities:\n  E:\n    fields:\n      a: string\n",
            "nomnom.yaml",
        )
        .unwrap();
        let err = file(&loaded.project, "nomnom.yaml").unwrap_err();
        assert!(
            err.0
                .starts_with("nomnom.yaml:6: the body of transform `bad` is not Rust"),
            "{}",
            err.0
        );
    }
}
