//! `nmc check`: run the front end over files and print diagnostics.
//! `.ndl` files go through the NDL front end (which also compiles the
//! mechanisms they name), `.hoc` files through the hoc front end (every
//! template instantiated with the mechanisms of the nearest `mechanisms`
//! or `models` folder), `.swc` morphologies through the SWC reader,
//! everything else through the NMODL one.

use super::{EXIT_ERRORS, EXIT_OK, Format, inputs};
use crate::diag::{self, Diagnostic, Severity, SourceMap};
use crate::front::{hoc, nmodl};
use std::io::Write;
use std::path::PathBuf;

/// Checks every file, prints diagnostics in `format` and a one-line summary
/// on stderr, and returns the exit status.
pub fn run(paths: &[PathBuf], format: Format, color: bool, deny_warnings: bool) -> i32 {
    let files = inputs::expand(paths, "mod");
    let mut map = SourceMap::new();
    let mut all: Vec<Diagnostic> = Vec::new();
    for path in &files {
        if path.extension().is_some_and(|e| e == "hoc") {
            all.extend(check_hoc(&mut map, path));
        } else if path.extension().is_some_and(|e| e == "swc") {
            all.extend(
                crate::morph::read_swc(&mut map, path)
                    .err()
                    .unwrap_or_default(),
            );
        } else if path.extension().is_some_and(|e| e == "ndl") {
            all.extend(crate::driver::ndl::check_file(&mut map, path).0.diagnostics);
        } else {
            all.extend(nmodl::check_file(&mut map, path).diagnostics);
        }
    }
    let text = match format {
        Format::Human => diag::render_human(&map, &all, color),
        Format::Json => diag::render_json(&map, &all),
    };
    match format {
        Format::Human => {
            let _ = std::io::stderr().write_all(text.as_bytes());
        }
        Format::Json => {
            let _ = std::io::stdout().write_all(text.as_bytes());
        }
    }
    eprintln!("{}", diag::summary_line("checked", files.len(), &all));
    let failed = all.iter().any(|d| {
        d.severity == Severity::Error || (deny_warnings && d.severity == Severity::Warning)
    });
    if failed { EXIT_ERRORS } else { EXIT_OK }
}

/// Parses a `.hoc` file and instantiates each of its templates with the
/// mechanisms of the nearest mechanisms folder and NEURON's built-ins.
fn check_hoc(map: &mut SourceMap, path: &std::path::Path) -> Vec<Diagnostic> {
    let (file, mut diags) = hoc::parse_file(map, path);
    let Some(file) = file else { return diags };
    let folders: Vec<PathBuf> = mechanisms_near(path).into_iter().collect();
    let cat = match crate::driver::library::Library::open(&folders) {
        Ok(c) => c,
        Err(d) => {
            diags.push(d);
            return diags;
        }
    };
    for name in file.template_names() {
        if file.failed.iter().any(|f| f.name.name == name) {
            continue;
        }
        match file.instantiate(map, &name, &cat) {
            Ok((_, w)) => diags.extend(w),
            Err(e) => diags.extend(e),
        }
    }
    diag::sort(&mut diags);
    diags
}

/// The closest `mechanisms/modfiles`, `mechanisms` or `models` folder
/// holding `.mod` files, in the file's folder or up to four above it.
fn mechanisms_near(path: &std::path::Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(path).ok()?;
    for dir in start.ancestors().skip(1).take(5) {
        for sub in ["mechanisms/modfiles", "mechanisms", "models"] {
            let d = dir.join(sub);
            if !inputs::expand(std::slice::from_ref(&d), "mod").is_empty() && d.is_dir() {
                return Some(d);
            }
        }
    }
    None
}
