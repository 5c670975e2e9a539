//! Golden Cranelift IR: every model in `models/` and every corpus file in
//! `tests/corpus/` that the pipeline compiles has its CLIF (before
//! optimisation, host calling convention) pinned by a snapshot in
//! `tests/golden/clif/`, in exact math mode (the C library's `exp`, inline
//! in pair loops with calls for arguments out of its window, calls
//! elsewhere); `na_rtm` is pinned in fast mode too (nmc's inline `exp`).
//! Inline `exp`s embed the address of their table, which differs from run
//! to run: snapshots show a placeholder instead.
//! Review changes with `cargo insta review`.

mod common;
use common::relative;

use nmc::back::cranelift;
use nmc::back::math::MathMode;
use nmc::diag::SourceMap;
use std::path::Path;

/// The CLIF of `path`, or `None` when the front end or IR passes reject
/// the file (their own tests cover that).
fn clif(path: &Path, mode: MathMode) -> Option<String> {
    let mut map = SourceMap::new();
    let name = relative(path);
    let outcome = nmc::driver::pipeline::compile_file(&mut map, Path::new(&name));
    if outcome.failed() {
        return None;
    }
    let mech = outcome.mechanism?;
    Some(match cranelift::clif_text_with(&mech, mode) {
        Ok(text) => without_table_addresses(&text),
        Err(d) => format!("error[{}]: {}\n", d.code, d.message),
    })
}

/// `text` with the addresses of the inline `exp`s' tables replaced by
/// their names.
fn without_table_addresses(text: &str) -> String {
    let imm = |address: i64| cranelift_codegen::ir::immediates::Imm64::new(address).to_string();
    let fast = nmc::back::fast_math::EXP_TABLE.0.as_ptr() as i64;
    let library = nmc::back::libm_exp::TABLE.0.as_ptr() as i64;
    text.replace(&imm(fast), "EXP_TABLE")
        .replace(&imm(library), "LIBRARY_EXP_TABLE")
}

#[test]
fn model_clif_snapshots() {
    let check = |path: &Path| {
        let text = clif(path, MathMode::Exact)
            .unwrap_or_else(|| panic!("{} does not compile", relative(path)));
        assert!(
            text.contains("function "),
            "{}: no functions",
            relative(path)
        );
        insta::with_settings!({snapshot_path => "golden/clif", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(text);
        });
    };
    insta::glob!("../models", "*.mod", check);
    insta::glob!("../builtins", "*.mod", check);
}

#[test]
fn corpus_clif_snapshots() {
    insta::glob!("corpus", "*.mod", |path| {
        let text = clif(path, MathMode::Exact)
            .unwrap_or_else(|| "not compiled: the pipeline rejects this file\n".to_string());
        insta::with_settings!({snapshot_path => "golden/clif", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(text);
        });
    });
}

#[test]
fn fast_math_clif_snapshot() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/na_rtm.mod");
    let text = clif(&path, MathMode::Fast).expect("na_rtm compiles");
    assert!(
        !text.contains("call fn"),
        "fast mode still calls a math function"
    );
    assert!(text.contains("fma"), "no inline exp");
    insta::with_settings!({snapshot_path => "golden/clif", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("na_rtm_fast_math", text);
    });
}
