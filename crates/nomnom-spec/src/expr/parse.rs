//! The parser of `compute:` expressions.
//!
//! Hand-written recursive descent, without a parser library: the grammar is a few lines
//!
//! ```text
//! expr    = call | name | string | number
//! call    = name "(" [ expr { "," expr } ] ")"
//! name    = (letter | "_") { letter | digit | "_" }        ASCII only
//! string  = "'" { any character but "'" | "''" } "'"
//! number  = [ "-" ] digit { digit } [ "." digit { digit } ]
//! ```
//!
//! (whitespace allowed between tokens), and every error must carry the exact byte range it
//! is about, a label and a hint, because it is shown at a column inside a YAML string. A
//! generic parser's error type would have to be translated back anyway.

use std::ops::Range;

use super::ast::{Call, Expr, ExprKind, StringLit};

/// How deeply calls may nest; deeper input is refused rather than risking the stack.
pub const MAX_DEPTH: usize = 32;

/// The most significant digits a decimal literal may have (what `rust_decimal` holds exactly).
pub const MAX_DECIMAL_DIGITS: usize = 28;

/// Why an expression could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte range within the expression text the error is about.
    pub range: Range<usize>,
    /// One line: what is wrong.
    pub message: String,
    /// Shown under the range.
    pub label: String,
    /// How to fix it.
    pub help: String,
}

fn error(
    range: Range<usize>,
    message: impl Into<String>,
    label: impl Into<String>,
    help: impl Into<String>,
) -> ParseError {
    ParseError {
        range,
        message: message.into(),
        label: label.into(),
        help: help.into(),
    }
}

/// Parses a whole expression; anything after it but whitespace is an error.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser { text, pos: 0 };
    p.skip_ws();
    if p.peek().is_none() {
        return Err(error(
            0..text.len(),
            "the expression is empty",
            "no expression",
            "write a function call, a field name or a literal, such as `upper(trim(code))`",
        ));
    }
    let expr = p.expr(0)?;
    p.skip_ws();
    if p.pos < text.len() {
        let end = text.trim_end().len();
        return Err(error(
            p.pos..end,
            "unexpected text after the expression",
            "not part of the expression",
            "an expression is a single value; combine values with a function such as \
             `concat(a, ' ', b)`",
        ));
    }
    Ok(expr)
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            self.pos += c.len_utf8();
        }
    }

    fn skip_while(&mut self, f: impl Fn(char) -> bool) {
        while let Some(c) = self.peek().filter(|&c| f(c)) {
            self.pos += c.len_utf8();
        }
    }

    /// The range of the token starting at `at`: a word, a number, or one character.
    fn token_at(&self, at: usize) -> Range<usize> {
        let rest = &self.text[at..];
        let len = match rest.chars().next() {
            Some(c) if is_name_char(c) => {
                rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len())
            }
            Some(c) => c.len_utf8(),
            None => 0,
        };
        at..at + len
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let start = self.pos;
        match self.peek() {
            Some('\'') => self.string(),
            Some(c) if c.is_ascii_digit() || c == '-' => self.number(),
            Some(c) if is_name_start(c) => {
                let name = self.name()?;
                let after_name = self.pos;
                self.skip_ws();
                if self.peek() == Some('(') {
                    self.call(name, start..after_name, depth)
                } else {
                    self.pos = after_name;
                    Ok(Expr {
                        kind: ExprKind::Field(name),
                        range: start..after_name,
                    })
                }
            }
            Some(c) => Err(unexpected(c, self.token_at(start))),
            None => Err(error(
                start..start,
                "expected a value",
                "expression missing",
                "write a function call, a field name or a literal",
            )),
        }
    }

    fn name(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.skip_while(is_name_char);
        let name = &self.text[start..self.pos];
        if !name.is_ascii() {
            return Err(error(
                start..self.pos,
                format!("`{name}` is not a valid name"),
                "not an ASCII name",
                "function and field names are ASCII letters, digits and `_`",
            ));
        }
        Ok(name.to_string())
    }

    fn call(
        &mut self,
        name: String,
        name_range: Range<usize>,
        depth: usize,
    ) -> Result<Expr, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(error(
                name_range,
                format!("the expression nests calls more than {MAX_DEPTH} deep"),
                "too deeply nested",
                "split the computation over several computed fields",
            ));
        }
        let open = self.pos;
        self.pos += 1;
        let unclosed = |name: &str| {
            error(
                open..open + 1,
                format!("missing `)` to close the call of `{name}`"),
                "this `(` is never closed",
                format!("end the arguments of `{name}` with `)`"),
            )
        };
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
            return Ok(call_node(name, name_range, args, self.pos));
        }
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(unclosed(&name)),
                Some(c @ (',' | ')')) => {
                    let (label, help) = if args.is_empty() {
                        (
                            "argument missing before this `,`",
                            "remove the leading `,`, or write the missing argument",
                        )
                    } else if c == ')' {
                        (
                            "argument missing after the last `,`",
                            "remove the trailing `,`, or write the missing argument",
                        )
                    } else {
                        (
                            "argument missing before this `,`",
                            "remove the extra `,`, or write the missing argument",
                        )
                    };
                    return Err(error(
                        self.pos..self.pos + 1,
                        format!("empty argument in the call of `{name}`"),
                        label,
                        help,
                    ));
                }
                Some(_) => {}
            }
            args.push(self.expr(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    return Ok(call_node(name, name_range, args, self.pos));
                }
                None => return Err(unclosed(&name)),
                Some(c) => {
                    let range = self.token_at(self.pos);
                    let starts_value = c == '\'' || c == '-' || is_name_char(c);
                    let help = if starts_value {
                        "separate arguments with `,`".to_string()
                    } else {
                        unexpected(c, range.clone()).help
                    };
                    return Err(error(
                        range,
                        format!(
                            "expected `,` or `)` after argument {} of `{name}`",
                            args.len()
                        ),
                        "expected `,` or `)` here",
                        help,
                    ));
                }
            }
        }
    }

    fn string(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut lit = StringLit::plain(String::new());
        loop {
            let rest = &self.text[self.pos..];
            let Some(q) = rest.find('\'') else {
                return Err(error(
                    start..self.text.len(),
                    "unclosed string literal",
                    "the string starts here and never ends",
                    "end the string with `'`; write `''` for a quote inside it",
                ));
            };
            lit.value.push_str(&rest[..q]);
            self.pos += q + 1;
            if self.peek() == Some('\'') {
                lit.doubled_quotes.push(lit.value.len());
                lit.value.push('\'');
                self.pos += 1;
            } else {
                return Ok(Expr {
                    kind: ExprKind::String(lit),
                    range: start..self.pos,
                });
            }
        }
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(error(
                    start..start + 1,
                    "`-` must be followed by digits",
                    "not a number",
                    "there are no operators: `-` only starts a negative number such as `-5`",
                ));
            }
        }
        self.skip_while(|c| c.is_ascii_digit());
        let mut decimal = false;
        if self.peek() == Some('.') {
            decimal = true;
            self.pos += 1;
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(error(
                    start..self.pos,
                    "expected digits after the decimal point",
                    "incomplete number",
                    "write the fraction, as in `1.0`, or drop the point",
                ));
            }
            self.skip_while(|c| c.is_ascii_digit());
        }
        let text = &self.text[start..self.pos];
        match self.peek() {
            Some(c) if is_name_char(c) => {
                let end = self.token_at(self.pos).end;
                let plain_digits = !decimal && !text.starts_with('-');
                return Err(if plain_digits {
                    error(
                        start..end,
                        format!(
                            "`{}` is neither a number nor a name",
                            &self.text[start..end]
                        ),
                        "names cannot start with a digit",
                        "a name starts with a letter or `_`; a number is digits only",
                    )
                } else {
                    error(
                        self.pos..end,
                        format!(
                            "unexpected `{}` after the number `{text}`",
                            &self.text[self.pos..end]
                        ),
                        "not part of a number",
                        "numbers are digits with an optional fraction: no exponent, no suffix",
                    )
                });
            }
            Some('.') => {
                return Err(error(
                    self.pos..self.pos + 1,
                    format!("unexpected `.` after the number `{text}`"),
                    "a second decimal point",
                    "a number has at most one decimal point",
                ));
            }
            _ => {}
        }
        let range = start..self.pos;
        if decimal {
            check_decimal(text, range.clone())?;
            return Ok(Expr {
                kind: ExprKind::Decimal(text.to_string()),
                range,
            });
        }
        match text.parse::<i64>() {
            Ok(n) => Ok(Expr {
                kind: ExprKind::Integer(n),
                range,
            }),
            Err(_) => Err(error(
                range,
                format!("the integer `{text}` does not fit in 64 bits"),
                "too large for an integer",
                format!("integers lie between {} and {}; for a larger value write a decimal, `{text}.0`", i64::MIN, i64::MAX),
            )),
        }
    }
}

