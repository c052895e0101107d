//! The nomnom command line's library half: writing generated trees ([`writer`]) and the
//! starter model ([`starter`]). `main.rs` parses arguments and prints.

pub mod starter;
pub mod writer;
