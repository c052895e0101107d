//! Escape sequences: reading them out of values ([`decode`]) and writing text into a message
//! ([`encode`]).
//!
//! Decoded (with the message's own escape character, `\` below):
//! - `\F\ \S\ \T\ \R\ \E\`: the field, component, subcomponent, repetition and escape
//!   characters; `\P\` the truncation character when MSH-2 declares one (v2.7).
//! - `\Xhh..\`: hex bytes, read as UTF-8 (or as ISO 8859-1 when MSH-18 says `8859/1`).
//!   Consecutive `\X..\` sequences are read together, so a character whose UTF-8 bytes are
//!   split across two of them still decodes. Bytes that are not valid text are kept as written.
//!
//! Kept exactly as written: formatting commands (`\H\`, `\N\`, `\.br\`, `\.sp\`, ...),
//! character-set switches (`\C..\`, `\M..\`), local escapes (`\Z..\`), anything else between
//! two escape characters, and an escape character without a closing one. They say something a
//! plain text column cannot carry; dropping them would lose it and guessing would invent it.

use std::borrow::Cow;

use super::encoding::{Encoding, HexCharset};

/// `raw` (one subcomponent of a message, delimiters already split off) with its escape
/// sequences decoded; borrowed when it has none.
pub fn decode<'a>(raw: &'a str, enc: &Encoding) -> Cow<'a, str> {
    let esc = enc.escape_byte();
    let bytes = raw.as_bytes();
    let Some(first) = bytes.iter().position(|&b| b == esc) else {
        return Cow::Borrowed(raw);
    };
    let mut out = String::with_capacity(raw.len());
    // `raw[done..]` is not yet written to `out`.
    let mut done = 0;
    let mut hex = HexRun::default();
    let mut at = first;
    while let Some(start) = find(bytes, esc, at) {
        let Some(end) = find(bytes, esc, start + 1) else {
            break;
        };
        // Both ends are the ASCII escape character: slicing between them is safe.
        let content = &raw[start + 1..end];
        if start > done {
            hex.flush(raw, enc.hex_charset(), &mut out);
            out.push_str(&raw[done..start]);
        }
        match content.as_bytes() {
            [b'F'] => named(&mut hex, raw, enc, &mut out, enc.field()),
            [b'S'] => named(&mut hex, raw, enc, &mut out, enc.component()),
            [b'T'] => named(&mut hex, raw, enc, &mut out, enc.subcomponent()),
            [b'R'] => named(&mut hex, raw, enc, &mut out, enc.repetition()),
            [b'E'] => named(&mut hex, raw, enc, &mut out, enc.escape()),
            [b'P'] if enc.truncation().is_some() => {
                let t = enc.truncation().unwrap_or('#');
                named(&mut hex, raw, enc, &mut out, t)
            }
            [b'X', digits @ ..] if is_hex_bytes(digits) => hex.push(start, end + 1, digits),
            _ => {
                hex.flush(raw, enc.hex_charset(), &mut out);
                out.push_str(&raw[start..=end]);
            }
        }
        done = end + 1;
        at = done;
    }
    hex.flush(raw, enc.hex_charset(), &mut out);
    out.push_str(&raw[done..]);
    Cow::Owned(out)
}

/// `text` written as a value of a message with encoding `enc`: every delimiter replaced by its
/// escape sequence, and the segment terminators CR and LF by `\X0D\` and `\X0A\`, so that
/// [`decode`] gives `text` back. Borrowed when nothing needs escaping.
pub fn encode<'a>(text: &'a str, enc: &Encoding) -> Cow<'a, str> {
    let needs = |b: u8| {
        b == enc.field_byte()
            || b == enc.component_byte()
            || b == enc.repetition_byte()
            || b == enc.escape_byte()
            || b == enc.subcomponent_byte()
            || Some(b) == enc.truncation_byte()
            || b == b'\r'
            || b == b'\n'
    };
    if !text.bytes().any(needs) {
        return Cow::Borrowed(text);
    }
    let esc = enc.escape();
    let mut out = String::with_capacity(text.len() + 16);
    let mut done = 0;
    for (i, b) in text.bytes().enumerate() {
        if !needs(b) {
            continue;
        }
        // `b` is ASCII: `i` and `i + 1` are character boundaries.
        out.push_str(&text[done..i]);
        let code = if b == enc.field_byte() {
            "F"
        } else if b == enc.component_byte() {
            "S"
        } else if b == enc.repetition_byte() {
            "R"
        } else if b == enc.escape_byte() {
            "E"
        } else if b == enc.subcomponent_byte() {
            "T"
        } else if b == b'\r' {
            "X0D"
        } else if b == b'\n' {
            "X0A"
        } else {
            "P"
        };
        out.push(esc);
        out.push_str(code);
        out.push(esc);
        done = i + 1;
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

fn find(bytes: &[u8], b: u8, from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&x| x == b)
        .map(|i| i + from)
}

