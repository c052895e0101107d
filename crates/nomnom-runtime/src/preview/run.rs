//! The `preview` program of a generated project: each message file given, validated and
//! derived into rows as the worker would write them, printed as one JSON line per file.

use std::process::ExitCode;

use serde_json::{json, Value};

use crate::model::{Model, Rejection};

/// `preview <entity> <file> [<entity> <file> …]`: for each file, one line of JSON:
/// `{"file", "entity", "rows": {table: [row, …]}}` when the message is valid,
/// `{"file", "entity", "rejected": [{"path", "rule", "message"}, …]}` when the API would
/// answer 422, `{"file", "entity", "error": "…"}` when it is not a message at all (not JSON,
/// an unknown entity, an unreadable file). Exit status 0 once every file was read, 2 for
/// wrong arguments.
pub fn run<M: Model>() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || !args.len().is_multiple_of(2) || args[0] == "--help" {
        eprintln!(
            "usage: preview <entity> <file> [<entity> <file> ...]\n\
             Prints the rows each message becomes (one JSON line per file), or why it is \
             refused. Root entities: {}",
            M::ROOT_ENTITIES.join(", ")
        );
        return ExitCode::from(2);
    }
    for pair in args.chunks_exact(2) {
        println!("{}", preview::<M>(&pair[0], &pair[1]));
    }
    ExitCode::SUCCESS
}

/// The line for one file.
pub fn preview<M: Model>(entity: &str, file: &str) -> Value {
    let body = match std::fs::read(file) {
        Ok(body) => body,
        Err(e) => {
            return json!({"file": file, "entity": entity, "error": format!("cannot read it: {e}")})
        }
    };
    match M::validate(entity, &body) {
        Ok(record) => {
            json!({"file": file, "entity": entity, "rows": M::preview(&record).to_json()})
        }
        Err(Rejection::Invalid(errors)) => {
            json!({"file": file, "entity": entity, "rejected": errors})
        }
        Err(Rejection::Malformed(e)) => {
            json!({"file": file, "entity": entity, "error": format!("not a JSON object: {e}")})
        }
        Err(Rejection::NotHl7(e)) => {
            json!({"file": file, "entity": entity, "error": format!("not an HL7 v2 message: {e}")})
        }
        Err(Rejection::UnknownEntity) => json!({
            "file": file,
            "entity": entity,
            "error": format!("`{entity}` is not a root entity; the roots are {}", M::ROOT_ENTITIES.join(", ")),
        }),
    }
}
