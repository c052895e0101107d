//! Target `model_loader`: YAML model text through the whole loader (YAML, the model language,
//! every check). Whatever the bytes, the answer is a model with at least one root entity or
//! diagnostics with at least one error, each located inside the text, all renderable.

use crate::Outcome;

/// Fragments YAML and the model language give meaning to, for mutators to insert.
pub const TOKENS: &[&str] = &[
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
    "!!binary ",
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
    "compute: ",
    "upper(",
    "trim(",
    "concat_ws(', ', ",
    "to_decimal(",
    "regex_capture(",
    "lookup(",
    ")",
    "'",
    "store: false",
    "version: ",
    "renamed_from: ",
    "transforms:",
    "timestamp",
    "decimal",
    "json",
    "uuid",
    "date?",
];

/// Loads `bytes` as a model file and checks the answer.
pub fn run(bytes: &[u8]) -> Outcome {
    match nomnom_spec::load_bytes(bytes, "fuzz.yaml") {
        Ok(loaded) => {
            assert!(
                !loaded.project.entities.is_empty(),
                "a model without entities"
            );
            assert!(
                loaded.project.roots().count() >= 1,
                "a model without a root"
            );
            assert!(!loaded.warnings.has_errors(), "an error among the warnings");
            check_spans(&loaded.warnings);
            Outcome::Accepted
        }
        Err(diags) => {
            assert!(diags.has_errors(), "rejected without an error: {diags:?}");
            check_spans(&diags);
            Outcome::Refused("diagnostics")
        }
    }
}

fn check_spans(diags: &nomnom_spec::diagnostic::Diagnostics) {
    for d in &diags.items {
        assert!(
            d.offset + d.len <= diags.source.len(),
            "span out of bounds: {d:?}"
        );
        assert!(
            diags.source.is_char_boundary(d.offset)
                && diags.source.is_char_boundary(d.offset + d.len),
            "span inside a character: {d:?}"
        );
        assert!(d.line >= 1 && d.column >= 1, "{d:?}");
        assert!(!d.message.is_empty(), "{d:?}");
    }
    // Rendering, plain and with miette's graphics, must not panic either.
    let _ = diags.render_plain();
    let _ = diags.render(false, 80);
}
