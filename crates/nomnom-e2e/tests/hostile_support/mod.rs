//! What the hostile-input suite needs beside the pipeline: requests written byte for byte
//! over bare sockets ([`raw_http`]), and a process's memory and open-file limit from `/proc`
//! ([`process`]).

pub mod process;
pub mod raw_http;
