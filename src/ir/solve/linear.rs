//! LINEAR/NONLINEAR (placeholder).
use super::{Info, build::Locals};
use crate::diag::{Diagnostic, Span};
use crate::ir::Stmt;
/// Placeholder.
pub fn emit_linear(
    body: Vec<Stmt>,
    _s: Span,
    _l: &mut Locals,
    _i: &Info,
    _d: &mut Vec<Diagnostic>,
) -> Vec<Stmt> {
    body
}
/// Placeholder.
pub fn emit_nonlinear(
    body: Vec<Stmt>,
    _s: Span,
    _l: &mut Locals,
    _i: &Info,
    _d: &mut Vec<Diagnostic>,
) -> Vec<Stmt> {
    body
}
