//! Fast-math rewrites of kernel expressions: cheaper forms that are equal
//! in real arithmetic but may round differently, so only kernels compiled
//! in [`crate::back::math::MathMode::Fast`] get them (exact mode must keep
//! NEURON's operations in NEURON's order).
//!
//! The aim is fewer divisions (a vector division costs several times a
//! multiplication). Expressions are rewritten bottom-up to a fixed point
//! by small rules, in two phases:
//! - normalise: constant operations folded, negations pulled out of
//!   products and quotients (`(-p)/q` -> `-(p/q)`, a negative constant
//!   counts as a negation), `x*1`, `x/1` and `--x` dropped, division by a
//!   constant made a multiplication by its reciprocal, divisions moved
//!   above products (`(a/b)*c` -> `(a*c)/b`) and merged
//!   (`a/(b/c)` -> `(a*c)/b`, `(a/b)/c` -> `a/(b*c)`,
//!   `(a/b)/(c/b)` -> `a/c`), so each product carries at most one
//!   division;
//! - tidy: negations folded back into constants (`-(x*0.2)` -> `x*-0.2`)
//!   and into sums (`a + -b` -> `a - b`).
//!
//! Between the phases, a variable used only as a divisor stores its
//! reciprocal ([`reciprocals`]): `tau = n/d; .. x/tau ..` becomes
//! `tau = d/n; .. x*tau ..`, one division instead of one per use. Only
//! for locals and for fields nobody can observe (not persistent, see
//! [`super::persist`]).
//!
//! Last, within one statement, `exp(n*k*x + b)` next to `exp(k*x + a)`
//! (n = 2..8) becomes `exp(k*x + a)^n * exp(b - n*a)`: multiplications
//! instead of an `exp` (k_rtm's ntau has such a pair); CSE, which runs
//! after these rewrites, computes the shared `exp` and powers once.
//!
//! With these rules cnexp's update
//! `x + (1 - exp(dt*(-1/tau))) * (-(xinf/tau)/(-1/tau) - x)` becomes
//! `x + (1 - exp(-(dt*tau'))) * (xinf - x)` with `tau' = 1/tau` computed
//! by the single division that computed `tau`.
//!
//! Only pure expressions are rewritten (no calls, random numbers or
//! FUNCTION_TABLEs anywhere inside), so no evaluation with an effect is
//! dropped, repeated or reordered; array indices are never rewritten
//! (truncation to an index would magnify a last-bit change).

use std::collections::BTreeSet;

use super::{Specialization, Specialized, walk};
use crate::ir::{BinOp, Expr, FieldId, Kernel, MathFn, Mechanism, Place, Stmt, UnOp};

/// Rewrites applied per expression tree at most (a guard: the rules
/// terminate, each shrinks the tree or moves divisions and negations up).
const BUDGET: usize = 10_000;

/// [`super::specialize`] with [`relax`] run before common subexpressions
/// are shared (a shared `-1/tau` would hide the quotients that cancel):
/// the kernels the back ends run in fast math mode. Validated as
/// `specialize` validates.
pub fn specialize_fast(mech: &Mechanism, spec: &Specialization) -> Result<Specialized, String> {
    super::specialize_with(mech, spec, relax)
}

/// Rewrites every solved kernel of `mech` (see the module documentation);
/// `persistent` are the fields whose stored values someone may read
/// (their meaning must not change).
pub fn relax(mech: &mut Mechanism, persistent: &BTreeSet<FieldId>) {
    let indexed = walk::indexed_fields(mech);
    let scratch = |p: &Place| match p {
        Place::Local(_) => true,
        Place::Field(id, None) => !persistent.contains(id) && !indexed.contains(id),
        _ => false,
    };
    for k in &mut mech.kernels {
        if unsolved(k) {
            continue;
        }
        rewrite_body(&mut k.body, &normalize);
        reciprocals(&mut k.body, &scratch);
        rewrite_body(&mut k.body, &normalize);
        rewrite_body(&mut k.body, &tidy);
        exp_powers(&mut k.body);
    }
}

