//! The string literals some functions require, checked when the model is: regular
//! expressions (compiled with the `regex` crate generated code uses) and chrono strftime
//! formats (parsed with chrono's own `StrftimeItems`, then tried on a sample value), so a bad
//! one is a located diagnostic instead of a failure on every message.

use std::fmt::Write as _;
use std::ops::Range;

use chrono::format::{Item, ParseErrorKind, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::functions::LiteralKind;

/// What is wrong with a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Byte range within the literal's value, when the problem has a place in it; `None`:
    /// the whole literal.
    pub at: Option<Range<usize>>,
    /// One line: what is wrong.
    pub message: String,
    /// Shown under the range.
    pub label: String,
    /// How to fix it.
    pub help: String,
}

/// Checks a regular expression; returns its number of capture groups (group 0, the whole
/// match, not counted).
pub fn regex(pattern: &str) -> Result<usize, Problem> {
    const HELP: &str = "patterns use Rust `regex` syntax; escape literal characters with `\\`";
    let located = |at: Option<Range<usize>>, reason: String| Problem {
        at,
        message: format!("invalid regular expression: {reason}"),
        label: reason,
        help: HELP.to_string(),
    };
    if let Err(e) = regex_syntax::Parser::new().parse(pattern) {
        let (span, reason) = match &e {
            regex_syntax::Error::Parse(e) => (Some(*e.span()), e.kind().to_string()),
            regex_syntax::Error::Translate(e) => (Some(*e.span()), e.kind().to_string()),
            other => (None, other.to_string()),
        };
        let at = span.map(|s| s.start.offset..s.end.offset.max(s.start.offset));
        return Err(located(at, reason));
    }
    match regex::Regex::new(pattern) {
        Ok(re) => Ok(re.captures_len() - 1),
        Err(e) => {
            let text = e.to_string();
            let reason = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("error: "))
                .unwrap_or_else(|| text.lines().next().unwrap_or("invalid"))
                .to_string();
            Err(located(None, reason))
        }
    }
}

/// Checks a chrono strftime format for `parse_date` or `parse_timestamp`: every specifier
/// must be known, and the format must read back a sample value it wrote (which proves it
/// determines a date, or a date and a time of day).
pub fn format(format: &str, kind: LiteralKind) -> Result<(), Problem> {
    if let Some(at) = bad_specifier(format) {
        let spec = &format[at.clone()];
        return Err(Problem {
            at: Some(at.clone()),
            message: format!("`{spec}` is not a chrono strftime specifier"),
            label: "unknown specifier".to_string(),
            help: "chrono's specifiers include %Y %m %d %H %M %S %.f %z; write `%%` for a \
                   literal `%`"
                .to_string(),
        });
    }
    // The sample has every field distinct and two-digit, so a format reads it back only
    // when it really determines the value.
    let sample: DateTime<Utc> = Utc
        .with_ymd_and_hms(2024, 11, 23, 14, 35, 56)
        .single()
        .expect("a valid sample");
    // `%#z` only parses (an offset whose minutes are optional); `%z` writes what it reads.
    let writer = format.replace("%#z", "%z");
    let mut written = String::new();
    if write!(written, "{}", sample.format(&writer)).is_err() {
        return Err(whole(
            format!("the format `{format}` cannot be used"),
            "invalid format",
            "check the specifiers against chrono's strftime documentation",
        ));
    }
    let read = match kind {
        LiteralKind::DateFormat => NaiveDate::parse_from_str(&written, format).map(|_| ()),
        LiteralKind::TimestampFormat => DateTime::parse_from_str(&written, format)
            .map(|_| ())
            .or_else(|_| NaiveDateTime::parse_from_str(&written, format).map(|_| ())),
        LiteralKind::Regex => Ok(()),
    };
    let Err(e) = read else { return Ok(()) };
    let (what, help) = match kind {
        LiteralKind::TimestampFormat => (
            "a timestamp",
            "a timestamp format needs a date and a time of day with at least hours and minutes, \
             as `%Y-%m-%d %H:%M:%S`; an offset (`%z`) is optional, without one the time reads as \
             UTC",
        ),
        _ => (
            "a date",
            "a date format needs the year, the month and the day (or the day of the year), \
             as `%Y-%m-%d` or `%d/%m/%Y`",
        ),
    };
    Err(if e.kind() == ParseErrorKind::NotEnough {
        whole(
            format!("the format `{format}` does not determine {what}"),
            "not enough to read a value",
            help,
        )
    } else {
        whole(
            format!("the format `{format}` cannot read back what it writes: {e}"),
            "cannot be read",
            help,
        )
    })
}

