//! Every built-in function's arity, argument types, literals and nullability.

use super::*;

#[test]
fn text_functions_take_any_scalar() {
    for f in ["lower", "upper", "trim", "sha256"] {
        assert_eq!(ty(&format!("{f}(code)")), (String, false), "{f}");
        assert_eq!(ty(&format!("{f}(note)")), (String, true), "{f}");
        for field in [
            "qty", "price", "weight", "active", "day", "at", "id", "payload",
        ] {
            let text = format!("{f}({field})");
            assert_eq!(arg_coercions(&text), [(Coercion::ToText, String)], "{text}");
        }
        let (code, at, message) = error(&format!("{f}(code, code)"));
        assert_eq!((code, at.as_str()), ("nomnom::wrong_arity", "code"));
        assert_eq!(
            message,
            format!("`{f}` takes exactly 1 argument, but 2 were given")
        );
        let (_, at, message) = error(&format!("{f}()"));
        assert_eq!(at, format!("{f}()"));
        assert_eq!(
            message,
            format!("`{f}` takes exactly 1 argument, but 0 were given")
        );
    }
    assert_eq!(arg_coercions("upper(code)"), [(Coercion::None, String)]);
}

#[test]
fn parsing_functions() {
    assert_eq!(ty("to_integer(code)"), (Integer, false));
    assert_eq!(ty("to_decimal(note)"), (Decimal, true));
    assert_eq!(ty("to_float(price)"), (Float, false));
    assert_eq!(
        arg_coercions("to_float(price)"),
        [(Coercion::ToText, String)]
    );
    assert_eq!(
        error("to_integer()").2,
        "`to_integer` takes exactly 1 argument, but 0 were given"
    );
}

#[test]
fn concat_and_concat_ws() {
    assert_eq!(ty("concat(note)"), (String, false));
    assert_eq!(
        ty("concat(code, qty, price, weight, active, day, at, id, payload)"),
        (String, false)
    );
    assert_eq!(ty("concat_ws('-', note, qty_opt)"), (String, false));
    assert_eq!(ty("concat_ws(note, code)"), (String, true));
    assert_eq!(
        error("concat()").2,
        "`concat` takes at least 1 argument, but 0 were given"
    );
    let (_, at, message) = error("concat_ws('-')");
    assert_eq!(at, "concat_ws('-')");
    assert_eq!(
        message,
        "`concat_ws` takes at least 2 arguments, but 1 was given"
    );
}

#[test]
fn substring_and_split_part() {
    assert_eq!(ty("substring(code, 2, 3)"), (String, false));
    assert_eq!(ty("substring(code, qty_opt, 3)"), (String, true));
    assert_eq!(ty("substring(qty, -1, 0)"), (String, false));
    assert_eq!(
        error("substring(code, '1', 2)"),
        (
            "nomnom::argument_type",
            "'1'".into(),
            "argument 2 (`start`) of `substring` must be an integer, not a string".into()
        )
    );
    assert_eq!(error("substring(code, 1, price)").1, "price");
    assert_eq!(error("substring(code, 1, 2.0)").1, "2.0");
    assert_eq!(
        error("substring(code, 1, -2)"),
        (
            "nomnom::invalid_argument",
            "-2".into(),
            "the `length` of `substring` is negative".into()
        )
    );
    let (_, at, message) = error("substring(code, 1, 2, 3, 4)");
    assert_eq!(at, "3, 4");
    assert_eq!(
        message,
        "`substring` takes exactly 3 arguments, but 5 were given"
    );
    assert_eq!(ty("split_part(code, '-', -1)"), (String, false));
    assert_eq!(ty("split_part(code, note, qty)"), (String, true));
    assert_eq!(
        error("split_part(code, '-', 0)"),
        (
            "nomnom::invalid_argument",
            "0".into(),
            "the `n` of `split_part` is 0".into()
        )
    );
    assert_eq!(error("split_part(code, '-', day)").1, "day");
    assert_eq!(error("split_part(code, '-')").0, "nomnom::wrong_arity");
}