/// An even, non-zero number of hex digits.
fn is_hex_bytes(digits: &[u8]) -> bool {
    !digits.is_empty() && digits.len().is_multiple_of(2) && digits.iter().all(u8::is_ascii_hexdigit)
}

fn named(hex: &mut HexRun, raw: &str, enc: &Encoding, out: &mut String, c: char) {
    hex.flush(raw, enc.hex_charset(), out);
    out.push(c);
}

/// Consecutive `\X..\` sequences, decoded together when the run ends.
#[derive(Default)]
struct HexRun {
    bytes: Vec<u8>,
    /// For each sequence of the run: its byte range in the raw text and the number of bytes
    /// it contributed.
    sequences: Vec<(usize, usize, usize)>,
}

impl HexRun {
    fn push(&mut self, start: usize, end: usize, digits: &[u8]) {
        let before = self.bytes.len();
        for pair in digits.chunks_exact(2) {
            self.bytes
                .push(hex_value(pair[0]) << 4 | hex_value(pair[1]));
        }
        self.sequences.push((start, end, self.bytes.len() - before));
    }

    fn flush(&mut self, raw: &str, charset: HexCharset, out: &mut String) {
        if self.sequences.is_empty() {
            return;
        }
        match charset {
            HexCharset::Latin1 => out.extend(self.bytes.iter().map(|&b| char::from(b))),
            HexCharset::Utf8 => match std::str::from_utf8(&self.bytes) {
                Ok(text) => out.push_str(text),
                // Not text as a whole: each sequence on its own, kept as written when its
                // bytes are not text either.
                Err(_) => {
                    let mut at = 0;
                    for &(start, end, len) in &self.sequences {
                        match std::str::from_utf8(&self.bytes[at..at + len]) {
                            Ok(text) => out.push_str(text),
                            Err(_) => out.push_str(&raw[start..end]),
                        }
                        at += len;
                    }
                }
            },
        }
        self.bytes.clear();
        self.sequences.clear();
    }
}

