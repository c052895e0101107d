//! `mllp_frames`: see `nomnom_fuzz::mllp_frames` for what it reads and the invariants it holds.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nomnom_fuzz::mllp_frames::run(data);
});
