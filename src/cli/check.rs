//! `nmc check`: run the front end over files and print diagnostics.
//! `.ndl` files go through the NDL front end (which also compiles the
//! mechanisms they name), everything else through the NMODL one.

use super::{EXIT_ERRORS, EXIT_OK, Format, inputs};
use crate::diag::{self, Diagnostic, Severity, SourceMap};
use crate::front::nmodl;
use std::io::Write;
use std::path::PathBuf;

/// Checks every file, prints diagnostics in `format` and a one-line summary
/// on stderr, and returns the exit status.
pub fn run(paths: &[PathBuf], format: Format, color: bool, deny_warnings: bool) -> i32 {
    let files = inputs::expand(paths, "mod");
    let mut map = SourceMap::new();
    let mut all: Vec<Diagnostic> = Vec::new();
    for path in &files {
        if path.extension().is_some_and(|e| e == "ndl") {
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
