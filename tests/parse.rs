//! Integration tests of the NMODL parser: constructs, spans, errors, INCLUDE.

use nmc::diag::{Diagnostic, SourceMap};
use nmc::front::nmodl::ast::*;
use nmc::front::nmodl::{dump::dump, parse::parse};

/// Parses `src` as a file named `name`.
fn parse_named(name: &str, src: &str) -> (SourceMap, Option<Module>, Vec<Diagnostic>) {
    let mut map = SourceMap::new();
    let f = map.add(name, src);
    let (m, d) = parse(&mut map, f);
    (map, m, d)
}

/// Parses `src`, which must parse without diagnostics; returns the dump.
fn ok(src: &str) -> (SourceMap, Module) {
    let (map, m, d) = parse_named("test.mod", src);
    assert!(
        d.is_empty(),
        "unexpected diagnostics: {}",
        nmc::diag::render_human(&map, &d, false)
    );
    let m = m.expect("module");
    (map, m)
}

/// Parses `src`, which must fail; returns the first diagnostic with its line:col.
fn err(src: &str) -> (Diagnostic, usize, usize, String) {
    let (map, m, d) = parse_named("test.mod", src);
    assert!(
        m.is_none() || d.iter().any(|x| x.is_error()),
        "expected an error"
    );
    let first = d.first().cloned().expect("a diagnostic");
    let span = first.primary_span().expect("a span");
    let lc = map.line_col(span.file, span.start as usize);
    let text = nmc::diag::render_human(&map, &d, false);
    (first, lc.line, lc.column, text)
}

/// Parses every .mod file under `/work/realmod` (local only) and reports failures.
#[test]
#[ignore]
fn realmod_corpus() {
    let root = std::env::var("REALMOD").unwrap_or_else(|_| "/work/realmod".to_string());
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "mod") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut fails = 0;
    for p in &files {
        let mut map = SourceMap::new();
        let Ok(f) = nmc::front::nmodl::read_source(&mut map, p) else {
            continue;
        };
        let (m, d) = parse(&mut map, f);
        if m.is_none() || d.iter().any(|x| x.is_error()) {
            fails += 1;
            let first: Vec<Diagnostic> = d.into_iter().take(1).collect();
            println!(
                "FAIL {}\n{}",
                p.display(),
                nmc::diag::render_human(&map, &first, false)
            );
        }
    }
    println!("parsed {}/{} files", files.len() - fails, files.len());
}
