//! KINETIC (placeholder).
use super::{Info, build::Locals};
use crate::diag::Diagnostic;
use crate::ir::Stmt;
/// Placeholder.
pub fn emit(
    body: Vec<Stmt>,
    _steady: bool,
    _l: &mut Locals,
    _i: &Info,
    _d: &mut Vec<Diagnostic>,
) -> Vec<Stmt> {
    body
}
