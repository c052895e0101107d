//! `model_loader`: see `nomnom_fuzz::model_loader` for what it reads and the invariants it holds.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nomnom_fuzz::model_loader::run(data);
});
