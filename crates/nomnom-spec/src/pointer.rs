//! JSON pointers (RFC 6901) as written in `json:`.

/// Why a JSON pointer is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PointerError {
    /// A `~` not followed by `0` or `1`.
    BadEscape(String),
}

/// Splits `/customer/id` into unescaped tokens (`~1` → `/`, `~0` → `~`). The text must start
/// with `/`.
pub fn parse(text: &str) -> Result<Vec<String>, PointerError> {
    let rest = text.strip_prefix('/').unwrap_or(text);
    let mut tokens = Vec::new();
    for raw in rest.split('/') {
        let mut token = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '~' {
                match chars.next() {
                    Some('0') => token.push('~'),
                    Some('1') => token.push('/'),
                    _ => return Err(PointerError::BadEscape(raw.to_string())),
                }
            } else {
                token.push(c);
            }
        }
        tokens.push(token);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_tokens() {
        assert_eq!(parse("/customer/id").unwrap(), vec!["customer", "id"]);
        assert_eq!(parse("/a~1b/c~0d").unwrap(), vec!["a/b", "c~d"]);
        assert_eq!(parse("/").unwrap(), vec![""]);
        assert!(parse("/a~2").is_err());
        assert!(parse("/a~").is_err());
    }
}
