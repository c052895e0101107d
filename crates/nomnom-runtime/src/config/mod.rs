//! Configuration from the environment. Every variable is listed, with its default and
//! meaning, in [`variables::ENV_VARS`]; invalid values stop start-up with a clear message.

pub mod variables;
pub mod worker;
