//! The registry of diagnostic codes (`nmc explain`) is complete: every
//! code named anywhere in `src/` is in it with a title and an
//! explanation, no code is registered twice, and every registered code is
//! still used.

use nmc::diag::codes::{CODES, lookup};
use std::collections::BTreeSet;
use std::path::Path;

/// Every `E`/`W`/`N` + four digits code in the Rust sources under `dir`
/// (string literals and doc comments alike), the registry itself left out.
fn codes_in(dir: &Path, found: &mut BTreeSet<String>) {
    let re = regex::Regex::new(r"\b[EWN][0-9]{4}\b").expect("regex");
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            codes_in(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("diag/codes.rs") {
            let text = std::fs::read_to_string(&path).expect("read source");
            found.extend(re.find_iter(&text).map(|m| m.as_str().to_string()));
        }
    }
}

fn used() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    codes_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    found
}

#[test]
fn every_code_in_src_is_registered_with_an_explanation() {
    let used = used();
    assert!(used.len() > 100, "only {} codes found", used.len());
    let missing: Vec<&String> = used.iter().filter(|c| lookup(c).is_none()).collect();
    assert!(
        missing.is_empty(),
        "codes missing from src/diag/codes.rs: {missing:?}"
    );
    for c in CODES {
        assert!(c.title.len() >= 5, "{}: no title", c.code);
        assert!(
            c.explanation.split_whitespace().count() >= 12,
            "{}: explanation too short",
            c.code
        );
    }
}

#[test]
fn registry_has_each_code_once_and_only_codes_in_use() {
    let mut seen = BTreeSet::new();
    for c in CODES {
        assert!(seen.insert(c.code), "{} registered twice", c.code);
        assert_eq!(c.code.len(), 5, "{}", c.code);
    }
    let used = used();
    let stale: Vec<&str> = CODES
        .iter()
        .map(|c| c.code)
        .filter(|c| !used.contains(*c))
        .collect();
    assert!(
        stale.is_empty(),
        "registered but used nowhere in src/: {stale:?}"
    );
    assert_eq!(lookup("e0201").map(|c| c.code), Some("E0201"));
    assert_eq!(lookup("E9999"), None);
}
