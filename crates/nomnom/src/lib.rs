//! The nomnom command line's library half: writing generated trees ([`writer`]), the
//! starter model ([`starter`]) and `nomnom test` ([`model_test`]). `main.rs` parses
//! arguments and prints.

pub mod model_test;
pub mod starter;
pub mod writer;
