//! The nomnom model language.
//!
//! `nomnom.yaml` is loaded into a [`model::Project`]: the validated intermediate
//! representation every generator works from. Loading collects *every* problem before
//! stopping; each carries its file, line, column, a label and a hint.

pub mod model;
pub mod names;
