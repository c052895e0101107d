//! The API keys file (`API_KEYS_FILE`): one key per line, `name:scopes:sha256-hex-of-the-key`,
//! scopes `ingest` and `status` joined with `+`, blank lines and `#` comments ignored. Only
//! the keys' SHA-256 digests are kept, and a presented key is compared with every digest in
//! constant time.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `POST /ingest/message` and `POST /ingest/batch`.
    Ingest,
    /// `GET /ingest/status/{id}`.
    Status,
}

impl Scope {
    fn parse(text: &str) -> Option<Scope> {
        match text {
            "ingest" => Some(Scope::Ingest),
            "status" => Some(Scope::Status),
            _ => None,
        }
    }

    /// Its name in the keys file and in answers.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Status => "status",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One key: its name, its scopes and the digest of its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The name the key is logged and rate-limited under.
    pub name: String,
    ingest: bool,
    status: bool,
    digest: [u8; 32],
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The digest is not the key, but it is not for logs either.
        f.debug_struct("ApiKey")
            .field("name", &self.name)
            .field("ingest", &self.ingest)
            .field("status", &self.status)
            .finish()
    }
}

impl ApiKey {
    /// Whether it holds `scope`.
    pub fn allows(&self, scope: Scope) -> bool {
        match scope {
            Scope::Ingest => self.ingest,
            Scope::Status => self.status,
        }
    }
}

/// Why a keys file cannot be used: the line and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct KeysFileError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// The keys of one version of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySet {
    keys: Vec<ApiKey>,
}

impl KeySet {
    /// Parses a keys file. A malformed line, an unknown scope, a digest that is not 64 hex
    /// digits, or a name used twice is an error naming the line.
    pub fn parse(text: &str) -> Result<KeySet, KeysFileError> {
        let mut keys: Vec<ApiKey> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let fail = |reason: String| KeysFileError { line, reason };
            let entry = raw.trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = entry.split(':').collect();
            let [name, scopes, digest] = parts[..] else {
                return Err(fail(format!(
                    "expected name:scopes:sha256-hex, found {} field(s)",
                    parts.len()
                )));
            };
            let name = name.trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                return Err(fail(format!(
                    "the key name `{name}` must be letters, digits, `.`, `_` or `-`"
                )));
            }
            if keys.iter().any(|k| k.name == name) {
                return Err(fail(format!("the key name `{name}` is used twice")));
            }
            let (mut ingest, mut status) = (false, false);
            for scope in scopes.trim().split('+') {
                match Scope::parse(scope.trim()) {
                    Some(Scope::Ingest) => ingest = true,
                    Some(Scope::Status) => status = true,
                    None => {
                        return Err(fail(format!(
                            "unknown scope `{}` (scopes: ingest, status, joined with +)",
                            scope.trim()
                        )))
                    }
                }
            }
            let digest = parse_digest(digest.trim()).ok_or_else(|| {
                fail("the third field must be the key's SHA-256 as 64 hex digits".into())
            })?;
            keys.push(ApiKey {
                name: name.to_owned(),
                ingest,
                status,
                digest,
            });
        }
        Ok(KeySet { keys })
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key whose secret `presented` is. Its digest is compared with every key's, each
    /// comparison in constant time, so how long it takes does not tell which key matched or
    /// how much of a digest did.
    pub fn find(&self, presented: &str) -> Option<&ApiKey> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for key in &self.keys {
            if bool::from(key.digest.ct_eq(&digest)) {
                found = Some(key);
            }
        }
        found
    }
}

/// The SHA-256 of `key`, as the keys file holds it (lower-case hex).
pub fn digest_hex(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn parse_digest(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_by_their_secret_with_their_scopes() {
        let file = format!(
            "# ingestion keys\n\nlab-feed:ingest:{}\n  ops : status+ingest : {}  \n",
            digest_hex("secret-one"),
            digest_hex("secret-two").to_uppercase()
        );
        let keys = KeySet::parse(&file).expect("valid");
        assert_eq!(keys.len(), 2);
        let one = keys.find("secret-one").expect("first key");
        assert_eq!(one.name, "lab-feed");
        assert!(one.allows(Scope::Ingest) && !one.allows(Scope::Status));
        let two = keys.find("secret-two").expect("second key");
        assert_eq!(two.name, "ops");
        assert!(two.allows(Scope::Ingest) && two.allows(Scope::Status));
        assert!(keys.find("secret-three").is_none());
        assert!(keys.find("").is_none());
        assert!(!format!("{one:?}").contains(&digest_hex("secret-one")));
        assert!(KeySet::parse("# nothing\n").unwrap().is_empty());
    }

    #[test]
    fn mistakes_name_their_line() {
        let d = digest_hex("k");
        let err = |text: String| KeySet::parse(&text).unwrap_err();
        assert_eq!(err(format!("a:ingest:{d}\nb:ingest\n")).line, 2);
        assert!(err(format!("a:admin:{d}"))
            .reason
            .contains("unknown scope `admin`"));
        assert!(err("a:ingest:abc".into()).reason.contains("64 hex digits"));
        assert!(err(format!("a:ingest:{}", "g".repeat(64)))
            .reason
            .contains("64 hex"));
        assert!(err(format!("a b:ingest:{d}")).reason.contains("key name"));
        let twice = err(format!("a:ingest:{d}\na:status:{d}"));
        assert_eq!((twice.line, twice.reason.contains("used twice")), (2, true));
        assert!(err(format!("a:ingest+:{d}"))
            .reason
            .contains("unknown scope ``"));
    }
}
