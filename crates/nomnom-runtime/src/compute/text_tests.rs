//! Unit tests of the functions of text. Expected values were checked against PostgreSQL 15;
//! `tests/compute_vs_postgres.rs` compares many more cases with the server itself.

use super::*;
use rust_decimal::Decimal;

fn owned(result: Option<Cow<'_, str>>) -> Option<String> {
    result.map(Cow::into_owned)
}

#[test]
fn concat_skips_nulls_and_writes_every_type() {
    let none: Option<&str> = None;
    let text = concat(&[&"a", &none, &1i64, &Decimal::new(250, 2), &true, &"é"]);
    assert_eq!(text, "a12.50té");
    assert_eq!(concat(&[&none]), "");
    assert_eq!(concat(&[]), "");
    assert_eq!(concat(&[&Some(String::from("x")), &None::<i64>]), "x");
}

#[test]
fn concat_ws_separates_the_values_that_are_not_null() {
    let none: Option<&str> = None;
    assert_eq!(concat_ws("-", &[&"a", &none, &"b"]).as_deref(), Some("a-b"));
    assert_eq!(concat_ws("-", &[&none, &none]).as_deref(), Some(""));
    assert_eq!(concat_ws(none, &[&"a"]), None);
    assert_eq!(concat_ws("", &[&"a", &"b"]).as_deref(), Some("ab"));
    assert_eq!(concat_ws(", ", &[&none, &"x"]).as_deref(), Some("x"));
    assert_eq!(
        concat_ws("/", &[&1i64, &none, &2.5f64, &false]).as_deref(),
        Some("1/2.5/f")
    );
}

#[test]
fn trim_removes_only_spaces() {
    assert_eq!(owned(trim("  a b  ")).as_deref(), Some("a b"));
    assert_eq!(owned(trim("\t a \n")).as_deref(), Some("\t a \n"));
    assert_eq!(owned(trim("    ")).as_deref(), Some(""));
    assert_eq!(owned(trim("")).as_deref(), Some(""));
    assert_eq!(owned(trim(" 日本 ")).as_deref(), Some("日本"));
    assert_eq!(trim(None::<&str>), None);
    assert!(matches!(trim(" x "), Some(Cow::Borrowed("x"))));
    let field = String::from("  kept  ");
    let ptr = field.as_ptr();
    match trim(field) {
        Some(Cow::Owned(s)) => {
            assert_eq!(s, "kept");
            assert_eq!(s.as_ptr(), ptr, "cut in place");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn substring_counts_characters_from_one() {
    let sub = |s: &str, start: i64, length: i64| owned(substring(s, start, length).unwrap());
    for (s, start, length, expected) in [
        ("hello", 1, 3, "hel"),
        ("hello", 0, 3, "he"),
        ("hello", -2, 5, "he"),
        ("hello", -2, 3, ""),
        ("hello", 3, 100, "llo"),
        ("hello", 6, 1, ""),
        ("hello", 5, 1, "o"),
        ("hello", 2, 0, ""),
        ("héllo wörld", 2, 4, "éllo"),
        ("", 1, 2, ""),
        ("😀a😀", 2, 2, "a😀"),
        ("hello", i64::MIN, i64::MAX, ""),
        ("hello", 2, i64::MAX, "ello"),
        ("hello", i64::MAX, i64::MAX, ""),
    ] {
        assert_eq!(
            sub(s, start, length).as_deref(),
            Some(expected),
            "{s} {start} {length}"
        );
    }
}

#[test]
fn substring_of_null_is_null_and_a_negative_length_an_error() {
    assert_eq!(substring(None::<&str>, 1, -1), Ok(None));
    assert_eq!(substring("x", None, -1), Ok(None));
    assert_eq!(substring("x", 1, None), Ok(None));
    assert_eq!(
        substring("hello", 1, -1).unwrap_err().to_string(),
        "substring: the length must not be negative, and is -1"
    );
    let owned_input = String::from("abcdef");
    assert_eq!(
        owned(substring(owned_input, 2, 3).unwrap()).as_deref(),
        Some("bcd")
    );
}

#[test]
fn split_part_counts_from_either_end() {
    let part = |s: &str, sep: &str, n: i64| owned(split_part(s, sep, n).unwrap()).unwrap();
    for (s, sep, n, expected) in [
        ("a,b,c", ",", 2, "b"),
        ("a,b,c", ",", -1, "c"),
        ("a,b,c", ",", 4, ""),
        ("a,b,c", ",", -3, "a"),
        ("a,b,c", ",", -4, ""),
        ("a,,c", ",", 2, ""),
        ("aaa", "aa", 1, ""),
        ("aaa", "aa", 2, "a"),
        ("aaa", "aa", -1, "a"),
        ("aaaa", "aa", -1, ""),
        ("aaaa", "aa", -2, ""),
        ("abc", "", 1, "abc"),
        ("abc", "", -1, "abc"),
        ("abc", "", 2, ""),
        ("", ",", 1, ""),
        ("x→y→z", "→", 3, "z"),
        (",a,", ",", 1, ""),
        (",a,", ",", -1, ""),
        ("a,b", ",", i64::MAX, ""),
        ("a,b", ",", i64::MIN, ""),
    ] {
        assert_eq!(part(s, sep, n), expected, "{s:?} {sep:?} {n}");
    }
    assert!(matches!(
        split_part("k=v", "=", 2),
        Ok(Some(Cow::Borrowed("v")))
    ));
}

#[test]
fn split_part_zero_is_an_error_and_null_is_null() {
    assert_eq!(
        split_part("a", ",", 0).unwrap_err().to_string(),
        "split_part: the field position must not be zero"
    );
    assert_eq!(split_part(None::<&str>, ",", 0), Ok(None));
    assert_eq!(split_part("a", None::<&str>, 1), Ok(None));
    assert_eq!(split_part("a", ",", None), Ok(None));
}

#[test]
fn replace_replaces_every_occurrence_left_to_right() {
    for (s, from, to, expected) in [
        ("aaa", "aa", "b", "ba"),
        ("abc", "", "x", "abc"),
        ("abc", "d", "x", "abc"),
        ("a.b.c", ".", "", "abc"),
        ("ééé", "é", "e", "eee"),
        ("abab", "ab", "abab", "abababab"),
    ] {
        assert_eq!(owned(replace(s, from, to)).as_deref(), Some(expected));
    }
    assert!(matches!(
        replace("abc", "x", "y"),
        Some(Cow::Borrowed("abc"))
    ));
    assert_eq!(replace("a", None::<&str>, "b"), None);
    assert_eq!(replace("a", "a", None::<&str>), None);
}

#[test]
fn sha256_is_lower_case_hex_of_the_utf8_bytes() {
    assert_eq!(
        sha256("").as_deref(),
        Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    assert_eq!(
        sha256("abc").as_deref(),
        Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!(
        sha256("é").as_deref(),
        Some("4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c")
    );
    assert_eq!(sha256(None::<String>), None);
}

#[test]
fn keep_slices_borrowed_text_and_cuts_owned_text() {
    assert!(matches!(
        keep(Cow::Borrowed("abc"), 1..2),
        Cow::Borrowed("b")
    ));
    assert_eq!(keep(Cow::Owned("abc".to_string()), 1..3), "bc");
    assert_eq!(keep(Cow::Owned("abc".to_string()), 0..0), "");
    assert!(matches!(
        keep(Cow::Borrowed("abc"), 0..3),
        Cow::Borrowed("abc")
    ));
}
