//! The nomnom command line's library half: writing generated trees ([`writer`]), the starter
//! model ([`starter`]) and importing projects of the first nomnom ([`import`]). `main.rs` parses
//! arguments and prints.

pub mod import;
pub mod starter;
pub mod writer;
