//! A strict JSON reader for message bodies that keeps every number's exact text, so
//! `decimal` values never pass through a float. Owned by the generated validation.

use serde::Serialize;

/// Where and why a body is not valid JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    pub message: String,
}
