//! "Did you mean `x`?" suggestions by edit distance.

/// Levenshtein distance between two names, counted in characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a likely
/// typo: within a third of the name's length (at least 1, at most 3).
/// A candidate differing only in case always qualifies. Ties go to the
/// alphabetically first candidate, so output is stable.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let d = if c.to_lowercase() == lower {
            0
        } else {
            distance(name, c)
        };
        if d > limit {
            continue;
        }
        let better = match best {
            None => true,
            Some((bd, bc)) => d < bd || (d == bd && c < bc),
        };
        if better {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("gnabar", "gnabar"), 0);
        assert_eq!(distance("gnabr", "gnabar"), 1);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn picks_nearest() {
        let c = ["gnabar", "gkbar", "gl"];
        assert_eq!(closest("gnabr", c), Some("gnabar"));
        assert_eq!(closest("xyz", c), None);
        assert_eq!(closest("GL", c), Some("gl"));
    }
}
