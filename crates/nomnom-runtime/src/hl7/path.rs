//! HL7 paths: `SEG[occ]-field[rep].component.subcomponent`, all numbers 1-based as HL7 numbers
//! them (`MSH-10`, `PID-3.1`, `PID-3[2].1`, `OBX[2]-5`, `PID-5.1.2`).
//!
//! - `SEG` is an upper-case letter then two upper-case letters or digits.
//! - `[occ]` picks the occurrence of the segment in its scope (default: the first).
//! - `[rep]` picks the repetition of the field (default: the first).
//! - Without a component the path reads the first component, and without a subcomponent the
//!   first subcomponent, as HAPI's terser does.
//! - MSH-1 is the field separator itself and MSH-2 the encoding characters; neither has
//!   repetitions, components or subcomponents, so a path that names one of those is refused.
//!
//! Numbers are written without leading zeros and are at most [`MAX_INDEX`].

use std::fmt;

/// The largest number a path may hold at any level (no HL7 segment comes near it).
pub const MAX_INDEX: u32 = 9999;

/// A segment ID: an upper-case ASCII letter, then two upper-case letters or digits (`PID`,
/// `OBX`, `ZP1`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SegmentId([u8; 3]);

impl SegmentId {
    /// The message header.
    pub const MSH: SegmentId = SegmentId(*b"MSH");
    /// The file header of a batch file.
    pub const FHS: SegmentId = SegmentId(*b"FHS");
    /// The batch header.
    pub const BHS: SegmentId = SegmentId(*b"BHS");
    /// The batch trailer.
    pub const BTS: SegmentId = SegmentId(*b"BTS");
    /// The file trailer.
    pub const FTS: SegmentId = SegmentId(*b"FTS");

    /// The ID spelled by `bytes`, if it is a valid one (usable in constants:
    /// `SegmentId::from_bytes(*b"OBX")`).
    pub const fn from_bytes(bytes: [u8; 3]) -> Option<SegmentId> {
        let [a, b, c] = bytes;
        if a.is_ascii_uppercase() && id_tail(b) && id_tail(c) {
            Some(SegmentId(bytes))
        } else {
            None
        }
    }

    /// The ID spelled by `text`, if it is exactly a valid one.
    pub fn parse(text: &str) -> Option<SegmentId> {
        match text.as_bytes() {
            &[a, b, c] => SegmentId::from_bytes([a, b, c]),
            _ => None,
        }
    }

    /// The ID at the start of `line`, if the line starts with one.
    pub(crate) fn at_start(line: &[u8]) -> Option<SegmentId> {
        match line {
            &[a, b, c, ..] => SegmentId::from_bytes([a, b, c]),
            _ => None,
        }
    }

    /// The three letters.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

/// The second and third characters of a segment ID.
const fn id_tail(x: u8) -> bool {
    x.is_ascii_uppercase() || x.is_ascii_digit()
}

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SegmentId({})", self.as_str())
    }
}

/// A parsed HL7 path. [`Path::parse`] reads one; `Display` writes it back in its canonical
/// form (explicit parts only), which parses to the same path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Path {
    segment: SegmentId,
    occurrence: Option<u32>,
    field: u32,
    repetition: Option<u32>,
    component: Option<u32>,
    subcomponent: Option<u32>,
}

/// Why a path could not be read: the path's text, where, and one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid HL7 path `{path}`: {message}")]
pub struct PathError {
    path: String,
    offset: usize,
    message: String,
}

impl PathError {
    /// The path as written.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The byte offset in the path where reading stopped.
    pub fn offset(&self) -> usize {
        self.offset
    }
    /// What is wrong, one sentence without a final period.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl Path {
    /// Reads `text` (`PID-3[2].1`).
    pub fn parse(text: &str) -> Result<Path, PathError> {
        Reader { text, at: 0 }.path()
    }

