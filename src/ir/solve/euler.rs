//! `METHOD euler`, as scopmath's `euler_thread`: run the block once with
//! every `x' = f` storing f (nothing is updated yet), then `x += dt*f` for
//! every state in order.

use crate::ir::Stmt;

use super::construct::{Locals, add, dt, l, ld, mul, set, setl};
use super::odes::{collect_odes, distinct_states, replace_odes};

/// The explicit statements for an euler block.
pub fn emit(body: Vec<Stmt>, locals: &mut Locals) -> Vec<Stmt> {
    let states = distinct_states(&collect_odes(&body));
    let d = locals.fresh_n("_deriv", states.len());
    let mut out = replace_odes(body, &mut |state, rhs, _| match states
        .iter()
        .position(|s| *s == state)
    {
        Some(k) => vec![setl(d[k], rhs)],
        None => Vec::new(),
    });
    for (k, s) in states.iter().enumerate() {
        out.push(set(s, add(ld(s), mul(dt(), l(d[k])))));
    }
    out
}
