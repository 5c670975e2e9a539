//! `METHOD cnexp`: the exact exponential step nocmodl writes for an ODE
//! linear in its own state. For `x' = f` read as `f = a*x + b` with
//! derivative `de` (see [`super::symbolic::linear_form`]), nocmodl emits
//!
//! ```c
//! x = x + (1. - exp(dt*(de)))*(- ( b ) / ( a ) - x);
//! ```
//!
//! and, when `de` is absent (`x' = b`), `x = x - dt*(- ( b ) )`. For hh's
//! `h' = (hinf - h)/htau` that is
//! `h = h + (1. - exp(dt*(( ( ( - 1.0 ) ) ) / htau)))*(- ( ( ( hinf ) ) / htau ) / ( ( ( ( - 1.0 ) ) ) / htau ) - h)`.
//! The updates replace the ODEs in place, so other statements of the
//! block run where they stand, in order, as in NEURON.

use crate::ir::{Expr, Place, Stmt};

use super::construct::{add, c, div, dt, exp, ld, mul, neg, set, sub};
use super::odes::{collect_odes, replace_odes};
use super::symbolic::{LinearForm, linear_form};

/// The explicit statements for a cnexp block, or the span of the first ODE
/// that is not linear in its state.
pub fn emit(body: Vec<Stmt>) -> Result<Vec<Stmt>, crate::diag::Span> {
    let odes = collect_odes(&body);
    for (state, rhs, span) in &odes {
        if linear_form(rhs, state).is_none() {
            return Err(*span);
        }
    }
    Ok(replace_odes(body, &mut |state, rhs, _| {
        match linear_form(&rhs, &state) {
            Some(form) => vec![update(&state, form)],
            None => Vec::new(), // unreachable: checked above
        }
    }))
}

/// The cnexp update of `state` for its linear form.
pub fn update(state: &Place, form: LinearForm) -> Stmt {
    let x = ld(state);
    let b = form.b.unwrap_or(c(0.0));
    match form.de {
        None => set(state, sub(x, mul(dt(), neg(b)))),
        Some(de) => {
            let a = form.a.unwrap_or(c(0.0));
            let target: Expr = div(neg(b), a);
            set(
                state,
                add(
                    x.clone(),
                    mul(sub(c(1.0), exp(mul(dt(), de))), sub(target, x)),
                ),
            )
        }
    }
}