fn hex_value(d: u8) -> u8 {
    match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        b'A'..=b'F' => d - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc() -> Encoding {
        Encoding::default()
    }

    fn d(raw: &str) -> String {
        decode(raw, &enc()).into_owned()
    }

    #[test]
    fn the_delimiter_escapes_decode_to_the_delimiters() {
        assert_eq!(
            d(r"foo\F\bar\S\baz\T\quux\R\quuz\E\corge"),
            "foo|bar^baz&quux~quuz\\corge"
        );
        assert_eq!(
            d(r"Obstetrician \T\ Gynaecologist"),
            "Obstetrician & Gynaecologist"
        );
        assert_eq!(d(r"\E\\E\"), "\\\\");
        assert_eq!(d(r"\F\"), "|");
    }

    #[test]
    fn text_without_escapes_is_borrowed() {
        assert!(matches!(decode("plain é text", &enc()), Cow::Borrowed(_)));
        assert!(matches!(encode("plain é text", &enc()), Cow::Borrowed(_)));
    }

    #[test]
    fn non_ascii_text_around_escapes_is_kept_whole() {
        // hl7-parser 0.3 slices by character index here and loses or panics.
        assert_eq!(d(r"é\F\x"), "é|x");
        assert_eq!(d(r"ééé\F\"), "ééé|");
        assert_eq!(d(r"Müller\T\Söhne"), "Müller&Söhne");
        assert_eq!(d(r"日本\S\語"), "日本^語");
        assert_eq!(d(r"ü\"), "ü\\");
        assert_eq!(d(r"\é\"), "\\é\\");
    }

    #[test]
    fn hex_escapes_are_utf8_bytes() {
        assert_eq!(d(r"\X4142\"), "AB");
        assert_eq!(d(r"a\XC3A9\b"), "aéb");
        assert_eq!(d(r"a\Xc3a9\b"), "aéb");
        assert_eq!(d(r"\X0D\\X0A\"), "\r\n");
        assert_eq!(d(r"\X20202020\"), "    ");
        // One character split over two sequences.
        assert_eq!(d(r"\XC3\\XA9\"), "é");
        // A valid sequence next to an invalid one: each on its own.
        assert_eq!(d(r"\X41\\XFF\"), "A\\XFF\\");
        // Not text, odd or not hex, empty: kept as written.
        assert_eq!(d(r"\XFF\"), "\\XFF\\");
        assert_eq!(d(r"\X4\"), "\\X4\\");
        assert_eq!(d(r"\XZZ\"), "\\XZZ\\");
        assert_eq!(d(r"\X\"), "\\X\\");
    }

    #[test]
    fn hex_escapes_are_latin1_when_the_message_says_so() {
        let latin1 = enc().with_hex_charset(HexCharset::Latin1);
        // python-hl7's test_unescape.
        assert_eq!(decode(r"\Xe1\\Xe9\\Xed\\Xf3\\Xfa\", &latin1), "áéíóú");
        assert_eq!(decode(r"\XE4\sdf", &latin1), "äsdf");
    }

    #[test]
    fn formatting_and_unknown_sequences_are_kept() {
        for raw in [
            r"\H\text\N\",
            r"line\.br\line",
            r"\.sp2\",
            r"\Zlocal\",
            r"\C2842\",
            r"\M2442\",
            r"C:\path\file",
            r"BSV 4\5 re.",
            r"\",
            r"\\",
            r"\P\",
        ] {
            assert_eq!(d(raw), raw, "{raw:?}");
        }
        // Unknown sequences are skipped as a whole, later ones still decode.
        assert_eq!(d(r"a\b\c\F\"), "a\\b\\c|");
    }

    #[test]
    fn the_truncation_escape_needs_a_declared_truncation_character() {
        let (v27, _) = Encoding::from_header("MSH|^~\\&#|").unwrap();
        assert_eq!(decode(r"a\P\b", &v27), "a#b");
        assert_eq!(encode("a#b", &v27), r"a\P\b");
        assert_eq!(encode("a#b", &enc()), "a#b");
    }

    #[test]
    fn custom_delimiters_escape_with_their_own_characters() {
        let (custom, _) = Encoding::from_header("MSH^!@#$^").unwrap();
        assert_eq!(custom.escape(), '#');
        assert_eq!(
            decode("Escape this #F# please", &custom),
            "Escape this ^ please"
        );
        assert_eq!(encode("a^b#c", &custom), "a#F#b#E#c");
    }

    #[test]
    fn encoding_escapes_every_delimiter_and_line_break() {
        assert_eq!(
            encode("foo|bar^baz&quux~quuz\\corge\rquack\nduck", &enc()),
            r"foo\F\bar\S\baz\T\quux\R\quuz\E\corge\X0D\quack\X0A\duck"
        );
        assert_eq!(
            encode("Pierre DuRho^ne & Cie", &enc()),
            r"Pierre DuRho\S\ne \T\ Cie"
        );
    }

    #[test]
    fn decode_undoes_encode() {
        for text in [
            "",
            "plain",
            "a|b^c~d\\e&f\rg\nh",
            r"\X41\",
            r"\F\",
            "ü\\é|",
            "\\\\\\",
            "\r\n\r\n",
            "#",
            "\u{0}",
        ] {
            assert_eq!(decode(&encode(text, &enc()), &enc()), text, "{text:?}");
        }
    }
}
