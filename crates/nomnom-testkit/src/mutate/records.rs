//! Mutations of delimited text that keep its records and fields (HL7 v2's segments and
//! fields): records swapped, repeated or dropped, fields replaced by tokens or by fields of
//! other records and seeds, fields added or removed. The header keeps its place more often
//! than byte mutations leave it, so more inputs reach what is behind the parser.

use super::Rng;

/// Mutates `input` as records ended by `record` bytes (the first one is written between
/// records) holding fields separated by `field`.
#[derive(Debug, Clone)]
pub struct RecordMutator {
    record: Vec<u8>,
    field: u8,
    tokens: Vec<Vec<u8>>,
}

impl RecordMutator {
    /// Records end at any of `record`, fields end at `field`; `tokens` may replace a field.
    pub fn new(record: &[u8], field: u8, tokens: &[&str]) -> Self {
        assert!(!record.is_empty(), "no record separator");
        RecordMutator {
            record: record.to_vec(),
            field,
            tokens: tokens.iter().map(|t| t.as_bytes().to_vec()).collect(),
        }
    }

    /// `input` with one to four mutations; `others` give records and fields to take.
    pub fn mutate(&self, rng: &mut Rng, input: &[u8], others: &[&[u8]]) -> Vec<u8> {
        let mut records = self.split(input);
        for _ in 0..1 + rng.below(4) {
            self.mutate_once(rng, &mut records, others);
        }
        let mut out = Vec::with_capacity(input.len() + 64);
        for r in records {
            out.extend_from_slice(&r.join(&self.field));
            out.push(self.record[0]);
        }
        out
    }

    fn split(&self, input: &[u8]) -> Vec<Vec<Vec<u8>>> {
        input
            .split(|b| self.record.contains(b))
            .filter(|r| !r.is_empty())
            .map(|r| r.split(|&b| b == self.field).map(<[u8]>::to_vec).collect())
            .collect()
    }

    fn mutate_once(&self, rng: &mut Rng, records: &mut Vec<Vec<Vec<u8>>>, others: &[&[u8]]) {
        if records.is_empty() {
            records.push(vec![b"MSH".to_vec()]);
        }
        let r = rng.below(records.len());
        match rng.below(8) {
            0 if records.len() > 1 => {
                let s = rng.below(records.len());
                records.swap(r, s);
            }
            1 => {
                let copy = records[r].clone();
                records.insert(rng.below(records.len() + 1), copy);
            }
            2 if records.len() > 1 => {
                records.remove(r);
            }
            3 if !others.is_empty() => {
                // A record of another seed.
                let other = self.split(others[rng.below(others.len())]);
                if !other.is_empty() {
                    let taken = other[rng.below(other.len())].clone();
                    records.insert(rng.below(records.len() + 1), taken);
                }
            }
            4 => {
                let fields = &mut records[r];
                let at = rng.below(fields.len() + 1);
                fields.insert(at, Vec::new());
            }
            5 if records[r].len() > 1 => {
                let fields = &mut records[r];
                let at = 1 + rng.below(fields.len() - 1);
                fields.remove(at);
            }
            6 if !self.tokens.is_empty() => {
                let fields = &mut records[r];
                let at = rng.below(fields.len());
                fields[at] = self.tokens[rng.below(self.tokens.len())].clone();
            }
            _ => {
                // A field of another record.
                let s = rng.below(records.len());
                let from = rng.below(records[s].len());
                let value = records[s][from].clone();
                let fields = &mut records[r];
                let at = rng.below(fields.len());
                fields[at] = value;
            }
        }
    }
}
