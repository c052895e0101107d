//! Unit tests of the expression parser: every form, and every error with its exact range.

use super::*;

fn ok(text: &str) -> Expr {
    parse(text).unwrap_or_else(|e| panic!("{text:?} did not parse: {e:?}"))
}

fn err(text: &str) -> ParseError {
    match parse(text) {
        Ok(e) => panic!("{text:?} parsed as {e:?}"),
        Err(e) => e,
    }
}

/// The error's range as the text it covers, and its message.
fn err_at(text: &str) -> (String, String) {
    let e = err(text);
    assert!(!e.label.is_empty() && !e.help.is_empty(), "{e:?}");
    (text[e.range.clone()].to_string(), e.message)
}

fn call(e: &Expr) -> &Call {
    e.as_call().unwrap_or_else(|| panic!("not a call: {e:?}"))
}

#[test]
fn parses_fields_and_literals() {
    assert_eq!(
        ok("raw_id"),
        Expr {
            kind: ExprKind::Field("raw_id".into()),
            range: 0..6
        }
    );
    assert_eq!(ok("  _x9 ").range, 2..5);
    assert_eq!(ok("42").kind, ExprKind::Integer(42));
    assert_eq!(ok("-7").kind, ExprKind::Integer(-7));
    assert_eq!(ok("007").kind, ExprKind::Integer(7));
    assert_eq!(ok("9223372036854775807").kind, ExprKind::Integer(i64::MAX));
    assert_eq!(ok("-9223372036854775808").kind, ExprKind::Integer(i64::MIN));
    assert_eq!(ok("0.15").kind, ExprKind::Decimal("0.15".into()));
    assert_eq!(ok("-3.50").kind, ExprKind::Decimal("-3.50".into()));
    assert_eq!(ok(" -3.50 ").range, 1..6);
}

#[test]
fn parses_strings_with_doubled_quotes() {
    let e = ok("'it''s'");
    assert_eq!(e.range, 0..7);
    let ExprKind::String(s) = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(s.value, "it's");
    assert_eq!(s.doubled_quotes, vec![2]);
    let ExprKind::String(s) = ok("''").kind else {
        panic!()
    };
    assert_eq!(s.value, "");
    let ExprKind::String(s) = ok("''''").kind else {
        panic!()
    };
    assert_eq!(s.value, "'");
    let ExprKind::String(s) = ok("'a, b)(é'").kind else {
        panic!()
    };
    assert_eq!(s.value, "a, b)(é");
}

#[test]
fn parses_calls_with_ranges() {
    let text = "upper( trim(raw_id) )";
    let e = ok(text);
    assert_eq!(e.range, 0..text.len());
    let c = call(&e);
    assert_eq!(c.name, "upper");
    assert_eq!(c.name_range, 0..5);
    assert_eq!(c.args.len(), 1);
    let inner = call(&c.args[0]);
    assert_eq!(&text[c.args[0].range.clone()], "trim(raw_id)");
    assert_eq!(&text[inner.args[0].range.clone()], "raw_id");

    let text = "parse_date(shipped_raw, '%d/%m/%Y')";
    let c = ok(text);
    let c = call(&c);
    assert_eq!(c.args.len(), 2);
    assert_eq!(&text[c.args[1].range.clone()], "'%d/%m/%Y'");

    // Whitespace (including newlines) between every token, even before `(`.
    let text = "concat_ws ( '-' ,\n a ,\t-1 , 2.5 )";
    let e = ok(text);
    let c = call(&e);
    assert_eq!(c.name_range, 0..9);
    let kinds: Vec<&ExprKind> = c.args.iter().map(|a| &a.kind).collect();
    assert_eq!(
        kinds,
        vec![
            &ExprKind::String(StringLit::plain("-")),
            &ExprKind::Field("a".into()),
            &ExprKind::Integer(-1),
            &ExprKind::Decimal("2.5".into()),
        ]
    );
    assert_eq!(&text[c.args[2].range.clone()], "-1");

    let e = ok("now()");
    assert!(call(&e).args.is_empty());
    assert_eq!(ok("f( )").range, 0..4);
}

#[test]
fn nests_up_to_the_limit() {
    let deep = |n: usize| format!("{}x{}", "f(".repeat(n), ")".repeat(n));
    assert!(parse(&deep(MAX_DEPTH)).is_ok());
    let (at, message) = err_at(&deep(MAX_DEPTH + 1));
    assert_eq!(at, "f");
    assert!(message.contains("deep"), "{message}");
    // Far deeper input fails the same way, without exhausting the stack.
    assert!(parse(&deep(100_000)).is_err());
}

#[test]
fn empty_expression() {
    let e = err("   ");
    assert_eq!(e.range, 0..3);
    assert_eq!(e.message, "the expression is empty");
    assert_eq!(err("").range, 0..0);
}

#[test]
fn unclosed_quote() {
    assert_eq!(
        err_at("upper('abc)"),
        ("'abc)".into(), "unclosed string literal".into())
    );
    // A doubled quote at the end does not close the string.
    assert_eq!(err("'it''").range, 0..5);
}

