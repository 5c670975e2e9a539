//! Lowering: the checked NMODL syntax tree to the mechanism IR
//! ([`crate::ir::Mechanism`]), following what NEURON 9's nocmodl generates
//! so the numbers match.
//!
//! - `layout`: fields, globals, ions and constants (which name lives where);
//! - `body`: statements and expressions of one body, with LOCAL scopes;
//! - `kernels`: the INITIAL, current, state, NET_RECEIVE and BEFORE/AFTER
//!   kernels with NEURON's copy-in / copy-out of `v` and ion variables;
//! - `consts`: DEFINE, CONSTANT and UNITS constants folded to numbers;
//! - `synth`: functions nocmodl takes from NEURON's library (`nrn_ghk`).
//!
//! Diagnostic codes (all errors; lowering only runs on files the front end
//! accepted):
//! - `E0601` a construct the IR cannot express yet (the message names it)
//! - `E0602` a SOLVE method nmc does not implement
//! - `E0603` a value that must be a constant is not (TABLE WITH, array index)
//! - `E0604` a CONSERVE statement that is not a sum of STATEs
//! - `E0605` a name the lowering cannot place (a bug if the front end passed)
//! - `E0699` internal compiler error (see [`crate::ir::valid`])
//! - `W0601` (warning) CONSTRUCTOR/DESTRUCTOR code, which nmc ignores
//! - `W0602` (warning) a scalar STATE in `COMPARTMENT i, vol {...}` (volume
//!   taken at i = 0)
//!
//! Representation choices other passes must know: EXTERNAL names are
//! [`crate::ir::FieldKind::Pointer`] fields named after the variable they
//! refer to; non-RANGE PARAMETER arrays are per-instance fields; `f_flux`
//! and `b_flux` are locals assigned right after each KINETIC reaction.

mod body;
mod consts;
mod kernels;
mod layout;
mod synth;

use crate::diag::{Diagnostic, Span};
use crate::front::nmodl::ast;
use crate::front::nmodl::sema::Analysis;
use crate::ir::Mechanism;

/// Code: a construct the IR cannot express yet.
pub const E_UNSUPPORTED: &str = "E0601";
/// Code: a SOLVE method nmc does not implement.
pub const E_METHOD: &str = "E0602";
/// Code: a value that must be a compile-time constant is not.
pub const E_NOT_CONST: &str = "E0603";
/// Code: a CONSERVE statement that is not a sum of STATEs.
pub const E_CONSERVE: &str = "E0604";
/// Code: a name the lowering cannot place.
pub const E_NAME: &str = "E0605";
/// Code (warning): code nmc ignores (CONSTRUCTOR/DESTRUCTOR bodies).
pub const W_IGNORED: &str = "W0601";
/// Code (warning): a scalar STATE listed in an indexed COMPARTMENT.
pub const W_SCALAR_COMPARTMENT: &str = "W0602";

/// Lowers a module the front end accepted (never panics on any input).
pub fn lower(module: &ast::Module, analysis: &Analysis) -> Lowered {
    let mut cx = layout::Context::new(module, &analysis.symbols);
    cx.build_layout();
    kernels::build(&mut cx);
    let mut diagnostics = cx.diags;
    let mechanism = diagnostics.is_empty().then_some(cx.mech);
    diagnostics.extend(cx.diags_warn);
    crate::diag::sort(&mut diagnostics);
    // A body lowered twice (BREAKPOINT's currents at v and v + 0.001)
    // reports its problems twice; say each once.
    diagnostics.dedup();
    Lowered {
        mechanism,
        diagnostics,
    }
}

/// The result of lowering: the mechanism unless an error was found, and
/// every diagnostic (warnings too).
pub struct Lowered {
    /// The mechanism, when lowering found no error.
    pub mechanism: Option<Mechanism>,
    /// Errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// An error diagnostic with one primary label.
pub(crate) fn error(code: &'static str, span: Span, message: String, label: &str) -> Diagnostic {
    Diagnostic::error(code, message).with_primary(span, label.to_string())
}
