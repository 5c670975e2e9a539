//! Helpers the integration tests share: paths in the repository, the
//! `.mod` files of a folder, IR expression builders.
//!
//! Each test file that needs them says `mod common;`; not every file uses
//! every helper.
#![allow(dead_code)]

use nmc::ir::{BinOp, Expr};
use std::path::{Path, PathBuf};

/// `p` inside the repository.
pub fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// `path` relative to the repository (as snapshots name their inputs).
pub fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Every `.mod` file directly in `dir` (relative to the repository),
/// sorted. A missing or empty folder fails the test: data a test needs is
/// never skipped silently.
pub fn mod_files(dir: &str) -> Vec<PathBuf> {
    let root = repo(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mod"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .mod files in {}", root.display());
    files
}

/// `a op b`.
pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}

/// The project's `models/` with NEURON's built-ins, every mechanism
/// compiled in `mode` (as a run sees them, in NEURON's order).
pub fn models_library(mode: nmc::back::math::MathMode) -> nmc::sim::Mechanisms {
    nmc::driver::library::Library::open(&[repo("models")])
        .unwrap_or_else(|d| panic!("{}", d.message))
        .all(mode)
        .unwrap_or_else(|d| panic!("models/ and the built-ins compile: {d:?}"))
}
