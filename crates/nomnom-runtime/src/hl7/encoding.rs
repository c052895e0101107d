//! The encoding characters a message declares in its header: MSH-1 (the field separator) and
//! MSH-2 (component, repetition, escape and subcomponent characters, and from v2.7 an optional
//! fifth, the truncation character).
//!
//! Every delimiter must be printable ASCII that is not a letter or a digit, and all must
//! differ. Holding them to ASCII is what makes the parser safe on any text: an ASCII byte
//! never occurs inside a multi-byte UTF-8 sequence, so every split at a delimiter lands on a
//! character boundary.

/// How `\X..\` hex escapes turn into text: the bytes are read in the character set the message
/// declares in MSH-18.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HexCharset {
    /// The bytes are UTF-8 (MSH-18 absent or anything but ISO 8859-1). A run of bytes that is
    /// not valid UTF-8 is kept as written.
    Utf8,
    /// The bytes are ISO 8859-1, each one a character (MSH-18 = `8859/1`).
    Latin1,
}

/// The delimiters of one message. [`Encoding::default`] is `|^~\&`, what almost every sender
/// uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    field: u8,
    component: u8,
    repetition: u8,
    escape: u8,
    subcomponent: u8,
    truncation: Option<u8>,
    hex: HexCharset,
}

impl Default for Encoding {
    fn default() -> Encoding {
        Encoding {
            field: b'|',
            component: b'^',
            repetition: b'~',
            escape: b'\\',
            subcomponent: b'&',
            truncation: None,
            hex: HexCharset::Utf8,
        }
    }
}

impl Encoding {
    /// The encoding declared by the header segment `line` (an MSH, FHS or BHS line: three
    /// letters, the field separator, then the encoding characters up to the next field
    /// separator), and the byte offset where MSH-2 ends. The error is one sentence.
    pub(crate) fn from_header(line: &str) -> Result<(Encoding, usize), String> {
        let bytes = line.as_bytes();
        let name = line.get(..3).unwrap_or(line);
        let Some(&field) = bytes.get(3) else {
            return Err(format!(
                "the {name} segment ends before its field separator (MSH-1)"
            ));
        };
        if !is_delimiter(field) {
            return Err(format!(
                "the field separator (MSH-1) must be printable ASCII other than a letter or \
                 a digit, found {}",
                describe_at(line, 3)
            ));
        }
        let rest = &bytes[4..];
        let end = rest.iter().position(|&b| b == field).unwrap_or(rest.len());
        let chars = &rest[..end];
        if !(4..=5).contains(&chars.len()) {
            return Err(format!(
                "the encoding characters (MSH-2) must be 4 characters (component, repetition, \
                 escape, subcomponent) or 5 with the truncation character, found {:?}",
                String::from_utf8_lossy(chars)
            ));
        }
        let all = [field]
            .iter()
            .chain(chars.iter())
            .copied()
            .collect::<Vec<u8>>();
        for (i, &c) in all.iter().enumerate() {
            if !is_delimiter(c) {
                return Err(format!(
                    "the encoding characters (MSH-2) must be printable ASCII other than \
                     letters and digits, found {}",
                    describe_at(line, 3 + i)
                ));
            }
            if all[..i].contains(&c) {
                return Err(format!(
                    "the encoding characters (MSH-1 and MSH-2) must all differ, `{}` appears \
                     twice",
                    c as char
                ));
            }
        }
        let encoding = Encoding {
            field,
            component: chars[0],
            repetition: chars[1],
            escape: chars[2],
            subcomponent: chars[3],
            truncation: chars.get(4).copied(),
            hex: HexCharset::Utf8,
        };
        Ok((encoding, 4 + end))
    }

    /// The same delimiters, with `\X..\` escapes read in `hex`.
    pub(crate) fn with_hex_charset(mut self, hex: HexCharset) -> Encoding {
        self.hex = hex;
        self
    }

    /// The field separator (MSH-1).
    pub fn field(&self) -> char {
        self.field as char
    }

    /// The component separator (the first character of MSH-2).
    pub fn component(&self) -> char {
        self.component as char
    }

    /// The repetition separator (the second character of MSH-2).
    pub fn repetition(&self) -> char {
        self.repetition as char
    }

    /// The escape character (the third character of MSH-2).
    pub fn escape(&self) -> char {
        self.escape as char
    }

