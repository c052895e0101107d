//! The model's constraints on a converted value (`max_length`, `pattern`, `min`, `max`,
//! `enum`), each recording its rule when broken.

use std::fmt::Display;

use super::Loc;
use crate::model::FieldError;

/// `max_length`: at most `max` characters (Unicode scalar values).
pub fn max_length(value: &str, max: usize, loc: &Loc<'_>, errors: &mut Vec<FieldError>) -> bool {
    let ok = value.len() <= max || value.chars().count() <= max;
    if !ok {
        loc.fail(
            errors,
            "max_length",
            format!("must be at most {max} characters long"),
        );
    }
    ok
}

/// `pattern`: `regex` is the model's pattern anchored to match the whole value; `source` is
/// the pattern as written, for the message.
pub fn pattern(
    value: &str,
    regex: &regex::Regex,
    source: &str,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
) -> bool {
    let ok = regex.is_match(value);
    if !ok {
        loc.fail(
            errors,
            "pattern",
            format!("must match the pattern {source}"),
        );
    }
    ok
}

/// `min`: at least `bound` (inclusive).
pub fn min<T: PartialOrd + Display>(
    value: &T,
    bound: &T,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
) -> bool {
    let ok = value >= bound;
    if !ok {
        loc.fail(errors, "min", format!("must be at least {bound}"));
    }
    ok
}

/// `max`: at most `bound` (inclusive).
pub fn max<T: PartialOrd + Display>(
    value: &T,
    bound: &T,
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
) -> bool {
    let ok = value <= bound;
    if !ok {
        loc.fail(errors, "max", format!("must be at most {bound}"));
    }
    ok
}

/// `enum`: one of `allowed`.
pub fn one_of<T: PartialEq + Display + ?Sized, A: std::borrow::Borrow<T> + Display>(
    value: &T,
    allowed: &[A],
    loc: &Loc<'_>,
    errors: &mut Vec<FieldError>,
) -> bool {
    let ok = allowed.iter().any(|a| a.borrow() == value);
    if !ok {
        let list: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        loc.fail(
            errors,
            "enum",
            format!("must be one of {}", list.join(", ")),
        );
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_report_their_rule() {
        let mut errors = Vec::new();
        let loc = Loc::new("", "s");
        assert!(max_length("ééé", 3, &loc, &mut errors));
        assert!(!max_length("éééé", 3, &loc, &mut errors));
        let re = regex::Regex::new("^(?:[A-Z]+)$").expect("regex");
        assert!(pattern("ABC", &re, "[A-Z]+", &loc, &mut errors));
        assert!(!pattern("ABc", &re, "[A-Z]+", &loc, &mut errors));
        assert!(min(&1i64, &1, &loc, &mut errors));
        assert!(!min(&0i64, &1, &loc, &mut errors));
        assert!(!max(&1.5f64, &1.0, &loc, &mut errors));
        assert!(one_of("O", &["O", "F"], &loc, &mut errors));
        assert!(!one_of("X", &["O", "F"], &loc, &mut errors));
        assert!(!one_of(&3i64, &[1i64, 2], &loc, &mut errors));
        let got: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.rule, e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("max_length", "must be at most 3 characters long"),
                ("pattern", "must match the pattern [A-Z]+"),
                ("min", "must be at least 1"),
                ("max", "must be at most 1"),
                ("enum", "must be one of O, F"),
                ("enum", "must be one of 1, 2"),
            ]
        );
    }
}
