//! Fuzzing on stable Rust, for the test suite: mutators driven by the seeded [`Rng`], and a
//! loop bounded by a count and a time budget that names the seed, and the input, of any
//! failure.
//!
//! - [`Mutator`]: bytes (bit flips, random and meaningful insertions, deletions,
//!   truncations, duplicated chunks and lines, splices of two seeds);
//! - [`RecordMutator`]: records and fields of delimited text (HL7 v2 segments);
//! - [`JsonMutator`]: values of a JSON document, which stays JSON.
//!
//! - `NOMNOM_FUZZ_SECONDS`: the time budget of each loop (default 10 s);
//! - `NOMNOM_FUZZ_CASES`: its count cap (default 200 000);
//! - `NOMNOM_FUZZ_SEED`: the generator's seed (default: from the clock, printed), to replay a
//!   failure exactly.
//!
//! At least [`MIN_CASES`] inputs run whatever the time budget, so a slow machine tests less
//! but never nothing; no assertion depends on how many ran.

mod bytes;
mod json;
mod records;

pub use bytes::Mutator;
pub use json::mutate_json;
pub use records::RecordMutator;

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Inputs every loop runs, whatever its time budget.
pub const MIN_CASES: usize = 200;

pub use crate::orders::Rng;

/// A way of changing an input into another.
pub trait Mutate {
    /// `input` changed; `others` are the other seeds, to take parts of.
    fn mutate(&self, rng: &mut Rng, input: &[u8], others: &[&[u8]]) -> Vec<u8>;
}

impl Mutate for Mutator {
    fn mutate(&self, rng: &mut Rng, input: &[u8], others: &[&[u8]]) -> Vec<u8> {
        Mutator::mutate(self, rng, input, others)
    }
}

impl Mutate for RecordMutator {
    fn mutate(&self, rng: &mut Rng, input: &[u8], others: &[&[u8]]) -> Vec<u8> {
        RecordMutator::mutate(self, rng, input, others)
    }
}

/// [`mutate_json`] on inputs that are JSON (others come back unchanged), with the values of
/// the seeds to take from.
#[derive(Debug, Clone)]
pub struct JsonMutator {
    pool: Vec<serde_json::Value>,
}

impl JsonMutator {
    /// A mutator taking values from those of `seeds` that are JSON.
    pub fn new(seeds: &[Vec<u8>]) -> Self {
        let pool = seeds
            .iter()
            .filter_map(|s| serde_json::from_slice(s).ok())
            .collect();
        JsonMutator { pool }
    }
}

impl Mutate for JsonMutator {
    fn mutate(&self, rng: &mut Rng, input: &[u8], _others: &[&[u8]]) -> Vec<u8> {
        match serde_json::from_slice::<serde_json::Value>(input) {
            Ok(doc) => serde_json::to_vec(&mutate_json(rng, &doc, &self.pool))
                .unwrap_or_else(|_| input.to_vec()),
            Err(_) => input.to_vec(),
        }
    }
}

/// How long and how many inputs a fuzz loop runs.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Time after which the loop stops (once `min_cases` ran).
    pub time: Duration,
    /// Inputs after which the loop stops.
    pub cases: usize,
    /// Inputs run whatever the time (but not past `cases`).
    pub min_cases: usize,
}

impl Budget {
    /// `true` while a loop that started at `started` and ran `ran` inputs should go on.
    pub fn allows(&self, ran: usize, started: Instant) -> bool {
        ran < self.cases && (ran < self.min_cases || started.elapsed() < self.time)
    }

    /// `NOMNOM_FUZZ_SECONDS` (default 10) and `NOMNOM_FUZZ_CASES` (default 200 000).
    pub fn from_env() -> Self {
        let read = |name: &str, default: u64| {
            std::env::var(name).map_or(default, |v| {
                v.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}={v:?} is not a whole number"))
            })
        };
        Budget {
            time: Duration::from_secs(read("NOMNOM_FUZZ_SECONDS", 10)),
            cases: read("NOMNOM_FUZZ_CASES", 200_000) as usize,
            min_cases: MIN_CASES,
        }
    }

    /// This budget, running at least `n` inputs whatever the time: for a test that counts
    /// what its inputs did (how many parsed) and needs enough of them, however slow the
    /// machine.
    pub fn at_least(self, n: usize) -> Self {
        Budget {
            min_cases: n,
            ..self
        }
    }
}

/// `NOMNOM_FUZZ_SEED` (decimal or `0x` hex), or one from the clock; printed, with `name`.
pub fn seed_from_env(name: &str) -> u64 {
    let seed = read_seed();
    println!("{name}: fuzz seed {seed:#x} (rerun with NOMNOM_FUZZ_SEED={seed:#x})");
    seed
}

fn read_seed() -> u64 {
    match std::env::var("NOMNOM_FUZZ_SEED") {
        Ok(v) => {
            let v = v.trim();
            let parsed = match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => v.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("NOMNOM_FUZZ_SEED={v:?} is not a number"))
        }
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    }
}

/// What a fuzz loop did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ran {
    /// Inputs checked.
    pub cases: usize,
}

/// Runs `check` on mutations of `seeds` (each by one of `mutators`, and one time in ten a
/// mutation of a mutation; one input in ten is random bytes) until the budget is spent. The
/// seed is printed first; an input that makes `check` panic is printed (escaped) and written
/// to a temporary file, and the panic goes on.
pub fn fuzz(
    name: &str,
    seeds: &[Vec<u8>],
    mutators: &[&dyn Mutate],
    budget: Budget,
    mut check: impl FnMut(&[u8]),
) -> Ran {
    assert!(!seeds.is_empty(), "{name}: no seeds to mutate");
    assert!(!mutators.is_empty(), "{name}: no mutators");
    let seed = seed_from_env(name);
    let mut rng = Rng::new(seed);
    let others: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
    let started = Instant::now();
    let mut ran = Ran::default();
    while budget.allows(ran.cases, started) {
        let input = if rng.below(10) == 0 {
            let n = rng.below(300);
            rng.bytes(n)
        } else {
            let base = &seeds[rng.below(seeds.len())];
            let mut input = mutators[rng.below(mutators.len())].mutate(&mut rng, base, &others);
            if rng.below(10) == 0 {
                input = mutators[rng.below(mutators.len())].mutate(&mut rng, &input, &others);
            }
            input
        };
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&input))) {
            report_failure(name, seed, ran.cases, &input);
            resume_unwind(panic);
        }
        ran.cases += 1;
    }
    println!("{name}: {} inputs in {:.1?}", ran.cases, started.elapsed());
    ran
}

fn report_failure(name: &str, seed: u64, case: usize, input: &[u8]) {
    let file = std::env::temp_dir().join(format!("nomnom-fuzz-{name}-{seed:x}-{case}"));
    let saved = match std::fs::write(&file, input) {
        Ok(()) => format!("saved as {}", file.display()),
        Err(e) => format!("not saved ({e})"),
    };
    eprintln!(
        "{name}: case {case} of seed {seed:#x} failed; its input ({} bytes, {saved}; keep it in \
         fuzz/regressions/{name}/):\n{}",
        input.len(),
        input.escape_ascii()
    );
}
