//! Symbolic work on IR expressions: does an expression mention a place,
//! substitution, differentiation, and nocmodl's linear analysis of an ODE
//! right-hand side (the analysis that decides whether `cnexp` applies).

use crate::ir::{BinOp, Expr, MathFn, Place, Stmt, UnOp};

use super::construct::{add, c, div, mul, neg, sub};

/// True when `e` reads `p` anywhere (including inside call arguments and
/// array indices).
pub fn mentions(e: &Expr, p: &Place) -> bool {
    match e {
        Expr::Const(_) => false,
        Expr::Load(q) => q == p || place_mentions(q, p),
        Expr::Unary(_, a) => mentions(a, p),
        Expr::Binary(_, a, b) => mentions(a, p) || mentions(b, p),
        Expr::Math(_, args)
        | Expr::Call(_, args)
        | Expr::Builtin(_, args)
        | Expr::FunctionTable(_, args) => args.iter().any(|a| mentions(a, p)),
    }
}

fn place_mentions(q: &Place, p: &Place) -> bool {
    match q {
        Place::Field(_, Some(i)) | Place::GlobalArray(_, i) => mentions(i, p),
        _ => false,
    }
}

/// Calls `f` on every place read or written in `stmts` (loads, assignment
/// targets, index sub-expressions), allowing it to rewrite them.
pub fn map_places_stmts(stmts: &mut [Stmt], f: &mut dyn FnMut(&mut Place)) {
    for s in stmts {
        map_places_stmt(s, f);
    }
}

fn map_places_stmt(s: &mut Stmt, f: &mut dyn FnMut(&mut Place)) {
    match s {
        Stmt::Assign(p, e) | Stmt::Accumulate(p, e) => {
            map_places_place(p, f);
            map_places_expr(e, f);
        }
        Stmt::If {
            cond,
            then,
            otherwise,
        } => {
            map_places_expr(cond, f);
            map_places_stmts(then, f);
            map_places_stmts(otherwise, f);
        }
        Stmt::While { cond, body } => {
            map_places_expr(cond, f);
            map_places_stmts(body, f);
        }
        Stmt::Eval(e) | Stmt::NetEvent(e) | Stmt::NetMove(e) => map_places_expr(e, f),
        Stmt::Return => {}
        Stmt::NetSend { delay, flag } => {
            map_places_expr(delay, f);
            map_places_expr(flag, f);
        }
        Stmt::Print { args, .. } => args.iter_mut().for_each(|a| map_places_expr(a, f)),
        Stmt::WatchOn { flag, .. } => map_places_expr(flag, f),
        Stmt::Equation { lhs, rhs, .. } => {
            map_places_expr(lhs, f);
            map_places_expr(rhs, f);
        }
        Stmt::Solve { body, .. } => map_places_stmts(body, f),
        Stmt::Table {
            outputs,
            depend,
            from,
            to,
            ..
        } => {
            outputs.iter_mut().for_each(|p| map_places_place(p, f));
            depend.iter_mut().for_each(|p| map_places_place(p, f));
            map_places_expr(from, f);
            map_places_expr(to, f);
        }
        Stmt::Ode { state, rhs, .. } => {
            map_places_place(state, f);
            map_places_expr(rhs, f);
        }
        Stmt::Reaction(r) => {
            for (_, p) in r.lhs.iter_mut().chain(r.rhs.iter_mut()) {
                map_places_place(p, f);
            }
            map_places_expr(&mut r.forward, f);
            if let Some(b) = &mut r.backward {
                map_places_expr(b, f);
            }
            for (p, e) in &mut r.volumes {
                map_places_place(p, f);
                map_places_expr(e, f);
            }
        }
        Stmt::Conserve { terms, total, .. } => {
            terms.iter_mut().for_each(|(_, p)| map_places_place(p, f));
            map_places_expr(total, f);
        }
    }
}

fn map_places_place(p: &mut Place, f: &mut dyn FnMut(&mut Place)) {
    match p {
        Place::Field(_, Some(i)) | Place::GlobalArray(_, i) => map_places_expr(i, f),
        _ => {}
    }
    f(p);
}

/// Calls `f` on every place in `e`, allowing it to rewrite them.
pub fn map_places_expr(e: &mut Expr, f: &mut dyn FnMut(&mut Place)) {
    match e {
        Expr::Const(_) => {}
        Expr::Load(p) => map_places_place(p, f),
        Expr::Unary(_, a) => map_places_expr(a, f),
        Expr::Binary(_, a, b) => {
            map_places_expr(a, f);
            map_places_expr(b, f);
        }
        Expr::Math(_, args)
        | Expr::Call(_, args)
        | Expr::Builtin(_, args)
        | Expr::FunctionTable(_, args) => args.iter_mut().for_each(|a| map_places_expr(a, f)),
    }
}

