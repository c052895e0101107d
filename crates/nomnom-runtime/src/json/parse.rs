//! The parser: a recursive-descent reader over bytes, strict RFC 8259.

use std::borrow::Cow;
use std::collections::HashSet;

use super::value::{Object, Value};
use super::SyntaxError;

/// Deepest nesting of arrays and objects accepted; deeper bodies are refused as a syntax
/// error instead of exhausting the stack.
pub const MAX_DEPTH: usize = 128;

/// Objects with more members than this check duplicate keys with a hash set instead of a scan.
const LINEAR_DUPLICATE_CHECK: usize = 16;

/// Parses one JSON document (surrounding whitespace allowed, nothing else after it).
pub fn parse(body: &[u8]) -> Result<Value<'_>, SyntaxError> {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(e) => {
            let at = e.valid_up_to();
            return Err(error_at(body, at, "invalid UTF-8"));
        }
    };
    let mut parser = Parser {
        text,
        bytes: body,
        pos: 0,
    };
    parser.skip_whitespace();
    let value = parser.value(0)?;
    parser.skip_whitespace();
    if parser.pos < body.len() {
        return Err(parser.error("unexpected characters after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

/// A syntax error at byte offset `at`, located by line and column (in characters).
fn error_at(bytes: &[u8], at: usize, message: &str) -> SyntaxError {
    let before = &bytes[..at.min(bytes.len())];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    // Count characters, not bytes: continuation bytes (0b10xx_xxxx) do not start one.
    let column = 1 + before[line_start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count();
    SyntaxError {
        line,
        column,
        message: message.to_string(),
    }
}

impl<'a> Parser<'a> {
    fn error(&self, message: &str) -> SyntaxError {
        error_at(self.bytes, self.pos, message)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, SyntaxError> {
        match self.peek() {
            None => Err(self.error("unexpected end of input, expected a value")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value<'a>) -> Result<Value<'a>, SyntaxError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn nest_check(&self, depth: usize) -> Result<(), SyntaxError> {
        if depth > MAX_DEPTH {
            Err(self.error(&format!("nesting deeper than {MAX_DEPTH} levels")))
        } else {
            Ok(())
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, SyntaxError> {
        self.nest_check(depth)?;
        self.pos += 1; // '{'
                       // Records have a handful to a few dozen fields: start with room for several.
        let mut members: Vec<(Cow<'a, str>, Value<'a>)> = Vec::with_capacity(8);
        let mut seen: Option<HashSet<Cow<'a, str>>> = None;
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(Object::from_members(members)));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string as object key"));
            }
            let key_pos = self.pos;
            let key = self.string()?;
            let duplicate = match &mut seen {
                Some(set) => !set.insert(key.clone()),
                None => {
                    let dup = members.iter().any(|(k, _)| *k == key);
                    if members.len() >= LINEAR_DUPLICATE_CHECK {
                        let mut set: HashSet<Cow<'a, str>> =
                            members.iter().map(|(k, _)| k.clone()).collect();
                        set.insert(key.clone());
                        seen = Some(set);
                    }
                    dup
                }
            };
            if duplicate {
                return Err(error_at(
                    self.bytes,
                    key_pos,
                    &format!("duplicate key \"{key}\""),
                ));
            }
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after an object key"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(Object::from_members(members)));
                }
                None => return Err(self.error("unexpected end of input, expected ',' or '}'")),
                Some(_) => return Err(self.error("expected ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, SyntaxError> {
        self.nest_check(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err(self.error("unexpected end of input, expected ',' or ']'")),
                Some(_) => return Err(self.error("expected ',' or ']' in an array")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value<'a>, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error("leading zeros are not allowed in numbers"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        Ok(Value::Number(Cow::Borrowed(&self.text[start..self.pos])))
    }

    /// Reads a string starting at its opening quote; borrows when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        self.pos += 1; // opening quote
        let start = self.pos;
        // The common case, a string without escapes: scan to the first byte that needs a
        // decision (closing quote, backslash, control character).
        let special = self.bytes[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
        match special.map(|offset| (start + offset, self.bytes[start + offset])) {
            None => {
                self.pos = self.bytes.len();
                return Err(self.error("unterminated string"));
            }
            Some((at, b'"')) => {
                self.pos = at + 1;
                return Ok(Cow::Borrowed(&self.text[start..at]));
            }
            Some((at, b'\\')) => self.pos = at,
            Some((at, _)) => {
                self.pos = at;
                return Err(self.error("control characters must be escaped in strings"));
            }
        }
        let mut out = String::from(&self.text[start..self.pos]);
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(0x00..=0x1F) => {
                    return Err(self.error("control characters must be escaped in strings"))
                }
                Some(_) => {
                    // Copy one whole character (the text is valid UTF-8).
                    let rest = &self.text[self.pos..];
                    if let Some(c) = rest.chars().next() {
                        out.push(c);
                        self.pos += c.len_utf8();
                    }
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&first) {
                    if !self.bytes[self.pos..].starts_with(b"\\u") {
                        return Err(self.error("unpaired surrogate in \\u escape"));
                    }
                    self.pos += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error("unpaired surrogate in \\u escape"));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else if (0xDC00..0xE000).contains(&first) {
                    return Err(self.error("unpaired surrogate in \\u escape"));
                } else {
                    first
                };
                let c = char::from_u32(c).ok_or_else(|| self.error("invalid \\u escape"))?;
                out.push(c);
                return Ok(());
            }
            _ => return Err(self.error("invalid escape sequence")),
        };
        out.push(c);
        self.pos += 1;
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut n = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.error("expected four hex digits in \\u escape")),
            };
            n = n * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &[u8]) -> SyntaxError {
        match parse(body) {
            Err(e) => e,
            Ok(v) => panic!("expected an error, parsed {v:?}"),
        }
    }

    #[test]
    fn parses_every_kind_and_keeps_number_text() {
        let v = parse(
            br#" {"a": [1, -0.10, 2e-3, 1E+2], "b": true, "c": false, "d": null, "e": "x"} "#,
        )
        .expect("valid");
        let Value::Object(obj) = v else {
            panic!("object")
        };
        let Some(Value::Array(items)) = obj.get("a") else {
            panic!("array")
        };
        let texts: Vec<&str> = items
            .iter()
            .map(|i| match i {
                Value::Number(t) => t.as_ref(),
                _ => "",
            })
            .collect();
        assert_eq!(texts, ["1", "-0.10", "2e-3", "1E+2"]);
        assert_eq!(obj.get("b"), Some(&Value::Bool(true)));
        assert_eq!(obj.get("c"), Some(&Value::Bool(false)));
        assert_eq!(obj.get("d"), Some(&Value::Null));
        assert_eq!(obj.get("e"), Some(&Value::String(Cow::Borrowed("x"))));
        assert_eq!(obj.len(), 5);
    }

    #[test]
    fn strings_unescape_and_borrow_when_plain() {
        let v =
            parse(br#"["plain", "a\"b\\c\/d\b\f\n\r\t", "\u00e9\ud83d\ude00", "caf\u00e9 ok"]"#)
                .expect("valid");
        let Value::Array(items) = v else {
            panic!("array")
        };
        assert!(matches!(&items[0], Value::String(Cow::Borrowed("plain"))));
        assert_eq!(items[1], Value::String("a\"b\\c/d\u{8}\u{c}\n\r\t".into()));
        assert_eq!(items[2], Value::String("é😀".into()));
        assert_eq!(items[3], Value::String("café ok".into()));
    }

    #[test]
    fn multibyte_text_passes_through() {
        let v = parse("{\"名前\": \"データ\"}".as_bytes()).expect("valid");
        let Value::Object(obj) = v else {
            panic!("object")
        };
        assert_eq!(obj.get("名前"), Some(&Value::String("データ".into())));
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = err(b"{\n  \"a\": 1,\n  \"b\" 2\n}");
        assert_eq!((e.line, e.column), (3, 7));
        assert_eq!(e.message, "expected ':' after an object key");
        // Columns count characters, not bytes.
        let e = err("{\"é\": x}".as_bytes());
        assert_eq!((e.line, e.column), (1, 7));
    }

    #[test]
    fn refuses_what_rfc_8259_refuses() {
        for (body, message) in [
            (&b""[..], "unexpected end of input, expected a value"),
            (b"{\"a\":1,}", "expected a string as object key"),
            (b"[1,]", "expected a value"),
            (b"[1 2]", "expected ',' or ']' in an array"),
            (b"{'a':1}", "expected a string as object key"),
            (b"01", "leading zeros are not allowed in numbers"),
            (b"1.", "expected a digit after the decimal point"),
            (b"1e", "expected a digit in the exponent"),
            (b"-", "expected a digit"),
            (b"+1", "expected a value"),
            (b"NaN", "expected a value"),
            (b"tru", "expected a value"),
            (b"\"abc", "unterminated string"),
            (b"\"a\tb\"", "control characters must be escaped in strings"),
            (b"\"\\x\"", "invalid escape sequence"),
            (b"\"\\u12\"", "expected four hex digits in \\u escape"),
            (b"\"\\ud800\"", "unpaired surrogate in \\u escape"),
            (b"\"\\udc00\"", "unpaired surrogate in \\u escape"),
            (b"{} {}", "unexpected characters after the JSON value"),
            (b"// c\n{}", "expected a value"),
            (b"{\"a\":1,\"a\":2}", "duplicate key \"a\""),
            (b"[1", "unexpected end of input, expected ',' or ']'"),
        ] {
            assert_eq!(
                err(body).message,
                message,
                "body {:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn duplicate_keys_in_large_objects() {
        let mut body = String::from("{");
        for i in 0..40 {
            body.push_str(&format!("\"k{i}\":{i},"));
        }
        body.push_str("\"k3\":0}");
        assert_eq!(err(body.as_bytes()).message, "duplicate key \"k3\"");
        let ok = body.replace("\"k3\":0}", "\"last\":0}");
        assert!(parse(ok.as_bytes()).is_ok());
    }

    #[test]
    fn invalid_utf8_is_located() {
        let e = err(b"{\"a\": \"x\xff\"}");
        assert_eq!(e.message, "invalid UTF-8");
        assert_eq!((e.line, e.column), (1, 9));
        let e = err(b"[\"\xe2\x82\"]"); // truncated 3-byte sequence
        assert_eq!(e.message, "invalid UTF-8");
        assert_eq!(e.column, 3);
    }

    #[test]
    fn nesting_is_limited() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let e = err(deep.as_bytes());
        assert_eq!(e.message, format!("nesting deeper than {MAX_DEPTH} levels"));
        assert_eq!(e.column, MAX_DEPTH + 1);
        // Far deeper than the stack would allow without the limit.
        let hostile = "{\"a\":".repeat(100_000);
        assert!(err(hostile.as_bytes())
            .message
            .starts_with("nesting deeper"));
    }

    #[test]
    fn pointer_walks_nested_objects() {
        let v = parse(br#"{"customer": {"id": 7, "name": "x"}, "flat": 1}"#).expect("valid");
        let Value::Object(obj) = v else {
            panic!("object")
        };
        assert_eq!(
            obj.pointer(&["customer", "id"]),
            Some(&Value::Number("7".into()))
        );
        assert_eq!(obj.pointer(&["flat", "id"]), None);
        assert_eq!(obj.pointer(&["missing", "id"]), None);
        assert_eq!(obj.pointer(&[]), None);
    }

    /// A tiny deterministic generator (xorshift), so the test needs no dependency and
    /// always explores the same inputs.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_errors_stay_in_bounds() {
        const ALPHABET: &[u8] =
            b"{}[]:,\"\\/ \n\tntrufalse0123456789-+.eEu\x00\x7f\xc3\xa9\xff\xe2\x82";
        let seed_doc = br#"{"a": [1, -2.5e3, "x\u00e9", true, null, {"b": {}}], "c": "d"}"#;
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for round in 0..20_000 {
            let mut body: Vec<u8> = if round % 2 == 0 {
                // Random bytes from a JSON-ish alphabet.
                let len = (rng.next() % 64) as usize;
                (0..len)
                    .map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize])
                    .collect()
            } else {
                // A valid document with a few bytes mutated.
                let mut doc = seed_doc.to_vec();
                for _ in 0..(1 + rng.next() % 3) {
                    let at = (rng.next() % doc.len() as u64) as usize;
                    doc[at] = ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize];
                }
                doc
            };
            if round % 7 == 0 {
                let cut = (rng.next() % (body.len() as u64 + 1)) as usize;
                body.truncate(cut);
            }
            match parse(&body) {
                Ok(_) => {}
                Err(e) => {
                    let lines = 1 + body.iter().filter(|&&b| b == b'\n').count();
                    assert!(e.line >= 1 && e.line <= lines, "line {} of {lines}", e.line);
                    assert!(
                        e.column >= 1 && e.column <= body.len() + 1,
                        "column {}",
                        e.column
                    );
                }
            }
        }
    }
}
