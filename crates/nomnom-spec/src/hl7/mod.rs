//! HL7 v2 in the model language: the paths of `hl7:` on scalar fields (`PID-3[2].1`) and
//! the segment ids of `hl7:` on lists (`OBR`), parsed with the byte range of every problem
//! so that `nomnom check` points inside the text at the wrong part.
//!
//! ```
//! use nomnom_spec::hl7;
//!
//! let path = hl7::parse_path("PID-3[2].1").unwrap().path;
//! assert_eq!((path.segment.as_str(), path.field, path.repetition, path.component), ("PID", 3, 2, 1));
//! let wrong = hl7::parse_path("PID-0").unwrap_err();
//! assert_eq!(wrong.range, 4..5);
//! assert_eq!(hl7::parse_segment_id("OBX").unwrap(), "OBX");
//! ```

pub(crate) mod rules;

use std::fmt;
use std::ops::Range;

use crate::model::Hl7Path;

/// How paths are written, for hints.
const SYNTAX: &str = "write `SEG-field`, then `.component` and `.subcomponent` when needed \
                      (`PID-3.1`); `[n]` after the segment picks its occurrence (`OBX[2]-5`), \
                      after the field its repetition (`PID-3[2].1`)";

/// Why an `hl7:` value is not a path (or not a segment id): where in its text, what is
/// wrong, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    /// The byte range of the wrong part within the text (empty at the end of the text when
    /// something is missing there).
    pub range: Range<usize>,
    /// One sentence saying what is wrong.
    pub message: String,
    /// A short label for the wrong part.
    pub label: String,
    /// What to write instead.
    pub help: String,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PathError {}

/// A path with where its parts lie in the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedPath {
    /// The path.
    pub path: Hl7Path,
    /// The segment id.
    pub segment: Range<usize>,
    /// `[occurrence]`, brackets included, when written.
    pub occurrence: Option<Range<usize>>,
}

impl Hl7Path {
    /// Parses a path as `hl7:` writes it (see [`Hl7Path`] and [`parse_path`]).
    pub fn parse(text: &str) -> Result<Hl7Path, PathError> {
        parse_path(text).map(|p| p.path)
    }
}