/// Calls `f` on every root expression of `stmts` (values, conditions,
/// rates, totals; not array indices of assignment targets).
pub fn map_exprs_stmts(stmts: &mut [Stmt], f: &mut dyn FnMut(&mut Expr)) {
    for s in stmts {
        match s {
            Stmt::Assign(_, e)
            | Stmt::Accumulate(_, e)
            | Stmt::Eval(e)
            | Stmt::NetEvent(e)
            | Stmt::NetMove(e) => f(e),
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                f(cond);
                map_exprs_stmts(then, f);
                map_exprs_stmts(otherwise, f);
            }
            Stmt::While { cond, body } => {
                f(cond);
                map_exprs_stmts(body, f);
            }
            Stmt::Return => {}
            Stmt::NetSend { delay, flag } => {
                f(delay);
                f(flag);
            }
            Stmt::Print { args, .. } => args.iter_mut().for_each(&mut *f),
            Stmt::WatchOn { flag, .. } => f(flag),
            Stmt::Equation { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            Stmt::Solve { body, .. } => map_exprs_stmts(body, f),
            Stmt::Table { from, to, .. } => {
                f(from);
                f(to);
            }
            Stmt::Ode { rhs, .. } => f(rhs),
            Stmt::Reaction(r) => {
                f(&mut r.forward);
                if let Some(b) = &mut r.backward {
                    f(b);
                }
                r.volumes.iter_mut().for_each(|(_, e)| f(e));
            }
            Stmt::Conserve { total, .. } => f(total),
        }
    }
}

/// `e` with every load of `p` replaced by `by`.
pub fn substitute(e: &Expr, p: &Place, by: &Expr) -> Expr {
    match e {
        Expr::Load(q) if q == p => by.clone(),
        Expr::Const(_) | Expr::Load(_) => e.clone(),
        Expr::Unary(op, a) => Expr::Unary(*op, Box::new(substitute(a, p, by))),
        Expr::Binary(op, a, b) => Expr::Binary(
            *op,
            Box::new(substitute(a, p, by)),
            Box::new(substitute(b, p, by)),
        ),
        Expr::Math(f, args) => Expr::Math(*f, args.iter().map(|a| substitute(a, p, by)).collect()),
        Expr::Call(f, args) => Expr::Call(*f, args.iter().map(|a| substitute(a, p, by)).collect()),
        Expr::Builtin(f, args) => {
            Expr::Builtin(*f, args.iter().map(|a| substitute(a, p, by)).collect())
        }
        Expr::FunctionTable(f, args) => {
            Expr::FunctionTable(*f, args.iter().map(|a| substitute(a, p, by)).collect())
        }
    }
}

fn is_const(e: &Expr, v: f64) -> bool {
    matches!(e, Expr::Const(x) if *x == v)
}

/// Folds the trivial cases `0 + x`, `x * 1`, `0 * x`, `x - 0`, `-0`... so
/// derivatives stay readable. Only identities exact in IEEE arithmetic for
/// finite values are applied.
pub fn simplify(e: Expr) -> Expr {
    match e {
        Expr::Binary(op, a, b) => {
            let a = simplify(*a);
            let b = simplify(*b);
            match op {
                BinOp::Add if is_const(&a, 0.0) => b,
                BinOp::Add if is_const(&b, 0.0) => a,
                BinOp::Sub if is_const(&b, 0.0) => a,
                BinOp::Sub if is_const(&a, 0.0) => simplify(neg(b)),
                BinOp::Mul if is_const(&a, 0.0) || is_const(&b, 0.0) => c(0.0),
                BinOp::Mul if is_const(&a, 1.0) => b,
                BinOp::Mul if is_const(&b, 1.0) => a,
                BinOp::Div if is_const(&a, 0.0) => c(0.0),
                BinOp::Div if is_const(&b, 1.0) => a,
                _ => Expr::Binary(op, Box::new(a), Box::new(b)),
            }
        }
        Expr::Unary(UnOp::Neg, a) => match simplify(*a) {
            Expr::Const(v) => c(-v),
            Expr::Unary(UnOp::Neg, inner) => *inner,
            a => neg(a),
        },
        other => other,
    }
}