fn unsolved(k: &Kernel) -> bool {
    let mut found = false;
    walk::each_stmt(&k.body, &mut |s| {
        found |= matches!(
            s,
            Stmt::Solve { .. }
                | Stmt::Ode { .. }
                | Stmt::Reaction(_)
                | Stmt::Conserve { .. }
                | Stmt::Equation { .. }
                | Stmt::Table { .. }
        )
    });
    found
}

/// The expressions of `s` that compute values (not array indices, not
/// event or print arguments): assigned values, conditions, evaluations.
fn value_exprs_mut(s: &mut Stmt) -> Vec<&mut Expr> {
    match s {
        Stmt::Assign(_, e) | Stmt::Accumulate(_, e) | Stmt::Eval(e) => vec![e],
        Stmt::If { cond, .. } | Stmt::While { cond, .. } => vec![cond],
        _ => Vec::new(),
    }
}

/// The operands of `e` that compute values (not the index of a load).
fn operands_mut(e: &mut Expr) -> Vec<&mut Expr> {
    match e {
        Expr::Const(_) | Expr::Load(_) => Vec::new(),
        Expr::Unary(_, a) => vec![a],
        Expr::Binary(_, a, b) => vec![a, b],
        Expr::Math(_, args)
        | Expr::Call(_, args)
        | Expr::Builtin(_, args)
        | Expr::FunctionTable(_, args) => args.iter_mut().collect(),
    }
}

/// Rewrites every value expression of `body` with `rule` to a fixed point.
fn rewrite_body(body: &mut [Stmt], rule: &dyn Fn(&Expr) -> Option<Expr>) {
    for s in body {
        for e in value_exprs_mut(s) {
            let mut budget = BUDGET;
            rewrite(e, rule, &mut budget);
        }
        for list in walk::nested_mut(s) {
            rewrite_body(list, rule);
        }
    }
}

/// Rewrites `e` bottom-up with `rule` until no rule applies anywhere (or
/// the budget is spent).
fn rewrite(e: &mut Expr, rule: &dyn Fn(&Expr) -> Option<Expr>, budget: &mut usize) {
    for c in operands_mut(e) {
        rewrite(c, rule, budget);
    }
    while *budget > 0 {
        let Some(new) = rule(e) else {
            return;
        };
        *budget -= 1;
        *e = new;
        // The new node's operands may be new combinations.
        for c in operands_mut(e) {
            rewrite(c, rule, budget);
        }
    }
}

/// True when evaluating `e` has no effect and no engine service: it may
/// be dropped, repeated or reordered.
fn pure(e: &Expr) -> bool {
    match e {
        Expr::Call(..) | Expr::Builtin(..) | Expr::FunctionTable(..) => false,
        _ => walk::children(e).into_iter().all(pure),
    }
}

/// Structural equality with constants compared bit for bit (`0.0` and
/// `-0.0` differ).
fn same(a: &Expr, b: &Expr) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}

fn neg(a: Expr) -> Expr {
    Expr::Unary(UnOp::Neg, Box::new(a))
}

/// `e` as (negated, magnitude): `-x` is (true, x), a negative constant
/// `c` is (true, -c), anything else (false, e).
fn sign_split(e: &Expr) -> (bool, Expr) {
    match e {
        Expr::Unary(UnOp::Neg, x) => (true, (**x).clone()),
        Expr::Const(c) if *c < 0.0 => (true, Expr::Const(-c)),
        _ => (false, e.clone()),
    }
}

fn is_const(e: &Expr, value: f64) -> bool {
    matches!(e, Expr::Const(c) if c.to_bits() == value.to_bits())
}

/// `1/c` when multiplying by it is a fair stand-in for dividing by `c`:
/// both finite and `1/c` normal.
fn reciprocal(c: f64) -> Option<f64> {
    let r = 1.0 / c;
    (c.is_finite() && c != 0.0 && r.is_normal()).then_some(r)
}

