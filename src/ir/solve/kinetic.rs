//! KINETIC blocks with `METHOD sparse` and `STEADYSTATE sparse`, as nocmodl
//! (`kinetic_implicit`, `genderivterms`, `genmatterms`,
//! `genconservterms`) and scopmath (`sparse_thread`, `_ss_sparse_thread`)
//! do it.
//!
//! Each Newton pass runs the block once, building the backward-Euler system
//! `M dx = R` as it goes: at the block start, for every unconserved state,
//! `R = -(1/dt)*(x - x_old)` and `M_ii = 1/dt`, both scaled by the
//! COMPARTMENT volume; at each reaction `f_flux = kf*lhs...`,
//! `b_flux = kb*rhs...`, `R -= n*(f_flux - b_flux)` on the left states and
//! `+=` on the right, and the analytic Jacobian terms; a flux `~ x << (f)`
//! adds `f` to R; a CONSERVE replaces the row of one of its states by the
//! constraint (the last state of the sum not already taken, CONSERVEs taken
//! from last to first, as nocmodl numbers them). After the solve
//! `x += dx`, clamping negative states to 0 for nonlinear schemes, until
//! sum |dx| <= 1e-6 (a linear scheme takes one pass); the block then runs
//! once more at the solution. As in nocmodl, reaction terms are multiplied
//! in reverse source order.
//!
//! The steady state uses dt = 1e9: a linear scheme iterates to convergence
//! with clamping; a nonlinear one takes up to 7 single Newton passes,
//! resetting states below -1e-6 to 0, until a pass leaves none, then
//! iterates to convergence.
//!
//! A matrix of up to [`DENSE_MAX`] unknowns is solved densely (Crout with
//! partial pivoting) rather than by NEURON's sparse elimination order, so
//! results agree to rounding. A larger one (diffusion over many shells) is
//! eliminated sparsely in an order planned from its pattern ([`Sparse`]),
//! as NEURON's sparse solver does: the unrolled dense solver grows as n^3
//! and would take tens of seconds to compile at 30 states.

use std::collections::HashMap;

use crate::diag::{Diagnostic, Span};
use crate::ir::{Expr, FieldKind, LocalId, Place, Reaction, SharedVar, Stmt};

use super::Info;
use super::construct::{
    Locals, add, and, branch, c, div, eq, fabs, gt, l, ld, le, lt, mul, set, setl, sub, when,
};
use super::dense::Dense;
use super::sparse::{Sparse, written_pattern};
use super::symbolic::map_places_stmts;

/// Convergence bound on sum |dx| (scopmath CONVERGE).
const CONVERGE: f64 = 1e-6;
/// Newton pass limit (scopmath MAXSTEPS).
const MAXSTEPS: f64 = 20.0;
/// The steady-state time step of `_ss_sparse_thread`.
const SS_DT: f64 = 1e9;
/// Largest scheme solved by the unrolled dense solver; larger ones use the
/// planned sparse elimination.
pub const DENSE_MAX: usize = 12;

/// The linear solver of one scheme.
enum Solver {
    Dense(Dense),
    Sparse(Sparse),
}

impl Solver {
    fn singular(&self) -> LocalId {
        match self {
            Solver::Dense(d) => d.singular,
            Solver::Sparse(s) => s.singular,
        }
    }

    fn factor(&self, m: &[Vec<LocalId>]) -> Vec<Stmt> {
        match self {
            Solver::Dense(d) => d.factor(&|i, j| l(m[i][j])),
            Solver::Sparse(s) => s.factor(),
        }
    }

    fn solve(&self, b: &[Expr], x: &[LocalId]) -> Vec<Stmt> {
        match self {
            Solver::Dense(d) => d.solve(b, x),
            Solver::Sparse(s) => s.solve(b, x),
        }
    }

    /// The matrix entries to clear before each Newton pass.
    fn entries(&self, n: usize) -> Vec<(usize, usize)> {
        match self {
            Solver::Dense(_) => (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).collect(),
            Solver::Sparse(s) => s.entries().collect(),
        }
    }
}

/// True when `p` is a solved STATE in a KINETIC block.
pub fn is_state(p: &Place, info: &Info) -> bool {
    match p {
        Place::Field(id, _) => info
            .fields
            .get(id.index())
            .is_some_and(|f| f.kind == FieldKind::State),
        _ => false,
    }
}

