//! The NMODL front end: pest grammar (`grammar/nmodl.pest`), spanned AST,
//! INCLUDE resolution, name resolution and semantic checks, unit checks.
//!
//! Diagnostic codes by range:
//! - `E00xx` reading files (missing file, INCLUDE not found, not UTF-8)
//! - `E01xx` syntax (the parser, `parse/`):
//!   `E0101` expected X, found Y; `E0102` unclosed `{`; `E0103` COMMENT or
//!   VERBATIM without its END keyword; `E0104` unknown top-level keyword;
//!   `E0105` nesting or expression too deep; `E0106` `}` with nothing to
//!   close; `E0107` unknown NEURON block statement; `E0108` misspelled
//!   statement keyword; `E0109` declaration part given twice; `E0110`
//!   INCLUDE cycle or chain too deep; `E0111` reaction coefficient too
//!   large; `E0199` internal parser error (a bug in nmc)
//! - `E0003` (parser) INCLUDE file not found or unreadable
//! - `E02xx` names and declarations
//! - `E03xx` blocks, SOLVE, methods, calls
//! - `E04xx` constructs nmc does not support (e.g. VERBATIM C)
//! - `E05xx` unit syntax; `W05xx` unit mismatches
//! - `W02xx` suspicious declarations (unused, RANGE never declared)

pub mod ast;
pub mod declared;
pub mod dump;
pub mod known;
pub mod lower;
pub mod parse;
pub mod sema;
pub mod units_check;

use crate::diag::{Diagnostic, SourceMap};
use std::path::Path;

/// Everything learned from checking one `.mod` file.
pub struct Checked {
    /// The syntax tree, when the file parsed.
    pub module: Option<ast::Module>,
    /// Name resolution results, when the file parsed.
    pub analysis: Option<sema::Analysis>,
    /// All diagnostics, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads `path` into `map`, parses it (with its INCLUDEs), and runs the
/// semantic and unit checks. Never panics on any input.
pub fn check_file(map: &mut SourceMap, path: &Path) -> Checked {
    let file = match read_source(map, path) {
        Ok(file) => file,
        Err(d) => {
            return Checked {
                module: None,
                analysis: None,
                diagnostics: vec![d],
            };
        }
    };
    check_loaded(map, file)
}

/// Checks source text that is not on disk (editors, tests); `name` is the
/// path shown in diagnostics and the base for INCLUDE resolution.
pub fn check_source(map: &mut SourceMap, name: &str, text: &str) -> Checked {
    let file = map.add(name, text);
    check_loaded(map, file)
}

/// [`check_source`] of the text as written, also when it is a file nmc
/// recognises ([`known`]) and compiles as its own version: the syntax
/// tree and spans stay those of `text` (editors), so the VERBATIM C of a
/// recognised file is reported as for any other file.
pub fn check_source_as_written(map: &mut SourceMap, name: &str, text: &str) -> Checked {
    let file = map.add(name, text);
    check_parsed(map, file)
}

/// Parses and checks a file already in the map. After a syntax error the
/// blocks that still parse are checked too, so one missing `}` does not hide
/// the file's other problems; findings that the skipped text could explain
/// (a name declared there, a declaration used only there) are dropped.
///
/// A file nmc recognises by its text ([`known`]) is checked as nmc's own
/// version of that mechanism.
fn check_loaded(map: &mut SourceMap, file: crate::diag::FileId) -> Checked {
    let file = match known::recognise(map.source(file)) {
        Some(k) => map.add(k.file, k.text),
        None => file,
    };
    check_parsed(map, file)
}

/// Parses and checks a file in the map as it is.
fn check_parsed(map: &mut SourceMap, file: crate::diag::FileId) -> Checked {
    let parsed = parse::parse_recovering(map, file);
    let mut diagnostics = parsed.diagnostics;
    let mut module = parsed.module;
    if let Some(m) = &mut module {
        sema::verbatim_calls::translate(m);
        diagnostics.extend(sema::verbatim::drop_uncalled_c(m, map));
    }
    let mut analysis = None;
    if let Some(m) = &module {
        let a = sema::analyze(m, map);
        let mut found: Vec<Diagnostic> = a.diagnostics.clone();
        found.extend(units_check::check_units(m, &a.symbols, map));
        if !parsed.skipped.is_empty() {
            let names = names_in(map, &parsed.skipped);
            found.retain(|d| !could_be_cascade(d, map, &names));
        }
        diagnostics.extend(found);
        analysis = Some(a);
    }
    crate::diag::sort(&mut diagnostics);
    Checked {
        module,
        analysis,
        diagnostics,
    }
}

/// Every identifier-like word in the skipped spans.
fn names_in(map: &SourceMap, spans: &[crate::diag::Span]) -> std::collections::HashSet<String> {
    let mut names = std::collections::HashSet::new();
    for span in spans {
        let text = map.text(*span);
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if !word.is_empty() {
                names.insert(word.to_string());
            }
        }
    }
    names
}

/// True for a finding the skipped text may explain: any warning about
/// declarations (their uses may be in the skipped text), or a name error
/// about a name that appears there.
fn could_be_cascade(
    d: &Diagnostic,
    map: &SourceMap,
    skipped_names: &std::collections::HashSet<String>,
) -> bool {
    if d.code.starts_with("W02") {
        return true;
    }
    if d.code.starts_with("E02") || d.code.starts_with("E03") {
        return d
            .labels
            .iter()
            .any(|l| skipped_names.contains(map.text(l.span).trim()));
    }
    false
}

/// Reads a source file into the map, reporting a missing or non-UTF-8 file
/// as a diagnostic (E0001); text that is not UTF-8 is read lossily.
pub fn read_source(map: &mut SourceMap, path: &Path) -> Result<crate::diag::FileId, Diagnostic> {
    let shown = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => Ok(map.add(shown, crate::io::lossy_text(&bytes))),
        Err(e) => Err(
            Diagnostic::error("E0001", format!("cannot read `{shown}`: {e}"))
                .with_help("check the path; `nmc check` takes .mod files"),
        ),
    }
}
