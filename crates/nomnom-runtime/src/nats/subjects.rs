//! Subject patterns of the streams, and whether two patterns can match the same subject.

use crate::config::NatsConfig;

/// The main stream's subjects: `<stream lowercased>.ingest.*`.
pub fn ingest_subjects(config: &NatsConfig) -> Vec<String> {
    vec![format!("{}.ingest.*", config.subject_prefix())]
}

/// The dead-letter stream's subjects: `<stream lowercased>.dlq.*`.
pub fn dlq_subjects(config: &NatsConfig) -> Vec<String> {
    vec![format!("{}.dlq.*", config.subject_prefix())]
}

/// Whether subject patterns `a` and `b` (with `*` and `>` wildcards) match a common subject.
pub fn overlap(a: &str, b: &str) -> bool {
    let a: Vec<&str> = a.split('.').collect();
    let b: Vec<&str> = b.split('.').collect();
    let mut i = 0;
    loop {
        match (a.get(i), b.get(i)) {
            (Some(&">"), Some(_)) | (Some(_), Some(&">")) => return true,
            (Some(x), Some(y)) => {
                if x != y && *x != "*" && *y != "*" {
                    return false;
                }
            }
            (None, None) => return true,
            _ => return false,
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps() {
        assert!(overlap("a.ingest.*", "a.ingest.Order"));
        assert!(overlap("a.>", "a.ingest.*"));
        assert!(overlap(">", "x"));
        assert!(!overlap("a.ingest.*", "a.dlq.*"));
        assert!(!overlap("a.ingest.*", "b.ingest.*"));
        assert!(!overlap("a.ingest.*", "a.ingest"));
        assert!(!overlap("a.ingest.*", "a.ingest.x.y"));
    }
}
