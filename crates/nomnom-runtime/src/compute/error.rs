//! [`ComputeError`]: why a function could not compute a value, in one sentence that names the
//! function and the value (`parse_date: "31/02/2024" is not a date in the format %d/%m/%Y`).
//! It becomes a 422 on the computed field.

use std::fmt;

/// Why a built-in (or user) function failed: an impossible date, text that is not a number, a
/// negative substring length. Displayed as `function: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputeError {
    function: &'static str,
    message: String,
}

impl ComputeError {
    /// The failure of `function`, explained by `message` (a sentence without the function's
    /// name and without a final period: `"x" is not an integer`).
    pub fn new(function: &'static str, message: impl Into<String>) -> ComputeError {
        ComputeError {
            function,
            message: message.into(),
        }
    }

    /// The function that failed (`parse_date`).
    pub fn function(&self) -> &'static str {
        self.function
    }

    /// What failed, without the function's name.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ComputeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.function, self.message)
    }
}

impl std::error::Error for ComputeError {}

/// Characters of a value quoted in a message; longer values are cut (with `…`), so a message
/// stays readable whatever the input.
const QUOTED_CHARS: usize = 64;

/// `text` in double quotes for a message, escaped as Rust escapes a string (`\"`, `\n`), cut
/// after [`QUOTED_CHARS`] characters.
pub(crate) fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        None => format!("{text:?}"),
        Some((cut, _)) => {
            let mut quoted = format!("{:?}", &text[..cut]);
            quoted.insert(quoted.len() - 1, '…');
            quoted
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_function_and_the_value() {
        let e = ComputeError::new("to_integer", format!("{} is not an integer", quoted("1x")));
        assert_eq!(e.to_string(), "to_integer: \"1x\" is not an integer");
        assert_eq!(e.function(), "to_integer");
        assert_eq!(e.message(), "\"1x\" is not an integer");
    }

    #[test]
    fn long_values_are_cut_and_control_characters_escaped() {
        assert_eq!(quoted("a\"b\nc"), "\"a\\\"b\\nc\"");
        let long = "é".repeat(100);
        let q = quoted(&long);
        assert_eq!(q, format!("\"{}…\"", "é".repeat(QUOTED_CHARS)));
        assert_eq!(quoted(&"x".repeat(QUOTED_CHARS)).len(), QUOTED_CHARS + 2);
    }
}
