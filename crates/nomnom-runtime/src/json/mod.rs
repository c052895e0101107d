//! A strict JSON reader for message bodies that keeps every number's exact text, so
//! `decimal` values never pass through a float, and the helpers the generated validation
//! calls to turn JSON values into typed fields while collecting every field error.
//!
//! - [`parse`] reads a body (RFC 8259, nothing more: no comments, no trailing commas, no
//!   duplicate keys, at most [`MAX_DEPTH`] levels of nesting, valid UTF-8 only) into a
//!   borrowed [`Value`]; syntax errors carry a 1-based line and column.
//! - [`field`] converts values to Rust types and checks the model's constraints, recording
//!   each failure as a [`crate::model::FieldError`] with its JSON pointer.
//! - [`Json`] holds a `json` field's value as its exact text, bound as `jsonb`.

mod exact;
pub mod field;
mod parse;
mod value;

use serde::Serialize;

pub use exact::{Json, Unstorable};
pub use parse::{parse, MAX_DEPTH};
pub use value::{Object, Value};

/// Where and why a body is not valid JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong there (`expected ':' after an object key`).
    pub message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for SyntaxError {}

/// Escapes one JSON pointer token (`~` → `~0`, `/` → `~1`, RFC 6901).
pub fn escape_pointer_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        std::borrow::Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(token)
    }
}
