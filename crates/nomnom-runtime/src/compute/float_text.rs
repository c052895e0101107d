//! A float as PostgreSQL (12 and later) writes a `double precision`: the shortest digits that
//! read back as the same value, in fixed notation when the decimal exponent is from -4 to 14
//! (`0.0001`, `123456789012345`) and in scientific notation otherwise (`1e-05`, `1e+15`,
//! `1.2345678901234568e+17`, the exponent signed and at least two digits), `-0` for negative
//! zero, `Infinity`, `-Infinity` and `NaN`.
//!
//! The shortest digits come from Rust's `{:e}` formatting. Rust, like Ryū in its strict
//! mode, may answer a decimal exactly halfway to a neighbouring float (`1e23`: it reads back
//! as the same float, ties going to the even mantissa); PostgreSQL's Ryū never does, and
//! writes more digits (`9.999999999999999e+22`). And when the float is exactly halfway
//! between two shortest decimals, Rust rounds up where Ryū takes the even one
//! (`731731415193146.25` is `731731415193146.2`). Both cases are detected exactly (in
//! integers) and written as PostgreSQL writes them.

use std::fmt::Write;

/// Appends the text of `value` to `out`.
pub(crate) fn write(value: f64, out: &mut String) {
    if value.is_nan() {
        out.push_str("NaN");
        return;
    }
    if value.is_sign_negative() {
        out.push('-');
    }
    if value.is_infinite() {
        out.push_str("Infinity");
        return;
    }
    if value == 0.0 {
        out.push('0');
        return;
    }
    let value = value.abs();
    let mut decimal = Decimal::of(value, None);
    if decimal.is_midpoint_of(value) {
        // PostgreSQL wants a decimal strictly between the midpoints to the neighbouring
        // floats: one more digit at a time, correctly rounded, until one is (17 always is).
        for precision in decimal.len..17 {
            let longer = Decimal::of(value, Some(precision));
            if !longer.is_midpoint_of(value) {
                decimal = longer;
                break;
            }
        }
    }
    let decimal = decimal.ties_to_even(value);
    let mut digits = Buffer::default();
    let _ = write!(digits, "{}", decimal.digits);
    let digits = digits.as_str();
    let exponent = decimal.exponent + digits.len() as i32 - 1;
    if (-4..15).contains(&exponent) {
        write_fixed(digits, exponent, out);
    } else {
        write_scientific(digits, exponent, out);
    }
}

/// `digits` × 10^`exponent`, `len` digits long.
#[derive(Clone, Copy)]
struct Decimal {
    digits: u64,
    exponent: i32,
    len: usize,
}

impl Decimal {
    /// The shortest digits that read back as `value` (finite, positive), as Rust's `{:e}`
    /// writes them, or `precision` + 1 digits correctly rounded (`{:.precision$e}`).
    fn of(value: f64, precision: Option<usize>) -> Decimal {
        let mut sci = Buffer::default();
        let _ = match precision {
            None => write!(sci, "{value:e}"),
            Some(precision) => write!(sci, "{value:.precision$e}"),
        };
        let text = sci.as_str();
        let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
        let (mut digits, mut len) = (0u64, 0usize);
        for b in mantissa.bytes().filter(u8::is_ascii_digit) {
            digits = digits * 10 + u64::from(b - b'0');
            len += 1;
        }
        let first: i32 = exponent.parse().unwrap_or(0);
        Decimal {
            digits,
            exponent: first - (len as i32 - 1),
            len,
        }
    }

    /// Whether this decimal is exactly one of the two midpoints between `value` and its
    /// neighbouring floats. Rust's shortest digits may be one (a float with an even mantissa
    /// reads a midpoint back as itself); PostgreSQL's Ryū stays strictly inside (it is built
    /// without `STRICTLY_SHORTEST`).
    fn is_midpoint_of(&self, value: f64) -> bool {
        let (m, e) = binary(value);
        let upper = (2 * m + 1, e - 1);
        // Below a power of two the neighbour is half as far.
        let lower = if m == 1 << 52 && e > -1074 {
            (4 * m - 1, e - 2)
        } else {
            (2 * m - 1, e - 1)
        };
        [upper, lower]
            .into_iter()
            .any(|(c, f)| equals_binary(self.digits, self.exponent, c, f))
    }

    /// When `value` is exactly halfway between this decimal and the next one of its length,
    /// the even one of the two, as Ryū chooses (Rust's shortest digits round such a tie up).
    fn ties_to_even(self, value: f64) -> Decimal {
        if self.digits.is_multiple_of(2) {
            return self;
        }
        let (m, e) = binary(value);
        let (twos, odd) = (m.trailing_zeros() as i32, m >> m.trailing_zeros());
        // value = (2d ± 1) × 10^k / 2 ⟺ (2d ± 1) × 10^k = odd × 2^(e + twos + 1).
        for (twice, neighbour) in [
            (2 * self.digits - 1, self.digits - 1),
            (2 * self.digits + 1, self.digits + 1),
        ] {
            let even = Decimal {
                digits: neighbour,
                ..self
            };
            if equals_binary(twice, self.exponent, odd, e + twos + 1)
                && neighbour.checked_ilog10() == self.digits.checked_ilog10()
                && even.reads_back_strictly_as(value)
            {
                return even;
            }
        }
        self
    }
}