/// `true` for a segment id: an upper-case ASCII letter, then two upper-case ASCII letters or
/// digits (`PID`, `OBX`, `ZP1`).
pub fn is_segment_id(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 3
        && b[0].is_ascii_uppercase()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn error(
    range: Range<usize>,
    message: impl Into<String>,
    label: impl Into<String>,
    help: impl Into<String>,
) -> PathError {
    PathError {
        range,
        message: message.into(),
        label: label.into(),
        help: help.into(),
    }
}

/// The position of the next character, and the character.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    /// The range of the next character (empty at the end).
    fn here(&self) -> Range<usize> {
        self.pos..self.pos + self.peek().map_or(0, char::len_utf8)
    }

    fn bump(&mut self) {
        self.pos = self.here().end;
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> Range<usize> {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        start..self.pos
    }
}

/// Parses a path of `hl7:` on a scalar field:
/// `SEG[occurrence]-field[repetition].component.subcomponent` (see [`Hl7Path`]). Refuses,
/// each with the range of the wrong part: a malformed segment id, a missing or malformed
/// number, `0` and numbers with leading zeros, more than a subcomponent deep, text after the
/// path, an occurrence of MSH (a message has one), and a component or repetition of MSH-1
/// or MSH-2 (the encoding characters themselves). Paths written in other tools' styles
/// (`PID.5.1`, HAPI's `/PID-5-1`) get the path meant as a hint.
pub fn parse_path(text: &str) -> Result<ParsedPath, PathError> {
    parse(text).map_err(|mut e| {
        if let Some(meant) = other_style(text) {
            e.help = format!("did you mean `{meant}`?");
        }
        e
    })
}

fn parse(text: &str) -> Result<ParsedPath, PathError> {
    if text.is_empty() {
        return Err(error(0..0, "the HL7 path is empty", "no path", SYNTAX));
    }
    let mut c = Cursor { text, pos: 0 };
    let segment = segment_id(&mut c)?;
    let seg = &text[segment.clone()];
    let occurrence = bracketed(&mut c, "occurrence", seg)?;
    match c.peek() {
        Some('-') => c.bump(),
        None => {
            return Err(error(
                segment,
                format!("`{seg}` names a segment, not a value in it"),
                "no field number",
                format!(
                    "add the field number, such as `{seg}-1`; a segment id alone is what a \
                     `list<...>` field takes, one row per segment"
                ),
            ))
        }
        Some('.') => {
            return Err(error(
                c.here(),
                "the segment id and the field number are joined by `-`",
                "expected `-`",
                SYNTAX,
            ))
        }
        Some(other) => {
            return Err(error(
                c.here(),
                format!("expected `-` and a field number after `{seg}`, found `{other}`"),
                "expected `-`",
                SYNTAX,
            ))
        }
    }
    let field_at = c.pos;
    let field = number(&mut c, "field", field_at - 1..field_at)?;
    let repetition = bracketed(&mut c, "repetition", seg)?;
    let below_field = c.pos;
    let mut component = None;
    let mut subcomponent = None;
    for what in ["component", "subcomponent"] {
        let dot = c.here();
        if !c.eat('.') {
            break;
        }
        let n = number(&mut c, what, dot)?;
        if what == "component" {
            component = Some(n);
        } else {
            subcomponent = Some(n);
        }
    }
    if let Some(next) = c.peek() {
        let rest = c.pos..text.len();
        return Err(match next {
            '.' => error(
                rest,
                "an HL7 path goes down to a subcomponent at most",
                "one level too deep",
                "values nest field, component, subcomponent: `PID-3.4.1` is as deep as a path goes",
            ),
            '-' if component.is_none() => error(
                c.here(),
                "a component follows its field after a `.`, not a `-`",
                "expected `.`",
                SYNTAX,
            ),
            '[' if component.is_some() => error(
                c.here(),
                "only a field repeats: `[n]` goes after the field number",
                "not after a component",
                format!(
                    "write the repetition after the field, as in `{seg}-{field}[2].{}`",
                    component.unwrap_or(1)
                ),
            ),
            other => error(
                c.here(),
                format!("unexpected `{other}` in an HL7 path"),
                "not part of a path",
                SYNTAX,
            ),
        });
    }
    if seg == "MSH" {
        if let Some((_, range)) = &occurrence {
            return Err(error(
                range.clone(),
                "a message has one MSH segment",
                "no other occurrence",
                format!("remove `{}`", &text[range.clone()]),
            ));
        }
        if field <= 2 && (repetition.is_some() || component.is_some()) {
            let what = if field == 1 {
                "MSH-1 is the field separator itself (`|`)"
            } else {
                "MSH-2 holds the encoding characters themselves (`^~\\&`)"
            };
            let (range, has) = match (&repetition, component) {
                (Some((_, r)), _) => (r.start..text.len(), "repetitions"),
                _ => (below_field..text.len(), "components"),
            };
            return Err(error(
                range,
                format!("{what}: it has no {has}"),
                format!("MSH-{field} has no {has}"),
                format!("write `MSH-{field}`"),
            ));
        }
    }
    Ok(ParsedPath {
        path: Hl7Path {
            text: text.to_string(),
            segment: seg.to_string(),
            occurrence: occurrence.as_ref().map_or(1, |(n, _)| *n),
            field,
            repetition: repetition.as_ref().map_or(1, |(n, _)| *n),
            component: component.unwrap_or(1),
            subcomponent: subcomponent.unwrap_or(1),
        },
        segment,
        occurrence: occurrence.map(|(_, r)| r),
    })
}

/// Parses the segment id of `hl7:` on a list field (`OBR`); a path there is refused with
/// its segment id as the hint.
pub fn parse_segment_id(text: &str) -> Result<String, PathError> {
    if text.is_empty() {
        return Err(error(
            0..0,
            "the segment id is empty",
            "no segment id",
            "a list takes a segment id, such as `hl7: OBR`: every such segment becomes a row",
        ));
    }
    let mut c = Cursor { text, pos: 0 };
    let id = segment_id(&mut c)?;
    if c.peek().is_some() {
        let seg = &text[id];
        return Err(error(
            0..text.len(),
            "a list reads whole segments: its `hl7` is a segment id, not a path",
            "a path",
            format!(
                "write `hl7: {seg}`: every {seg} segment becomes a row, whose fields read it \
                 with paths such as `{seg}-1`"
            ),
        ));
    }
    Ok(text.to_string())
}

/// The segment id at the start of the text, checked.
fn segment_id(c: &mut Cursor) -> Result<Range<usize>, PathError> {
    if c.peek() == Some('/') {
        return Err(error(
            c.here(),
            "an HL7 path starts with its segment id",
            "no `/` here",
            SYNTAX,
        ));
    }
    let range = c.take_while(|ch| ch.is_ascii_alphanumeric());
    let id = &c.text[range.clone()];
    if id.is_empty() {
        let found = c
            .peek()
            .map_or(String::new(), |ch| format!(", found `{ch}`"));
        return Err(error(
            c.here(),
            format!("expected a segment id such as `PID`{found}"),
            "expected a segment id",
            SYNTAX,
        ));
    }
    let form = "a segment id is an upper-case letter, then two upper-case letters or digits \
                (`PID`, `OBX`, `ZP1`)";
    if id.len() != 3 {
        return Err(error(
            range,
            format!("`{id}` is not a segment id: segment ids have three characters"),
            format!("{} characters", id.len()),
            form,
        ));
    }
    if !id.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
        return Err(error(
            range,
            format!("`{id}` is not a segment id: segment ids start with a letter"),
            "starts with a digit",
            form,
        ));
    }
    if !is_segment_id(id) {
        return Err(error(
            range,
            format!("segment ids are upper-case: `{id}` is not one"),
            "lower-case letters",
            format!("write `{}`", id.to_ascii_uppercase()),
        ));
    }
    Ok(range)
}