/// d e / d p, or `None` when `e` depends on `p` through something this pass
/// cannot differentiate (a FUNCTION call, a comparison, a random number).
pub fn diff(e: &Expr, p: &Place) -> Option<Expr> {
    if !mentions(e, p) {
        return Some(c(0.0));
    }
    let d = match e {
        Expr::Const(_) => c(0.0),
        Expr::Load(q) => {
            if q == p {
                c(1.0)
            } else {
                return None;
            }
        }
        Expr::Unary(UnOp::Neg, a) => neg(diff(a, p)?),
        Expr::Unary(UnOp::Not, _) => return None,
        Expr::Binary(op, a, b) => {
            let (a, b) = (a.as_ref(), b.as_ref());
            match op {
                BinOp::Add => add(diff(a, p)?, diff(b, p)?),
                BinOp::Sub => sub(diff(a, p)?, diff(b, p)?),
                BinOp::Mul => add(mul(diff(a, p)?, b.clone()), mul(a.clone(), diff(b, p)?)),
                BinOp::Div => sub(
                    div(diff(a, p)?, b.clone()),
                    div(mul(a.clone(), diff(b, p)?), mul(b.clone(), b.clone())),
                ),
                BinOp::Pow => diff_pow(a, b, p)?,
                _ => return None,
            }
        }
        Expr::Math(f, args) => diff_math(*f, args, p)?,
        Expr::Call(..) | Expr::Builtin(..) | Expr::FunctionTable(..) => return None,
    };
    Some(simplify(d))
}

fn diff_pow(a: &Expr, b: &Expr, p: &Place) -> Option<Expr> {
    if !mentions(b, p) {
        // d a^b = b * a^(b-1) * a'
        let pw = Expr::Binary(
            BinOp::Pow,
            Box::new(a.clone()),
            Box::new(sub(b.clone(), c(1.0))),
        );
        Some(mul(mul(b.clone(), pw), diff(a, p)?))
    } else {
        // d a^b = a^b * (b' ln a + b a'/a)
        let pw = Expr::Binary(BinOp::Pow, Box::new(a.clone()), Box::new(b.clone()));
        let ln = Expr::Math(MathFn::Log, vec![a.clone()]);
        Some(mul(
            pw,
            add(
                mul(diff(b, p)?, ln),
                div(mul(b.clone(), diff(a, p)?), a.clone()),
            ),
        ))
    }
}

fn diff_math(f: MathFn, args: &[Expr], p: &Place) -> Option<Expr> {
    let x = args.first()?.clone();
    let dx = diff(&x, p)?;
    let m = |g: MathFn, a: Expr| Expr::Math(g, vec![a]);
    let outer = match f {
        MathFn::Exp => m(MathFn::Exp, x),
        MathFn::Log => div(c(1.0), x),
        MathFn::Log10 => div(c(std::f64::consts::LOG10_E), x),
        MathFn::Sqrt => div(c(0.5), m(MathFn::Sqrt, x)),
        MathFn::Sin => m(MathFn::Cos, x),
        MathFn::Cos => neg(m(MathFn::Sin, x)),
        MathFn::Tanh => {
            let t = m(MathFn::Tanh, x);
            sub(c(1.0), mul(t.clone(), t))
        }
        MathFn::Sinh => m(MathFn::Cosh, x),
        MathFn::Cosh => m(MathFn::Sinh, x),
        MathFn::Atan => div(c(1.0), add(c(1.0), mul(x.clone(), x))),
        MathFn::Pow => {
            let y = args.get(1)?;
            return diff_pow(&x, y, p);
        }
        _ => return None,
    };
    Some(mul(outer, dx))
}

/// nocmodl's reading of an ODE right-hand side f as `a*state + b`, with
/// `de` = df/dstate built the way nocmodl's `diffeq.y` builds it (so the
/// arithmetic of the cnexp update is the same as NEURON's). `None` fields
/// are nocmodl's literal `0.0` (an absent term).
#[derive(Clone, Debug, PartialEq)]
pub struct LinearForm {
    /// df/dstate as nocmodl writes it.
    pub de: Option<Expr>,
    /// The coefficient of the state.
    pub a: Option<Expr>,
    /// The part free of the state.
    pub b: Option<Expr>,
}

struct Form {
    e: Expr,
    de: Option<Expr>,
    a: Option<Expr>,
    b: Option<Expr>,
}

struct Analysis<'a> {
    state: &'a Place,
    d_invalid: bool,
    eq_invalid: bool,
}