/// `-x` without its negation when `x` is a constant or itself a negation
/// (both exact).
fn negation_folded(x: &Expr) -> Option<Expr> {
    match x {
        Expr::Const(c) => Some(Expr::Const(-c)),
        Expr::Unary(UnOp::Neg, y) => Some((**y).clone()),
        _ => None,
    }
}

/// One normalising rewrite of the node `e`, if a rule applies.
fn normalize(e: &Expr) -> Option<Expr> {
    if !pure(e) {
        return None;
    }
    match e {
        Expr::Unary(UnOp::Neg, x) => negation_folded(x),
        Expr::Binary(op, a, b) => normalize_binary(*op, a, b),
        _ => None,
    }
}

fn normalize_binary(op: BinOp, a: &Expr, b: &Expr) -> Option<Expr> {
    use BinOp::{Add, Div, Mul, Sub};
    if let (Expr::Const(x), Expr::Const(y)) = (a, b) {
        // Folding does what the kernel would do at run time.
        let folded = match op {
            Add => x + y,
            Sub => x - y,
            Mul => x * y,
            Div => x / y,
            _ => return None,
        };
        return Some(Expr::Const(folded));
    }
    if !matches!(op, Mul | Div) {
        return None;
    }
    // x*1, 1*x, x/1.
    if is_const(b, 1.0) {
        return Some(a.clone());
    }
    if op == Mul && is_const(a, 1.0) {
        return Some(b.clone());
    }
    // x/c -> x*(1/c).
    if op == Div
        && let Expr::Const(c) = b
        && let Some(r) = reciprocal(*c)
    {
        return Some(bin(Mul, a.clone(), Expr::Const(r)));
    }
    // Negations move out: (-p) op q, p op (-q), (-p) op (-q).
    let (na, ma) = sign_split(a);
    let (nb, mb) = sign_split(b);
    if na || nb {
        let inner = bin(op, ma, mb);
        return Some(if na != nb { neg(inner) } else { inner });
    }
    let div = |e: &Expr| match e {
        Expr::Binary(Div, n, d) => Some(((**n).clone(), (**d).clone())),
        _ => None,
    };
    match op {
        Div => {
            if let (Some((p, q)), Some((r, s))) = (div(a), div(b))
                && same(&q, &s)
            {
                // (p/q)/(r/q) -> p/r.
                return Some(bin(Div, p, r));
            }
            if let Some((p, q)) = div(b) {
                // a/(p/q) -> (a*q)/p.
                return Some(bin(Div, bin(Mul, a.clone(), q), p));
            }
            if let Some((p, q)) = div(a) {
                // (p/q)/b -> p/(q*b).
                return Some(bin(Div, p, bin(Mul, q, b.clone())));
            }
            None
        }
        _ => {
            if let Some((p, q)) = div(a) {
                // (p/q)*b -> (p*b)/q.
                return Some(bin(Div, bin(Mul, p, b.clone()), q));
            }
            if let Some((p, q)) = div(b) {
                // a*(p/q) -> (a*p)/q.
                return Some(bin(Div, bin(Mul, a.clone(), p), q));
            }
            None
        }
    }
}