struct Scheme {
    /// Unknowns; the first `ncons` rows hold the CONSERVE equations.
    states: Vec<Place>,
    ncons: usize,
    /// COMPARTMENT volume per unknown.
    volume: Vec<Option<Expr>>,
    /// Row taken by each CONSERVE statement, by its position in the block.
    conserve_rows: HashMap<Span, usize>,
    /// True when every Jacobian term is constant (nocmodl `_linmat`).
    linear: bool,
}

struct Locs {
    m: Vec<Vec<LocalId>>,
    r: Vec<LocalId>,
    xold: Vec<LocalId>,
    delta: Vec<LocalId>,
    f_flux: LocalId,
    b_flux: LocalId,
    term: LocalId,
    dt1: LocalId,
    dt: Expr,
}

/// The explicit statements for a KINETIC block.
pub fn emit(
    body: Vec<Stmt>,
    steady: bool,
    locals: &mut Locals,
    info: &Info,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Stmt> {
    let body = unroll(body);
    let Some(scheme) = number_states(&body, info, diags) else {
        return Vec::new();
    };
    let n = scheme.states.len();
    let mut out = Vec::new();
    let mut body = body;
    let dt = if steady {
        let id = locals.fresh("_ss_dt");
        out.push(setl(id, c(SS_DT)));
        map_places_stmts(&mut body, &mut |p: &mut Place| {
            if *p == Place::Shared(SharedVar::Dt) {
                *p = Place::Local(id);
            }
        });
        l(id)
    } else {
        super::construct::dt()
    };
    let lc = Locs {
        m: (0..n)
            .map(|i| locals.fresh_n(&format!("_mat{i}_"), n))
            .collect(),
        r: locals.fresh_n("_rhs", n),
        xold: locals.fresh_n("_xold", n),
        delta: locals.fresh_n("_dx", n),
        f_flux: locals.fresh("f_flux"),
        b_flux: locals.fresh("b_flux"),
        term: locals.fresh("_term"),
        dt1: locals.fresh("_dt1"),
        dt,
    };
    let dense_solver = (n <= DENSE_MAX).then(|| Dense::new(locals, n));
    let pass = build_pass(&body, &scheme, &lc, info);
    let solver = match dense_solver {
        Some(d) => Solver::Dense(d),
        None => {
            let written = written_pattern(&pass, &lc.m);
            Solver::Sparse(Sparse::new(locals, lc.m.clone(), &written))
        }
    };
    if !steady {
        out.extend(newton(&scheme, &lc, &solver, &pass, scheme.linear, locals));
    } else if scheme.linear {
        out.extend(newton(&scheme, &lc, &solver, &pass, false, locals));
    } else {
        let ssi = locals.fresh("_ss_iter");
        let ssdone = locals.fresh("_ss_done");
        let flag = locals.fresh("_ss_flag");
        let mut lp = newton(&scheme, &lc, &solver, &pass, true, locals);
        lp.push(setl(flag, c(1.0)));
        for s in &scheme.states {
            lp.push(when(
                lt(ld(s), c(-1e-6)),
                vec![set(s, c(0.0)), setl(flag, c(0.0))],
            ));
        }
        let mut fin = newton(&scheme, &lc, &solver, &pass, false, locals);
        fin.push(setl(ssdone, c(1.0)));
        lp.push(when(eq(l(flag), c(1.0)), fin));
        lp.push(setl(ssi, add(l(ssi), c(1.0))));
        out.push(setl(ssi, c(0.0)));
        out.push(setl(ssdone, c(0.0)));
        out.push(Stmt::While {
            cond: and(eq(l(ssdone), c(0.0)), lt(l(ssi), c(7.0))),
            body: lp,
        });
    }
    out
}

/// One `sparse_thread` call: Newton passes until converged, then a last
/// run of the block at the solution.
fn newton(
    scheme: &Scheme,
    lc: &Locs,
    solver: &Solver,
    pass: &[Stmt],
    linflag: bool,
    locals: &mut Locals,
) -> Vec<Stmt> {
    let n = scheme.states.len();
    let it = locals.fresh("_sp_iter");
    let err = locals.fresh("_sp_err");
    let fin = locals.fresh("_sp_final");
    let done = locals.fresh("_sp_done");
    let mut out = Vec::new();
    for (i, s) in scheme.states.iter().enumerate() {
        out.push(setl(lc.xold[i], ld(s)));
    }
    out.extend([
        setl(it, c(0.0)),
        setl(err, c(1.0)),
        setl(fin, c(0.0)),
        setl(done, c(0.0)),
    ]);
    let mut update = solver.solve(&lc.r.iter().map(|&r| l(r)).collect::<Vec<_>>(), &lc.delta);
    update.push(setl(err, c(0.0)));
    for (i, s) in scheme.states.iter().enumerate() {
        update.push(set(s, add(ld(s), l(lc.delta[i]))));
        if !linflag {
            update.push(when(lt(ld(s), c(0.0)), vec![set(s, c(0.0))]));
        }
        update.push(setl(err, add(l(err), fabs(l(lc.delta[i])))));
    }
    update.push(when(gt(l(it), c(MAXSTEPS)), vec![setl(fin, c(1.0))]));
    update.push(setl(it, add(l(it), c(1.0))));
    let stop = if linflag {
        c(1.0)
    } else {
        le(l(err), c(CONVERGE))
    };
    update.push(when(stop, vec![setl(fin, c(1.0))]));
    let mut step = solver.factor(&lc.m);
    step.push(branch(
        eq(l(solver.singular()), c(1.0)),
        vec![setl(fin, c(1.0))],
        update,
    ));
    let mut body = Vec::new();
    let entries = solver.entries(n);
    for i in 0..n {
        body.push(setl(lc.r[i], c(0.0)));
        for &(_, j) in entries.iter().filter(|(row, _)| *row == i) {
            body.push(setl(lc.m[i][j], c(0.0)));
        }
    }
    body.extend(pass.iter().cloned());
    body.push(branch(eq(l(fin), c(1.0)), vec![setl(done, c(1.0))], step));
    out.push(Stmt::While {
        cond: eq(l(done), c(0.0)),
        body,
    });
    out
}

fn collect<'a>(stmts: &'a [Stmt], reactions: &mut Vec<&'a Reaction>, cons: &mut Vec<&'a Stmt>) {
    for s in stmts {
        match s {
            Stmt::Reaction(r) => reactions.push(r),
            Stmt::Conserve { .. } => cons.push(s),
            Stmt::If {
                then, otherwise, ..
            } => {
                collect(then, reactions, cons);
                collect(otherwise, reactions, cons);
            }
            Stmt::While { body, .. } => collect(body, reactions, cons),
            _ => {}
        }
    }
}

