//! The generator's error.

/// Why a project could not be generated (the model passed `nomnom check`, so this is rare).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct GenerateError(pub String);
