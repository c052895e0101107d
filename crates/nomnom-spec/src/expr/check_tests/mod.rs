//! Unit tests of the type checker: names, transforms, nesting and where each diagnostic
//! points here; every built-in's arity, types and nullability in `builtins`.

mod builtins;

use super::*;
use crate::expr::parse::parse;
use crate::expr::types::Coercion;
use crate::model::ScalarType::{self, *};

fn env() -> Env {
    Env::new()
        .with_field("code", String, false)
        .with_field("note", String, true)
        .with_field("qty", Integer, false)
        .with_field("qty_opt", Integer, true)
        .with_field("price", Decimal, false)
        .with_field("weight", Float, false)
        .with_field("active", Boolean, false)
        .with_field("day", Date, false)
        .with_field("at", Timestamp, false)
        .with_field("id", Uuid, false)
        .with_field("payload", Json, true)
        .with_list("lines", "OrderLine")
        .with_transform(
            "normalize",
            &[("s", ValueType::required(String))],
            ValueType::required(String),
        )
        .with_transform(
            "scale",
            &[
                ("x", ValueType::required(Decimal)),
                ("factor", ValueType::nullable(Integer)),
            ],
            ValueType::required(Decimal),
        )
        .with_transform("upper", &[], ValueType::required(Integer))
}

fn typed(text: &str) -> Typed {
    let expr = parse(text).unwrap();
    check(&expr, &env(), Origin::At(0)).unwrap_or_else(|d| panic!("{text}: {d:#?}"))
}

fn ty(text: &str) -> (ScalarType, bool) {
    let t = typed(text).ty;
    (t.ty, t.nullable)
}

/// Each diagnostic as (code, the text it points at, message).
fn errors(text: &str) -> Vec<(&'static str, std::string::String, std::string::String)> {
    let expr = parse(text).unwrap();
    let diags = check(&expr, &env(), Origin::At(0)).expect_err(text);
    diags
        .into_iter()
        .map(|d| {
            assert!(!d.label.is_empty() && d.help.is_some(), "{d:?}");
            (
                d.code,
                text[d.offset..d.offset + d.len].to_string(),
                d.message,
            )
        })
        .collect()
}

fn error(text: &str) -> (&'static str, std::string::String, std::string::String) {
    let mut all = errors(text);
    assert_eq!(all.len(), 1, "{text}: {all:#?}");
    all.remove(0)
}

fn arg_coercions(text: &str) -> Vec<(Coercion, ScalarType)> {
    match typed(text).kind {
        TypedKind::Builtin { args, .. } | TypedKind::Transform { args, .. } => {
            args.iter().map(|a| (a.coercion, a.ty)).collect()
        }
        other => panic!("not a call: {other:?}"),
    }
}

#[test]
fn literals_and_fields() {
    assert_eq!(ty("'x'"), (String, false));
    assert_eq!(ty("-4"), (Integer, false));
    assert_eq!(ty("1.50"), (Decimal, false));
    assert_eq!(ty("note"), (String, true));
    assert_eq!(ty("day"), (Date, false));
    assert_eq!(typed("qty").kind, TypedKind::Field("qty".into()));
    assert_eq!(typed("'it''s'").kind, TypedKind::String("it's".into()));
}

#[test]
fn unknown_and_list_fields() {
    assert_eq!(
        error("upper(cdoe)"),
        (
            "nomnom::unknown_field",
            "cdoe".into(),
            "unknown field `cdoe`".into()
        )
    );
    assert_eq!(
        error("concat(lines)"),
        (
            "nomnom::list_in_expression",
            "lines".into(),
            "`lines` is a list of `OrderLine`, not a value".into()
        )
    );
}

#[test]
fn unknown_functions_still_check_their_arguments() {
    let all = errors("uper(nope, code)");
    assert_eq!(
        all,
        [
            (
                "nomnom::unknown_function",
                "uper".into(),
                "unknown function `uper`".into()
            ),
            (
                "nomnom::unknown_field",
                "nope".into(),
                "unknown field `nope`".into()
            ),
        ]
    );
}

