//! Golden IR: every model in `models/` and every file in `tests/corpus/`
//! compiles through the pipeline (front end, lowering, solve pass), and
//! its printed IR is pinned in `tests/golden/ir/`. Review changes with
//! `cargo insta review`.

mod common;
use common::relative;

use nmc::diag::SourceMap;
use nmc::driver::pipeline;
use std::path::Path;

fn snapshot(path: &Path) {
    let mut map = SourceMap::new();
    let name = relative(path);
    let outcome = pipeline::compile_file(&mut map, Path::new(&name));
    let errors: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{name} did not compile: {errors:?}");
    let mech = outcome
        .mechanism
        .unwrap_or_else(|| panic!("{name}: no mechanism"));
    let ir = nmc::ir::print::print(&mech);
    insta::with_settings!({snapshot_path => "golden/ir", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(ir);
    });
}

#[test]
fn model_ir_snapshots() {
    insta::glob!("../models", "*.mod", snapshot);
    insta::glob!("../builtins", "*.mod", snapshot);
}

#[test]
fn corpus_ir_snapshots() {
    insta::glob!("corpus", "*.mod", snapshot);
}

fn ir_of(path: &str) -> String {
    let mut map = SourceMap::new();
    let outcome = pipeline::compile_file(&mut map, Path::new(path));
    assert!(
        outcome.diagnostics.iter().all(|d| !d.is_error()),
        "{path}: {:?}",
        outcome.diagnostics
    );
    let mech = outcome
        .mechanism
        .unwrap_or_else(|| panic!("{path}: no mechanism"));
    nmc::ir::print::print(&mech)
}

/// VERBATIM blocks that only call NEURON's random-number library
/// (`set_seed`, `normrand`, `scop_random`, `exprand`) compile to exactly
/// the IR of the same calls written in NMODL.
#[test]
fn verbatim_random_calls_compile_as_their_nmodl() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let c = ir_of(
        &root
            .join("tests/corpus/verbatim_random_calls.mod")
            .to_string_lossy(),
    );
    let nmodl = ir_of(
        &root
            .join("tests/verbatim/random_calls_nmodl.mod")
            .to_string_lossy(),
    );
    assert!(
        c.contains("normrand(m, s)") && c.contains("set_seed(s)"),
        "{c}"
    );
    assert_eq!(c, nmodl);
}
