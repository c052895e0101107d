//! The loader never panics: every committed input of the `model_loader` fuzz target
//! (`fuzz/corpus/model_loader/`, `fuzz/regressions/model_loader/`) and mutations of them for
//! a bounded time (`NOMNOM_FUZZ_SECONDS`, `NOMNOM_FUZZ_CASES`, `NOMNOM_FUZZ_SEED`: see
//! `nomnom_testkit::mutate`) each come back as a model or as located diagnostics
//! (`nomnom_fuzz::model_loader::run` checks which, as cargo-fuzz's target does).

use nomnom_fuzz::corpus::{replay, seeds};
use nomnom_fuzz::{model_loader, Outcome};
use nomnom_testkit::mutate::{fuzz, Budget, Mutator, RecordMutator};

#[test]
fn corpus_and_regressions_replay() {
    let outcomes = replay("model_loader", model_loader::run);
    assert!(outcomes.len() >= 40, "only {} inputs", outcomes.len());
    // The examples load; every invalid model of tests/invalid is refused.
    let accepted = outcomes.iter().filter(|(_, o)| o.is_accepted()).count();
    assert!(accepted >= 4, "only {accepted} models loaded");
    assert!(outcomes
        .iter()
        .any(|(_, o)| *o == Outcome::Refused("diagnostics")));
}

#[test]
fn loader_survives_mutated_and_random_inputs() {
    let bytes = Mutator::new(model_loader::TOKENS, b"\n");
    // Lines and the parts of them between colons: keys, values and indentation move as units.
    let lines = RecordMutator::new(b"\n", b':', model_loader::TOKENS);
    let mut loaded = 0;
    let ran = fuzz(
        "model_loader",
        &seeds("model_loader"),
        &[&bytes, &lines],
        Budget::from_env(),
        |input| {
            if model_loader::run(input).is_accepted() {
                loaded += 1;
            }
        },
    );
    println!("model_loader: {loaded} of {} inputs loaded", ran.cases);
}

#[test]
fn pathological_inputs() {
    let deep_flow = "[".repeat(5000);
    let deep_block: String = (0..300).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
    let bomb = "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e]\n";
    let long_regex = format!(
        "project: p\nentities:\n  A:\n    fields:\n      s: {{type: string, pattern: \"{}\"}}\n",
        "(a{1000}){1000}"
    );
    for input in [
        deep_flow.as_str(),
        deep_block.as_str(),
        bomb,
        long_regex.as_str(),
        "",
        "\u{feff}",
        "---\n---\n",
    ] {
        model_loader::run(input.as_bytes());
    }
}
