//! Dead assignments: stores whose value nobody can observe are dropped,
//! with the computation of their value.
//!
//! Backward liveness over locals and scalar fields per kernel: at the end
//! of a kernel (and at every `Return`) the persistent fields are live;
//! a read makes a value live, an assignment kills it. An `Assign` (or
//! `Accumulate`) to a local or unindexed field that is not live after it
//! is dropped, and so is an `Accumulate` into an ion variable nobody reads
//! ([`super::Specialization::unread_ion_vars`]), when evaluating its
//! value has no effect (no engine service, no call of a function that
//! may write). Calls that stay calls read everything their function may
//! read. Repeats until nothing changes.

use std::collections::BTreeSet;

use super::walk;
use crate::ir::{Expr, FieldId, LocalId, Mechanism, Place, Stmt};

/// A tracked value: a scalar field or a local.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Var {
    Field(FieldId),
    Local(LocalId),
}

/// A set of tracked values, one bit each (fields first, then locals): a
/// large KINETIC scheme has tens of thousands of locals, and the analysis
/// copies the set at every branch.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Live {
    bits: Vec<u64>,
    fields: usize,
}

impl Live {
    fn new(fields: usize, locals: usize) -> Live {
        Live {
            bits: vec![0; (fields + locals).div_ceil(64)],
            fields,
        }
    }

    fn bit(&self, v: Var) -> usize {
        match v {
            Var::Field(f) => f.index(),
            Var::Local(l) => self.fields + l.index(),
        }
    }

    fn insert(&mut self, v: Var) {
        let k = self.bit(v);
        if k / 64 >= self.bits.len() {
            self.bits.resize(k / 64 + 1, 0);
        }
        self.bits[k / 64] |= 1 << (k % 64);
    }

    fn remove(&mut self, v: Var) {
        let k = self.bit(v);
        if let Some(w) = self.bits.get_mut(k / 64) {
            *w &= !(1 << (k % 64));
        }
    }

    fn contains(&self, v: Var) -> bool {
        let k = self.bit(v);
        self.bits
            .get(k / 64)
            .is_some_and(|w| w & (1 << (k % 64)) != 0)
    }

    /// Adds every value of `other` (laid out for the same fields).
    fn union(&mut self, other: &Live) {
        if other.bits.len() > self.bits.len() {
            self.bits.resize(other.bits.len(), 0);
        }
        for (a, b) in self.bits.iter_mut().zip(&other.bits) {
            *a |= b;
        }
    }

    /// Equality of the sets (trailing zero words aside).
    fn same(&self, other: &Live) -> bool {
        let n = self.bits.len().max(other.bits.len());
        (0..n).all(|k| self.bits.get(k).unwrap_or(&0) == other.bits.get(k).unwrap_or(&0))
    }
}

/// What the analysis needs about the mechanism.
struct Ctx<'a> {
    indexed: BTreeSet<FieldId>,
    unread_ions: &'a BTreeSet<String>,
    fn_reads: Vec<BTreeSet<FieldId>>,
    write_free: Vec<bool>,
}

/// Drops dead assignments from every kernel of `mech`.
pub fn eliminate(
    mech: &mut Mechanism,
    persistent: &BTreeSet<FieldId>,
    unread_ions: &BTreeSet<String>,
) {
    let ctx = Ctx {
        indexed: walk::indexed_fields(mech),
        unread_ions,
        fn_reads: walk::function_field_reads(mech),
        write_free: walk::write_free(mech),
    };
    let fields = mech.fields.len();
    for k in &mut mech.kernels {
        let mut exit = Live::new(fields, k.locals.len());
        for &f in persistent {
            exit.insert(Var::Field(f));
        }
        let mut unsolved = false;
        walk::each_stmt(&k.body, &mut |s| {
            unsolved |= matches!(
                s,
                Stmt::Solve { .. }
                    | Stmt::Ode { .. }
                    | Stmt::Reaction(_)
                    | Stmt::Conserve { .. }
                    | Stmt::Equation { .. }
            )
        });
        if unsolved {
            continue;
        }
        while ctx.sweep(&mut k.body, exit.clone(), &exit).0 {}
    }
}

