//! `to_integer`, `to_decimal`, `to_float` against PostgreSQL's `bigint`, `numeric` and
//! `double precision` input.

use nomnom_runtime::compute::{self, ToText};

use crate::pg::{Check, Pg};

/// Number-like texts built from a deterministic stream: signs, digits, points, exponents,
/// spaces, in every combination, valid or not.
fn generated_numbers(count: usize) -> Vec<String> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let pick = |next: &mut dyn FnMut(u64) -> u64, parts: &[&str]| {
        parts[next(parts.len() as u64) as usize].to_string()
    };
    (0..count)
        .map(|_| {
            let mut s = pick(&mut next, &["", "", "", " ", "\t", "-", "+", "- "]);
            let digits = next(30);
            for _ in 0..digits {
                s.push(char::from(b'0' + next(10) as u8));
            }
            s += &pick(&mut next, &["", "", ".", ".5", ".000", "0", ",", "_1"]);
            s += &pick(
                &mut next,
                &[
                    "", "", "", "e", "e5", "E-3", "e+17", "e-310", "e308", "e400", "e-30", "x",
                ],
            );
            s += &pick(&mut next, &["", "", " ", "\n", "a"]);
            s
        })
        .collect()
}

/// Texts tried as every number type: valid in some, invalid in others, at the edges.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "+0",
    "42",
    "  42  ",
    "\t-7\n",
    "\u{0B}5\u{0C}",
    "\r8\r",
    "007",
    "+5",
    "-5",
    "- 5",
    "+",
    "-",
    "",
    "   ",
    "1 2",
    "12a",
    "a12",
    "١٢",
    "１２",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999",
    "1.5",
    "-1.5",
    "1.",
    ".5",
    "-.5",
    ".",
    "1..2",
    "1.2.3",
    "1,5",
    "1e3",
    "1E3",
    "1e+3",
    "1e-3",
    "1.50e1",
    "-1.5E-3",
    "1e",
    "1e+",
    "e5",
    ".e5",
    "1e5.5",
    "0x10",
    "0X1A",
    "0x",
    "0b101",
    "0o17",
    "1_000",
    "Infinity",
    "-Infinity",
    "+Infinity",
    "infinity",
    "INF",
    "inf",
    "-inf",
    "+inf",
    "infinit",
    "NaN",
    "nan",
    "+NaN",
    "-nan",
    "nan(123)",
    "nan()",
    "0001.10",
    "1E+2",
    "+12.345e2",
    "79228162514264337593543950335",
    "-79228162514264337593543950335",
    "79228162514264337593543950336",
    "0.0000000000000000000000000001",
    "0.00000000000000000000000000001",
    "1e28",
    "1e29",
    "1e-28",
    "1e-29",
    "0e-30",
    "0.000",
    "-0.00",
    "12345678901234567890.123456789",
    "3.14159265358979323846264338327950288",
    "1e308",
    "1.7976931348623157e308",
    "1.7976931348623159e308",
    "1e309",
    "-1e309",
    "1e-307",
    "2.2250738585072014e-308",
    "1e-310",
    "4.9e-324",
    "3e-324",
    "2.5e-324",
    "2e-324",
    "1e-400",
    "0e-400",
    "0.1",
    "0.30000000000000004",
    "123456789012345678901234567890",
    "1e400",
    "1e-2147483648",
];

#[tokio::test]
async fn to_integer_as_bigint_input() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let generated = generated_numbers(1_000);
    let texts = NUMBERS
        .iter()
        .copied()
        .chain(generated.iter().map(String::as_str));
    for s in texts.map(Some).chain([None]) {
        let theirs = pg.value::<i64>("SELECT ($1::text)::int8", &[&s]).await;
        check.same(format!("to_integer({s:?})"), compute::to_integer(s), theirs);
    }
    check.finish("to_integer", 1_000, true);
}

/// `numeric` also holds `NaN`, the infinities and numbers beyond a decimal's 96 bits and 28
/// places; `to_decimal` refuses them (a decimal field holds a finite `rust_decimal`). Every
/// other text gives the same value with the same scale, or an error on both sides.
#[tokio::test]
async fn to_decimal_as_numeric_input() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let generated = generated_numbers(1_000);
    let texts = NUMBERS
        .iter()
        .copied()
        .chain(generated.iter().map(String::as_str));
    for s in texts.map(Some).chain([None]) {
        let theirs = pg.text("SELECT (($1::text)::numeric)::text", &[&s]).await;
        let ours = compute::to_decimal(s);
        match (&ours, &theirs) {
            (Err(e), Ok(Some(value)))
                if matches!(value.as_str(), "NaN" | "Infinity" | "-Infinity") =>
            {
                if e.message().contains("is not a finite number") {
                    check.pass();
                } else {
                    check.fail(format!("to_decimal({s:?}): {e}, PostgreSQL {value}"));
                }
            }
            (Err(e), Ok(Some(value))) if e.message().contains("does not fit a decimal") => {
                let (int, frac) = value
                    .trim_start_matches('-')
                    .split_once('.')
                    .unwrap_or((value, ""));
                let digits = format!("{int}{frac}");
                let digits = digits.trim_start_matches('0');
                // The largest coefficient of a decimal, 2^96 - 1.
                let max = "79228162514264337593543950335";
                if frac.len() > 28 || (digits.len(), digits) > (max.len(), max) {
                    check.pass();
                } else {
                    check.fail(format!(
                        "to_decimal({s:?}): {e}, but PostgreSQL's {value} fits"
                    ));
                }
            }
            _ => check.same(
                format!("to_decimal({s:?})"),
                ours.map(|d| d.map(|d| d.to_text())),
                theirs,
            ),
        }
    }
    check.finish("to_decimal", 1_000, true);
}

/// glibc's `strtod`, which PostgreSQL calls, also reads hexadecimal floats (`0x1A` is 26);
/// `to_float` does not. Every other text gives the same float, or an error on both sides.
#[tokio::test]
async fn to_float_as_float8_input() {
    let pg = Pg::connect().await;
    let mut check = Check::default();
    let generated = generated_numbers(1_000);
    let texts = NUMBERS
        .iter()
        .copied()
        .chain(generated.iter().map(String::as_str));
    for s in texts.map(Some).chain([None]) {
        let theirs = pg.text("SELECT (($1::text)::float8)::text", &[&s]).await;
        let ours = compute::to_float(s);
        let hexadecimal = s.is_some_and(|s| s.trim().to_ascii_lowercase().starts_with("0x"));
        if hexadecimal && ours.is_err() && theirs.is_ok() {
            check.pass();
            continue;
        }
        check.same(
            format!("to_float({s:?})"),
            ours.map(|f| f.map(|f| f.to_text())),
            theirs,
        );
    }
    check.finish("to_float", 1_000, true);
}