/// `[n]` when the next character opens it: the number and the range of the brackets.
fn bracketed(
    c: &mut Cursor,
    what: &str,
    seg: &str,
) -> Result<Option<(u32, Range<usize>)>, PathError> {
    let open = c.here();
    if !c.eat('[') {
        return Ok(None);
    }
    let n = number(c, what, open.clone())?;
    if !c.eat(']') {
        let found = c
            .peek()
            .map_or("the end".to_string(), |ch| format!("`{ch}`"));
        return Err(error(
            open.start..c.here().end,
            format!("`[` of the {what} is not closed: expected `]`, found {found}"),
            "expected `]`",
            match what {
                "occurrence" => format!("close it: `{seg}[{n}]-1` is field 1 of occurrence {n}"),
                _ => format!("close it: `{seg}-1[{n}]` is repetition {n} of field 1"),
            },
        ));
    }
    Ok(Some((n, open.start..c.pos)))
}

/// A number from 1, written without leading zeros; `after` is the separator before it
/// (pointed at when the number is missing at the end of the text).
fn number(c: &mut Cursor, what: &str, after: Range<usize>) -> Result<u32, PathError> {
    let range = c.take_while(|ch| ch.is_ascii_digit());
    let digits = &c.text[range.clone()];
    let sep = &c.text[after.clone()];
    if digits.is_empty() {
        return Err(match c.peek() {
            None => error(
                after,
                format!("expected the {what} number after `{sep}`"),
                format!("no {what} number"),
                SYNTAX,
            ),
            Some(ch) => error(
                c.here(),
                format!("expected the {what} number after `{sep}`, found `{ch}`"),
                format!("not a {what} number"),
                SYNTAX,
            ),
        });
    }
    let value = digits.trim_start_matches('0');
    if value.is_empty() {
        let example = match what {
            "field" => "`PID-3` is the third field of PID; MSH-1 is MSH's field separator",
            "component" => "`PID-5.1` is the first component of PID-5",
            "subcomponent" => "`PID-3.4.1` is the first subcomponent of PID-3.4",
            "occurrence" => "`OBX[1]-5` reads the first OBX of the message",
            _ => "`PID-3[1]` is the first repetition of PID-3",
        };
        return Err(error(
            range,
            format!("HL7 numbers every {what} from 1"),
            format!("0 is not a {what} number"),
            format!("count from 1: {example}"),
        ));
    }
    if value.len() != digits.len() {
        return Err(error(
            range,
            format!("the {what} number `{digits}` has leading zeros"),
            "leading zeros",
            format!("write `{value}`"),
        ));
    }
    value.parse::<u32>().map_err(|_| {
        error(
            range,
            format!("the {what} number `{digits}` is too large"),
            "too large",
            format!("HL7 {what} numbers are small whole numbers from 1"),
        )
    })
}

