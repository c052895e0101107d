//! The loader never panics: thousands of arbitrary and mutated inputs (a fixed seed, so a
//! failure reproduces) must each come back as a model or as located diagnostics.

use std::time::{Duration, Instant};

/// xorshift64*: small, deterministic, good enough to shake a parser.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    include_str!("../../../examples/tpch/nomnom.yaml"),
    include_str!("../../../examples/web-analytics/nomnom.yaml"),
    include_str!("../../../examples/hl7-lab/nomnom.yaml"),
    "project: p\nentities:\n  A:\n    key: [k]\n    fields:\n      k: {type: string, pattern: \"[a-z]+\", default: ab, enum: [ab, cd], max_length: 4}\n      n: {type: decimal, min: -1.5, max: 1e3, default: \"2\"}\n      j: {type: json, default: {a: [1, 2.5, null]}}\n      bs: list<B>\n  B:\n    fields:\n      k: {type: string, from: parent.k}\n      p: {type: integer, json: /x/~0y/~1z}\n",
];

/// Fragments that YAML and the model language give meaning to.
const TOKENS: &[&str] = &[
    ":",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\n",
    "  ",
    "\t",
    "?",
    "&a ",
    "*a",
    "!!str ",
    "|",
    ">",
    "\"",
    "'",
    "#",
    "~",
    "null",
    "true",
    "list<",
    ">",
    "list<A>",
    "parent.",
    "/",
    "~1",
    "<<: *a",
    "1e999",
    "-0",
    "0x1F",
    "\u{feff}",
    "é",
    "\0",
    "%YAML 1.2\n",
    "---\n",
    "...\n",
    "type: ",
    "enum: [",
    "min: ",
    "max: ",
    "default: ",
    "pattern: \"(\"",
    "key: []",
    "from: parent.k",
    "format: hl7v2",
    "hl7: ",
    "hl7: OBR",
    "PID-3[2].1",
    "MSH-",
    "[0]",
    ".1",
    "-",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                out.splice(at..at, token.iter().copied());
            }
            1 if !out.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            2 if at < out.len() => out[at] = (rng.next() & 0xff) as u8,
            3 => out.truncate(at),
            4 => {
                // Duplicate a line somewhere else.
                let text = out.clone();
                let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
                let line = lines[rng.below(lines.len())].to_vec();
                out.splice(at..at, line.into_iter().chain([b'\n']));
            }
            _ => {
                let n = rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| (rng.next() & 0xff) as u8).collect();
                out.splice(at..at, bytes);
            }
        }
    }
    out
}

fn check_one(bytes: &[u8]) {
    match nomnom_spec::load_bytes(bytes, "fuzz.yaml") {
        Ok(loaded) => {
            assert!(!loaded.project.entities.is_empty());
            assert!(loaded.project.roots().count() >= 1);
        }
        Err(diags) => {
            assert!(diags.has_errors(), "rejected without an error: {diags:?}");
            for d in &diags.items {
                assert!(
                    d.offset + d.len <= diags.source.len(),
                    "span out of bounds: {d:?}"
                );
                assert!(d.line >= 1 && d.column >= 1);
            }
            // Rendering must not panic either.
            let _ = diags.render_plain();
        }
    }
}

#[test]
fn loader_survives_mutated_and_random_inputs() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    let budget = Duration::from_secs(120);
    let mut ran = 0;
    for i in 0..10_000 {
        if started.elapsed() > budget {
            break;
        }
        let input = if i % 5 == 4 {
            let n = rng.below(200);
            (0..n).map(|_| (rng.next() & 0xff) as u8).collect()
        } else {
            let seed = SEEDS[rng.below(SEEDS.len())].as_bytes();
            mutate(&mut rng, seed)
        };
        check_one(&input);
        ran += 1;
    }
    assert!(
        ran >= 500,
        "only {ran} inputs checked within the time budget"
    );
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
        check_one(input.as_bytes());
    }
}
