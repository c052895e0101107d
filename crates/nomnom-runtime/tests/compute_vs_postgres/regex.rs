//! `regex_capture` against PostgreSQL 15's `regexp_substr(s, pattern, 1, 1, '', group)`, on
//! patterns both dialects read the same way.

use std::borrow::Cow;

use nomnom_runtime::compute;

use crate::pg::{Check, Pg};
use crate::SAMPLES;

/// Patterns in the common part of both dialects: literals, bracket classes, greedy and
/// lazy quantifiers, anchors, groups that may not take part.
const PATTERNS: &[&str] = &[
    "l+",
    "(l+)(o)?",
    "^([^,]*),([^,]*)",
    "([0-9]+)-([0-9]+)",
    "([a-z]+)@([a-z.]+)",
    "(é|ö)(.)",
    "(x)?(y)?",
    "^$",
    "^(.)(.*)(.)$",
    "([😀👍])",
    "(a|b)(c)?",
    "(.+?)(,|$)",
    "([ ]+)",
    "[0-9]+",
    "^.*$",
    "(b)(r)?(e)",
    "(ß)",
];

#[tokio::test]
async fn regex_capture_as_regexp_substr() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    for pattern in PATTERNS {
        let re = compute::compile_regex(pattern).expect("a valid pattern");
        for s in SAMPLES.iter().copied().map(Some).chain([None]) {
            for group in [-1i32, 0, 1, 2, 3, 4] {
                let theirs = pg
                    .text(
                        "SELECT regexp_substr($1::text, $2::text, 1, 1, '', $3::int4)",
                        &[&s, pattern, &group],
                    )
                    .await;
                let ours = compute::regex_capture(s, &re, i64::from(group));
                check.same(
                    format!("regex_capture({s:?}, {pattern:?}, {group})"),
                    ours.map(|o| o.map(Cow::into_owned)),
                    theirs,
                );
            }
        }
    }
    check.finish("regex_capture", 2_000, true);
}

/// Where the dialects differ: an alternation takes its first alternative that matches here,
/// the longest in PostgreSQL.
#[tokio::test]
async fn alternation_is_leftmost_first_not_leftmost_longest() {
    let pg = Pg::connect().await;
    let theirs = pg
        .text("SELECT regexp_substr('abc', 'a|ab', 1, 1, '', 0)", &[])
        .await;
    assert_eq!(theirs, Ok(Some("ab".to_string())));
    let re = compute::compile_regex("a|ab").unwrap();
    assert_eq!(
        compute::regex_capture("abc", &re, 0).unwrap().as_deref(),
        Some("a")
    );
}