/// One tidying rewrite of the node `e`: negations go into constants or
/// turn sums into differences (each exact in IEEE arithmetic).
fn tidy(e: &Expr) -> Option<Expr> {
    use BinOp::{Add, Div, Mul, Sub};
    if !pure(e) {
        return None;
    }
    match e {
        Expr::Unary(UnOp::Neg, x) => match &**x {
            Expr::Const(_) | Expr::Unary(UnOp::Neg, _) => negation_folded(x),
            Expr::Binary(Mul, p, q) => match (&**p, &**q) {
                (_, Expr::Const(c)) => Some(bin(Mul, (**p).clone(), Expr::Const(-c))),
                (Expr::Const(c), _) => Some(bin(Mul, Expr::Const(-c), (**q).clone())),
                _ => None,
            },
            Expr::Binary(Div, p, q) => match &**p {
                Expr::Const(c) => Some(bin(Div, Expr::Const(-c), (**q).clone())),
                _ => None,
            },
            _ => None,
        },
        Expr::Binary(op @ (Add | Sub), a, b) => match (&**a, &**b) {
            (_, Expr::Unary(UnOp::Neg, y)) => {
                let flipped = if *op == Add { Sub } else { Add };
                Some(bin(flipped, (**a).clone(), (**y).clone()))
            }
            (Expr::Unary(UnOp::Neg, x), _) if *op == Add => {
                Some(bin(Sub, (**b).clone(), (**x).clone()))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Variables (locals, or fields `scratch` accepts) assigned once, at the
/// top level of `body`, a quotient `n/d`, and afterwards read only as the
/// divisor of quotients `a/x` outside array indices: they store `d/n`
/// instead and those quotients become products `a*x`.
pub fn reciprocals(body: &mut [Stmt], scratch: &dyn Fn(&Place) -> bool) {
    let mut candidates: Vec<(usize, Place)> = Vec::new();
    for (i, s) in body.iter().enumerate() {
        if let Stmt::Assign(p, Expr::Binary(BinOp::Div, n, d)) = s
            && scratch(p)
            && pure(n)
            && pure(d)
        {
            candidates.push((i, p.clone()));
        }
    }
    for (i, x) in candidates {
        if !only_divisor_after(body, i, &x) {
            continue;
        }
        if let Stmt::Assign(_, e @ Expr::Binary(BinOp::Div, ..)) = &mut body[i]
            && let Expr::Binary(_, n, d) = e
        {
            std::mem::swap(n, d);
        }
        for s in &mut body[i + 1..] {
            divisor_to_factor(s, &x);
        }
    }
}

/// True when `x` is written only by `body[i]`, read at all, and every read
/// of it is the divisor of a quotient in a value expression of a
/// statement after `i`.
fn only_divisor_after(body: &[Stmt], i: usize, x: &Place) -> bool {
    let mut writes = 0;
    walk::each_stmt(body, &mut |s| match s {
        Stmt::Assign(p, _) | Stmt::Accumulate(p, _) | Stmt::Ode { state: p, .. } if p == x => {
            writes += 1
        }
        _ => {}
    });
    if writes != 1 {
        return false;
    }
    let mut loads = 0;
    walk::each_expr(body, &mut |e| {
        if matches!(e, Expr::Load(p) if p == x) {
            loads += 1;
        }
    });
    let mut divisors = 0;
    for s in &body[i + 1..] {
        let mut s = s.clone();
        divisors += divisor_to_factor(&mut s, x);
    }
    loads > 0 && loads == divisors
}

/// Rewrites the quotients `a/x` of the value expressions of `s` (nested
/// statements included) into `a*x`; returns how many.
fn divisor_to_factor(s: &mut Stmt, x: &Place) -> usize {
    fn expr(e: &mut Expr, x: &Place) -> usize {
        let mut n = 0;
        if let Expr::Binary(op @ BinOp::Div, _, d) = e
            && matches!(&**d, Expr::Load(p) if p == x)
        {
            *op = BinOp::Mul;
            n += 1;
        }
        for c in operands_mut(e) {
            n += expr(c, x);
        }
        n
    }
    let mut n = 0;
    for e in value_exprs_mut(s) {
        n += expr(e, x);
    }
    for list in walk::nested_mut(s) {
        for s in list.iter_mut() {
            n += divisor_to_factor(s, x);
        }
    }
    n
}

/// Largest power an `exp` is rebuilt from (three squarings).
const MAX_POWER: f64 = 8.0;

/// Largest |b - n*a| in `exp(b - n*a)`: keeps the power and the factor
/// away from overflow where the original `exp` had none.
const MAX_SHIFT: f64 = 40.0;

/// `e` as `k*x + c` for a load `x` without index: (x, k, c).
fn affine(e: &Expr) -> Option<(Place, f64, f64)> {
    match e {
        Expr::Load(
            p @ (Place::Local(_) | Place::Field(_, None) | Place::Global(_) | Place::Shared(_)),
        ) => Some((p.clone(), 1.0, 0.0)),
        Expr::Unary(UnOp::Neg, a) => affine(a).map(|(x, k, c)| (x, -k, -c)),
        Expr::Binary(BinOp::Mul, a, b) => match (&**a, &**b) {
            (e, Expr::Const(m)) | (Expr::Const(m), e) => {
                affine(e).map(|(x, k, c)| (x, k * m, c * m))
            }
            _ => None,
        },
        Expr::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) => {
            let sign = if *op == BinOp::Sub { -1.0 } else { 1.0 };
            match (&**a, &**b) {
                (e, Expr::Const(d)) => affine(e).map(|(x, k, c)| (x, k, c + sign * d)),
                (Expr::Const(d), e) if *op == BinOp::Add => {
                    affine(e).map(|(x, k, c)| (x, k, c + d))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// `base^n` (n >= 1) as a tree of products by squaring; CSE shares the
/// repeated factors.
fn power(base: &Expr, n: u32) -> Expr {
    if n == 1 {
        return base.clone();
    }
    let half = power(base, n / 2);
    let square = bin(BinOp::Mul, half.clone(), half);
    if n % 2 == 1 {
        bin(BinOp::Mul, square, base.clone())
    } else {
        square
    }
}

/// Rewrites, statement by statement, each `exp(w)` whose argument is
/// `n` times another `exp(u)`'s in the same variable plus a constant
/// into a power of `exp(u)` (see the module documentation).
fn exp_powers(body: &mut [Stmt]) {
    for s in body {
        for e in value_exprs_mut(s) {
            if !pure(e) {
                continue;
            }
            let mut exps: Vec<(Place, f64, f64, Expr)> = Vec::new();
            collect_exps(e, &mut exps);
            replace_powers(e, &exps);
        }
        for list in walk::nested_mut(s) {
            exp_powers(list);
        }
    }
}

fn collect_exps(e: &Expr, out: &mut Vec<(Place, f64, f64, Expr)>) {
    if let Expr::Math(MathFn::Exp, args) = e
        && let [arg] = args.as_slice()
        && let Some((x, k, c)) = affine(arg)
        && k != 0.0
        && k.is_finite()
        && c.is_finite()
    {
        out.push((x, k, c, e.clone()));
    }
    for c in walk::children(e) {
        collect_exps(c, out);
    }
}

/// For `exp(k2*x + c2)`: the power `n`, the base `exp(..)` and the
/// factor `exp(c2 - n*c1)` to use instead, if some `exp(k1*x + c1)` of
/// `exps` qualifies (the one with the smallest |k1|).
fn as_power(
    x: &Place,
    k2: f64,
    c2: f64,
    exps: &[(Place, f64, f64, Expr)],
) -> Option<(u32, Expr, f64)> {
    let (_, k1, c1, base) = exps
        .iter()
        .filter(|(y, ..)| y == x)
        .min_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))?;
    let n = k2 / k1;
    if !(2.0..=MAX_POWER).contains(&n) || n.fract() != 0.0 || n * k1 != k2 {
        return None;
    }
    let shift = c2 - n * c1;
    (shift.abs() <= MAX_SHIFT).then(|| (n as u32, base.clone(), shift.exp()))
}

fn replace_powers(e: &mut Expr, exps: &[(Place, f64, f64, Expr)]) {
    if let Expr::Math(MathFn::Exp, args) = e
        && let [arg] = args.as_slice()
        && let Some((x, k, c)) = affine(arg)
        && let Some((n, base, factor)) = as_power(&x, k, c, exps)
    {
        *e = bin(BinOp::Mul, power(&base, n), Expr::Const(factor));
        return;
    }
    for c in operands_mut(e) {
        replace_powers(c, exps);
    }
}
