//! The runtime's fuzz targets on stable Rust: every committed input of `json_message`,
//! `hl7_message` and `mllp_frames` (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`)
//! replayed through the same entry functions cargo-fuzz calls, then mutations of them for a
//! bounded time (`NOMNOM_FUZZ_SECONDS`, `NOMNOM_FUZZ_CASES`, `NOMNOM_FUZZ_SEED`: see
//! `nomnom_testkit::mutate`). A target panics when an invariant breaks.

use nomnom_fuzz::corpus::{replay, seeds};
use nomnom_fuzz::{hl7_message, json_message, mllp_frames, Outcome};
use nomnom_testkit::mutate::{fuzz, Budget, JsonMutator, Mutate, Mutator, RecordMutator};

/// Mutations of `target`'s committed inputs through `run`; prints what became of them.
fn mutate_all(target: &str, run: fn(&[u8]) -> Outcome, mutators: &[&dyn Mutate]) {
    let mut outcomes: std::collections::BTreeMap<String, usize> = Default::default();
    fuzz(
        target,
        &seeds(target),
        mutators,
        Budget::from_env(),
        |input| {
            *outcomes.entry(format!("{:?}", run(input))).or_default() += 1;
        },
    );
    println!("{target}: {outcomes:?}");
}

/// Replays `target`'s inputs; its corpus must hold both inputs accepted and inputs refused,
/// and every refusal kind in `refusals`.
fn replay_all(target: &str, run: fn(&[u8]) -> Outcome, refusals: &[&'static str]) {
    let outcomes = replay(target, run);
    assert!(
        outcomes.len() >= 20,
        "{target}: only {} inputs",
        outcomes.len()
    );
    assert!(
        outcomes.iter().any(|(_, o)| o.is_accepted()),
        "{target}: nothing in the corpus is accepted"
    );
    for kind in refusals {
        assert!(
            outcomes.iter().any(|(_, o)| *o == Outcome::Refused(kind)),
            "{target}: nothing in the corpus is refused as {kind}"
        );
    }
}

#[test]
fn json_message_corpus_and_regressions_replay() {
    replay_all("json_message", json_message::run, &["syntax", "invalid"]);
}

#[test]
fn json_message_survives_mutations() {
    let bytes = Mutator::new(json_message::TOKENS, b"\n,");
    let values = JsonMutator::new(&seeds("json_message"));
    mutate_all("json_message", json_message::run, &[&bytes, &values]);
}

#[test]
fn hl7_message_corpus_and_regressions_replay() {
    replay_all("hl7_message", hl7_message::run, &["not-hl7", "invalid"]);
}

#[test]
fn hl7_message_survives_mutations() {
    let bytes = Mutator::new(hl7_message::TOKENS, b"\r\n");
    let fields = RecordMutator::new(b"\r\n", b'|', hl7_message::TOKENS);
    mutate_all("hl7_message", hl7_message::run, &[&bytes, &fields]);
}

#[test]
fn mllp_frames_corpus_and_regressions_replay() {
    replay_all("mllp_frames", mllp_frames::run, &["framing"]);
}

#[test]
fn mllp_frames_survives_mutations() {
    let bytes = Mutator::new(mllp_frames::TOKENS, b"\x1c");
    mutate_all("mllp_frames", mllp_frames::run, &[&bytes]);
}