fn whole(message: String, label: &str, help: &str) -> Problem {
    Problem {
        at: None,
        message,
        label: label.to_string(),
        help: help.to_string(),
    }
}

/// The range of the first specifier chrono does not know, if any.
fn bad_specifier(format: &str) -> Option<Range<usize>> {
    let mut from = 0;
    while let Some(p) = format[from..].find('%') {
        let at = from + p;
        let rest = &format[at..];
        if rest.starts_with("%%") {
            from = at + 2;
            continue;
        }
        if matches!(StrftimeItems::new(rest).next(), Some(Item::Error) | None) {
            return Some(at..at + specifier_len(rest));
        }
        from = at + 1;
    }
    // Anything else chrono rejects, unlocated.
    StrftimeItems::new(format)
        .any(|i| matches!(i, Item::Error))
        .then_some(0..format.len())
}

/// The length of the specifier at the start of `rest` (which starts with `%`): its
/// modifiers (`-`, `_`, `0`, `#`, `.`, `:`, digits) and one more character.
fn specifier_len(rest: &str) -> usize {
    let mut len = 1;
    for c in rest[1..].chars() {
        len += c.len_utf8();
        if !matches!(c, '-' | '_' | '0'..='9' | '#' | '.' | ':') {
            break;
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_regexes_count_their_groups() {
        assert_eq!(regex("^([A-Z]+)-(\\d+)$"), Ok(2));
        assert_eq!(regex("(?:a)(?P<n>b)"), Ok(1));
        assert_eq!(regex("abc"), Ok(0));
        assert_eq!(regex(""), Ok(0));
    }

    #[test]
    fn invalid_regexes_are_located() {
        let p = regex("ab(c").unwrap_err();
        assert_eq!(p.at, Some(2..3));
        assert_eq!(p.message, "invalid regular expression: unclosed group");
        let p = regex("x[A-Z").unwrap_err();
        assert_eq!(p.at, Some(1..2));
        assert_eq!(p.label, "unclosed character class");
        let p = regex("a{2,1}").unwrap_err();
        assert!(p.at.is_some(), "{p:?}");
        let p = regex("\\p{Nope}").unwrap_err();
        assert_eq!(p.at, Some(0..8));
        // Valid syntax, but too large to compile: reported on the whole literal.
        let p = regex("\\w{1000}{1000}").unwrap_err();
        assert_eq!(p.at, None);
        assert!(p.message.contains("size limit"), "{p:?}");
    }

    #[test]
    fn valid_formats() {
        use LiteralKind::*;
        for f in [
            "%Y-%m-%d",
            "%d/%m/%Y",
            "%d.%m.%y",
            "%Y%j",
            "%e %B %Y",
            "%F",
            "%A %d %b %Y %%",
        ] {
            assert_eq!(format(f, DateFormat), Ok(()), "{f}");
        }
        for f in [
            "%Y-%m-%dT%H:%M:%S%z",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%d/%m/%Y %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%:z",
            "%s",
            "%+",
            "%Y-%m-%dT%H:%M:%S%.fZ",
            "%m/%d/%Y %I:%M %p",
            "%Y-%m-%d %H:%M:%S%#z",
        ] {
            assert_eq!(format(f, TimestampFormat), Ok(()), "{f}");
        }
    }

    #[test]
    fn unknown_specifiers_are_located() {
        let p = format("%Y-%Q-%d", LiteralKind::DateFormat).unwrap_err();
        assert_eq!(p.at, Some(3..5));
        assert_eq!(p.message, "`%Q` is not a chrono strftime specifier");
        let p = format("%d/%m/%Y %", LiteralKind::DateFormat).unwrap_err();
        assert_eq!(p.at, Some(9..10));
        let p = format("%Y %:Q", LiteralKind::DateFormat).unwrap_err();
        assert_eq!(p.at, Some(3..6));
        // `%%` is a literal percent sign, not the start of `%Q`.
        assert!(format("%Y-%m-%d %%Q", LiteralKind::DateFormat).is_ok());
    }

    #[test]
    fn formats_must_determine_the_value() {
        let p = format("%d/%m", LiteralKind::DateFormat).unwrap_err();
        assert_eq!(p.message, "the format `%d/%m` does not determine a date");
        assert_eq!(p.at, None);
        assert!(format("", LiteralKind::DateFormat).is_err());
        let p = format("%Y-%m-%d", LiteralKind::TimestampFormat).unwrap_err();
        assert_eq!(
            p.message,
            "the format `%Y-%m-%d` does not determine a timestamp"
        );
        assert!(format("%Y-%m-%d %H", LiteralKind::TimestampFormat).is_err());
        assert!(format("%H:%M", LiteralKind::TimestampFormat).is_err());
    }
}
