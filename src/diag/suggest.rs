//! "Did you mean `x`?" by edit distance, shared by every language nmc reads.

/// Levenshtein distance between two names, counted in characters (only the
/// first 64 characters of each are compared, so long inputs stay cheap).
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().take(64).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().take(64).enumerate() {
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
        if best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `a`, `a or b`, `a, b or c`, each name in backticks.
pub fn one_of(names: &[&str]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match q.len() {
        0 => "nothing".into(),
        1 => q[0].clone(),
        n => format!("{} or {}", q[..n - 1].join(", "), q[n - 1]),
    }
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

    #[test]
    fn lists() {
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
        assert_eq!(one_of(&["a"]), "`a`");
    }
}
