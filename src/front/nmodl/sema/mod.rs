//! Semantic analysis of an NMODL module: symbol table and checks
//! (stub: being written).

mod symbols;

pub use symbols::{Symbol, SymbolKind, SymbolTable};

use super::ast::Module;
use crate::diag::{Diagnostic, SourceMap};

/// The result of analysing a module.
pub struct Analysis {
    /// Every module-level name (declarations, ion variables, functions, built-ins).
    pub symbols: SymbolTable,
    /// Errors and warnings found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Builds the symbol table and runs all semantic checks.
pub fn analyze(module: &Module, map: &SourceMap) -> Analysis {
    let _ = (module, map);
    Analysis {
        symbols: SymbolTable::default(),
        diagnostics: Vec::new(),
    }
}
