//! Mutations of byte strings: bit flips, random bytes, the format's tokens, deletions,
//! truncations, duplicated chunks and lines, splices of two seeds.

use super::Rng;

/// Mutates byte strings, with fragments the format gives meaning to (`tokens`) and lines
/// ending at `separators`.
#[derive(Debug, Clone)]
pub struct Mutator {
    tokens: Vec<Vec<u8>>,
    separators: Vec<u8>,
}

impl Mutator {
    /// A mutator inserting `tokens` among other things; lines end at any of `separators`.
    pub fn new(tokens: &[&str], separators: &[u8]) -> Self {
        Mutator {
            tokens: tokens.iter().map(|t| t.as_bytes().to_vec()).collect(),
            separators: separators.to_vec(),
        }
    }

    /// `input` changed by one to six mutations; `others` (the other seeds) may be spliced in.
    pub fn mutate(&self, rng: &mut Rng, input: &[u8], others: &[&[u8]]) -> Vec<u8> {
        let mut out = input.to_vec();
        for _ in 0..1 + rng.below(6) {
            self.mutate_once(rng, &mut out, others);
        }
        out
    }

    fn mutate_once(&self, rng: &mut Rng, out: &mut Vec<u8>, others: &[&[u8]]) {
        let at = rng.below(out.len() + 1);
        match rng.below(10) {
            0 | 1 if !self.tokens.is_empty() => {
                let token = &self.tokens[rng.below(self.tokens.len())];
                out.splice(at..at, token.iter().copied());
            }
            2 if at < out.len() => out[at] ^= 1 << rng.below(8),
            3 if at < out.len() => out[at] = rng.byte(),
            4 if !out.is_empty() => {
                let end = out.len().min(at + 1 + rng.below(16));
                out.drain(at.min(end)..end);
            }
            5 => out.truncate(at),
            6 if !out.is_empty() => {
                // A chunk of the input, copied somewhere else.
                let from = rng.below(out.len());
                let end = out.len().min(from + 1 + rng.below(32));
                let chunk = out[from..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, chunk);
            }
            7 => {
                // A line of the input, repeated somewhere else.
                let text = out.clone();
                let lines: Vec<&[u8]> = text.split(|b| self.separators.contains(b)).collect();
                let line = lines[rng.below(lines.len())];
                let end = self.separators.first().copied();
                out.splice(at..at, line.iter().copied().chain(end));
            }
            8 if !others.is_empty() => {
                // This input's start, another's end.
                let other = others[rng.below(others.len())];
                let from = rng.below(other.len() + 1);
                out.truncate(at);
                out.extend_from_slice(&other[from..]);
            }
            _ => {
                let n = rng.below(8);
                let bytes = rng.bytes(n);
                out.splice(at..at, bytes);
            }
        }
    }
}
