//! The nomnom model language.
//!
//! `nomnom.yaml` is loaded into a [`model::Project`]: the validated intermediate
//! representation every generator works from. Loading collects *every* problem before
//! stopping; each carries its file, line, column, a label and a hint.
//!
//! ```
//! let loaded = nomnom_spec::load_str(
//!     "project: demo\nentities:\n  Event:\n    fields:\n      id: uuid\n",
//!     "nomnom.yaml",
//! )
//! .expect("valid model");
//! assert_eq!(loaded.project.entities[0].table, "event");
//! ```

mod check;
mod computed;
pub mod diagnostic;
pub mod expr;
mod field;
pub mod hl7;
pub mod literal;
mod load;
pub mod locate;
pub mod model;
pub mod names;
pub mod pointer;
mod raw;
mod rename;
pub mod suggest;
pub mod transforms;
mod version;
pub mod yaml;

pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use load::{load, load_bytes, load_str, model_path, LoadError, Loaded, MODEL_FILE};
