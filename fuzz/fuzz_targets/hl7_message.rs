//! `hl7_message`: see `nomnom_fuzz::hl7_message` for what it reads and the invariants it holds.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nomnom_fuzz::hl7_message::run(data);
});