/// Analyses `f` (the right side of `state' = f`) as nocmodl does; `None`
/// when f is not linear in the state (then NEURON cannot use cnexp).
pub fn linear_form(f: &Expr, state: &Place) -> Option<LinearForm> {
    let mut an = Analysis {
        state,
        d_invalid: false,
        eq_invalid: false,
    };
    let r = an.form(f);
    if an.d_invalid || an.eq_invalid {
        return None;
    }
    Some(LinearForm {
        de: r.de,
        a: r.a,
        b: r.b,
    })
}

fn opt2(
    x: Option<Expr>,
    y: Option<Expr>,
    both: impl Fn(Expr, Expr) -> Expr,
    only_y: impl Fn(Expr) -> Expr,
) -> Option<Expr> {
    match (x, y) {
        (Some(x), Some(y)) => Some(both(x, y)),
        (Some(x), None) => Some(x),
        (None, Some(y)) => Some(only_y(y)),
        (None, None) => None,
    }
}

impl Analysis<'_> {
    fn atom(&mut self, e: &Expr) -> Form {
        Form {
            e: e.clone(),
            de: None,
            a: None,
            b: Some(e.clone()),
        }
    }

    fn form(&mut self, e: &Expr) -> Form {
        match e {
            Expr::Load(p) if p == self.state => Form {
                e: e.clone(),
                de: Some(c(1.0)),
                a: Some(c(1.0)),
                b: None,
            },
            Expr::Const(_) | Expr::Load(_) => {
                if mentions(e, self.state) {
                    // an array element indexed by the state
                    self.d_invalid = true;
                    self.eq_invalid = true;
                }
                self.atom(e)
            }
            Expr::Unary(UnOp::Neg, x) => {
                let x = self.form(x);
                Form {
                    e: e.clone(),
                    de: x.de.map(neg),
                    a: x.a.map(neg),
                    b: x.b.map(neg),
                }
            }
            Expr::Binary(op @ (BinOp::Add | BinOp::Sub), x, y) => {
                let (x, y) = (self.form(x), self.form(y));
                let f: fn(Expr, Expr) -> Expr = if *op == BinOp::Add { add } else { sub };
                let g: fn(Expr) -> Expr = if *op == BinOp::Add { |v| v } else { neg };
                Form {
                    e: e.clone(),
                    de: opt2(x.de, y.de, f, g),
                    a: opt2(x.a, y.a, f, g),
                    b: opt2(x.b, y.b, f, g),
                }
            }
            Expr::Binary(BinOp::Mul, x, y) => {
                let (x, y) = (self.form(x), self.form(y));
                let de = match (&x.de, &y.de) {
                    (Some(dx), Some(dy)) => Some(add(
                        mul(dx.clone(), y.e.clone()),
                        mul(x.e.clone(), dy.clone()),
                    )),
                    (Some(dx), None) => Some(mul(dx.clone(), y.e.clone())),
                    (None, Some(dy)) => Some(mul(x.e.clone(), dy.clone())),
                    (None, None) => None,
                };
                let a = match (&x.a, &y.a) {
                    (Some(_), Some(_)) => {
                        self.eq_invalid = true;
                        None
                    }
                    (Some(ax), None) => y.b.as_ref().map(|by| mul(ax.clone(), by.clone())),
                    (None, Some(ay)) => x.b.as_ref().map(|bx| mul(bx.clone(), ay.clone())),
                    (None, None) => None,
                };
                let b = match (&x.b, &y.b) {
                    (Some(bx), Some(by)) => Some(mul(bx.clone(), by.clone())),
                    _ => None,
                };
                Form {
                    e: e.clone(),
                    de,
                    a,
                    b,
                }
            }
            Expr::Binary(BinOp::Div, x, y) => {
                let (x, y) = (self.form(x), self.form(y));
                let de = if y.de.is_some() {
                    self.d_invalid = true;
                    None
                } else {
                    x.de.map(|dx| div(dx, y.e.clone()))
                };
                let a = if y.a.is_some() {
                    self.eq_invalid = true;
                    None
                } else {
                    x.a.map(|ax| div(ax, y.e.clone()))
                };
                let b = x.b.map(|bx| div(bx, y.e.clone()));
                Form {
                    e: e.clone(),
                    de,
                    a,
                    b,
                }
            }
            // calls, powers, comparisons: constant unless they mention the state
            _ => {
                if mentions(e, self.state) {
                    self.d_invalid = true;
                    self.eq_invalid = true;
                }
                self.atom(e)
            }
        }
    }
}
