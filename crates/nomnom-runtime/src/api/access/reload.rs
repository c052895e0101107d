//! The keys in force, re-read when the file changes (checked every second, so a Kubernetes
//! Secret's update or an editor's save is picked up without a restart) or at once on SIGHUP.
//! A version that cannot be read or parsed is refused with an error in the log, and the keys
//! in force stay: a bad edit never opens the API nor locks every client out.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::keys::KeySet;

/// How often the file is checked for a change.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// The keys in force, shared by every request.
#[derive(Debug)]
pub struct KeyStore {
    path: PathBuf,
    current: RwLock<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    keys: Arc<KeySet>,
    content: [u8; 32],
}

/// Why the keys file could not be used at start-up.
#[derive(Debug, thiserror::Error)]
#[error("API_KEYS_FILE {path}: {reason}")]
pub struct KeyStoreError {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
}

impl KeyStore {
    /// Reads `path` once; at start-up a file that cannot be read or parsed is an error.
    pub fn open(path: &Path) -> Result<KeyStore, KeyStoreError> {
        let fail = |reason: String| KeyStoreError {
            path: path.display().to_string(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        let keys = parse(&bytes).map_err(fail)?;
        Ok(KeyStore {
            path: path.to_owned(),
            current: RwLock::new(Loaded {
                keys: Arc::new(keys),
                content: Sha256::digest(&bytes).into(),
            }),
        })
    }

    /// The keys in force.
    pub fn keys(&self) -> Arc<KeySet> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .keys
            .clone()
    }

    /// Re-reads the file; the new keys take over when it changed and parses. Returns whether
    /// they did.
    pub fn reload(&self) -> bool {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(err) => {
                tracing::error!(path = %self.path.display(), error = %err, "cannot read API_KEYS_FILE; the keys in force stay");
                return false;
            }
        };
        let content: [u8; 32] = Sha256::digest(&bytes).into();
        let unchanged = self
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .content
            == content;
        if unchanged {
            return false;
        }
        match parse(&bytes) {
            Ok(keys) => {
                let count = keys.len();
                *self
                    .current
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Loaded {
                    keys: Arc::new(keys),
                    content,
                };
                tracing::info!(path = %self.path.display(), keys = count, "API keys reloaded");
                true
            }
            Err(reason) => {
                // Remember the refused version, so it is reported once, not every second.
                self.current
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .content = content;
                tracing::error!(path = %self.path.display(), error = %reason, "API_KEYS_FILE refused; the keys in force stay");
                false
            }
        }
    }

    /// Checks the file every second and on SIGHUP, until the process ends.
    pub fn watch(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut hangup = hangup_signal();
            let mut tick = tokio::time::interval(CHECK_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    Some(()) = next_hangup(&mut hangup) => {
                        tracing::info!("SIGHUP: re-reading API_KEYS_FILE");
                    }
                }
                self.reload();
            }
        })
    }
}

fn parse(bytes: &[u8]) -> Result<KeySet, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_owned())?;
    KeySet::parse(text).map_err(|e| e.to_string())
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = ();

#[cfg(unix)]
fn hangup_signal() -> Hangup {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(signal) => Some(signal),
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for SIGHUP; API_KEYS_FILE is still checked every second");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangup_signal() -> Hangup {}

#[cfg(unix)]
async fn next_hangup(hangup: &mut Hangup) -> Option<()> {
    match hangup {
        Some(signal) => signal.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangup) -> Option<()> {
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::super::keys::digest_hex;
    use super::*;

    #[test]
    fn a_changed_file_takes_over_and_a_broken_one_leaves_the_keys_in_force() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keys");
        std::fs::write(&path, format!("one:ingest:{}\n", digest_hex("k1"))).unwrap();
        let store = KeyStore::open(&path).expect("valid");
        assert!(store.keys().find("k1").is_some());
        assert!(!store.reload(), "unchanged");

        std::fs::write(&path, format!("two:ingest:{}\n", digest_hex("k2"))).unwrap();
        assert!(store.reload());
        assert!(store.keys().find("k1").is_none(), "revoked");
        assert_eq!(
            store.keys().find("k2").map(|k| k.name.as_str()),
            Some("two")
        );

        std::fs::write(&path, "two:ingest:not-a-digest\n").unwrap();
        assert!(!store.reload());
        assert!(
            store.keys().find("k2").is_some(),
            "a broken file changes nothing"
        );
        std::fs::remove_file(&path).unwrap();
        assert!(!store.reload());
        assert!(store.keys().find("k2").is_some(), "nor does a missing one");

        let err = KeyStore::open(&dir.path().join("absent")).unwrap_err();
        assert!(err.to_string().starts_with("API_KEYS_FILE "), "{err}");
        std::fs::write(&path, "x:ingest:1\n").unwrap();
        assert!(KeyStore::open(&path)
            .unwrap_err()
            .to_string()
            .contains("line 1"));
    }
}
