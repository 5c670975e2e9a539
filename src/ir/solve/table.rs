//! TABLE (placeholder).
use crate::diag::Diagnostic;
use crate::ir::Mechanism;
/// Placeholder.
pub fn lower(_m: &mut Mechanism, _d: &mut Vec<Diagnostic>) {}