fn indexed_by_loop(p: &Place) -> bool {
    matches!(p, Place::Field(_, Some(i)) if !matches!(**i, Expr::Const(_)))
}

fn number_states(body: &[Stmt], info: &Info, diags: &mut Vec<Diagnostic>) -> Option<Scheme> {
    let mut reactions = Vec::new();
    let mut cons = Vec::new();
    collect(body, &mut reactions, &mut cons);
    let mut ok = true;
    let mut states: Vec<Place> = Vec::new();
    let mut conserve_rows = HashMap::new();
    // diagonals of the conservation equations first (last CONSERVE first,
    // each taking its last not-yet-taken state)
    for s in cons.iter().rev() {
        let Stmt::Conserve { terms, span, .. } = s else {
            continue;
        };
        let pick = terms
            .iter()
            .rev()
            .find(|(_, p)| is_state(p, info) && !states.contains(p));
        for (_, p) in terms {
            if !is_state(p, info) {
                ok = false;
                diags.push(
                    Diagnostic::error("E0704", "only STATEs may appear in a CONSERVE statement")
                        .with_primary(*span, "this CONSERVE"),
                );
                break;
            }
        }
        match pick {
            Some((_, p)) => {
                conserve_rows.insert(*span, states.len());
                states.push(p.clone());
            }
            None => {
                ok = false;
                diags.push(
                    Diagnostic::error("E0704", "no state left for this CONSERVE equation")
                        .with_primary(*span, "this CONSERVE")
                        .with_help("each CONSERVE needs a state not already used by another"),
                );
            }
        }
    }
    let ncons = states.len();
    let mut volume_of: Vec<(Place, Expr)> = Vec::new();
    for r in &reactions {
        for (_, p) in r.lhs.iter().chain(r.rhs.iter()) {
            if indexed_by_loop(p) {
                ok = false;
                diags.push(
                    Diagnostic::error(
                        "E0708",
                        "reactions on array states indexed by a loop variable are not supported",
                    )
                    .with_primary(r.span, "this reaction"),
                );
            }
            if is_state(p, info) && !states.contains(p) {
                states.push(p.clone());
            }
        }
        for (p, v) in &r.volumes {
            if !volume_of.iter().any(|(q, _)| q == p) {
                volume_of.push((p.clone(), v.clone()));
            }
        }
        if r.flux
            && let Some((_, p)) = r.lhs.first()
        {
            if !is_state(p, info) {
                ok = false;
                diags.push(
                    Diagnostic::error("E0703", "a flux `<<` needs a (solved) STATE")
                        .with_primary(r.span, "this flux"),
                );
            } else if states.iter().take(ncons).any(|q| q == p) {
                ok = false;
                diags.push(
                    Diagnostic::error("E0703", "a conserved state cannot have a flux")
                        .with_primary(r.span, "this flux")
                        .with_help("NEURON replaces this state's equation by the CONSERVE"),
                );
            }
        }
    }
    let linear = reactions.iter().all(|r| {
        r.flux
            || [(&r.lhs, true), (&r.rhs, r.backward.is_some())]
                .iter()
                .all(|(side, has_rate)| {
                    !has_rate
                        || side.iter().enumerate().all(|(k, (_, p))| {
                            !is_state(p, info)
                                || side.iter().enumerate().all(|(k1, (n1, _))| {
                                    let n = if k1 == k { n1.saturating_sub(1) } else { *n1 };
                                    n == 0
                                })
                        })
                })
    });
    if !ok {
        return None;
    }
    let volume = states
        .iter()
        .map(|s| {
            volume_of
                .iter()
                .find(|(q, _)| q == s)
                .map(|(_, v)| v.clone())
        })
        .collect();
    Some(Scheme {
        states,
        ncons,
        volume,
        conserve_rows,
        linear,
    })
}

