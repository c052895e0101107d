//! `json_message`: see `nomnom_fuzz::json_message` for what it reads and the invariants it holds.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nomnom_fuzz::json_message::run(data);
});
