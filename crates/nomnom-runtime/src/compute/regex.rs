//! `regex_capture(s, pattern, group)`: a group of the first match of a regular expression, as
//! PostgreSQL 15's `regexp_substr(s, pattern, 1, 1, '', group)`.
//!
//! The pattern is a literal of the model, compiled once by generated code with
//! [`compile_regex`] (and checked by `nomnom check`), so the function takes a compiled
//! [`Regex`]. Its syntax and matching are the `regex` crate's, which differ from PostgreSQL's
//! (Tcl ARE) in places: an alternation takes the first alternative that matches (`a|ab` on
//! `abc` gives `a`, PostgreSQL's leftmost-longest rule gives `ab`); there are no
//! back-references or look-around; `\d`, `\w`, `\s` and `[[:alpha:]]`-style classes follow
//! Unicode or ASCII where PostgreSQL follows the C library's locale. On the patterns both
//! understand the same way (literal text, bracket classes, greedy and lazy quantifiers,
//! anchors, groups) the results are the same; [`compile_regex`] makes `.` match a newline,
//! as PostgreSQL's does.
//!
//! As PostgreSQL's, a pattern without groups has its whole match as group 1 too (the first
//! element of `regexp_match`).

use std::borrow::Cow;

use ::regex::{Regex, RegexBuilder};

use super::error::ComputeError;
use super::text::keep;
use super::to_text::IntoText;

/// Compiles a pattern for [`regex_capture`], with PostgreSQL's defaults where the `regex`
/// crate's differ: `.` matches any character, a newline too. `^` and `$` anchor at the start
/// and end of the text in both.
pub fn compile_regex(pattern: &str) -> Result<Regex, ::regex::Error> {
    RegexBuilder::new(pattern)
        .dot_matches_new_line(true)
        .build()
}

/// `regex_capture(s, pattern, group)`: group `group` of the first match of `pattern` in `s`
/// (0 is the whole match, and so is 1 in a pattern without groups); null when nothing
/// matches, when the group took no part in the match, or when the pattern has fewer groups.
/// A negative group is an error.
pub fn regex_capture<'a>(
    s: impl IntoText<'a>,
    pattern: &Regex,
    group: impl Into<Option<i64>>,
) -> Result<Option<Cow<'a, str>>, ComputeError> {
    let (Some(s), Some(group)) = (s.into_text(), group.into()) else {
        return Ok(None);
    };
    let Ok(group) = usize::try_from(group) else {
        return Err(ComputeError::new(
            "regex_capture",
            format!("the group must not be negative, and is {group}"),
        ));
    };
    let groups = pattern.captures_len() - 1;
    let group = if groups == 0 && group == 1 { 0 } else { group };
    if group > groups {
        return Ok(None);
    }
    let range = if group == 0 {
        pattern.find(&s).map(|m| m.range())
    } else {
        pattern
            .captures(&s)
            .and_then(|c| c.get(group))
            .map(|m| m.range())
    };
    Ok(range.map(|range| keep(s, range)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(s: &str, pattern: &str, group: i64) -> Result<Option<String>, ComputeError> {
        let re = compile_regex(pattern).expect("a valid pattern");
        regex_capture(s, &re, group).map(|o| o.map(Cow::into_owned))
    }

    /// Expected results from PostgreSQL 15's `regexp_substr(s, p, 1, 1, '', group)`.
    #[test]
    fn groups_of_the_first_match() {
        assert_eq!(capture("abc", "a(b)", 0).unwrap().as_deref(), Some("ab"));
        assert_eq!(capture("abc", "a(b)", 1).unwrap().as_deref(), Some("b"));
        assert_eq!(capture("abc", "a(b)", 5).unwrap(), None);
        assert_eq!(capture("abc", "x(y)?", 1).unwrap(), None);
        assert_eq!(capture("abc", "a(x)?", 1).unwrap(), None);
        assert_eq!(capture("hello", "l+", 1).unwrap().as_deref(), Some("ll"));
        assert_eq!(capture("hello", "l+", 2).unwrap(), None);
        assert_eq!(capture("", "^$", 1).unwrap().as_deref(), Some(""));
        assert_eq!(
            capture("a\nb", "^(.+)$", 1).unwrap().as_deref(),
            Some("a\nb")
        );
        assert_eq!(
            capture("order 12-345 and 67-890", r"(\d+)-(\d+)", 2)
                .unwrap()
                .as_deref(),
            Some("345")
        );
        assert_eq!(
            capture("né à Zürich", "à (.+)$", 1).unwrap().as_deref(),
            Some("Zürich")
        );
    }

    #[test]
    fn a_negative_group_is_an_error_and_null_is_null() {
        assert_eq!(
            capture("abc", "a", -1).unwrap_err().to_string(),
            "regex_capture: the group must not be negative, and is -1"
        );
        let re = Regex::new("a").unwrap();
        assert_eq!(regex_capture(None::<&str>, &re, 0), Ok(None));
        assert_eq!(regex_capture("a", &re, None), Ok(None));
    }

    #[test]
    fn borrowed_input_gives_a_slice() {
        let re = Regex::new("b+").unwrap();
        assert!(matches!(
            regex_capture("abbc", &re, 0),
            Ok(Some(Cow::Borrowed("bb")))
        ));
        assert_eq!(
            regex_capture(String::from("abbc"), &re, 0)
                .unwrap()
                .as_deref(),
            Some("bb")
        );
    }
}
