//! Golden Cranelift IR: every model in `models/` and every corpus file in
//! `tests/corpus/` that the pipeline compiles has its CLIF (before
//! optimisation, host calling convention) pinned by a snapshot in
//! `tests/golden/clif/`. Review changes with `cargo insta review`.

use nmc::back::cranelift;
use nmc::diag::SourceMap;
use std::path::Path;

fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The CLIF of `path`, or `None` when the front end or IR passes reject
/// the file (their own tests cover that).
fn clif(path: &Path) -> Option<String> {
    let mut map = SourceMap::new();
    let name = relative(path);
    let outcome = nmc::pipeline::compile_file(&mut map, Path::new(&name));
    if outcome.failed() {
        return None;
    }
    let mech = outcome.mechanism?;
    Some(match cranelift::clif_text(&mech) {
        Ok(text) => text,
        Err(d) => format!("error[{}]: {}\n", d.code, d.message),
    })
}

#[test]
fn model_clif_snapshots() {
    insta::glob!("../models", "*.mod", |path| {
        let text = clif(path).unwrap_or_else(|| panic!("{} does not compile", relative(path)));
        assert!(
            text.contains("function "),
            "{}: no functions",
            relative(path)
        );
        insta::with_settings!({snapshot_path => "golden/clif", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(text);
        });
    });
}

#[test]
fn corpus_clif_snapshots() {
    insta::glob!("corpus", "*.mod", |path| {
        let text = clif(path)
            .unwrap_or_else(|| "not compiled: the pipeline rejects this file\n".to_string());
        insta::with_settings!({snapshot_path => "golden/clif", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(text);
        });
    });
}
