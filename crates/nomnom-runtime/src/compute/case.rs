//! `lower(s)` and `upper(s)` as PostgreSQL computes them in a UTF-8 database with a libc
//! locale (the default, `C.UTF-8` or `en_US.UTF-8`): each character on its own, mapped by
//! Unicode's *simple* case mapping, one character to one character. So `upper('straße')` is
//! `STRAßE` (not `STRASSE`), `lower('İ')` is `i`, and `Σ` is always `σ`, never the final `ς`.
//!
//! Rust's `char::to_uppercase` gives the *full* mapping; where that is several characters the
//! simple mapping is the character itself, except for the few characters listed in
//! [`simple_upper`] and [`simple_lower`] (from Unicode's `UnicodeData.txt`). The mapping is
//! that of the Unicode version of the Rust standard library; a C library of an older Unicode
//! leaves characters it does not know unchanged.

use std::borrow::Cow;

use super::to_text::IntoText;

/// `lower(s)`: every character in lower case (Unicode simple case mapping).
pub fn lower<'a>(s: impl IntoText<'a>) -> Option<Cow<'a, str>> {
    Some(map(
        s.into_text()?,
        |b| b.is_ascii_uppercase(),
        str::make_ascii_lowercase,
        simple_lower,
    ))
}

/// `upper(s)`: every character in upper case (Unicode simple case mapping).
pub fn upper<'a>(s: impl IntoText<'a>) -> Option<Cow<'a, str>> {
    Some(map(
        s.into_text()?,
        |b| b.is_ascii_lowercase(),
        str::make_ascii_uppercase,
        simple_upper,
    ))
}

/// Maps each character of `s`, returning `s` itself when nothing changes. ASCII text is
/// mapped byte by byte (in place when owned).
fn map<'a>(
    s: Cow<'a, str>,
    ascii_changes: fn(&u8) -> bool,
    ascii_map: fn(&mut str),
    map_char: fn(char) -> char,
) -> Cow<'a, str> {
    if s.is_ascii() {
        if !s.as_bytes().iter().any(ascii_changes) {
            return s;
        }
        let mut owned = s.into_owned();
        ascii_map(&mut owned);
        return Cow::Owned(owned);
    }
    let Some(first) = s.char_indices().find(|&(_, c)| map_char(c) != c) else {
        return s;
    };
    let mut out = String::with_capacity(s.len() + 4);
    out.push_str(&s[..first.0]);
    out.extend(s[first.0..].chars().map(map_char));
    Cow::Owned(out)
}

/// The simple lower-case mapping of `c`.
pub(crate) fn simple_lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    match c {
        // LATIN CAPITAL LETTER I WITH DOT ABOVE: full mapping `i̇`, simple `i`.
        '\u{130}' => 'i',
        _ => single(c.to_lowercase()).unwrap_or(c),
    }
}

/// The simple upper-case mapping of `c`.
pub(crate) fn simple_upper(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_uppercase();
    }
    match c {
        // Greek small letters with ypogegrammeni: full mappings of two or three characters
        // (`ᾀ` → `ἈΙ`), simple mappings to the capital with prosgegrammeni (`ᾀ` → `ᾈ`).
        '\u{1F80}'..='\u{1F87}' | '\u{1F90}'..='\u{1F97}' | '\u{1FA0}'..='\u{1FA7}' => {
            char::from_u32(c as u32 + 8).unwrap_or(c)
        }
        '\u{1FB3}' => '\u{1FBC}',
        '\u{1FC3}' => '\u{1FCC}',
        '\u{1FF3}' => '\u{1FFC}',
        _ => single(c.to_uppercase()).unwrap_or(c),
    }
}

/// The only character of a mapping, `None` when it has several.
fn single(mut mapping: impl ExactSizeIterator<Item = char>) -> Option<char> {
    if mapping.len() == 1 {
        mapping.next()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected texts from PostgreSQL 15 with `C.UTF-8` (glibc).
    #[test]
    fn simple_mappings_as_postgresql_s() {
        assert_eq!(upper("ᾳ ᾀ ß ﬁ ŉ ǰ ΐ").as_deref(), Some("ᾼ ᾈ ß ﬁ ŉ ǰ ΐ"));
        assert_eq!(lower("İ ᾼ ᾈ Σ").as_deref(), Some("i ᾳ ᾀ σ"));
        assert_eq!(upper("ꞔ ǅ ı ſ").as_deref(), Some("Ꞔ Ǆ I S"));
        assert_eq!(lower("K Å ẞ").as_deref(), Some("k å ß"));
        assert_eq!(lower("ÉΣΑΣ").as_deref(), Some("éσασ"));
        assert_eq!(upper("straße").as_deref(), Some("STRAßE"));
    }

    #[test]
    fn ascii_and_unchanged_text_is_not_copied() {
        assert!(matches!(upper("ABC 1"), Some(Cow::Borrowed("ABC 1"))));
        assert!(matches!(lower("日本"), Some(Cow::Borrowed("日本"))));
        assert_eq!(lower("MiXeD").as_deref(), Some("mixed"));
        let owned = String::from("abc");
        let ptr = owned.as_ptr();
        match upper(owned) {
            Some(Cow::Owned(s)) => {
                assert_eq!(s, "ABC");
                assert_eq!(s.as_ptr(), ptr, "mapped in place");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(upper("héllo").as_deref(), Some("HÉLLO"));
        assert_eq!(upper(""), Some(Cow::Borrowed("")));
        assert_eq!(upper(None::<&str>), None);
    }

    #[test]
    fn the_listed_upper_mappings_lower_back() {
        // Each capital with prosgegrammeni lowers (a single-character mapping in Rust) to the
        // small letter it is the simple upper case of.
        let listed = ('\u{1F80}'..='\u{1F87}')
            .chain('\u{1F90}'..='\u{1F97}')
            .chain('\u{1FA0}'..='\u{1FA7}')
            .chain(['\u{1FB3}', '\u{1FC3}', '\u{1FF3}']);
        for small in listed {
            let capital = simple_upper(small);
            assert_ne!(capital, small);
            assert_eq!(simple_lower(capital), small, "{small}");
            assert!(small.to_uppercase().len() > 1, "{small} is a special case");
        }
    }
}