impl Ctx<'_> {
    /// The tracked value a store to `p` overwrites entirely, if any.
    fn target(&self, p: &Place) -> Option<Var> {
        match p {
            Place::Local(l) => Some(Var::Local(*l)),
            Place::Field(id, None) if !self.indexed.contains(id) => Some(Var::Field(*id)),
            _ => None,
        }
    }

    /// Adds the values `e` may read to `live`.
    fn reads(&self, e: &Expr, live: &mut Live) {
        let mut fields = BTreeSet::new();
        walk::expr_field_reads(e, &self.fn_reads, &mut fields);
        for f in fields {
            live.insert(Var::Field(f));
        }
        let mut locals = BTreeSet::new();
        walk::expr_local_reads(e, &mut locals);
        for l in locals {
            live.insert(Var::Local(l));
        }
    }

    fn pure(&self, e: &Expr) -> bool {
        walk::effect_free(e, &self.write_free)
    }

    /// True when `s` can go, given what is live after it.
    fn dead(&self, s: &Stmt, live: &Live) -> bool {
        match s {
            Stmt::Assign(p, e) | Stmt::Accumulate(p, e) => {
                let unread_ion = matches!(s, Stmt::Accumulate(Place::Ion(_, name), _)
                    if self.unread_ions.contains(name));
                let unused = self.target(p).is_some_and(|v| !live.contains(v));
                (unread_ion || unused) && self.pure(e)
            }
            Stmt::Eval(e) => self.pure(e),
            Stmt::If {
                cond,
                then,
                otherwise,
            } => then.is_empty() && otherwise.is_empty() && self.pure(cond),
            _ => false,
        }
    }

    /// What is live before `s` given `live` after it (`s` kept).
    fn transfer(&self, s: &Stmt, mut live: Live, exit: &Live) -> Live {
        match s {
            Stmt::Assign(p, _) => {
                if let Some(v) = self.target(p) {
                    live.remove(v);
                }
            }
            Stmt::Accumulate(p, _) => {
                if let Some(v) = self.target(p) {
                    live.insert(v);
                }
            }
            Stmt::If {
                then, otherwise, ..
            } => {
                let mut a = self.live_before(then, live.clone(), exit);
                a.union(&self.live_before(otherwise, live, exit));
                live = a;
            }
            Stmt::While { cond, body } => live = self.loop_head(cond, body, live, exit),
            Stmt::Return => live = exit.clone(),
            _ => {
                for list in walk::nested(s) {
                    let inner = self.live_before(list, live.clone(), exit);
                    live.union(&inner);
                }
            }
        }
        if !matches!(s, Stmt::While { .. }) {
            for e in walk::stmt_exprs(s) {
                self.reads(e, &mut live);
            }
        }
        live
    }

    /// Live values at the head of `while (cond) body` given those after it.
    fn loop_head(&self, cond: &Expr, body: &[Stmt], after: Live, exit: &Live) -> Live {
        let mut head = after.clone();
        self.reads(cond, &mut head);
        loop {
            let mut next = after.clone();
            self.reads(cond, &mut next);
            next.union(&self.live_before(body, head.clone(), exit));
            if next.same(&head) {
                return head;
            }
            head = next;
        }
    }

    fn live_before(&self, body: &[Stmt], mut live: Live, exit: &Live) -> Live {
        for s in body.iter().rev() {
            if !self.dead(s, &live) {
                live = self.transfer(s, live, exit);
            }
        }
        live
    }

    /// Drops dead statements of `body` given `live` after it; true when
    /// something changed, and what is live before the body (kept
    /// statements only: what [`Ctx::live_before`] gives for the result,
    /// without walking swept branches again).
    fn sweep(&self, body: &mut Vec<Stmt>, mut live: Live, exit: &Live) -> (bool, Live) {
        let mut changed = false;
        let mut keep = vec![true; body.len()];
        for (k, s) in body.iter_mut().enumerate().rev() {
            if self.dead(s, &live) {
                keep[k] = false;
                changed = true;
                continue;
            }
            match s {
                Stmt::If {
                    then, otherwise, ..
                } => {
                    let (c1, mut a) = self.sweep(then, live.clone(), exit);
                    let (c2, b) = self.sweep(otherwise, live, exit);
                    changed |= c1 | c2;
                    a.union(&b);
                    live = a;
                    for e in walk::stmt_exprs(s) {
                        self.reads(e, &mut live);
                    }
                }
                Stmt::While { cond, body } => {
                    let head = self.loop_head(cond, body, live.clone(), exit);
                    changed |= self.sweep(body, head, exit).0;
                    live = self.transfer(s, live, exit);
                }
                _ => live = self.transfer(s, live, exit),
            }
        }
        let mut k = 0;
        body.retain(|_| {
            k += 1;
            keep[k - 1]
        });
        (changed, live)
    }
}
