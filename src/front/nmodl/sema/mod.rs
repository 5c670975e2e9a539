//! Semantic analysis of an NMODL module: the symbol table, name
//! resolution with scopes, and the checks that need to know what names
//! mean.
//!
//! Diagnostic codes:
//! - `E0201` undefined name or function (with a "did you mean" suggestion)
//! - `E0202` a module-level name declared twice
//! - `E0203` a LOCAL or parameter declared twice in one scope
//! - `E0204` assignment to a CONSTANT, UNITS constant or DEFINE
//! - `E0206` `x' = ...` where `x` is not a STATE
//! - `E0207` assignment to a function, procedure or block
//! - `E0209` NONSPECIFIC_CURRENT/ELECTRODE_CURRENT not declared in ASSIGNED
//! - `E0210` a function, procedure or block used as a value
//! - `E0211` a reactant that is not a variable (a function or block)
//! - `E0212` a USEION name that is not a variable of the ion
//! - `E0301` SOLVE of an undefined block or of something not solvable
//! - `E0302` a method that cannot solve that kind of block
//! - `E0303` an unknown method
//! - `E0304` wrong number of arguments
//! - `E0306` a call of something that is not a function
//! - `E0307` a statement in a block where it does not belong: `x' = ...`
//!   outside DERIVATIVE, a reaction outside KINETIC, `~ a = b` or CONSERVE
//!   outside KINETIC/LINEAR/NONLINEAR, TABLE outside FUNCTION/PROCEDURE or
//!   twice in one (the lowering adds a block SOLVEd inside itself)
//! - `E0401` VERBATIM C code (except `VERBATIM return; ENDVERBATIM` in an `if`)
//! - `E0402` a method NEURON accepts but nmc does not implement
//! - `W0201` an ASSIGNED, STATE or LOCAL never used
//! - `W0202` a RANGE or GLOBAL name never declared
//! - `W0203` a STATE that nothing changes
//! - `W0204` assignment to a RANGE PARAMETER in BREAKPOINT, DERIVATIVE or KINETIC
//! - `W0305` a PROCEDURE used as a value (its value is 0, as in NEURON)
//! - `W0205` assignment to a GLOBAL PARAMETER there (shared by all instances)
//! - `W0206` `t` declared in a declaration block (nocmodl refuses it)
//! - `W0207` `x0` of a STATE `x` declared other than as PARAMETER (nocmodl refuses it)
//! - `W0208` a COMPARTMENT name that is not a STATE (ignored, as nocmodl does)

pub mod builtins;
mod calls;
mod declare;
mod resolve;
mod scope;
mod solve;

mod symbols;
mod unused;
pub(crate) mod verbatim;
pub(crate) mod verbatim_calls;

pub use crate::diag::suggest::closest as suggest_closest;
pub use resolve::Usage;
pub use symbols::{IonUse, Symbol, SymbolKind, SymbolTable};

use super::ast::{ItemKind, Module, NeuronStmtKind};
use crate::diag::{Diagnostic, SourceMap};
use std::collections::HashMap;

/// The result of analysing a module.
pub struct Analysis {
    /// Every module-level name (declarations, ion variables, functions, built-ins).
    pub symbols: SymbolTable,
    /// Errors and warnings found, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// How each module-level name is used (read, written) by the file's code.
    pub usage: HashMap<String, Usage>,
}

/// Builds the symbol table and runs all semantic checks.
pub fn analyze(module: &Module, map: &SourceMap) -> Analysis {
    let (symbols, mut diagnostics) = declare::build(module);
    let verbatim_names = verbatim::module_identifiers(module);
    let mut r = resolve::Resolver::new(&symbols, &verbatim_names, map);
    r.artificial_cell = is_artificial_cell(module);
    r.missing_include = module.items.iter().any(|i| {
        matches!(
            i.kind,
            ItemKind::Include {
                resolved: false,
                ..
            }
        )
    });
    for item in &module.items {
        r.item(item);
    }
    diagnostics.append(&mut r.diags);
    let usage = std::mem::take(&mut r.usage);
    diagnostics.extend(unused::check(&symbols, &usage, &verbatim_names));
    crate::diag::sort(&mut diagnostics);
    Analysis {
        symbols,
        diagnostics,
        usage,
    }
}

pub(crate) fn is_artificial_cell(module: &Module) -> bool {
    module.items.iter().any(|i| match &i.kind {
        ItemKind::Neuron(stmts) => stmts
            .iter()
            .any(|s| matches!(s.kind, NeuronStmtKind::ArtificialCell(_))),
        _ => false,
    })
}
