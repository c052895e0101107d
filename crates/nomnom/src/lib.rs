//! The nomnom command line's library half: writing generated trees ([`writer`]), the starter
//! model ([`starter`]), `nomnom test` ([`model_test`]) and importing projects of the first
//! nomnom ([`import`]), new API keys ([`api_key`]). `main.rs` parses arguments and prints.

pub mod api_key;
pub mod evolve;
pub mod import;
pub mod model_test;
pub mod starter;
pub mod writer;
