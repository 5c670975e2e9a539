//! Helpers shared by the DERIVATIVE-block methods: finding the ODEs of a
//! block (in source order, also inside `if`/`while`) and rewriting them.

use crate::diag::Span;
use crate::ir::{Expr, Place, Stmt};

/// Rewrites every `Ode` in `stmts` (recursively) with `f(state, rhs, span)`.
pub fn replace_odes(
    stmts: Vec<Stmt>,
    f: &mut dyn FnMut(Place, Expr, Span) -> Vec<Stmt>,
) -> Vec<Stmt> {
    let mut out = Vec::with_capacity(stmts.len());
    for s in stmts {
        match s {
            Stmt::Ode { state, rhs, span } => out.extend(f(state, rhs, span)),
            Stmt::If {
                cond,
                then,
                otherwise,
            } => out.push(Stmt::If {
                cond,
                then: replace_odes(then, f),
                otherwise: replace_odes(otherwise, f),
            }),
            Stmt::While { cond, body } => out.push(Stmt::While {
                cond,
                body: replace_odes(body, f),
            }),
            other => out.push(other),
        }
    }
    out
}

/// Every ODE `(state, rhs, span)` of `stmts`, in source order.
pub fn collect_odes(stmts: &[Stmt]) -> Vec<(Place, Expr, Span)> {
    let mut out = Vec::new();
    fn walk(stmts: &[Stmt], out: &mut Vec<(Place, Expr, Span)>) {
        for s in stmts {
            match s {
                Stmt::Ode { state, rhs, span } => out.push((state.clone(), rhs.clone(), *span)),
                Stmt::If {
                    then, otherwise, ..
                } => {
                    walk(then, out);
                    walk(otherwise, out);
                }
                Stmt::While { body, .. } => walk(body, out),
                _ => {}
            }
        }
    }
    walk(stmts, &mut out);
    out
}

/// The distinct states of `odes`, in order of first appearance.
pub fn distinct_states(odes: &[(Place, Expr, Span)]) -> Vec<Place> {
    let mut states: Vec<Place> = Vec::new();
    for (s, _, _) in odes {
        if !states.contains(s) {
            states.push(s.clone());
        }
    }
    states
}