    /// The subcomponent separator (the fourth character of MSH-2).
    pub fn subcomponent(&self) -> char {
        self.subcomponent as char
    }

    /// The truncation character of v2.7 (the fifth character of MSH-2), when declared. It has
    /// no meaning inside values (a `#` in a value is text); only the escape `\P\` stands for it.
    pub fn truncation(&self) -> Option<char> {
        self.truncation.map(char::from)
    }

    /// How `\X..\` hex escapes are read.
    pub fn hex_charset(&self) -> HexCharset {
        self.hex
    }

    /// MSH-2 as written: `^~\&` (or `^~\&#`).
    pub fn msh2(&self) -> String {
        let mut out = String::with_capacity(5);
        for b in [
            self.component,
            self.repetition,
            self.escape,
            self.subcomponent,
        ] {
            out.push(b as char);
        }
        if let Some(t) = self.truncation {
            out.push(t as char);
        }
        out
    }

    pub(crate) fn field_byte(&self) -> u8 {
        self.field
    }
    pub(crate) fn component_byte(&self) -> u8 {
        self.component
    }
    pub(crate) fn repetition_byte(&self) -> u8 {
        self.repetition
    }
    pub(crate) fn escape_byte(&self) -> u8 {
        self.escape
    }
    pub(crate) fn subcomponent_byte(&self) -> u8 {
        self.subcomponent
    }
    pub(crate) fn truncation_byte(&self) -> Option<u8> {
        self.truncation
    }
}

/// Printable ASCII other than a letter or a digit (space excluded).
fn is_delimiter(b: u8) -> bool {
    b.is_ascii_graphic() && !b.is_ascii_alphanumeric()
}

/// The character at byte `at` of `line` for an error message (`` `é` `` or "the end of the
/// line"); `at` is always just after ASCII, so on a character boundary.
fn describe_at(line: &str, at: usize) -> String {
    match line.get(at..).and_then(|rest| rest.chars().next()) {
        Some(c) if c.is_control() || c == ' ' => format!("{c:?}"),
        Some(c) => format!("`{c}`"),
        None => "the end of the line".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_header_gives_the_default_encoding() {
        let (enc, end) = Encoding::from_header("MSH|^~\\&|APP").unwrap();
        assert_eq!(enc, Encoding::default());
        assert_eq!(end, 8);
        assert_eq!(enc.msh2(), "^~\\&");
        assert_eq!(enc.truncation(), None);
    }

    #[test]
    fn a_fifth_character_is_the_truncation_character() {
        let (enc, end) = Encoding::from_header("MSH|^~\\&#|APP").unwrap();
        assert_eq!(enc.truncation(), Some('#'));
        assert_eq!(enc.msh2(), "^~\\&#");
        assert_eq!(end, 9);
    }

    #[test]
    fn non_standard_delimiters_are_read_from_the_header() {
        // python-hl7's test_nonstandard_separators.
        let (enc, _) = Encoding::from_header("MSH$%~\\&$GHH LAB").unwrap();
        assert_eq!(enc.field(), '$');
        assert_eq!(enc.component(), '%');
        assert_eq!(enc.repetition(), '~');
        assert_eq!(enc.escape(), '\\');
        assert_eq!(enc.subcomponent(), '&');
    }

    #[test]
    fn a_header_ending_with_msh2_is_complete() {
        let (enc, end) = Encoding::from_header("MSH|^~\\&").unwrap();
        assert_eq!(enc, Encoding::default());
        assert_eq!(end, 8);
    }

    #[test]
    fn bad_headers_are_refused_with_a_sentence() {
        for (line, needle) in [
            ("MSH", "ends before its field separator"),
            ("MSHA^~\\&|", "field separator (MSH-1)"),
            ("MSH ^~\\& ", "field separator (MSH-1)"),
            ("MSHé^~\\&", "field separator (MSH-1)"),
            ("MSH|^~\\|", "must be 4 characters"),
            ("MSH|^~\\&#!|", "must be 4 characters"),
            ("MSH|", "must be 4 characters"),
            ("MSH|^~\\^|", "must all differ"),
            ("MSH|^~|&|", "must be 4 characters"),
            ("MSH|^~\\a|", "letters and digits"),
            ("MSH|^~\\é|", "letters and digits"),
            ("MSH|^~\\\r|", "letters and digits"),
        ] {
            let err = Encoding::from_header(line).unwrap_err();
            assert!(err.contains(needle), "{line:?}: {err}");
        }
    }
}
