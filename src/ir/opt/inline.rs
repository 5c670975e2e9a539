//! Inlining of FUNCTION/PROCEDURE calls into kernel bodies, so kernels such
//! as `state` (which calls `rates(v)`) become straight-line code the later
//! passes and the code generator can see through.
//!
//! A call `f(a1, .., an)` becomes, before the statement that contains it:
//! `p1 = a1 .. pn = an` (the parameters, as fresh kernel locals), every
//! other local of `f` set to 0 (as each call starts), then `f`'s body on
//! those locals; the call itself becomes a load of `f`'s result local (0
//! for a PROCEDURE). Every operation stays in its order, so results are
//! bit for bit those of a real call.
//!
//! Which calls move:
//! - the call a statement evaluates last (`f(..)` as a whole `Eval`, `If`
//!   condition, or value of an `Assign`/`Accumulate` to a place without an
//!   index): nothing of the statement runs after its body, so any
//!   inlinable function qualifies;
//! - any other call only when its function writes nothing but its own
//!   locals and uses no engine service ([`walk::write_free`]), and every
//!   other call of the statement does the same: then running it before the
//!   rest of the statement cannot change what the rest reads;
//! - never a call on the right of `&&`/`||` or in a `while` condition
//!   (it runs conditionally or repeatedly); those stay calls.
//!
//! A function is inlinable when it cannot reach itself through calls and
//! every `Return` in it ends the function anyway (nothing of the body runs
//! after it on any path), so dropping the `Return` changes nothing.

use super::walk;
use crate::ir::{BinOp, Expr, FuncId, Function, LocalId, Mechanism, Place, Stmt};

/// Inlines calls into every kernel of `mech` (transitively). Function
/// bodies, WATCH conditions and calls that cannot move stay as they are.
pub fn inline_kernels(mech: &mut Mechanism) {
    let plan = Plan::of(mech);
    let functions = mech.functions.clone();
    for kernel in &mut mech.kernels {
        let mut inliner = Inliner {
            functions: &functions,
            plan: &plan,
            locals: &mut kernel.locals,
        };
        let body = std::mem::take(&mut kernel.body);
        kernel.body = inliner.block(body);
    }
}

/// What can be inlined.
struct Plan {
    /// Per function: the body to insert (tail `Return`s and `Table`s
    /// removed), or `None` when calls of it stay calls.
    bodies: Vec<Option<Vec<Stmt>>>,
    /// Per function: see [`walk::write_free`].
    write_free: Vec<bool>,
}

impl Plan {
    fn of(mech: &Mechanism) -> Plan {
        let reach = walk::reachable(mech);
        let bodies = mech
            .functions
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let shaped = f.params <= f.locals.len()
                    && (!f.returns_value || f.result.index() < f.locals.len());
                if !shaped || reach[k].contains(&FuncId::new(k)) {
                    return None;
                }
                without_tail_returns(&f.body, true)
            })
            .collect();
        Plan {
            bodies,
            write_free: walk::write_free(mech),
        }
    }

    fn inlinable(&self, id: FuncId) -> bool {
        matches!(self.bodies.get(id.index()), Some(Some(_)))
    }

    fn movable(&self, id: FuncId) -> bool {
        self.inlinable(id) && self.write_free.get(id.index()).copied().unwrap_or(false)
    }
}

/// `body` without `Table` statements (no-ops in the back ends) and without
/// the `Return`s that end it anyway; `None` when some `Return` skips
/// statements that would otherwise run. `tail`: nothing runs after `body`.
fn without_tail_returns(body: &[Stmt], tail: bool) -> Option<Vec<Stmt>> {
    let mut out = Vec::new();
    for (k, s) in body.iter().enumerate() {
        let last = k + 1 == body.len();
        match s {
            Stmt::Return if tail => return Some(out),
            Stmt::Return => return None,
            Stmt::Table { .. } => {}
            Stmt::If {
                cond,
                then,
                otherwise,
            } => out.push(Stmt::If {
                cond: cond.clone(),
                then: without_tail_returns(then, tail && last)?,
                otherwise: without_tail_returns(otherwise, tail && last)?,
            }),
            Stmt::While { cond, body } => out.push(Stmt::While {
                cond: cond.clone(),
                body: without_tail_returns(body, false)?,
            }),
            other => out.push(other.clone()),
        }
    }
    Some(out)
}

