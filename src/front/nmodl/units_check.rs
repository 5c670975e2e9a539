//! Dimension checks of NMODL assignments and equations (stub: being written).

use super::ast::Module;
use super::sema::SymbolTable;
use crate::diag::{Diagnostic, SourceMap};

/// Checks units of every assignment and ODE outside UNITSOFF regions and
/// returns warnings (W05xx) for mismatches, errors (E05xx) for bad units.
pub fn check_units(module: &Module, symbols: &SymbolTable, map: &SourceMap) -> Vec<Diagnostic> {
    let _ = (module, symbols, map);
    Vec::new()
}