#[test]
fn missing_close_paren() {
    for text in ["upper(x", "upper(", "upper(x,", "upper(trim(x)", "f(g(x), "] {
        let e = err(text);
        assert_eq!(e.label, "this `(` is never closed", "{text}");
        assert_eq!(&text[e.range.clone()], "(", "{text}");
    }
    let e = err("upper(trim(x)");
    assert_eq!(e.range, 5..6);
    assert_eq!(e.message, "missing `)` to close the call of `upper`");
    let e = err("upper(trim(x");
    assert_eq!(e.range, 10..11);
    assert_eq!(e.message, "missing `)` to close the call of `trim`");
}

#[test]
fn trailing_text() {
    let e = err("upper(x) lower(y)  ");
    assert_eq!(e.range, 9..17);
    assert_eq!(e.message, "unexpected text after the expression");
    assert_eq!(err_at("upper(x))").0, ")");
    assert_eq!(err_at("a b").0, "b");
    assert_eq!(err_at("'a''b' 'c'").0, "'c'");
}

#[test]
fn empty_arguments() {
    let e = err("concat(a, , b)");
    assert_eq!(e.range, 10..11);
    assert_eq!(e.message, "empty argument in the call of `concat`");
    assert_eq!(e.label, "argument missing before this `,`");
    let e = err("concat(a,)");
    assert_eq!(e.range, 9..10);
    assert_eq!(e.label, "argument missing after the last `,`");
    let e = err("concat(, a)");
    assert_eq!(e.range, 7..8);
    assert!(e.help.contains("leading"), "{e:?}");
}

#[test]
fn missing_separator() {
    let e = err("concat(a b)");
    assert_eq!(e.range, 9..10);
    assert_eq!(
        e.message,
        "expected `,` or `)` after argument 1 of `concat`"
    );
    assert_eq!(e.help, "separate arguments with `,`");
    let e = err("concat(a, 'x' 'y')");
    assert_eq!(e.range, 14..15);
    assert_eq!(
        e.message,
        "expected `,` or `)` after argument 2 of `concat`"
    );
    let e = err("concat(a + b)");
    assert_eq!(e.range, 9..10);
    assert!(e.help.contains("no operators"), "{e:?}");
    let e = err("concat(a; b)");
    assert_eq!(e.range, 8..9);
}

#[test]
fn unexpected_characters() {
    let e = err("\"abc\"");
    assert_eq!(
        (e.range.clone(), e.message.as_str()),
        (0..1, "unexpected `\"`")
    );
    assert!(e.help.contains("single quotes"));
    let e = err("upper(\"x\")");
    assert_eq!(e.range, 6..7);
    assert!(e.help.contains("single quotes"));
    let e = err("+1");
    assert_eq!(e.range, 0..1);
    assert!(e.help.contains("no operators"));
    assert_eq!(err("(a)").range, 0..1);
    assert_eq!(err(".5").range, 0..1);
    assert_eq!(err("f(€)").range, 2..5);
    assert_eq!(err(")").message, "unexpected `)`");
}

#[test]
fn non_ascii_names() {
    let e = err("upper(prénom)");
    assert_eq!(e.range, 6..13);
    assert_eq!(e.message, "`prénom` is not a valid name");
    assert_eq!(err("été").range, 0..5);
}

#[test]
fn bad_numbers() {
    let e = err("-x");
    assert_eq!(
        (e.range.clone(), e.message.as_str()),
        (0..1, "`-` must be followed by digits")
    );
    assert_eq!(err("f(a, - 1)").range, 5..6);
    let e = err("1.");
    assert_eq!(e.range, 0..2);
    assert_eq!(e.message, "expected digits after the decimal point");
    let e = err("f(1.x)");
    assert_eq!(e.range, 2..4);
    let e = err("12ab");
    assert_eq!(e.range, 0..4);
    assert_eq!(e.label, "names cannot start with a digit");
    let e = err("1e5");
    assert_eq!(e.range, 0..3);
    let e = err("1.5e3");
    assert_eq!(e.range, 3..5);
    assert_eq!(e.message, "unexpected `e3` after the number `1.5`");
    let e = err("-2x");
    assert_eq!(e.range, 2..3);
    let e = err("1.2.3");
    assert_eq!(e.range, 3..4);
    assert_eq!(e.message, "unexpected `.` after the number `1.2`");
}

#[test]
fn numbers_out_of_range() {
    let e = err("f(9223372036854775808)");
    assert_eq!(e.range, 2..21);
    assert_eq!(
        e.message,
        "the integer `9223372036854775808` does not fit in 64 bits"
    );
    assert!(e.help.contains("`9223372036854775808.0`"));
    // 28 significant digits fit, leading zeros do not count; 29 do not.
    assert!(parse("0.1234567890123456789012345678").is_ok());
    assert!(parse("000123456789012345678901234567.8").is_ok());
    let e = err("1.2345678901234567890123456789");
    assert_eq!(e.range, 0..30);
    assert!(e.message.contains("more than 28 significant digits"));
}
