//! The runtime's fuzz targets on stable Rust: every committed input of `json_message`,
//! `hl7_message` and `mllp_frames` (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`)
//! replayed through the same entry functions cargo-fuzz calls, then mutations of them for a
//! bounded time (`NOMNOM_FUZZ_SECONDS`, `NOMNOM_FUZZ_CASES`, `NOMNOM_FUZZ_SEED`: see
//! `nomnom_testkit::mutate`). A target panics when an invariant breaks.

use nomnom_fuzz::corpus::{replay, seeds};
use nomnom_fuzz::{hl7_message, json_message, mllp_frames, Outcome};
use nomnom_testkit::mutate::{fuzz, Budget, Mutator};

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
    let mutator = Mutator::new(json_message::TOKENS, b"\n,");
    fuzz(
        "json_message",
        &seeds("json_message"),
        &mutator,
        Budget::from_env(),
        |input| {
            json_message::run(input);
        },
    );
}

#[test]
fn hl7_message_corpus_and_regressions_replay() {
    replay_all("hl7_message", hl7_message::run, &["not-hl7", "invalid"]);
}

#[test]
fn hl7_message_survives_mutations() {
    let mutator = Mutator::new(hl7_message::TOKENS, b"\r\n");
    fuzz(
        "hl7_message",
        &seeds("hl7_message"),
        &mutator,
        Budget::from_env(),
        |input| {
            hl7_message::run(input);
        },
    );
}

#[test]
fn mllp_frames_corpus_and_regressions_replay() {
    replay_all("mllp_frames", mllp_frames::run, &["framing"]);
}

#[test]
fn mllp_frames_survives_mutations() {
    let mutator = Mutator::new(mllp_frames::TOKENS, b"\x1c");
    fuzz(
        "mllp_frames",
        &seeds("mllp_frames"),
        &mutator,
        Budget::from_env(),
        |input| {
            mllp_frames::run(input);
        },
    );
}
