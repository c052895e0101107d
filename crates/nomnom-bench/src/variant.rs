//! The two forms of the TPC-H model the benchmark runs: `examples/tpch`, every column read
//! from the message, and `models/tpch-computed`, the same tables and columns with twelve
//! of them computed from inputs in the sender's formats ([`crate::raw_orders`]). The same
//! seed gives the same orders in both forms, which become the same rows.

use std::path::PathBuf;

use bytes::Bytes;
use serde::Serialize;

use crate::payloads::{self, CHUNK};
use crate::raw_orders::raw_order;

/// A form of the model, with its payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// `examples/tpch`: every column read from the message.
    Plain,
    /// `crates/nomnom-bench/models/tpch-computed`: twelve columns computed.
    Computed,
}

impl Variant {
    /// Both, the plain model first.
    pub const BOTH: [Variant; 2] = [Variant::Plain, Variant::Computed];

    /// Its name in the results.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::Computed => "computed",
        }
    }

    /// The name its project and binaries are built under in the shared target directory.
    pub fn project_name(self) -> &'static str {
        match self {
            Variant::Plain => "tpch",
            Variant::Computed => "tpch-computed",
        }
    }

    /// The folder holding its `nomnom.yaml`.
    pub fn model_dir(self) -> PathBuf {
        let root = nomnom_testkit::project::workspace_root();
        match self {
            Variant::Plain => root.join("examples/tpch"),
            Variant::Computed => root.join("crates/nomnom-bench/models/tpch-computed"),
        }
    }

    /// The variable naming a folder that holds its `ingestion-api` and `worker` already
    /// built (nothing is built then).
    pub fn bin_dir_variable(self) -> &'static str {
        match self {
            Variant::Plain => "NOMNOM_BENCH_BIN_DIR",
            Variant::Computed => "NOMNOM_BENCH_COMPUTED_BIN_DIR",
        }
    }

    /// The JSON of orders `first_chunk*CHUNK+1 ..` (`chunks` chunks) from `seed`, in this
    /// form ([`payloads::order_chunks`] for the plain model).
    pub fn order_chunks(self, seed: u64, first_chunk: u64, chunks: u64) -> Vec<Bytes> {
        match self {
            Variant::Plain => payloads::order_chunks(seed, first_chunk, chunks),
            Variant::Computed => payloads::order_values(seed, first_chunk, chunks)
                .map(|order| Bytes::from(raw_order(&order).to_string()))
                .collect(),
        }
    }

    /// The first `count` orders from `seed`, in this form ([`payloads::orders_json`] for the
    /// plain model).
    pub fn orders_json(self, seed: u64, count: u64) -> Vec<Bytes> {
        let mut orders = self.order_chunks(seed, 0, count.div_ceil(CHUNK));
        orders.truncate(count as usize);
        orders
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_carry_the_same_orders() {
        let plain = Variant::Plain.orders_json(4, 1_500);
        let computed = Variant::Computed.orders_json(4, 1_500);
        assert_eq!(plain, payloads::orders_json(4, 1_500));
        assert_eq!(computed.len(), 1_500);
        for (p, c) in plain.iter().zip(&computed) {
            let p: serde_json::Value = serde_json::from_slice(p).unwrap();
            let c: serde_json::Value = serde_json::from_slice(c).unwrap();
            assert_eq!(c, raw_order(&p));
        }
        assert_eq!(
            payloads::line_item_count(&plain),
            payloads::line_item_count(&computed)
        );
        assert!(Variant::Computed.model_dir().join("nomnom.yaml").is_file());
        assert!(Variant::Plain.model_dir().join("nomnom.yaml").is_file());
    }
}