/// The block with its reactions and CONSERVEs turned into matrix terms.
fn build_pass(body: &[Stmt], scheme: &Scheme, lc: &Locs, info: &Info) -> Vec<Stmt> {
    let n = scheme.states.len();
    let mut out = vec![setl(lc.dt1, div(c(1.0), lc.dt.clone()))];
    for i in scheme.ncons..n {
        let x = ld(&scheme.states[i]);
        out.push(setl(
            lc.r[i],
            mul(super::construct::neg(l(lc.dt1)), sub(x, l(lc.xold[i]))),
        ));
        out.push(setl(lc.m[i][i], l(lc.dt1)));
    }
    for i in scheme.ncons..n {
        if let Some(v) = &scheme.volume[i] {
            out.push(setl(lc.r[i], mul(l(lc.r[i]), v.clone())));
            out.push(setl(lc.m[i][i], mul(l(lc.m[i][i]), v.clone())));
        }
    }
    out.extend(rewrite(body.to_vec(), scheme, lc, info));
    out
}

fn row(scheme: &Scheme, p: &Place) -> Option<usize> {
    scheme.states.iter().position(|s| s == p)
}

fn rewrite(stmts: Vec<Stmt>, scheme: &Scheme, lc: &Locs, info: &Info) -> Vec<Stmt> {
    let mut out = Vec::new();
    for s in stmts {
        match s {
            Stmt::Reaction(r) => out.extend(reaction(&r, scheme, lc, info)),
            Stmt::Conserve { terms, total, span } => {
                let Some(&eq_row) = scheme.conserve_rows.get(&span) else {
                    continue;
                };
                out.push(setl(lc.r[eq_row], total));
                for (num, p) in terms.iter().rev() {
                    let Some(col) = row(scheme, p) else { continue };
                    let vol = scheme.volume[col].clone();
                    let coef = match &vol {
                        Some(v) => mul(c(*num), v.clone()),
                        None => c(*num),
                    };
                    out.push(setl(lc.m[eq_row][col], coef));
                    let mut amount = ld(p);
                    if let Some(v) = vol {
                        amount = mul(amount, v);
                    }
                    if *num != 1.0 {
                        amount = mul(amount, c(*num));
                    }
                    out.push(setl(lc.r[eq_row], sub(l(lc.r[eq_row]), amount)));
                }
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => out.push(Stmt::If {
                cond,
                then: rewrite(then, scheme, lc, info),
                otherwise: rewrite(otherwise, scheme, lc, info),
            }),
            Stmt::While { cond, body } => out.push(Stmt::While {
                cond,
                body: rewrite(body, scheme, lc, info),
            }),
            other => out.push(other),
        }
    }
    out
}

fn reaction(r: &Reaction, scheme: &Scheme, lc: &Locs, info: &Info) -> Vec<Stmt> {
    let mut out = Vec::new();
    let unconserved = |p: &Place| row(scheme, p).filter(|&k| k >= scheme.ncons);
    if r.flux {
        // f_flux = b_flux = 0.; _RHS(x) += (b_flux = f);
        out.push(setl(lc.f_flux, c(0.0)));
        out.push(setl(lc.b_flux, r.forward.clone()));
        if let Some(k) = r.lhs.first().and_then(|(_, p)| unconserved(p)) {
            out.push(setl(lc.r[k], add(l(lc.r[k]), l(lc.b_flux))));
        }
        return out;
    }
    // nocmodl keeps each side's terms in reverse source order
    let sides: [Vec<(u32, Place)>; 2] = [
        r.lhs.iter().rev().cloned().collect(),
        r.rhs.iter().rev().cloned().collect(),
    ];
    let rates = [Some(r.forward.clone()), r.backward.clone()];
    let flux_of = |j: usize| -> Expr {
        let mut e = rates[j].clone().unwrap_or(c(0.0));
        for (num, p) in &sides[j] {
            for _ in 0..*num {
                e = mul(e, ld(p));
            }
        }
        e
    };
    out.push(setl(lc.f_flux, flux_of(0)));
    out.push(setl(lc.b_flux, flux_of(1)));
    let net = || sub(l(lc.f_flux), l(lc.b_flux));
    for (j, side) in sides.iter().enumerate() {
        for (num, p) in side {
            if !is_state(p, info) {
                continue;
            }
            let Some(k) = unconserved(p) else { continue };
            let amount = if *num > 1 {
                mul(c(f64::from(*num)), net())
            } else {
                net()
            };
            let v = if j == 0 {
                sub(l(lc.r[k]), amount)
            } else {
                add(l(lc.r[k]), amount)
            };
            out.push(setl(lc.r[k], v));
        }
    }
    // Jacobian terms
    for (j, side) in sides.iter().enumerate() {
        let Some(rate) = &rates[j] else { continue };
        for (t, (num, p)) in side.iter().enumerate() {
            if !is_state(p, info) {
                continue;
            }
            let Some(col) = row(scheme, p) else { continue };
            let mut term = rate.clone();
            if *num != 1 {
                term = mul(term, c(f64::from(*num)));
            }
            for (t1, (n1, p1)) in side.iter().enumerate() {
                let times = if t1 == t { n1 - 1 } else { *n1 };
                for _ in 0..times {
                    term = mul(term, ld(p1));
                }
            }
            out.push(setl(lc.term, term));
            for (j1, side1) in sides.iter().enumerate() {
                for (n1, p1) in side1 {
                    if !is_state(p1, info) {
                        continue;
                    }
                    let Some(rw) = unconserved(p1) else { continue };
                    let amount = if *n1 != 1 {
                        mul(c(f64::from(*n1)), l(lc.term))
                    } else {
                        l(lc.term)
                    };
                    let cell = lc.m[rw][col];
                    let v = if j == j1 {
                        add(l(cell), amount)
                    } else {
                        sub(l(cell), amount)
                    };
                    out.push(setl(cell, v));
                }
            }
        }
    }
    out
}

/// The value of a constant expression (what FROM loop bounds and array
/// indices reduce to once the loop variable is known).
fn const_value(e: &Expr) -> Option<f64> {
    use crate::ir::{BinOp, UnOp};
    match e {
        Expr::Const(v) => Some(*v),
        Expr::Unary(UnOp::Neg, a) => Some(-const_value(a)?),
        Expr::Binary(op, a, b) => {
            let (a, b) = (const_value(a)?, const_value(b)?);
            match op {
                BinOp::Add => Some(a + b),
                BinOp::Sub => Some(a - b),
                BinOp::Mul => Some(a * b),
                BinOp::Div => Some(a / b),
                _ => None,
            }
        }
        _ => None,
    }
}

fn has_reactions(stmts: &[Stmt]) -> bool {
    let (mut r, mut c) = (Vec::new(), Vec::new());
    collect(stmts, &mut r, &mut c);
    !r.is_empty() || !c.is_empty()
}

/// Most FROM-loop iterations unrolled.
const MAX_UNROLL: f64 = 10_000.0;

/// Unrolls the FROM loops (as lowered: `i = from; while (i <= to) { ...;
/// i = i + step }`, constant bounds) that contain reactions, so every
/// reaction names fixed array elements; array indices are folded.
fn unroll(stmts: Vec<Stmt>) -> Vec<Stmt> {
    let mut out: Vec<Stmt> = Vec::new();
    for s in stmts {
        match s {
            Stmt::While { cond, body } if has_reactions(&body) => {
                match unroll_loop(out.last(), &cond, &body) {
                    Some(mut stmts) => {
                        out.pop();
                        out.append(&mut stmts);
                    }
                    None => out.push(Stmt::While {
                        cond,
                        body: unroll(body),
                    }),
                }
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => out.push(Stmt::If {
                cond,
                then: unroll(then),
                otherwise: unroll(otherwise),
            }),
            other => out.push(other),
        }
    }
    out
}

fn unroll_loop(init: Option<&Stmt>, cond: &Expr, body: &[Stmt]) -> Option<Vec<Stmt>> {
    use crate::ir::BinOp;
    let Some(Stmt::Assign(Place::Local(i), from)) = init else {
        return None;
    };
    let i = *i;
    let from = const_value(from)?;
    let Expr::Binary(BinOp::Le, var, to) = cond else {
        return None;
    };
    if **var != Expr::Load(Place::Local(i)) {
        return None;
    }
    let to = const_value(to)?;
    let (last, rest) = body.split_last()?;
    let Stmt::Assign(Place::Local(j), Expr::Binary(BinOp::Add, v, step)) = last else {
        return None;
    };
    if *j != i || **v != Expr::Load(Place::Local(i)) {
        return None;
    }
    let step = const_value(step)?;
    if step <= 0.0 || (to - from) / step > MAX_UNROLL {
        return None;
    }
    // the loop variable may only be read
    if rest
        .iter()
        .any(|s| matches!(s, Stmt::Assign(Place::Local(k), _) if *k == i))
    {
        return None;
    }
    let mut out = Vec::new();
    let mut x = from;
    while x <= to {
        let mut copy = rest.to_vec();
        substitute_local(&mut copy, i, x);
        out.extend(unroll(copy));
        x += step;
    }
    out.push(setl(i, c(x)));
    Some(out)
}

/// Replaces loads of local `i` by `v` and folds constant array indices.
fn substitute_local(stmts: &mut [Stmt], i: LocalId, v: f64) {
    fn fold_expr(e: &mut Expr, i: LocalId, v: f64) {
        if *e == Expr::Load(Place::Local(i)) {
            *e = c(v);
            return;
        }
        match e {
            Expr::Unary(_, a) => fold_expr(a, i, v),
            Expr::Binary(_, a, b) => {
                fold_expr(a, i, v);
                fold_expr(b, i, v);
            }
            Expr::Math(_, args)
            | Expr::Call(_, args)
            | Expr::Builtin(_, args)
            | Expr::FunctionTable(_, args) => args.iter_mut().for_each(|a| fold_expr(a, i, v)),
            Expr::Load(Place::Field(_, Some(idx))) | Expr::Load(Place::GlobalArray(_, idx)) => {
                fold_expr(idx, i, v);
                if let Some(k) = const_value(idx) {
                    **idx = c(k);
                }
            }
            _ => {}
        }
    }
    super::symbolic::map_exprs_stmts(stmts, &mut |e: &mut Expr| fold_expr(e, i, v));
    map_places_stmts(stmts, &mut |p: &mut Place| {
        if let Place::Field(_, Some(idx)) | Place::GlobalArray(_, idx) = p {
            fold_expr(idx, i, v);
            if let Some(k) = const_value(idx) {
                **idx = c(k);
            }
        }
    });
}