/// Rejects decimals `rust_decimal` cannot hold exactly.
fn check_decimal(text: &str, range: Range<usize>) -> Result<(), ParseError> {
    let digits = text.trim_start_matches('-');
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let significant = int.trim_start_matches('0').len() + frac.len();
    if significant > MAX_DECIMAL_DIGITS {
        return Err(error(
            range,
            format!("the decimal `{text}` has more than {MAX_DECIMAL_DIGITS} significant digits"),
            "too precise for a decimal",
            format!(
                "decimals hold at most {MAX_DECIMAL_DIGITS} significant digits; round the literal"
            ),
        ));
    }
    Ok(())
}

fn call_node(name: String, name_range: Range<usize>, args: Vec<Expr>, end: usize) -> Expr {
    let start = name_range.start;
    Expr {
        kind: ExprKind::Call(Call {
            name,
            name_range,
            args,
        }),
        range: start..end,
    }
}

/// An error for a character no token starts with, with a hint for the likely intent.
fn unexpected(c: char, range: Range<usize>) -> ParseError {
    let help = match c {
        '"' => "string literals are written in single quotes: `'text'`",
        '+' | '*' | '/' | '|' | '=' | '<' | '>' | '!' | '&' | '%' => {
            "expressions have no operators; call a function, such as `concat(a, b)` or `coalesce(a, b)`"
        }
        '(' => "parentheses only follow a function name, as in `upper(name)`",
        ')' | ',' => "this is outside any call",
        '.' => "numbers start with a digit, as in `0.5`; fields of other entities are not reachable",
        _ => "an expression is a function call, a field name, a string in single quotes or a number",
    };
    ParseError {
        range,
        message: format!("unexpected `{c}`"),
        label: "unexpected character".to_string(),
        help: help.to_string(),
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
