//! Malformed SWC files (`tests/morph/bad/`): each gets its error code,
//! and the rendered diagnostic names the file and the line of the point
//! at fault.

use std::path::Path;

use nmc::diag::{self, SourceMap};

/// Reads `tests/morph/bad/<name>`, which must fail; returns the codes and
/// the human rendering.
fn errors(name: &str) -> (Vec<&'static str>, String) {
    let path = Path::new("tests/morph/bad").join(name);
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(&path).exists(),
        "fixture {name}"
    );
    let mut map = SourceMap::new();
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(&path);
    let diags = match nmc::morph::read_swc(&mut map, &full) {
        Ok(_) => panic!("{name} is read without error"),
        Err(d) => d,
    };
    let text = diag::render_human(&map, &diags, false);
    (diags.iter().map(|d| d.code).collect(), text)
}

/// `text` points at `file:line:`.
fn at(text: &str, file: &str, line: usize) {
    let want = format!("{file}:{line}:");
    assert!(text.contains(&want), "expected {want} in\n{text}");
}

#[test]
fn cycle() {
    let (codes, text) = errors("cycle.swc");
    assert_eq!(codes, ["E1705"]);
    assert!(text.contains("form a cycle"), "{text}");
    at(&text, "cycle.swc", 4);
}

#[test]
fn orphan_point() {
    let (codes, text) = errors("orphan.swc");
    assert_eq!(codes, ["E1704"]);
    assert!(text.contains("parent 9"), "{text}");
    at(&text, "orphan.swc", 5);
}

#[test]
fn unknown_type() {
    let (codes, text) = errors("unknown_type.swc");
    assert_eq!(codes, ["E1702"]);
    assert!(text.contains("unknown SWC point type 7"), "{text}");
    at(&text, "unknown_type.swc", 4);
}

#[test]
fn zero_size_soma() {
    let (codes, text) = errors("zero_soma.swc");
    assert_eq!(codes, ["E1708"]);
    at(&text, "zero_soma.swc", 2);
    let (codes, text) = errors("flat_soma.swc");
    assert_eq!(codes, ["E1708"]);
    assert!(text.contains("zero length"), "{text}");
    at(&text, "flat_soma.swc", 2);
}

#[test]
fn lines_that_are_not_points() {
    let (codes, text) = errors("bad_line.swc");
    assert_eq!(codes, ["E1701", "E1701"]);
    at(&text, "bad_line.swc", 2);
    at(&text, "bad_line.swc", 3);
    assert!(text.contains("`zero` is not a finite number"), "{text}");
}
