//! The first nomnom's worker loop, measured as the baseline of the worker's speed-up. It is
//! benchmark code, so it lives here rather than in the runtime every generated project
//! vendors: [`program`] is the loop, [`binary`] builds it into a program of its own against
//! the generated project's model.

pub mod binary;
pub mod program;
