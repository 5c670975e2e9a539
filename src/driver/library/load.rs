//! Mechanisms compiled for a run: `.mod` files through the whole compiler
//! (front end, IR, solve, JIT) into the [`Mechanisms`] the engine takes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::back::cranelift;
use crate::back::math::MathMode;
use crate::diag::{Diagnostic, SourceMap};
use crate::driver::pipeline;
use crate::ir;
use crate::sim::Mechanisms;

/// The `.mod` files directly inside `dir`, sorted by file name.
pub fn mod_files(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let read = std::fs::read_dir(dir).map_err(|e| {
        Diagnostic::error(
            "E0001",
            format!("cannot read mechanism folder `{}`: {e}", dir.display()),
        )
    })?;
    let mut files: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == "mod") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Compiles every `.mod` file directly inside `dir` (sorted by file
/// name). Any error in any file fails the whole load; every diagnostic is
/// returned.
pub fn load_dir(dir: &Path) -> Result<Mechanisms, Vec<Diagnostic>> {
    load_dir_with(dir, MathMode::default())
}

/// [`load_dir`] with kernels compiled in `mode`.
pub fn load_dir_with(dir: &Path, mode: MathMode) -> Result<Mechanisms, Vec<Diagnostic>> {
    let files = mod_files(dir).map_err(|d| vec![d])?;
    from_files_with(&files, mode)
}

/// Compiles the given `.mod` files, in the given order.
pub fn from_files(files: &[PathBuf]) -> Result<Mechanisms, Vec<Diagnostic>> {
    from_files_with(files, MathMode::default())
}

/// [`from_files`] with kernels compiled in `mode`.
pub fn from_files_with(files: &[PathBuf], mode: MathMode) -> Result<Mechanisms, Vec<Diagnostic>> {
    let mut map = SourceMap::new();
    let mut errors = Vec::new();
    let mut mechs = Vec::new();
    for file in files {
        let outcome = pipeline::compile_file(&mut map, file);
        if outcome.failed() {
            errors.extend(outcome.diagnostics.into_iter().filter(Diagnostic::is_error));
            if errors.is_empty() {
                errors.push(Diagnostic::error(
                    "E0801",
                    format!("`{}` did not compile", file.display()),
                ));
            }
            continue;
        }
        if let Some(m) = outcome.mechanism {
            mechs.push(m);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    from_mechanisms_with(mechs, mode)
}

/// JIT-compiles already lowered and solved mechanisms.
pub fn from_mechanisms(mechs: Vec<ir::Mechanism>) -> Result<Mechanisms, Vec<Diagnostic>> {
    from_mechanisms_with(mechs, MathMode::default())
}

/// [`from_mechanisms`] with kernels compiled in `mode`.
pub fn from_mechanisms_with(
    mechs: Vec<ir::Mechanism>,
    mode: MathMode,
) -> Result<Mechanisms, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut entries = Vec::new();
    for mech in &mechs {
        match cranelift::compile_with(mech, mode) {
            Ok(c) => entries.push(Arc::new(c)),
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Mechanisms::new(entries, mode).map_err(|d| vec![d])
}
