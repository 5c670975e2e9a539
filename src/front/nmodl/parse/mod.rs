//! Parsing NMODL text into the AST.
//!
//! The work is split in stages:
//! 1. [`prescan`] walks the raw text once to find structural problems that a
//!    PEG parser reports badly (unclosed `{`, unterminated COMMENT/VERBATIM,
//!    absurd nesting) and reports them precisely.
//! 2. The pest grammar (`grammar/nmodl.pest`) parses the file; failures are
//!    turned into diagnostics by [`syntax_error`].
//! 3. [`tree`] and [`expr`] turn pest pairs into the spanned AST, defensively
//!    (a grammar/builder mismatch becomes diagnostic E0199, never a panic).
//! 4. [`include`] resolves `INCLUDE "file"` and splices the included items.

mod expr;
mod include;
mod prescan;
mod recover;
mod syntax_error;
mod tree;

/// The keyword lists the parser suggests from (editors complete them).
pub use syntax_error::{NEURON_KEYWORDS, STMT_KEYWORDS, TOP_KEYWORDS};

use super::ast::Module;
use crate::diag::{Diagnostic, FileId, SourceMap, Span};
use pest::Parser as _;
use pest_derive::Parser;

/// The pest parser generated from `grammar/nmodl.pest`.
#[derive(Parser)]
#[grammar = "../grammar/nmodl.pest"]
pub struct NmodlParser;

/// Deepest nesting of `(`, `[` and `{` accepted (real files use under 10).
pub(crate) const MAX_NESTING: usize = 48;

/// Deepest INCLUDE chain followed.
pub(crate) const MAX_INCLUDE_DEPTH: usize = 16;

/// Parses the file `file` of `map`, resolving INCLUDEs relative to its path
/// (included files are added to `map`). Returns the module when parsing
/// succeeded (possibly with recoverable diagnostics) and all diagnostics.
pub fn parse(map: &mut SourceMap, file: FileId) -> (Option<Module>, Vec<Diagnostic>) {
    let mut stack = Vec::new();
    parse_nested(map, file, &mut stack)
}

/// Parses one file; `stack` holds the files being included around it (for
/// cycle detection).
pub(crate) fn parse_nested(
    map: &mut SourceMap,
    file: FileId,
    stack: &mut Vec<std::path::PathBuf>,
) -> (Option<Module>, Vec<Diagnostic>) {
    let src = map.source(file).to_string();
    let (module, mut diags) = parse_text(&src, file);
    let Some(mut module) = module else {
        return (None, diags);
    };
    let ok = include::resolve(map, file, &mut module, stack, &mut diags);
    if ok {
        (Some(module), diags)
    } else {
        (None, diags)
    }
}

/// The result of [`parse_recovering`].
pub struct Parsed {
    /// The module: complete, or (after a syntax error) the items that could
    /// still be read.
    pub module: Option<Module>,
    /// All diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// Parts of the file skipped because they did not parse.
    pub skipped: Vec<Span>,
}

/// Like [`parse`], but after a syntax error keeps going: every top-level
/// block that parses on its own is kept, so later passes can still report
/// the file's other problems. `skipped` lists what was left out.
pub fn parse_recovering(map: &mut SourceMap, file: FileId) -> Parsed {
    let (module, diagnostics) = parse(map, file);
    if module.is_some() || !diagnostics.iter().any(|d| d.code.starts_with("E01")) {
        return Parsed {
            module,
            diagnostics,
            skipped: Vec::new(),
        };
    }
    let src = map.source(file).to_string();
    let Some(rec) = recover::recover(&src, file) else {
        return Parsed {
            module,
            diagnostics,
            skipped: Vec::new(),
        };
    };
    let mut diagnostics = diagnostics;
    for e in rec.later_errors {
        // A chunk can fail for the reason already reported (an unterminated
        // VERBATIM seen both from its block and from its own chunk).
        let seen = diagnostics
            .iter()
            .any(|d| d.code == e.code && d.primary_span() == e.primary_span());
        if !seen {
            diagnostics.push(e);
        }
    }
    let mut partial = Module {
        items: rec.items,
        span: Span::new(file, 0, src.len()),
    };
    let mut stack = Vec::new();
    let mut include_diags = Vec::new();
    include::resolve(map, file, &mut partial, &mut stack, &mut include_diags);
    diagnostics.extend(include_diags);
    Parsed {
        module: Some(partial),
        diagnostics,
        skipped: rec.skipped,
    }
}

/// Parses text without resolving INCLUDEs (items stay `resolved: false`).
pub(crate) fn parse_text(src: &str, file: FileId) -> (Option<Module>, Vec<Diagnostic>) {
    parse_strict(src, file)
}

/// Parses the whole text as one module; any syntax error means no module.
pub(crate) fn parse_strict(src: &str, file: FileId) -> (Option<Module>, Vec<Diagnostic>) {
    let pre = prescan::scan(src, file);
    if !pre.is_empty() {
        return (None, pre);
    }
    match NmodlParser::parse(Rule::file, src) {
        Ok(mut pairs) => {
            let Some(top) = pairs.next() else {
                return (
                    None,
                    vec![internal(
                        Span::new(file, 0, 0),
                        "the parser produced no tree",
                    )],
                );
            };
            let mut b = tree::Builder::new(file, src);
            match b.module(top) {
                Ok(m) => {
                    let failed = b.diags.iter().any(Diagnostic::is_error);
                    (if failed { None } else { Some(m) }, b.diags)
                }
                Err(e) => {
                    let mut diags = b.diags;
                    if diags.iter().all(|d| !d.is_error()) {
                        diags.push(e.into_diagnostic());
                    }
                    (None, diags)
                }
            }
        }
        Err(e) => (None, vec![syntax_error::convert(&e, src, file)]),
    }
}

/// Diagnostic E0199: the grammar and the AST builder disagree. A bug in
/// nmc, reported instead of panicking.
pub(crate) fn internal(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error("E0199", format!("internal parser error: {what}"))
        .with_primary(span, "while reading this")
        .with_help("this is a bug in nmc; please report it with this file")
}
