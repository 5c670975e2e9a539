//! Expanding command-line paths into the list of source files to read.

use std::path::{Path, PathBuf};

/// Expands directories into the files with extension `ext` they contain
/// (sorted, not recursive); other paths are kept as given so that a missing
/// file is reported by the reader with its name.
pub fn expand(paths: &[PathBuf], ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            out.extend(files_in(p, ext));
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == ext))
            .collect(),
        Err(_) => Vec::new(),
    };
    found.sort();
    found
}