#[test]
fn replace_takes_three_texts() {
    assert_eq!(ty("replace(code, '-', '')"), (String, false));
    assert_eq!(ty("replace(code, note, '')"), (String, true));
    assert_eq!(
        arg_coercions("replace(qty, 1, id)"),
        [
            (Coercion::ToText, String),
            (Coercion::ToText, String),
            (Coercion::ToText, String)
        ]
    );
    assert_eq!(
        error("replace(code, '-')").2,
        "`replace` takes exactly 3 arguments, but 2 were given"
    );
}

#[test]
fn regex_capture() {
    // Null when nothing matches, even on a required input.
    assert_eq!(
        ty("regex_capture(code, '^([A-Z]+)-(\\d+)$', 2)"),
        (String, true)
    );
    assert_eq!(ty("regex_capture(code, 'x', 0)"), (String, true));
    assert_eq!(ty("regex_capture(code, '(x)', qty)"), (String, true));
    assert_eq!(
        error("regex_capture(code, note, 1)"),
        (
            "nomnom::literal_required",
            "note".into(),
            "the `pattern` of `regex_capture` must be a string literal".into()
        )
    );
    assert_eq!(
        error("regex_capture(code, concat('(', 'x)'), 1)").0,
        "nomnom::literal_required"
    );
    // Located inside the literal, past a doubled quote.
    assert_eq!(
        error("regex_capture(code, 'it''s (x', 1)"),
        (
            "nomnom::invalid_regex",
            "(".into(),
            "invalid regular expression: unclosed group".into()
        )
    );
    let text = "regex_capture(code, 'a''[b', 1)";
    let expr = parse(text).unwrap();
    let d = &check(&expr, &env(), Origin::At(0)).unwrap_err()[0];
    assert_eq!(d.offset, text.find('[').unwrap());
    assert_eq!(
        error("regex_capture(code, '(a)(b)', 3)"),
        (
            "nomnom::invalid_argument",
            "3".into(),
            "`regex_capture` asks for group 3, but the pattern has 2 groups".into()
        )
    );
    assert_eq!(error("regex_capture(code, 'a', -1)").1, "-1");
    assert_eq!(
        error("regex_capture(code, 'a', '1')").0,
        "nomnom::argument_type"
    );
    assert_eq!(error("regex_capture(code, 'a')").0, "nomnom::wrong_arity");
}

#[test]
fn parse_date_and_timestamp() {
    assert_eq!(ty("parse_date(code, '%d/%m/%Y')"), (Date, false));
    assert_eq!(ty("parse_date(note, '%Y-%m-%d')"), (Date, true));
    assert_eq!(
        ty("parse_timestamp(code, '%Y-%m-%d %H:%M:%S')"),
        (Timestamp, false)
    );
    assert_eq!(
        ty("parse_timestamp(code, '%Y-%m-%dT%H:%M:%S%z')"),
        (Timestamp, false)
    );
    assert_eq!(
        error("parse_date(code, code)"),
        (
            "nomnom::literal_required",
            "code".into(),
            "the `format` of `parse_date` must be a string literal".into()
        )
    );
    assert_eq!(
        error("parse_date(code, '%d/%Q/%Y')"),
        (
            "nomnom::invalid_format",
            "%Q".into(),
            "`%Q` is not a chrono strftime specifier".into()
        )
    );
    assert_eq!(
        error("parse_date(code, '%d/%m')"),
        (
            "nomnom::invalid_format",
            "'%d/%m'".into(),
            "the format `%d/%m` does not determine a date".into()
        )
    );
    assert_eq!(
        error("parse_timestamp(code, '%Y-%m-%d')").2,
        "the format `%Y-%m-%d` does not determine a timestamp"
    );
    assert_eq!(error("parse_timestamp(code)").0, "nomnom::wrong_arity");
}