/// The path meant by a path written in another tool's style, when it is a valid path here:
/// a leading `/` or `.` (HAPI's terser), `.` between segment and field (`PID.5.1`), `-`
/// between field and component (`PID-5-1`), lower-case segment ids.
fn other_style(text: &str) -> Option<String> {
    let body = text.trim().trim_start_matches(['/', '.']);
    let seg_end = body.find(|c: char| !c.is_ascii_alphanumeric())?;
    let (seg, rest) = body.split_at(seg_end);
    let rest = rest.strip_prefix(['-', '.'])?;
    let mut meant = format!("{}-", seg.to_ascii_uppercase());
    meant.push_str(&rest.replace('-', "."));
    (meant != text && parse(&meant).is_ok()).then_some(meant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> Hl7Path {
        parse_path(text)
            .unwrap_or_else(|e| panic!("{text}: {e:?}"))
            .path
    }

    fn numbers(p: &Hl7Path) -> (&str, u32, u32, u32, u32, u32) {
        (
            p.segment.as_str(),
            p.occurrence,
            p.field,
            p.repetition,
            p.component,
            p.subcomponent,
        )
    }

    /// The range, message and help of the error for `text`.
    fn fails(text: &str) -> (Range<usize>, String, String) {
        let e = parse_path(text).expect_err(text);
        assert!(
            e.range.end <= text.len() && text.is_char_boundary(e.range.start),
            "{text}: {e:?}"
        );
        (e.range, e.message, e.help)
    }

    #[test]
    fn paths_of_every_shape_parse_with_defaults_of_one() {
        assert_eq!(numbers(&path("MSH-10")), ("MSH", 1, 10, 1, 1, 1));
        assert_eq!(numbers(&path("PID-3.1")), ("PID", 1, 3, 1, 1, 1));
        assert_eq!(numbers(&path("PID-3[2].1")), ("PID", 1, 3, 2, 1, 1));
        assert_eq!(numbers(&path("OBX[2]-5")), ("OBX", 2, 5, 1, 1, 1));
        assert_eq!(numbers(&path("PID-5.1.2")), ("PID", 1, 5, 1, 1, 2));
        assert_eq!(
            numbers(&path("ZP1[12]-300[40].5.6")),
            ("ZP1", 12, 300, 40, 5, 6)
        );
        assert_eq!(numbers(&path("MSH-1")), ("MSH", 1, 1, 1, 1, 1));
        assert_eq!(numbers(&path("MSH-2")), ("MSH", 1, 2, 1, 1, 1));
        let p = parse_path("OBX[2]-5").unwrap();
        assert_eq!((p.segment, p.occurrence), (0..3, Some(3..6)));
        assert_eq!(p.path.text, "OBX[2]-5");
        assert_eq!(parse_path("PID-3").unwrap().occurrence, None);
    }

    #[test]
    fn canonical_forms_tell_equal_values() {
        assert_eq!(
            path("PID-3").canonical(),
            path("PID[1]-3[1].1.1").canonical()
        );
        assert_eq!(path("PID-3").canonical(), "PID[1]-3[1].1.1");
        assert_ne!(path("PID-3").canonical(), path("PID-3.2").canonical());
        assert!(path("MSH-2").is_encoding_field());
        assert!(!path("MSH-3").is_encoding_field());
    }

    #[test]
    fn segment_ids_are_three_upper_case_characters() {
        assert!(is_segment_id("PID") && is_segment_id("ZP1") && is_segment_id("Z12"));
        for bad in ["", "PI", "PIDX", "1AB", "pid", "Pid", "P-D", "PİD"] {
            assert!(!is_segment_id(bad), "{bad}");
        }
        let (range, message, help) = fails("pid-3");
        assert_eq!(range, 0..3);
        assert!(message.contains("upper-case"), "{message}");
        assert_eq!(help, "did you mean `PID-3`?");
        let (range, message, _) = fails("PIDX-3");
        assert_eq!(range, 0..4);
        assert!(message.contains("three characters"), "{message}");
        let (range, message, _) = fails("1AB-3");
        assert_eq!(
            (range, message.contains("start with a letter")),
            (0..3, true)
        );
        assert_eq!(fails("-3").0, 0..1);
        assert_eq!(fails("").0, 0..0);
        assert_eq!(fails("é-1").0, 0..2);
    }

    #[test]
    fn numbers_start_at_one_without_leading_zeros() {
        let (range, message, _) = fails("PID-0");
        assert_eq!(
            (range, message.as_str()),
            (4..5, "HL7 numbers every field from 1")
        );
        assert_eq!(fails("PID-3.0").0, 6..7);
        assert_eq!(fails("PID-3.1.0").0, 8..9);
        assert_eq!(fails("OBX[0]-5").0, 4..5);
        assert_eq!(fails("PID-3[0]").0, 6..7);
        let (range, message, help) = fails("PID-03");
        assert_eq!(range, 4..6);
        assert!(message.contains("leading zeros"), "{message}");
        assert_eq!(help, "write `3`");
        let (range, message, _) = fails("PID-99999999999");
        assert_eq!((range, message.contains("too large")), (4..15, true));
    }

    #[test]
    fn syntax_errors_point_at_the_wrong_part() {
        // Missing numbers point at the separator before them.
        assert_eq!(fails("PID-").0, 3..4);
        assert_eq!(fails("PID-3.").0, 5..6);
        assert_eq!(fails("PID-3.1.").0, 7..8);
        assert_eq!(fails("OBX[").0, 3..4);
        // A wrong character is pointed at.
        assert_eq!(fails("PID-x").0, 4..5);
        assert_eq!(fails("PID-3.a").0, 6..7);
        assert_eq!(fails("PID-3 ").0, 5..6);
        assert_eq!(fails("PID-3.1é").0, 7..9);
        let (range, message, _) = fails("PID3");
        assert_eq!(range, 0..4);
        assert!(message.contains("three characters"), "{message}");
        let (range, message, _) = fails("PID:3");
        assert_eq!((range, message.contains("expected `-`")), (3..4, true));
        // Unclosed brackets span from `[` to what follows.
        assert_eq!(fails("OBX[2-5").0, 3..6);
        assert_eq!(fails("PID-3[2").0, 5..7);
        assert_eq!(fails("OBX[]-5").0, 4..5);
        // Too deep, or a repetition after a component.
        let (range, message, _) = fails("PID-5.1.2.3");
        assert_eq!(range, 9..11);
        assert!(message.contains("subcomponent at most"), "{message}");
        let (range, _, help) = fails("PID-3.1[2]");
        assert_eq!(
            (range, help.as_str()),
            (
                7..8,
                "write the repetition after the field, as in `PID-3[2].1`"
            )
        );
        // A segment id alone.
        let (range, message, _) = fails("OBR");
        assert_eq!(range, 0..3);
        assert!(message.contains("names a segment"), "{message}");
    }

    #[test]
    fn other_tools_styles_get_the_path_meant() {
        let (range, _, help) = fails("PID.5.1");
        assert_eq!((range, help.as_str()), (3..4, "did you mean `PID-5.1`?"));
        let (range, _, help) = fails("PID-5-1");
        assert_eq!((range, help.as_str()), (5..6, "did you mean `PID-5.1`?"));
        let (range, _, help) = fails("/PID-5-1");
        assert_eq!((range, help.as_str()), (0..1, "did you mean `PID-5.1`?"));
        let (_, _, help) = fails("/.OBX-5");
        assert_eq!(help, "did you mean `OBX-5`?");
        // No guess when the guess is no path either.
        let (_, _, help) = fails("PID.x");
        assert_eq!(help, SYNTAX);
    }

    #[test]
    fn msh_has_one_occurrence_and_bare_encoding_fields() {
        let (range, message, _) = fails("MSH[2]-9");
        assert_eq!(
            (range, message.as_str()),
            (3..6, "a message has one MSH segment")
        );
        let (range, message, help) = fails("MSH-1.1");
        assert_eq!(range, 5..7);
        assert!(
            message.starts_with("MSH-1 is the field separator itself"),
            "{message}"
        );
        assert_eq!(help, "write `MSH-1`");
        let (range, message, _) = fails("MSH-2[1]");
        assert_eq!(range, 5..8);
        assert!(message.ends_with("it has no repetitions"), "{message}");
        let (range, _, _) = fails("MSH-2.1.1");
        assert_eq!(range, 5..9);
        // Other MSH fields have components.
        assert_eq!(numbers(&path("MSH-9.2")), ("MSH", 1, 9, 1, 2, 1));
        assert_eq!(numbers(&path("MSH-12")), ("MSH", 1, 12, 1, 1, 1));
    }

    #[test]
    fn lists_take_a_segment_id() {
        assert_eq!(parse_segment_id("OBR").unwrap(), "OBR");
        assert_eq!(parse_segment_id("ZP1").unwrap(), "ZP1");
        let e = parse_segment_id("OBR-4").unwrap_err();
        assert_eq!(e.range, 0..5);
        assert!(e.help.starts_with("write `hl7: OBR`"), "{}", e.help);
        assert_eq!(parse_segment_id("obr").unwrap_err().help, "write `OBR`");
        assert_eq!(parse_segment_id("OBRX").unwrap_err().range, 0..4);
        assert_eq!(parse_segment_id("").unwrap_err().range, 0..0);
        assert_eq!(parse_segment_id("O R").unwrap_err().range, 0..1);
    }

    #[test]
    fn never_panics_on_odd_text() {
        for text in [
            "[",
            "]",
            "-",
            ".",
            "[[",
            "PID[",
            "PID[]",
            "PID-[1]",
            "PID-1[",
            "PID-1[]",
            "PID-1..2",
            "PID--1",
            "PID-1.-2",
            "é",
            "PIDé",
            "PID-1é",
            "PID[é]",
            "\u{0}",
            "MSH-",
            "MSH-1[",
            "𝔓ID-1",
            "PID-1.1.1.1.1",
            "/",
            "//",
            "/.",
            "PID-4294967296",
        ] {
            if let Err(e) = parse_path(text) {
                assert!(text.get(e.range.clone()).is_some(), "{text}: {e:?}");
            }
            if let Err(e) = parse_segment_id(text) {
                assert!(text.get(e.range.clone()).is_some(), "{text}: {e:?}");
            }
        }
    }
}
