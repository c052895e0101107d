//! The `api-keys` stage's access settings (issue 20): a key of the benchmark's own, the keys
//! file holding its digest (the line `nomnom key` prints), and a rate limit configured high
//! enough never to refuse, so the API runs its key check and its token bucket on every
//! request without turning any away. The load generator sends the key as
//! `Authorization: Bearer <key>`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nomnom_runtime::api::access::keys::digest_hex;

use crate::BenchError;

/// The key's name in the keys file (and the rate limiter's bucket).
pub const KEY_NAME: &str = "bench";
/// `RATE_LIMIT_PER_SECOND` and `RATE_LIMIT_BURST`: far above any rate this machine reaches
/// (the publish limit is under 100,000 msgs/s), so the limiter runs and never refuses.
pub const RATE_LIMIT: u32 = 10_000_000;

/// The benchmark's key and the keys file that admits it.
#[derive(Debug, Clone)]
pub struct BenchKey {
    /// The secret, sent on every request.
    pub key: String,
    /// The keys file, for `API_KEYS_FILE`.
    pub file: PathBuf,
}

impl BenchKey {
    /// A fresh key with scopes `ingest` and `status`, its line written to `file` (replaced
    /// if it exists).
    pub fn write(file: &Path) -> Result<BenchKey, BenchError> {
        let key = format!(
            "nnb_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let line = format!("{KEY_NAME}:ingest+status:{}\n", digest_hex(&key));
        std::fs::write(file, line)
            .map_err(|e| BenchError::Io(format!("writing {}: {e}", file.display())))?;
        Ok(BenchKey {
            key,
            file: file.to_path_buf(),
        })
    }

    /// The API's variables: the keys file and the rate limit.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("API_KEYS_FILE", self.file.display().to_string()),
            ("RATE_LIMIT_PER_SECOND", RATE_LIMIT.to_string()),
            ("RATE_LIMIT_BURST", RATE_LIMIT.to_string()),
        ]
    }

    /// The `Authorization` header's value.
    pub fn authorization(&self) -> String {
        format!("Bearer {}", self.key)
    }
}

/// The refusals of a run that its access settings made (401 without a valid key, 403
/// without the scope, 429 over the rate limit), from a run's refusals by answer
/// ([`crate::api_load::refusal`]); empty when none.
pub fn access_refusals(refusals: &BTreeMap<String, u64>) -> Vec<String> {
    refusals
        .iter()
        .filter(|(answer, _)| ["401", "403", "429"].iter().any(|s| answer.starts_with(s)))
        .map(|(answer, count)| format!("{count} × {answer}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nomnom_runtime::api::access::keys::{KeySet, Scope};
    use nomnom_runtime::config::{AccessConfig, Env};

    #[test]
    fn the_keys_file_admits_the_key_to_ingest_and_the_rate_limit_is_configured() {
        let dir = std::env::temp_dir().join(format!("nomnom-bench-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("keys");
        let bench = BenchKey::write(&file).unwrap();
        let keys = KeySet::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(keys.len(), 1);
        let found = keys.find(&bench.key).expect("the key is in the file");
        assert_eq!(found.name, KEY_NAME);
        assert!(found.allows(Scope::Ingest) && found.allows(Scope::Status));
        assert!(keys.find("nnb_not-the-key").is_none());
        assert_eq!(bench.authorization(), format!("Bearer {}", bench.key));

        let env = bench.env();
        let config =
            AccessConfig::from(&Env::from_pairs(env.iter().map(|(k, v)| (*k, v.as_str()))))
                .unwrap();
        assert_eq!(config.keys_file.as_deref(), Some(file.as_path()));
        let limit = config.rate_limit.expect("the limiter runs");
        assert_eq!(limit.per_second.get(), RATE_LIMIT);
        assert_eq!(limit.burst.get(), RATE_LIMIT);
        // A second key is a new one.
        assert_ne!(BenchKey::write(&file).unwrap().key, bench.key);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_refusals_by_keys_or_the_rate_limit_are_access_refusals() {
        let refusals: BTreeMap<String, u64> = [
            ("401 unauthorized".to_owned(), 3),
            ("429 rate-limited".to_owned(), 2),
            ("503 overloaded".to_owned(), 7),
            ("no answer".to_owned(), 1),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            access_refusals(&refusals),
            ["3 × 401 unauthorized", "2 × 429 rate-limited"]
        );
        assert!(access_refusals(&BTreeMap::new()).is_empty());
    }
}