#[test]
fn coalesce_takes_one_common_type() {
    assert_eq!(ty("coalesce(note, code)"), (String, false));
    assert_eq!(ty("coalesce(note, note)"), (String, true));
    assert_eq!(ty("coalesce(note)"), (String, true));
    assert_eq!(ty("coalesce(qty_opt, price)"), (Decimal, false));
    assert_eq!(
        arg_coercions("coalesce(qty_opt, price)"),
        [(Coercion::ToDecimal, Decimal), (Coercion::None, Decimal)]
    );
    assert_eq!(ty("coalesce(qty_opt, 0)"), (Integer, false));
    assert_eq!(ty("coalesce(weight, 0.5)"), (Float, false));
    assert_eq!(ty("coalesce(0.5, weight)"), (Float, false));
    assert_eq!(
        error("coalesce(qty_opt, 'none')"),
        (
            "nomnom::argument_type",
            "'none'".into(),
            "argument 2 of `coalesce` is a string, but its arguments must share one type, here integer".into()
        )
    );
    assert_eq!(error("coalesce(price, weight)").1, "weight");
    assert_eq!(error("coalesce(day, at)").1, "at");
    assert_eq!(error("coalesce()").0, "nomnom::wrong_arity");
}

#[test]
fn nullif_is_always_nullable() {
    assert_eq!(ty("nullif(code, '')"), (String, true));
    assert_eq!(ty("nullif(qty, 0.0)"), (Decimal, true));
    assert_eq!(error("nullif(code, 0)").1, "0");
    assert_eq!(
        error("nullif(code)").2,
        "`nullif` takes exactly 2 arguments, but 1 was given"
    );
    assert_eq!(error("nullif(code, 'a', 'b')").1, "'b'");
}

#[test]
fn lookup_pairs_and_default() {
    // Without a default, no match gives null.
    assert_eq!(
        ty("lookup(code, 'A', 'Alpha', 'B', 'Beta')"),
        (String, true)
    );
    assert_eq!(
        ty("lookup(code, 'A', 'Alpha', 'B', 'Beta', 'Other')"),
        (String, false)
    );
    assert_eq!(ty("lookup(code, 'A', 'Alpha', 'Other')"), (String, false));
    assert_eq!(ty("lookup(note, 'A', 'Alpha', 'Other')"), (String, true));
    assert_eq!(ty("lookup(code, 'A', note, 'Other')"), (String, true));
    assert_eq!(ty("lookup(code, 'A', 'x', note)"), (String, true));
    // Matching a nullable value is fine: it matches nothing when null.
    assert_eq!(ty("lookup(code, note, 'x', 'y')"), (String, false));
    assert_eq!(ty("lookup(qty, 1, 1.5, 2, 2)"), (Decimal, true));
    assert_eq!(
        arg_coercions("lookup(qty, 1, 1.5, 2, 2)"),
        [
            (Coercion::None, Integer),
            (Coercion::None, Integer),
            (Coercion::None, Decimal),
            (Coercion::None, Integer),
            (Coercion::ToDecimal, Decimal),
        ]
    );
    assert_eq!(error("lookup(code, 'A', day, at)").1, "at");
    assert_eq!(
        error("lookup(code, 1, 'x')"),
        (
            "nomnom::argument_type",
            "1".into(),
            "argument 2 of `lookup` is an integer, but the key and the values to match must share one type, here string".into()
        )
    );
    assert_eq!(
        error("lookup(code, 'a', 1, 'b', 'x')").2,
        "argument 5 of `lookup` is a string, but the results and the default must share one type, here integer"
    );
    assert_eq!(error("lookup(code, 'a', 1, 'x')").1, "'x'");
    assert_eq!(
        error("lookup(code, 'a')").2,
        "`lookup` takes at least 3 arguments, but 2 were given"
    );
}
