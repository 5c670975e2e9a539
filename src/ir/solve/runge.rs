//! `METHOD runge`, as scopmath's `runge`: the classical fourth-order
//! Runge-Kutta step, with scopmath's order of operations so the numbers
//! are NEURON's. The block runs four times; each run stores the
//! derivatives `x' = f` (nothing updated yet), then the states move:
//!
//! ```text
//! run at t:        w = x; h = (dt/2)*f; x += h;       s = w + h/3
//! run at t+dt/2:   h = dt*f;            x = w + h/2;  s += h/3
//! run at t+dt/2:   h = dt*f;            x = w + h;    s += h/3
//! run at t+dt:     x = s + (dt/6)*f
//! ```
//!
//! scopmath moves the time itself between the runs (`t += dt/2`, and back
//! by `dt` at the end); nmc gives the runs the shifted time as a local, so
//! the block's own reads of `t` see what NEURON's do (FUNCTIONs it calls
//! read the step's `t`).

use crate::ir::{Expr, Place, SharedVar, Stmt};

use super::construct::{Locals, add, c, div, dt, l, ld, mul, set, setl};
use super::odes::{collect_odes, distinct_states, replace_odes};
use super::symbolic::{map_exprs_stmts, substitute};

/// The explicit statements for a runge block.
pub fn emit(body: Vec<Stmt>, locals: &mut Locals) -> Vec<Stmt> {
    let states = distinct_states(&collect_odes(&body));
    let n = states.len();
    let d = locals.fresh_n("_deriv", n);
    let w = locals.fresh_n("_rk_start", n);
    let s = locals.fresh_n("_rk_sum", n);
    let h = locals.fresh("_rk_step");
    let t_mid = locals.fresh("_rk_tmid");
    let t_end = locals.fresh("_rk_tend");
    let run = |t: Option<Expr>| {
        let mut out = replace_odes(body.clone(), &mut |state, rhs, _| match states
            .iter()
            .position(|x| *x == state)
        {
            Some(k) => vec![setl(d[k], rhs)],
            None => Vec::new(),
        });
        if let Some(t) = t {
            let now = Place::Shared(SharedVar::T);
            map_exprs_stmts(&mut out, &mut |e| *e = substitute(e, &now, &t));
        }
        out
    };
    let time = || ld(&Place::Shared(SharedVar::T));
    let mut out = run(None);
    for (k, x) in states.iter().enumerate() {
        out.push(setl(w[k], ld(x)));
        out.push(setl(h, mul(div(dt(), c(2.0)), l(d[k]))));
        out.push(set(x, add(ld(x), l(h))));
        out.push(setl(s[k], add(l(w[k]), div(l(h), c(3.0)))));
    }
    out.push(setl(t_mid, add(time(), div(dt(), c(2.0)))));
    out.extend(run(Some(l(t_mid))));
    for (k, x) in states.iter().enumerate() {
        out.push(setl(h, mul(dt(), l(d[k]))));
        out.push(set(x, add(l(w[k]), div(l(h), c(2.0)))));
        out.push(setl(s[k], add(l(s[k]), div(l(h), c(3.0)))));
    }
    out.extend(run(Some(l(t_mid))));
    for (k, x) in states.iter().enumerate() {
        out.push(setl(h, mul(dt(), l(d[k]))));
        out.push(set(x, add(l(w[k]), l(h))));
        out.push(setl(s[k], add(l(s[k]), div(l(h), c(3.0)))));
    }
    out.push(setl(t_end, add(l(t_mid), div(dt(), c(2.0)))));
    out.extend(run(Some(l(t_end))));
    for (k, x) in states.iter().enumerate() {
        out.push(set(x, add(l(s[k]), mul(div(dt(), c(6.0)), l(d[k])))));
    }
    out
}