struct Inliner<'a> {
    functions: &'a [Function],
    plan: &'a Plan,
    /// The kernel's locals, extended with those of inlined calls.
    locals: &'a mut Vec<String>,
}

impl Inliner<'_> {
    fn block(&mut self, body: Vec<Stmt>) -> Vec<Stmt> {
        let mut out = Vec::with_capacity(body.len());
        for s in body {
            self.stmt(s, &mut out);
        }
        out
    }

    /// True when every call in `s` except `tail` (the statement's last
    /// evaluated call, if any) is to a function that may move.
    fn others_movable(&self, exprs: &[&Expr], tail: Option<&Expr>) -> bool {
        let mut ok = true;
        for e in exprs {
            let mut visit = |x: &Expr| {
                if let Expr::Call(id, _) = x
                    && !tail.is_some_and(|t| std::ptr::eq(t, x))
                    && !self.plan.movable(*id)
                {
                    ok = false;
                }
            };
            each_subexpr(e, &mut visit);
        }
        ok
    }

    fn stmt(&mut self, s: Stmt, out: &mut Vec<Stmt>) {
        // The call whose body would run last in the statement.
        let tail = match &s {
            Stmt::Eval(e @ Expr::Call(..))
            | Stmt::If {
                cond: e @ Expr::Call(..),
                ..
            } => Some(e),
            Stmt::Assign(p, e @ Expr::Call(..)) | Stmt::Accumulate(p, e @ Expr::Call(..))
                if !indexed(p) =>
            {
                Some(e)
            }
            _ => None,
        };
        let hoist = self.others_movable(&walk::stmt_exprs(&s), tail);
        let has_tail = tail.is_some();
        match s {
            Stmt::Assign(p, e) => {
                let e = self.top(e, has_tail, hoist, out);
                let p = self.place(p, hoist, out);
                out.push(Stmt::Assign(p, e));
            }
            Stmt::Accumulate(p, e) => {
                let e = self.top(e, has_tail, hoist, out);
                let p = self.place(p, hoist, out);
                out.push(Stmt::Accumulate(p, e));
            }
            Stmt::Eval(e) => {
                let e = self.top(e, has_tail, hoist, out);
                if !matches!(e, Expr::Const(_) | Expr::Load(Place::Local(_))) {
                    out.push(Stmt::Eval(e));
                }
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.top(cond, has_tail, hoist, out);
                let then = self.block(then);
                let otherwise = self.block(otherwise);
                out.push(Stmt::If {
                    cond,
                    then,
                    otherwise,
                });
            }
            Stmt::While { cond, body } => {
                let cond = self.expr(cond, false, out);
                let body = self.block(body);
                out.push(Stmt::While { cond, body });
            }
            Stmt::NetSend { delay, flag } => {
                let delay = self.expr(delay, hoist, out);
                let flag = self.expr(flag, hoist, out);
                out.push(Stmt::NetSend { delay, flag });
            }
            Stmt::NetEvent(e) => {
                let e = self.expr(e, hoist, out);
                out.push(Stmt::NetEvent(e));
            }
            Stmt::NetMove(e) => {
                let e = self.expr(e, hoist, out);
                out.push(Stmt::NetMove(e));
            }
            Stmt::Print { format, args } => {
                let args = args.into_iter().map(|a| self.expr(a, hoist, out)).collect();
                out.push(Stmt::Print { format, args });
            }
            Stmt::WatchOn { id, flag } => {
                let flag = self.expr(flag, hoist, out);
                out.push(Stmt::WatchOn { id, flag });
            }
            other => out.push(other),
        }
    }

    /// A statement's top expression: inlines it if it is the tail call.
    fn top(&mut self, e: Expr, tail: bool, hoist: bool, out: &mut Vec<Stmt>) -> Expr {
        match e {
            Expr::Call(id, args) if tail && self.plan.inlinable(id) => {
                let args = args.into_iter().map(|a| self.expr(a, hoist, out)).collect();
                self.inline(id, args, out)
            }
            e => self.expr(e, hoist, out),
        }
    }

    fn place(&mut self, p: Place, hoist: bool, out: &mut Vec<Stmt>) -> Place {
        match p {
            Place::Field(id, Some(ix)) => {
                Place::Field(id, Some(Box::new(self.expr(*ix, hoist, out))))
            }
            Place::GlobalArray(id, ix) => {
                Place::GlobalArray(id, Box::new(self.expr(*ix, hoist, out)))
            }
            p => p,
        }
    }

    /// Rewrites `e`, moving the calls it may move (all when `hoist`, in
    /// evaluation order) into `out`.
    fn expr(&mut self, e: Expr, hoist: bool, out: &mut Vec<Stmt>) -> Expr {
        match e {
            Expr::Call(id, args) => {
                let args: Vec<Expr> = args.into_iter().map(|a| self.expr(a, hoist, out)).collect();
                if hoist && self.plan.movable(id) {
                    self.inline(id, args, out)
                } else {
                    Expr::Call(id, args)
                }
            }
            Expr::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                let a = self.expr(*a, hoist, out);
                let b = self.expr(*b, false, out);
                Expr::Binary(op, Box::new(a), Box::new(b))
            }
            Expr::Binary(op, a, b) => {
                let a = self.expr(*a, hoist, out);
                let b = self.expr(*b, hoist, out);
                Expr::Binary(op, Box::new(a), Box::new(b))
            }
            Expr::Unary(op, a) => Expr::Unary(op, Box::new(self.expr(*a, hoist, out))),
            Expr::Load(p) => Expr::Load(self.place(p, hoist, out)),
            Expr::Math(f, args) => Expr::Math(
                f,
                args.into_iter().map(|a| self.expr(a, hoist, out)).collect(),
            ),
            Expr::Builtin(b, args) => Expr::Builtin(
                b,
                args.into_iter().map(|a| self.expr(a, hoist, out)).collect(),
            ),
            Expr::FunctionTable(t, args) => Expr::FunctionTable(
                t,
                args.into_iter().map(|a| self.expr(a, hoist, out)).collect(),
            ),
            e @ Expr::Const(_) => e,
        }
    }

    /// Emits the body of function `id` on fresh locals into `out`; returns
    /// the expression standing for the call's value.
    fn inline(&mut self, id: FuncId, args: Vec<Expr>, out: &mut Vec<Stmt>) -> Expr {
        let (Some(f), Some(Some(body))) = (
            self.functions.get(id.index()),
            self.plan.bodies.get(id.index()),
        ) else {
            return Expr::Call(id, args);
        };
        if args.len() != f.params {
            return Expr::Call(id, args);
        }
        let base = self.locals.len();
        self.locals
            .extend(f.locals.iter().map(|l| format!("{}.{l}", f.name)));
        for (k, a) in args.into_iter().enumerate() {
            out.push(Stmt::Assign(Place::Local(LocalId::new(base + k)), a));
        }
        for k in f.params..f.locals.len() {
            out.push(Stmt::Assign(
                Place::Local(LocalId::new(base + k)),
                Expr::Const(0.0),
            ));
        }
        let mut body = body.clone();
        walk::shift_locals(&mut body, base);
        let body = self.block(body);
        out.extend(body);
        if f.returns_value {
            Expr::Load(Place::Local(f.result.shifted(base)))
        } else {
            Expr::Const(0.0)
        }
    }
}

/// True when storing to `p` evaluates an index.
fn indexed(p: &Place) -> bool {
    matches!(p, Place::Field(_, Some(_)) | Place::GlobalArray(..))
}

/// Calls `f` on `e` and every subexpression of it.
fn each_subexpr<'a>(e: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    f(e);
    for c in walk::children(e) {
        each_subexpr(c, f);
    }
}
