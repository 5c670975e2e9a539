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

/// Dev helper: `DUMP=file.mod cargo test --test parse dump_env -- --ignored --nocapture`.
#[test]
#[ignore]
fn dump_env() {
    let Ok(path) = std::env::var("DUMP") else {
        return;
    };
    let mut map = SourceMap::new();
    let Ok(f) = nmc::front::nmodl::read_source(&mut map, std::path::Path::new(&path)) else {
        return;
    };
    let (m, d) = parse(&mut map, f);
    print!("{}", nmc::diag::render_human(&map, &d, false));
    if let Some(m) = m {
        print!("{}", dump(&m, &map));
    }
}

/// All `.mod` files directly in `dir` (relative to the crate root), sorted.
fn mod_files(dir: &str) -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut v: Vec<_> = std::fs::read_dir(root)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "mod"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Parses a file from disk; returns the module and diagnostics.
fn parse_path(p: &std::path::Path) -> (SourceMap, Option<Module>, Vec<Diagnostic>) {
    let mut map = SourceMap::new();
    let Ok(f) = nmc::front::nmodl::read_source(&mut map, p) else {
        panic!("cannot read {}", p.display());
    };
    let (m, d) = parse(&mut map, f);
    (map, m, d)
}

#[test]
fn shipped_models_and_corpus_parse() {
    let mut files = mod_files("models");
    files.extend(mod_files("tests/corpus"));
    for p in &files {
        let (map, m, d) = parse_path(p);
        assert!(
            m.is_some() && d.is_empty(),
            "{} failed:\n{}",
            p.display(),
            nmc::diag::render_human(&map, &d, false)
        );
    }
}

/// Timing: `cargo test --release --test parse parse_speed -- --ignored --nocapture`.
#[test]
#[ignore]
fn parse_speed() {
    let mut files = mod_files("models");
    files.extend(mod_files("tests/corpus"));
    let texts: Vec<(String, String)> = files
        .iter()
        .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(p).ok()?)))
        .collect();
    let t = std::time::Instant::now();
    for (name, text) in &texts {
        let (_, m, _) = parse_named(name, text);
        assert!(m.is_some(), "{name}");
    }
    println!("parsed {} files in {:?}", texts.len(), t.elapsed());
}

/// Runs `f` on a thread with the default test stack (2 MiB).
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic or overflow");
}

#[test]
fn adversarial_inputs_do_not_overflow() {
    on_small_stack(|| {
        let deep_parens = format!(
            "BREAKPOINT {{ x = {}1{} }}",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        let (d, _, _, _) = err(&deep_parens);
        assert_eq!(d.code, "E0105");

        let long_sum = format!("BREAKPOINT {{ x = 1{} }}", "+1".repeat(20000));
        let (d, _, _, _) = err(&long_sum);
        assert_eq!(d.code, "E0105");

        let pow_chain = format!("BREAKPOINT {{ x = 2{} }}", "^2".repeat(20000));
        let (d, _, _, _) = err(&pow_chain);
        assert_eq!(d.code, "E0105");

        let negs = format!("BREAKPOINT {{ x = {}1 }}", "-".repeat(20000));
        let (d, _, _, _) = err(&negs);
        assert_eq!(d.code, "E0105");

        let blocks = format!("BREAKPOINT {}{}", "{".repeat(3000), "}".repeat(3000));
        let (d, _, _, _) = err(&blocks);
        assert_eq!(d.code, "E0105");
    });
}
