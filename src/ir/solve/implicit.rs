//! `METHOD derivimplicit` (and `STEADYSTATE derivimplicit`), as NEURON 9
//! runs it: the states are saved, then Newton's method
//! ([`super::newton`]) solves the backward-Euler equations
//! `F_k = f_k(x) - (x_k - x_k(t))/dt = 0` in place, evaluating the whole
//! DERIVATIVE block for each residual (so its other statements, e.g.
//! `rates(v)`, run at every evaluation and last at the solution).
//! The steady-state variant is one such step with dt = 1e-9, which is
//! what `_ss_derivimplicit_thread` does.

use crate::ir::{Expr, Place, SharedVar, Stmt};

use super::construct::{Locals, div, l, ld, setl, sub};
use super::newton::{self, Problem};
use super::odes::{collect_odes, distinct_states, replace_odes};
use super::symbolic::map_places_stmts;

/// The explicit statements for a derivimplicit block with time step `dt`
/// (`None`: the simulation's dt).
pub fn emit(body: Vec<Stmt>, dt: Option<f64>, locals: &mut Locals) -> Vec<Stmt> {
    let mut out = Vec::new();
    let dt_expr: Expr = match dt {
        None => super::construct::dt(),
        Some(v) => {
            let id = locals.fresh("_dt");
            out.push(setl(id, Expr::Const(v)));
            l(id)
        }
    };
    let mut body = body;
    if let (Some(_), Expr::Load(Place::Local(id))) = (dt, &dt_expr) {
        let id = *id;
        map_places_stmts(&mut body, &mut |p: &mut Place| {
            if *p == Place::Shared(SharedVar::Dt) {
                *p = Place::Local(id);
            }
        });
    }
    let states = distinct_states(&collect_odes(&body));
    let n = states.len();
    let save = locals.fresh_n("_savstate", n);
    let d = locals.fresh_n("_deriv", n);
    let resid = locals.fresh_n("_resid", n);
    for (k, s) in states.iter().enumerate() {
        out.push(setl(save[k], ld(s)));
    }
    let mut eval = replace_odes(body, &mut |state, rhs, _| match states
        .iter()
        .position(|s| *s == state)
    {
        Some(k) => vec![setl(d[k], rhs)],
        None => Vec::new(),
    });
    for (k, s) in states.iter().enumerate() {
        eval.push(setl(
            resid[k],
            sub(l(d[k]), div(sub(ld(s), l(save[k])), dt_expr.clone())),
        ));
    }
    out.extend(newton::emit(
        Problem {
            unknowns: states,
            eval,
            resid,
        },
        locals,
    ));
    out
}
