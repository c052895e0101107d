//! `nomnom key <name>`: a new random API key and the line that lets it in, for the API's
//! `API_KEYS_FILE` (`name:scopes:sha256-hex-of-the-key`). The key is printed once and never
//! stored; the file holds only its digest.

use sha2::{Digest, Sha256};

/// Scopes a key may hold.
const SCOPES: [&str; 2] = ["ingest", "status"];

/// A new key for `name` with `scopes` (`ingest`, `status`, joined with `+`): the key and the
/// keys-file line, or why the name or scopes cannot be used.
pub fn new_key(name: &str, scopes: &str) -> Result<(String, String), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(format!(
            "the key name `{name}` must be letters, digits, `.`, `_` or `-`"
        ));
    }
    let mut chosen: Vec<&str> = Vec::new();
    for scope in scopes.split('+').map(str::trim) {
        if !SCOPES.contains(&scope) {
            return Err(format!(
                "unknown scope `{scope}` (scopes: ingest, status, joined with +)"
            ));
        }
        if !chosen.contains(&scope) {
            chosen.push(scope);
        }
    }
    let mut secret = [0u8; 24];
    getrandom::fill(&mut secret).map_err(|e| format!("no randomness from the system: {e}"))?;
    let key = format!("nnk_{}", hex(&secret));
    let line = format!(
        "{name}:{}:{}",
        chosen.join("+"),
        hex(&Sha256::digest(key.as_bytes()))
    );
    Ok((key, line))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_holds_the_digest_of_the_key_and_its_scopes() {
        let (key, line) = new_key("lab-feed", "ingest+status").expect("valid");
        assert!(key.starts_with("nnk_") && key.len() == 52, "{key}");
        let digest = hex(&Sha256::digest(key.as_bytes()));
        assert_eq!(line, format!("lab-feed:ingest+status:{digest}"));
        let (other, _) = new_key("lab-feed", "ingest").expect("valid");
        assert_ne!(key, other, "random each time");
        assert!(new_key("a b", "ingest").unwrap_err().contains("key name"));
        assert!(new_key("a", "admin")
            .unwrap_err()
            .contains("unknown scope `admin`"));
        assert_eq!(
            new_key("a", "status+status").unwrap().1.split(':').nth(1),
            Some("status")
        );
    }
}
