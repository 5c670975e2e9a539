//! Newton's method in IR, step for step as scopmath's `nrn_newton_thread`:
//! a Jacobian by central differences (increment max(|0.02 x|, 1e-6)),
//! rebuilt only while the relative change exceeds 0.05, Crout LU, and
//! convergence when the largest relative change is <= 1e-6 and the largest
//! residual <= 1e-8, at most 50 iterations.
//!
//! NEURON calls the residual function (the block's body) from inside the
//! Jacobian loop; here the body appears once, inside a `while` loop, and a
//! small state machine (`mode`) decides after each evaluation what NEURON
//! would do next. The unknowns are updated in place, as in NEURON.

use crate::ir::{LocalId, Place, Stmt};

use super::construct::{
    Locals, add, and, branch, c, div, eq, fabs, fmax, ge, gt, l, ld, le, mul, neg, set, setl, sub,
    when,
};
use super::dense::Dense;

/// Largest relative change accepted as converged (scopmath CONVERGE).
pub const CONVERGE: f64 = 1e-6;
/// Largest residual accepted as converged (scopmath ZERO).
pub const ZERO: f64 = 1e-8;
/// Smallest finite-difference increment (scopmath STEP).
pub const STEP: f64 = 1e-6;
/// Relative change above which the Jacobian is rebuilt (scopmath MAXCHANGE).
pub const MAXCHANGE: f64 = 0.05;
/// Iteration limit (scopmath MAXITERS).
pub const MAXITERS: f64 = 50.0;

/// A system F(x) = 0 for Newton's method.
pub struct Problem {
    /// The unknowns, updated in place.
    pub unknowns: Vec<Place>,
    /// Statements evaluating the residuals at the current unknowns.
    pub eval: Vec<Stmt>,
    /// Locals holding the residuals after `eval`.
    pub resid: Vec<LocalId>,
}

/// Statements that solve `p` by Newton's method (on exit the unknowns hold
/// the solution and `eval` has last run at it).
pub fn emit(p: Problem, locals: &mut Locals) -> Vec<Stmt> {
    let n = p.unknowns.len();
    let x = &p.unknowns;
    if n == 0 {
        return p.eval;
    }
    let mode = locals.fresh("_nt_mode");
    let count = locals.fresh("_nt_count");
    let change = locals.fresh("_nt_change");
    let done = locals.fresh("_nt_done");
    let need_solve = locals.fresh("_nt_solve");
    let maxdev = locals.fresh("_nt_maxdev");
    let tmp = locals.fresh("_nt_tmp");
    let inc = locals.fresh_n("_nt_inc", n);
    let high = locals.fresh_n("_nt_high", n);
    let value = locals.fresh_n("_nt_value", n);
    let delta = locals.fresh_n("_nt_delta", n);
    let jac: Vec<Vec<LocalId>> = (0..n)
        .map(|i| locals.fresh_n(&format!("_nt_jac{i}_"), n))
        .collect();
    let dense = Dense::new(locals, n);
    let f = &p.resid;

    let perturb = |j: usize| -> Vec<Stmt> {
        vec![
            setl(inc[j], fmax(fabs(mul(c(0.02), ld(&x[j]))), c(STEP))),
            set(&x[j], add(ld(&x[j]), l(inc[j]))),
            setl(mode, c((3 * j + 1) as f64)),
        ]
    };

    // After the Jacobian: negate the values, factor; then solve (below).
    let mut after_jac: Vec<Stmt> = (0..n).map(|i| setl(value[i], neg(l(value[i])))).collect();
    after_jac.extend(dense.factor(&|i, j| l(jac[i][j])));
    after_jac.push(branch(
        eq(l(dense.singular), c(1.0)),
        vec![setl(done, c(1.0))],
        vec![setl(need_solve, c(1.0))],
    ));

    // mode 0: just evaluated after an update.
    let mut on_update: Vec<Stmt> = vec![setl(maxdev, c(0.0))];
    for i in 0..n {
        on_update.push(setl(value[i], neg(l(f[i]))));
        on_update.push(setl(tmp, fabs(l(value[i]))));
        on_update.push(when(gt(l(tmp), l(maxdev)), vec![setl(maxdev, l(tmp))]));
    }
    let mut next_iter = vec![setl(count, add(l(count), c(1.0)))];
    next_iter.push(branch(
        gt(l(change), c(MAXCHANGE)),
        perturb(0),
        vec![setl(need_solve, c(1.0))],
    ));
    on_update.push(branch(
        and(le(l(change), c(CONVERGE)), le(l(maxdev), c(ZERO))),
        vec![setl(done, c(1.0))],
        vec![branch(
            ge(l(count), c(MAXITERS)),
            vec![setl(done, c(1.0))],
            next_iter,
        )],
    ));

    // The dispatch chain, built from the last mode backwards.
    let mut chain = on_update;
    for j in (0..n).rev() {
        let r_mode: Vec<Stmt> = {
            let mut s: Vec<Stmt> = (0..n).map(|i| setl(value[i], l(f[i]))).collect();
            if j + 1 < n {
                s.extend(perturb(j + 1));
            } else {
                s.extend(after_jac.clone());
            }
            s
        };
        let m_mode: Vec<Stmt> = {
            let mut s: Vec<Stmt> = (0..n)
                .map(|i| {
                    setl(
                        jac[i][j],
                        div(sub(l(high[i]), l(f[i])), mul(c(2.0), l(inc[j]))),
                    )
                })
                .collect();
            s.push(set(&x[j], add(ld(&x[j]), l(inc[j]))));
            s.push(setl(mode, c((3 * j + 3) as f64)));
            s
        };
        let p_mode: Vec<Stmt> = {
            let mut s: Vec<Stmt> = (0..n).map(|i| setl(high[i], l(f[i]))).collect();
            s.push(set(&x[j], sub(ld(&x[j]), mul(c(2.0), l(inc[j])))));
            s.push(setl(mode, c((3 * j + 2) as f64)));
            s
        };
        chain = vec![branch(
            eq(l(mode), c((3 * j + 3) as f64)),
            r_mode,
            vec![branch(
                eq(l(mode), c((3 * j + 2) as f64)),
                m_mode,
                vec![branch(eq(l(mode), c((3 * j + 1) as f64)), p_mode, chain)],
            )],
        )];
    }

    // Solve with the current values, update the unknowns, measure the change.
    let mut solve = vec![setl(need_solve, c(0.0))];
    let vals: Vec<_> = value.iter().map(|&v| l(v)).collect();
    solve.extend(dense.solve(&vals, &delta));
    solve.push(setl(change, c(0.0)));
    for i in 0..n {
        solve.push(when(
            gt(fabs(ld(&x[i])), c(ZERO)),
            vec![
                setl(tmp, fabs(div(l(delta[i]), ld(&x[i])))),
                when(gt(l(tmp), l(change)), vec![setl(change, l(tmp))]),
            ],
        ));
        solve.push(set(&x[i], add(ld(&x[i]), l(delta[i]))));
    }
    solve.push(setl(mode, c(0.0)));

    let mut body = p.eval;
    body.extend(chain);
    body.push(when(eq(l(need_solve), c(1.0)), solve));

    let mut out = vec![
        setl(count, c(1.0)),
        setl(change, c(1.0)),
        setl(done, c(0.0)),
        setl(need_solve, c(0.0)),
    ];
    out.extend(perturb(0));
    out.push(Stmt::While {
        cond: eq(l(done), c(0.0)),
        body,
    });
    out
}
