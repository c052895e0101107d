//! The generator: [`generate`] turns a validated [`nomnom_spec::model::Project`] into an
//! in-memory tree of files (path → contents), deterministically ordered.