#[test]
fn user_transforms() {
    assert_eq!(ty("normalize(code)"), (String, false));
    assert_eq!(
        arg_coercions("normalize(qty)"),
        [(Coercion::ToText, String)]
    );
    // A null into a parameter that takes no `Option` makes the call null.
    assert_eq!(ty("normalize(note)"), (String, true));
    // One that takes an `Option` sees the null.
    assert_eq!(ty("scale(price, qty_opt)"), (Decimal, false));
    assert_eq!(
        arg_coercions("scale(qty, 2)"),
        [(Coercion::ToDecimal, Decimal), (Coercion::None, Integer)]
    );
    assert_eq!(
        error("scale(weight, 2)"),
        (
            "nomnom::argument_type",
            "weight".into(),
            "argument 1 (`x`) of `scale` must be a decimal, not a float".into()
        )
    );
    let (code, at, message) = error("scale(price)");
    assert_eq!((code, at.as_str()), ("nomnom::wrong_arity", "scale(price)"));
    assert_eq!(
        message,
        "`scale` takes exactly 2 arguments, but 1 was given"
    );
    // A built-in wins over a transform of the same name.
    assert_eq!(ty("upper(code)"), (String, false));
    assert_eq!(error("normalise(code)").0, "nomnom::unknown_function");
}

#[test]
fn nested_calls_and_every_error_at_once() {
    assert_eq!(
        ty("upper(trim(coalesce(note, concat(code, '-', qty))))"),
        (String, false)
    );
    let all = errors("concat(substring(code, 'x', 1), parse_date(note, '%Q'), nope)");
    let codes: Vec<&str> = all.iter().map(|e| e.0).collect();
    assert_eq!(
        codes,
        [
            "nomnom::argument_type",
            "nomnom::invalid_format",
            "nomnom::unknown_field"
        ]
    );
}

#[test]
fn spans_are_offset_by_the_origin() {
    let expr = parse("upper(nope)").unwrap();
    let d = &check(&expr, &env(), Origin::At(100)).unwrap_err()[0];
    assert_eq!((d.offset, d.len), (106, 4));
    let whole = crate::yaml::Span { offset: 7, len: 20 };
    let d = &check(&expr, &env(), Origin::Scalar(whole)).unwrap_err()[0];
    assert_eq!((d.offset, d.len), (7, 20));
}

/// Random token soup: parsing and checking never panic, and every range they report lies
/// on character boundaries of the text.
#[test]
fn token_soup_never_panics() {
    const TOKENS: &[&str] = &[
        "upper",
        "(",
        ")",
        ",",
        "'",
        "''",
        "x",
        "code",
        "note",
        "qty",
        "price",
        "1",
        "-",
        ".",
        "5",
        " ",
        "concat",
        "concat_ws",
        "lookup",
        "coalesce",
        "nullif",
        "regex_capture",
        "'(a)'",
        "'['",
        "'%Y'",
        "'%d/%m/%Y'",
        "parse_date",
        "parse_timestamp",
        "substring",
        "split_part",
        "scale",
        "normalize",
        "lines",
        "é",
        "\"",
        "0",
        "2",
        "-1",
        "1.5",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    let env = env();
    let (mut parsed, mut checked) = (0, 0);
    for _ in 0..20_000 {
        let len = 1 + next(14);
        let text: std::string::String = (0..len).map(|_| TOKENS[next(TOKENS.len())]).collect();
        let within = |offset: usize, len: usize| {
            offset + len <= text.len()
                && text.is_char_boundary(offset)
                && text.is_char_boundary(offset + len)
        };
        match parse(&text) {
            Err(e) => assert!(within(e.range.start, e.range.len()), "{text:?}: {e:?}"),
            Ok(expr) => {
                parsed += 1;
                match check(&expr, &env, Origin::At(0)) {
                    Ok(_) => checked += 1,
                    Err(diags) => {
                        assert!(!diags.is_empty());
                        for d in diags {
                            assert!(within(d.offset, d.len), "{text:?}: {d:?}");
                        }
                    }
                }
            }
        }
    }
    // The soup reaches the checker, and some of it is even well-typed.
    assert!(
        parsed > 1_000 && checked > 100,
        "{parsed} parsed, {checked} checked"
    );
}
