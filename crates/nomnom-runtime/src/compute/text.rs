//! Functions of text: `concat`, `concat_ws`, `trim`, `substring`, `split_part`, `replace`,
//! `sha256`, each as PostgreSQL defines it (positions count characters, not bytes).
//!
//! A result that is part of the input is a slice of it when the input was borrowed, and the
//! input's own buffer, cut in place, when it was owned: `trim(&field)` copies nothing.

use std::borrow::Cow;
use std::ops::Range;

use sha2::{Digest, Sha256};

use super::error::ComputeError;
use super::to_text::{IntoText, TextArg};

/// `concat(a, …)`: the texts of the arguments one after the other, nulls skipped. Never null
/// (only nulls give `''`). As in PostgreSQL, a boolean is written `t` or `f` here (its
/// output), not `true` or `false` (its `::text`).
pub fn concat(parts: &[&dyn TextArg]) -> String {
    let mut out = String::new();
    for part in parts {
        part.write_arg(&mut out);
    }
    out
}

/// `concat_ws(sep, a, …)`: the texts of the non-null arguments with `sep` between them; null
/// when `sep` is null, `''` when every argument is. Booleans are `t` or `f`, as in
/// [`concat()`].
pub fn concat_ws<'s>(sep: impl IntoText<'s>, parts: &[&dyn TextArg]) -> Option<String> {
    let sep = sep.into_text()?;
    let mut out = String::new();
    let mut first = true;
    for part in parts {
        let before = out.len();
        if !first {
            out.push_str(&sep);
        }
        if part.write_arg(&mut out) {
            first = false;
        } else {
            out.truncate(before);
        }
    }
    Some(out)
}

/// `trim(s)`: `s` without its leading and trailing spaces (PostgreSQL's `btrim(s)`: only the
/// space character, not tabs or newlines).
pub fn trim<'a>(s: impl IntoText<'a>) -> Option<Cow<'a, str>> {
    let s = s.into_text()?;
    let end = s.trim_end_matches(' ').len();
    let start = end - s[..end].trim_start_matches(' ').len();
    Some(keep(s, start..end))
}

/// `substring(s, start, length)`: the characters of `s` from position `start` (1-based) on,
/// `length` positions long, counted from `start` even when it is before the first character
/// (`substring('hello', 0, 3)` is `he`). A negative `length` is an error.
pub fn substring<'a>(
    s: impl IntoText<'a>,
    start: impl Into<Option<i64>>,
    length: impl Into<Option<i64>>,
) -> Result<Option<Cow<'a, str>>, ComputeError> {
    let (Some(s), Some(start), Some(length)) = (s.into_text(), start.into(), length.into()) else {
        return Ok(None);
    };
    if length < 0 {
        return Err(ComputeError::new(
            "substring",
            format!("the length must not be negative, and is {length}"),
        ));
    }
    // Positions `start` ..< `start + length`, kept within the text (1-based).
    let end = i128::from(start) + i128::from(length);
    let first = start.max(1);
    if end <= i128::from(first) {
        return Ok(Some(keep(s, 0..0)));
    }
    let skip = (first - 1) as u64;
    let take = (end - i128::from(first)) as u64;
    let from = char_offset(&s, skip);
    let to = from + char_offset(&s[from..], take);
    Ok(Some(keep(s, from..to)))
}

/// `split_part(s, sep, n)`: the `n`th field of `s` split at each `sep` (1-based; a negative
/// `n` counts from the end); `''` beyond the fields. An empty `sep` leaves one field, `s`
/// itself; an empty `s` has none. `n = 0` is an error.
pub fn split_part<'a, 'b>(
    s: impl IntoText<'a>,
    sep: impl IntoText<'b>,
    n: impl Into<Option<i64>>,
) -> Result<Option<Cow<'a, str>>, ComputeError> {
    let (Some(s), Some(sep), Some(n)) = (s.into_text(), sep.into_text(), n.into()) else {
        return Ok(None);
    };
    if n == 0 {
        return Err(ComputeError::new(
            "split_part",
            "the field position must not be zero",
        ));
    }
    if s.is_empty() {
        return Ok(Some(s));
    }
    if sep.is_empty() {
        let whole = s.len();
        return Ok(Some(keep(
            s,
            if n == 1 || n == -1 { 0..whole } else { 0..0 },
        )));
    }
    let index = if n > 0 {
        n - 1
    } else {
        let fields = s.matches(&*sep).count() as i64 + 1;
        fields + n
    };
    let range = usize::try_from(index)
        .ok()
        .and_then(|index| s.split(&*sep).nth(index))
        .map(|field| {
            let start = field.as_ptr() as usize - s.as_ptr() as usize;
            start..start + field.len()
        })
        .unwrap_or(0..0);
    Ok(Some(keep(s, range)))
}

/// `replace(s, from, to)`: `s` with every occurrence of `from` (left to right, not
/// overlapping) replaced by `to`; `s` itself when `from` is empty or absent.
pub fn replace<'a, 'b, 'c>(
    s: impl IntoText<'a>,
    from: impl IntoText<'b>,
    to: impl IntoText<'c>,
) -> Option<Cow<'a, str>> {
    let (s, from, to) = (s.into_text()?, from.into_text()?, to.into_text()?);
    if from.is_empty() || !s.contains(&*from) {
        return Some(s);
    }
    Some(Cow::Owned(s.replace(&*from, &to)))
}

/// `sha256(s)`: the SHA-256 of the UTF-8 bytes of `s`, as 64 lower-case hex digits
/// (PostgreSQL's `encode(sha256(convert_to(s, 'UTF8')), 'hex')`).
pub fn sha256<'a>(s: impl IntoText<'a>) -> Option<String> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(s.into_text()?.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 15)]));
    }
    Some(out)
}

/// The byte offset of character `n` of `s` (its length when `s` has fewer characters).
fn char_offset(s: &str, n: u64) -> usize {
    if s.is_ascii() {
        return usize::try_from(n).map_or(s.len(), |n| n.min(s.len()));
    }
    usize::try_from(n)
        .ok()
        .and_then(|n| s.char_indices().nth(n))
        .map_or(s.len(), |(offset, _)| offset)
}

/// The part `range` (on character boundaries) of `s`: a slice of borrowed text, owned text
/// cut in place.
pub(crate) fn keep(s: Cow<'_, str>, range: Range<usize>) -> Cow<'_, str> {
    if range == (0..s.len()) {
        return s;
    }
    match s {
        Cow::Borrowed(s) => Cow::Borrowed(&s[range]),
        Cow::Owned(mut s) => {
            s.truncate(range.end);
            s.drain(..range.start);
            Cow::Owned(s)
        }
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
