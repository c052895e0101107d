//! Generated TPC-H orders for `examples/tpch`: 1–7 line items (4 on average), optional
//! fields sometimes absent, sometimes `null`, sometimes set. Deterministic for a seed, so a
//! test or a benchmark run can be repeated exactly.

use serde_json::{json, Map, Value};

/// A small deterministic generator (SplitMix64): no dependency, same sequence everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// `true` with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// One of `items`, which must not be empty.
    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        (self.next_u64() & 0xff) as u8
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}

/// How an optional field appears in a generated order.
fn optional(value: Value, rng: &mut Rng, obj: &mut Map<String, Value>, key: &str) {
    match rng.range(0, 9) {
        0 | 1 => {} // absent
        2 => {
            obj.insert(key.to_string(), Value::Null); // explicit null
        }
        _ => {
            obj.insert(key.to_string(), value);
        }
    }
}

fn date(rng: &mut Rng) -> String {
    format!(
        "{}-{:02}-{:02}",
        rng.range(1992, 1998),
        rng.range(1, 12),
        rng.range(1, 28)
    )
}

/// Order number `n` (its key is `O-<n>`), its content drawn from `rng`.
pub fn order(rng: &mut Rng, n: u64) -> Value {
    let items = 1 + rng.range(0, 3) + rng.range(0, 3); // 1..=7, mean 4
    let mut line_items = Vec::with_capacity(items as usize);
    for line in 1..=items {
        let mut item = Map::new();
        item.insert("line_number".into(), json!(line));
        item.insert(
            "part_key".into(),
            json!(format!("P-{}", rng.range(1, 200_000))),
        );
        optional(
            json!(format!("S-{}", rng.range(1, 10_000))),
            rng,
            &mut item,
            "supplier_key",
        );
        item.insert("quantity".into(), json!(rng.range(1, 50)));
        item.insert(
            "extended_price".into(),
            json!(rng.range(90_000, 10_000_000) as f64 / 100.0),
        );
        optional(
            json!(rng.range(0, 10) as f64 / 100.0),
            rng,
            &mut item,
            "discount",
        );
        optional(json!(rng.range(0, 8) as f64 / 100.0), rng, &mut item, "tax");
        optional(
            json!(["R", "A", "N"][rng.range(0, 2) as usize]),
            rng,
            &mut item,
            "return_flag",
        );
        optional(
            json!(["O", "F"][rng.range(0, 1) as usize]),
            rng,
            &mut item,
            "line_status",
        );
        optional(json!(date(rng)), rng, &mut item, "ship_date");
        optional(json!(date(rng)), rng, &mut item, "commit_date");
        optional(json!(date(rng)), rng, &mut item, "receipt_date");
        line_items.push(Value::Object(item));
    }
    let cents = rng.range(100_000, 50_000_000);
    // Half the prices arrive as JSON numbers, half as strings: both are valid decimals.
    let total_price = if rng.chance(50) {
        Value::Number(
            serde_json::from_str(&format!("{}.{:02}", cents / 100, cents % 100))
                .unwrap_or_else(|_| serde_json::Number::from(cents / 100)),
        )
    } else {
        json!(format!("{}.{:02}", cents / 100, cents % 100))
    };
    let mut order = Map::new();
    order.insert("order_key".into(), json!(format!("O-{n}")));
    order.insert(
        "customer_key".into(),
        json!(format!("C-{}", rng.range(1, 150_000))),
    );
    order.insert(
        "order_status".into(),
        json!(["O", "F", "P"][rng.range(0, 2) as usize]),
    );
    order.insert("total_price".into(), total_price);
    order.insert("order_date".into(), json!(date(rng)));
    optional(
        json!(
            ["1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"]
                [rng.range(0, 4) as usize]
        ),
        rng,
        &mut order,
        "order_priority",
    );
    optional(
        json!(format!("Clerk#{:09}", rng.range(1, 1000))),
        rng,
        &mut order,
        "clerk",
    );
    optional(json!(rng.range(0, 1)), rng, &mut order, "ship_priority");
    optional(
        json!("carefully final deposits detect slyly"),
        rng,
        &mut order,
        "comment",
    );
    order.insert("line_items".into(), Value::Array(line_items));
    Value::Object(order)
}

/// `count` orders numbered from `first`, drawn from `seed`.
pub fn orders(seed: u64, first: u64, count: u64) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    (first..first + count).map(|n| order(&mut rng, n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_are_deterministic_with_one_to_seven_items_averaging_four() {
        let a = orders(7, 1, 2000);
        assert_eq!(a, orders(7, 1, 2000));
        let counts: Vec<usize> = a
            .iter()
            .map(|o| o["line_items"].as_array().map_or(0, Vec::len))
            .collect();
        assert!(counts.iter().all(|&n| (1..=7).contains(&n)));
        let mean = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
        assert!((3.8..4.2).contains(&mean), "mean line items {mean}");
        assert_eq!(a[0]["order_key"], "O-1");
        // Optional fields appear absent, null and set.
        let clerks: Vec<&Value> = a.iter().map(|o| &o["clerk"]).collect();
        assert!(clerks.iter().any(|c| c.is_null()));
        assert!(clerks.iter().any(|c| c.is_string()));
        assert!(a.iter().any(|o| o.get("clerk") == Some(&Value::Null)));
    }
}
