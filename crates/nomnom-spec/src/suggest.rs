//! "Did you mean …?": the nearest known name to a misspelt one.

/// Edit distance (insertions, deletions, substitutions; adjacent swaps count as one).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[n][m]
}

/// The candidate nearest to `word` (case-insensitively), if it is close enough to be a
/// plausible typo. Ties go to the earliest candidate.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let limit = match word.chars().count() {
        0..=3 => 1,
        4..=8 => 2,
        n => n / 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = distance(&lower, &c.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos() {
        assert_eq!(
            nearest("nulable", ["type", "nullable", "doc"]),
            Some("nullable")
        );
        assert_eq!(nearest("strng", ["string", "integer"]), Some("string"));
        assert_eq!(nearest("intger", ["string", "integer"]), Some("integer"));
        assert_eq!(nearest("fields", ["field"]), Some("field"));
        assert_eq!(nearest("xyz", ["type", "nullable"]), None);
        assert_eq!(distance("ab", "ba"), 1);
    }
}