    /// The segment the path names.
    pub fn segment(&self) -> SegmentId {
        self.segment
    }
    /// The occurrence written as `[occ]`, if any (a path without one reads the first).
    pub fn occurrence(&self) -> Option<u32> {
        self.occurrence
    }
    /// The field number (1-based, HL7 numbering: MSH-1 is the field separator).
    pub fn field(&self) -> u32 {
        self.field
    }
    /// The repetition written as `[rep]`, if any (a path without one reads the first).
    pub fn repetition(&self) -> Option<u32> {
        self.repetition
    }
    /// The component, if written (a path without one reads the first).
    pub fn component(&self) -> Option<u32> {
        self.component
    }
    /// The subcomponent, if written (a path without one reads the first).
    pub fn subcomponent(&self) -> Option<u32> {
        self.subcomponent
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.segment.as_str())?;
        if let Some(occ) = self.occurrence {
            write!(f, "[{occ}]")?;
        }
        write!(f, "-{}", self.field)?;
        if let Some(rep) = self.repetition {
            write!(f, "[{rep}]")?;
        }
        if let Some(c) = self.component {
            write!(f, ".{c}")?;
        }
        if let Some(s) = self.subcomponent {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Path {
    type Err = PathError;
    fn from_str(s: &str) -> Result<Path, PathError> {
        Path::parse(s)
    }
}

/// A cursor over the path's text; it only ever steps over ASCII, so `at` is always a
/// character boundary.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl Reader<'_> {
    fn error(&self, message: impl Into<String>) -> PathError {
        PathError {
            path: self.text.to_string(),
            offset: self.at,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// What stands at the cursor, for an error message.
    fn found(&self) -> String {
        match self
            .text
            .get(self.at..)
            .and_then(|rest| rest.chars().next())
        {
            Some(c) => format!("`{c}`"),
            None => "the end of the path".to_string(),
        }
    }

    fn path(mut self) -> Result<Path, PathError> {
        if self.text.is_empty() {
            return Err(self.error("the path is empty; write one like `PID-3.1`"));
        }
        let segment = SegmentId::at_start(self.text.as_bytes())
            .filter(|_| self.text.len() == 3 || !self.text.as_bytes()[3].is_ascii_alphanumeric())
            .ok_or_else(|| {
                self.error(
                    "a path starts with a segment ID: an upper-case letter then two upper-case \
                     letters or digits (`PID`, `OBX`, `ZP1`)",
                )
            })?;
        self.at = 3;
        let occurrence = self.bracket("segment occurrence")?;
        if self.peek() != Some(b'-') {
            return Err(self.error(format!(
                "expected `-` and a field number after the segment, found {}",
                self.found()
            )));
        }
        self.at += 1;
        let field = self.number("field")?;
        let after_field = self.at;
        let repetition = self.bracket("field repetition")?;
        let component = self.dotted("component")?;
        let subcomponent = match component {
            Some(_) => self.dotted("subcomponent")?,
            None => None,
        };
        if self.at < self.text.len() {
            let message = if self.peek() == Some(b'.') {
                "a path has at most a component and a subcomponent after the field".to_string()
            } else {
                format!("unexpected {} after the path", self.found())
            };
            return Err(self.error(message));
        }
        let path = Path {
            segment,
            occurrence,
            field,
            repetition,
            component,
            subcomponent,
        };
        if segment == SegmentId::MSH && field <= 2 && (repetition.is_some() || component.is_some())
        {
            let what = if field == 1 {
                "MSH-1 is the field separator itself"
            } else {
                "MSH-2 is the encoding characters"
            };
            return Err(PathError {
                path: self.text.to_string(),
                offset: after_field,
                message: format!("{what} and has no repetitions, components or subcomponents"),
            });
        }
        Ok(path)
    }

    /// `[n]` if the cursor is at `[`.
    fn bracket(&mut self, what: &str) -> Result<Option<u32>, PathError> {
        if self.peek() != Some(b'[') {
            return Ok(None);
        }
        self.at += 1;
        let n = self.number(what)?;
        if self.peek() != Some(b']') {
            return Err(self.error(format!(
                "expected `]` after the {what}, found {}",
                self.found()
            )));
        }
        self.at += 1;
        Ok(Some(n))
    }

    /// `.n` if the cursor is at `.`.
    fn dotted(&mut self, what: &str) -> Result<Option<u32>, PathError> {
        if self.peek() != Some(b'.') {
            return Ok(None);
        }
        self.at += 1;
        self.number(what).map(Some)
    }

    /// A number from 1 to [`MAX_INDEX`], without leading zeros.
    fn number(&mut self, what: &str) -> Result<u32, PathError> {
        let start = self.at;
        let digits = self.text.as_bytes()[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return Err(self.error(format!("expected a {what} number, found {}", self.found())));
        }
        let text = &self.text[start..start + digits];
        if text.starts_with('0') {
            return Err(self.error(format!(
                "a {what} number starts at 1 and has no leading zeros, found `{text}`"
            )));
        }
        let value = text.parse::<u32>().ok().filter(|&n| n <= MAX_INDEX);
        let Some(value) = value else {
            return Err(self.error(format!(
                "a {what} number is at most {MAX_INDEX}, found `{text}`"
            )));
        };
        self.at += digits;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Path {
        Path::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_shared_examples_parse() {
        let msh10 = p("MSH-10");
        assert_eq!(msh10.segment(), SegmentId::MSH);
        assert_eq!(msh10.field(), 10);
        assert_eq!(
            (
                msh10.occurrence(),
                msh10.repetition(),
                msh10.component(),
                msh10.subcomponent()
            ),
            (None, None, None, None)
        );
        let pid31 = p("PID-3.1");
        assert_eq!((pid31.field(), pid31.component()), (3, Some(1)));
        let rep = p("PID-3[2].1");
        assert_eq!((rep.repetition(), rep.component()), (Some(2), Some(1)));
        let occ = p("OBX[2]-5");
        assert_eq!((occ.occurrence(), occ.field()), (Some(2), 5));
        let sub = p("PID-5.1.2");
        assert_eq!((sub.component(), sub.subcomponent()), (Some(1), Some(2)));
        let all = p("ZP1[3]-12[4].5.6");
        assert_eq!(all.segment().as_str(), "ZP1");
        assert_eq!(
            (
                all.occurrence(),
                all.field(),
                all.repetition(),
                all.component(),
                all.subcomponent()
            ),
            (Some(3), 12, Some(4), Some(5), Some(6))
        );
        assert_eq!(p("MSH-1").field(), 1);
        assert_eq!(p("MSH-2").field(), 2);
        assert_eq!(p("MSH-9.1").component(), Some(1));
    }

    #[test]
    fn paths_print_as_written_and_parse_back() {
        for text in [
            "MSH-10",
            "PID-3.1",
            "PID-3[2].1",
            "OBX[2]-5",
            "PID-5.1.2",
            "ZP1[3]-12[4].5.6",
            "A00-9999",
        ] {
            let path = p(text);
            assert_eq!(path.to_string(), text);
            assert_eq!(p(&path.to_string()), path);
            assert_eq!(text.parse::<Path>().unwrap(), path);
        }
    }

    #[test]
    fn bad_paths_say_what_is_wrong_and_where() {
        for (text, offset, needle) in [
            ("", 0, "empty"),
            ("pid-3", 0, "segment ID"),
            ("PI-3", 0, "segment ID"),
            ("1ID-3", 0, "segment ID"),
            ("PIDX-3", 0, "segment ID"),
            ("PÏD-3", 0, "segment ID"),
            ("PID", 3, "expected `-`"),
            ("PID.3", 3, "expected `-`"),
            ("PID-", 4, "expected a field number, found the end"),
            ("PID-x", 4, "found `x`"),
            ("PID-0", 4, "starts at 1"),
            ("PID-03", 4, "leading zeros"),
            ("PID-10000", 4, "at most 9999"),
            ("PID-99999999999999999999", 4, "at most 9999"),
            ("PID[0]-3", 4, "starts at 1"),
            ("PID[2-3", 5, "expected `]`"),
            ("PID[]-3", 4, "segment occurrence number"),
            ("PID-3[", 6, "field repetition number"),
            ("PID-3.", 6, "component number"),
            ("PID-3.1.", 8, "subcomponent number"),
            ("PID-3.1.2.3", 9, "at most a component and a subcomponent"),
            ("PID-3 ", 5, "unexpected ` `"),
            ("PID-3é", 5, "unexpected `é`"),
            ("PID-3[1][2]", 8, "unexpected `[`"),
            ("MSH-1.1", 5, "MSH-1 is the field separator"),
            ("MSH-2[1]", 5, "MSH-2 is the encoding characters"),
            ("MSH-2.1.1", 5, "MSH-2 is the encoding characters"),
        ] {
            let err = Path::parse(text).unwrap_err();
            assert_eq!(err.path(), text);
            assert!(err.message().contains(needle), "{text:?}: {err}");
            assert_eq!(err.offset(), offset, "{text:?}: {err}");
        }
    }

    #[test]
    fn segment_ids_are_an_upper_case_letter_then_two_letters_or_digits() {
        assert_eq!(
            SegmentId::parse("OBX").map(|s| s.to_string()),
            Some("OBX".into())
        );
        assert!(SegmentId::parse("ZP1").is_some());
        assert!(SegmentId::parse("A00").is_some());
        for bad in ["obx", "1BX", "OB", "OBXX", "OB-", "ÖBX", ""] {
            assert_eq!(SegmentId::parse(bad), None, "{bad:?}");
        }
        const OBR: Option<SegmentId> = SegmentId::from_bytes(*b"OBR");
        assert_eq!(OBR.map(|s| s.to_string()).as_deref(), Some("OBR"));
    }
}
