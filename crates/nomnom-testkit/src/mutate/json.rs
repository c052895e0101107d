//! Mutations of a JSON document that keep it JSON: values replaced by other values (of
//! other types, at the edges of their type, from elsewhere in the seeds), members removed,
//! renamed, or duplicated in another object, array elements duplicated or dropped. Syntax
//! errors are the byte mutator's business; these reach the validation behind the parser.

use serde_json::{Map, Number, Value};

use super::Rng;

/// Values at the edges of JSON's types and of the model's (dates, timestamps, decimals).
const EDGE_TEXT: &[&str] = &[
    "",
    " ",
    "0",
    "-0",
    "1e400",
    "79228162514264337593543950336",
    "0.0000000000000000000000000001",
    "1,5",
    "2024-02-29",
    "2023-02-29",
    "2024-05-01T14:30:00+02:00",
    "2024-05-01T14:30:00.1234567891Z",
    "+275760-09-13T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "67e55044-10b1-426f-9247-bb680e5fe0c8",
    "\u{0}",
    "é",
    "ß",
    "ı",
    "\u{feff}",
    "\u{10ffff}",
];

/// `doc` with one to four mutations; `pool` gives values to take from elsewhere.
pub fn mutate_json(rng: &mut Rng, doc: &Value, pool: &[Value]) -> Value {
    let mut out = doc.clone();
    for _ in 0..1 + rng.below(4) {
        let n = count(&out);
        let target = rng.below(n);
        let mut seen = 0;
        mutate_at(rng, &mut out, target, &mut seen, pool);
    }
    out
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

/// Mutates the `target`-th value of a depth-first walk.
fn mutate_at(rng: &mut Rng, v: &mut Value, target: usize, seen: &mut usize, pool: &[Value]) {
    if *seen == target {
        mutate_here(rng, v, pool);
        *seen = usize::MAX / 2;
        return;
    }
    *seen += 1;
    match v {
        Value::Array(items) => {
            for item in items {
                mutate_at(rng, item, target, seen, pool);
            }
        }
        Value::Object(map) => {
            for (_, value) in map.iter_mut() {
                mutate_at(rng, value, target, seen, pool);
            }
        }
        _ => {}
    }
}

fn mutate_here(rng: &mut Rng, v: &mut Value, pool: &[Value]) {
    match (rng.below(8), &mut *v) {
        (0, Value::Object(map)) if !map.is_empty() => {
            let key = map
                .keys()
                .nth(rng.below(map.len()))
                .cloned()
                .unwrap_or_default();
            map.remove(&key);
        }
        (1, Value::Object(map)) if !map.is_empty() => {
            // A member renamed: a typo, another case, an unknown name.
            let key = map
                .keys()
                .nth(rng.below(map.len()))
                .cloned()
                .unwrap_or_default();
            let value = map.remove(&key).unwrap_or(Value::Null);
            let renamed = match rng.below(3) {
                0 => key.to_uppercase(),
                1 => format!("{key}_"),
                _ => key.chars().skip(1).collect(),
            };
            map.insert(renamed, value);
        }
        (2, Value::Array(items)) if !items.is_empty() => {
            let i = rng.below(items.len());
            let copy = items[i].clone();
            items.insert(rng.below(items.len() + 1), copy);
        }
        (3, Value::Array(items)) if !items.is_empty() => {
            items.remove(rng.below(items.len()));
        }
        _ => *v = replacement(rng, v, pool),
    }
}

/// Another value for `v`: of the same type at its edges, of another type, or from the pool.
fn replacement(rng: &mut Rng, v: &Value, pool: &[Value]) -> Value {
    match rng.below(9) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => Value::Number(Number::from(edge_integer(rng))),
        3 => Number::from_f64(edge_float(rng)).map_or(Value::Null, Value::Number),
        4 => Value::String(EDGE_TEXT[rng.below(EDGE_TEXT.len())].to_string()),
        5 => match v {
            // The same text, longer or changed in case.
            Value::String(s) => Value::String(match rng.below(3) {
                0 => s.repeat(1 + rng.below(60)),
                1 => s.to_lowercase(),
                _ => format!(" {s} "),
            }),
            _ => Value::Array(vec![v.clone()]),
        },
        6 => Value::Object(Map::new()),
        7 => Value::Array(Vec::new()),
        _ if !pool.is_empty() => {
            let from = &pool[rng.below(pool.len())];
            let mut seen = 0;
            pick(from, rng.below(count(from)), &mut seen).unwrap_or(Value::Null)
        }
        _ => Value::Null,
    }
}

fn pick(v: &Value, target: usize, seen: &mut usize) -> Option<Value> {
    if *seen == target {
        return Some(v.clone());
    }
    *seen += 1;
    match v {
        Value::Array(items) => items.iter().find_map(|item| pick(item, target, seen)),
        Value::Object(map) => map.values().find_map(|value| pick(value, target, seen)),
        _ => None,
    }
}

fn edge_integer(rng: &mut Rng) -> i64 {
    [0, 1, -1, 2, 9, 10, i64::MAX, i64::MIN, 1 << 53, -(1 << 53)][rng.below(10)]
}

fn edge_float(rng: &mut Rng) -> f64 {
    [
        0.0,
        -0.0,
        0.5,
        1.0,
        1.0000001,
        -1e-300,
        1e300,
        f64::EPSILON,
        f64::MAX,
    ][rng.below(9)]
}