impl Decimal {
    /// Whether this decimal reads back as `value` and is not on the edge of its interval
    /// (the even neighbour of a tie may be outside: below a power of two the interval is
    /// narrower).
    fn reads_back_strictly_as(&self, value: f64) -> bool {
        let mut text = Buffer::default();
        let _ = write!(text, "{}e{}", self.digits, self.exponent);
        text.as_str().parse::<f64>() == Ok(value) && !self.is_midpoint_of(value)
    }
}

/// `value` (finite, positive) as m × 2^e.
fn binary(value: f64) -> (u64, i32) {
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7FF) as i32;
    let fraction = bits & ((1 << 52) - 1);
    if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    }
}

/// Whether d × 10^k = c × 2^f, for an odd c: their odd parts and their powers of two agree.
fn equals_binary(d: u64, k: i32, c: u64, f: i32) -> bool {
    if d == 0 {
        return false;
    }
    let twos = d.trailing_zeros() as i32;
    let odd = u128::from(d >> twos);
    if twos + k != f {
        return false;
    }
    let five_to = |n: i32| 5u128.checked_pow(n.unsigned_abs());
    if k >= 0 {
        five_to(k).and_then(|p| odd.checked_mul(p)) == Some(u128::from(c))
    } else {
        five_to(k).and_then(|p| u128::from(c).checked_mul(p)) == Some(odd)
    }
}

/// `digits` × 10^(`exponent` − len + 1) without an exponent.
fn write_fixed(digits: &str, exponent: i32, out: &mut String) {
    let len = digits.len() as i32;
    if exponent < 0 {
        out.push_str("0.");
        for _ in 0..(-exponent - 1) {
            out.push('0');
        }
        out.push_str(digits);
    } else if len <= exponent + 1 {
        out.push_str(digits);
        for _ in 0..(exponent + 1 - len) {
            out.push('0');
        }
    } else {
        let (whole, fraction) = digits.split_at((exponent + 1) as usize);
        out.push_str(whole);
        out.push('.');
        out.push_str(fraction);
    }
}

/// `d.ddde±xx`.
fn write_scientific(digits: &str, exponent: i32, out: &mut String) {
    let (first, rest) = digits.split_at(1);
    out.push_str(first);
    if !rest.is_empty() {
        out.push('.');
        out.push_str(rest);
    }
    let _ = write!(
        out,
        "e{}{:02}",
        if exponent < 0 { '-' } else { '+' },
        exponent.unsigned_abs()
    );
}

/// A small stack buffer for `{:e}` (at most 17 digits, a point, `e-324`).
#[derive(Default)]
struct Buffer {
    bytes: [u8; 32],
    len: usize,
}

impl Buffer {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl Write for Buffer {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(std::fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: f64) -> String {
        let mut out = String::new();
        write(value, &mut out);
        out
    }

    /// Expected texts from PostgreSQL 15 (`SELECT x::float8::text`).
    #[test]
    fn layouts_are_postgresql_s() {
        for (value, expected) in [
            (1e15, "1e+15"),
            (123456789012345.0, "123456789012345"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1.5e300, "1.5e+300"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
            (0.1, "0.1"),
            (1e14, "100000000000000"),
            (1.2345e-7, "1.2345e-07"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (1e22, "1e+22"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (0.00012345, "0.00012345"),
            (100.0, "100"),
            (9.999999999999999e14, "999999999999999.9"),
            (1e23, "9.999999999999999e+22"),
            (6.7981e20, "6.798099999999999e+20"),
            (1.0396e22, "1.0396000000000001e+22"),
            // Exactly -1571326987272528.25 and -731731415193146.25: ties between two
            // shortest decimals.
            (-1571326987272528.3, "-1.5713269872725282e+15"),
            (-731731415193146.3, "-731731415193146.2"),
            (5.960464477539063e-8, "5.960464477539063e-08"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(text(value), expected, "{value:e}");
        }
    }

    #[test]
    fn every_text_reads_back_as_the_same_float() {
        let mut x = 1.0e-310f64;
        while x < 1e300 {
            for v in [x, -x, x * 1.234_567_890_123_456_7, 1.0 / x] {
                assert_eq!(text(v).parse::<f64>().ok(), Some(v), "{v:e}");
            }
            x *= 7.3;
        }
    }
}
