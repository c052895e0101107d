//! The payloads every stage sends: generated TPC-H orders (`nomnom_testkit::orders`), as JSON
//! bytes, as NDJSON batch bodies, and with the envelope headers of the wire format.

use std::io::Write as _;

use bytes::Bytes;
use nomnom_testkit::orders;

/// The entity every stage posts.
pub const ENTITY: &str = "Order";

/// Orders per generated chunk: chunk `k` holds orders `k*CHUNK+1 ..= (k+1)*CHUNK`, drawn
/// from its own seed, so any chunk can be made without the ones before it.
pub const CHUNK: u64 = 1_000;

/// Orders `first_chunk*CHUNK+1 ..` (`chunks` chunks), drawn from `seed`.
pub fn order_values(
    seed: u64,
    first_chunk: u64,
    chunks: u64,
) -> impl Iterator<Item = serde_json::Value> {
    (first_chunk..first_chunk + chunks).flat_map(move |k| {
        orders::orders(
            seed.wrapping_mul(1_000_003).wrapping_add(k),
            k * CHUNK + 1,
            CHUNK,
        )
    })
}

/// The JSON of orders `first_chunk*CHUNK+1 ..` (`chunks` chunks), drawn from `seed`.
pub fn order_chunks(seed: u64, first_chunk: u64, chunks: u64) -> Vec<Bytes> {
    order_values(seed, first_chunk, chunks)
        .map(|order| Bytes::from(order.to_string()))
        .collect()
}

/// The first `count` orders from `seed` (the same orders [`order_chunks`] makes), numbered
/// from 1.
pub fn orders_json(seed: u64, count: u64) -> Vec<Bytes> {
    let mut orders = order_chunks(seed, 0, count.div_ceil(CHUNK));
    orders.truncate(count as usize);
    orders
}

/// NDJSON bodies of `lines` orders each, cut from `orders` (the last body may be shorter).
pub fn ndjson_bodies(orders: &[Bytes], lines: usize) -> Vec<Bytes> {
    orders
        .chunks(lines.max(1))
        .map(|chunk| {
            let mut body = Vec::with_capacity(chunk.iter().map(|o| o.len() + 1).sum());
            for order in chunk {
                body.extend_from_slice(order);
                body.push(b'\n');
            }
            Bytes::from(body)
        })
        .collect()
}

/// Line items in the given orders (counted from their JSON).
pub fn line_item_count(orders: &[Bytes]) -> u64 {
    orders
        .iter()
        .filter_map(|o| serde_json::from_slice::<serde_json::Value>(o).ok())
        .map(|o| o["line_items"].as_array().map_or(0, Vec::len) as u64)
        .sum()
}

/// Generated orders cut around their key, to make orders with any key by copying bytes.
///
/// The end-to-end stage's long runs need a fresh key for every message (each becomes new
/// rows); making each order through a JSON tree cost the load generator 8–25 µs of CPU per
/// message, taken from the pipeline on two shared cores. Order `n` here is template
/// `n % len` with the key `O-<n>`: the same distribution of fields and line items, made by
/// two copies.
#[derive(Debug)]
pub struct OrderTemplates {
    /// The JSON of each template up to its key's value, and from the end of that value.
    parts: Vec<(Bytes, Bytes)>,
}

/// What precedes the key's value in a template's JSON.
const KEY_FIELD: &[u8] = b"\"order_key\":\"";

impl OrderTemplates {
    /// `count` templates, the orders [`orders_json`] makes from `seed`.
    pub fn new(seed: u64, count: u64) -> OrderTemplates {
        let parts = orders_json(seed, count.max(1))
            .into_iter()
            .map(|order| {
                let start = order
                    .windows(KEY_FIELD.len())
                    .position(|w| w == KEY_FIELD)
                    .map(|at| at + KEY_FIELD.len())
                    .expect("generated orders have an order_key");
                let end = start
                    + order[start..]
                        .iter()
                        .position(|&b| b == b'"')
                        .expect("the key is a JSON string");
                (order.slice(..start), order.slice(end..))
            })
            .collect();
        OrderTemplates { parts }
    }

    /// The JSON of order `n` (key `O-<n>`).
    pub fn order(&self, n: u64) -> Bytes {
        let (before, after) = &self.parts[(n % self.parts.len() as u64) as usize];
        let mut body = Vec::with_capacity(before.len() + after.len() + 22);
        body.extend_from_slice(before);
        let _ = write!(body, "O-{n}");
        body.extend_from_slice(after);
        Bytes::from(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templated_orders_are_the_generated_ones_with_any_key() {
        let templates = OrderTemplates::new(5, 3);
        let generated = orders_json(5, 3);
        // Any key fits: the body parses, carries the key, and is its template otherwise.
        for n in [1_u64, 9, 10, 123_456_789_012] {
            let made: serde_json::Value = serde_json::from_slice(&templates.order(n)).unwrap();
            assert_eq!(made["order_key"], format!("O-{n}"));
            let mut template: serde_json::Value =
                serde_json::from_slice(&generated[(n % 3) as usize]).unwrap();
            template["order_key"] = made["order_key"].clone();
            assert_eq!(made, template);
        }
    }

    #[test]
    fn chunks_are_deterministic_distinct_and_independent() {
        let a = order_chunks(1, 0, 2);
        assert_eq!(a.len(), 2_000);
        assert_eq!(a, order_chunks(1, 0, 2));
        // Chunk 1 made alone equals chunk 1 made after chunk 0.
        assert_eq!(&a[1000..], &order_chunks(1, 1, 1)[..]);
        let keys: std::collections::HashSet<String> = a
            .iter()
            .map(|o| {
                serde_json::from_slice::<serde_json::Value>(o).unwrap()["order_key"].to_string()
            })
            .collect();
        assert_eq!(keys.len(), 2_000, "every order has its own key");
        let items = line_item_count(&a) as f64 / 2000.0;
        assert!((3.8..4.2).contains(&items), "{items} line items per order");
    }

    #[test]
    fn ndjson_bodies_hold_one_order_per_line() {
        let orders = orders_json(3, 2_500);
        assert_eq!(orders.len(), 2_500);
        assert_eq!(&orders[..], &order_chunks(3, 0, 3)[..2_500]);
        let bodies = ndjson_bodies(&orders, 1_000);
        assert_eq!(bodies.len(), 3);
        assert_eq!(bodies[2].iter().filter(|&&b| b == b'\n').count(), 500);
        for body in &bodies[..2] {
            let lines: Vec<&[u8]> = body
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .collect();
            assert_eq!(lines.len(), 1_000);
            assert!(lines
                .iter()
                .all(|l| serde_json::from_slice::<serde_json::Value>(l).is_ok()));
        }
        assert_eq!(&bodies[0][..orders[0].len()], &orders[0][..]);
    }
}
