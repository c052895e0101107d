//! The fuzz targets of nomnom, as plain functions: one per parser of untrusted bytes, each
//! taking any bytes, holding the parser to its invariants (a broken invariant panics, which
//! is what a fuzzer reports) and answering what became of the input.
//!
//! - [`model_loader`]: YAML model text → `nomnom_spec::load_bytes` (a model or located
//!   diagnostics).
//! - [`json_message`]: a JSON body → a record of a small model with nested children,
//!   decimals, timestamps, dates, enums, patterns, JSON pointers and computed fields, then its
//!   rows; and the runtime's JSON reader against `serde_json`.
//! - [`hl7_message`]: an HL7 v2 message → a record of the `hl7-lab` example's model, then
//!   its rows as JSON.
//! - [`mllp_frames`]: a byte stream split at arbitrary points → the MLLP frame decoder,
//!   which must decode the same frames however the stream is split.
//!
//! `fuzz/` (cargo-fuzz, nightly) calls them from its targets; the replay tests (stable, in
//! the normal test suite) call them on every file of `fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/` ([`corpus`]), then on mutations of those files.

/// The example's computed fields, from the same snapshot.
#[path = "../../nomnom-codegen/tests/golden/hl7-lab/src/computed.rs"]
#[rustfmt::skip]
mod computed;
pub mod corpus;
/// The `hl7-lab` example's model as `nomnom generate` states it, compiled from the codegen's
/// snapshot of it (so the `hl7_message` target always reads the current generated code;
/// rustfmt leaves it as generated).
#[path = "../../nomnom-codegen/tests/golden/hl7-lab/src/entities.rs"]
#[rustfmt::skip]
pub mod entities;
pub mod hl7_message;
pub mod json_message;
pub mod mllp_frames;
pub mod model_loader;

/// What became of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The input was read: a model, a record, a stream of whole frames.
    Accepted,
    /// The input was refused with the parser's typed error, of this kind (`diagnostics`,
    /// `syntax`, `invalid`, `not-hl7`, `framing`, ...).
    Refused(&'static str),
}

impl Outcome {
    /// `true` for [`Outcome::Accepted`].
    pub fn is_accepted(&self) -> bool {
        matches!(self, Outcome::Accepted)
    }
}
