//! Math calls and divisions whose value cannot change during a run move
//! from the state and current kernels into INITIAL. A subexpression of
//! those kernels that calls libm or divides (`exp(dt*(-1/tau1))` of a
//! cnexp update with a per-instance `tau1`, or its `-0/(-1/tau1)`) and
//! reads only constants, `dt`, node areas, and fields and globals that
//! nothing writes after INITIAL is computed once per instance at the end
//! of INITIAL into a new field, which the kernels then load. The same
//! operations on the same values give the same bits, so results do not
//! change; a synapse's state kernel stops calling `exp` every step.
//!
//! Conditions, checked per mechanism:
//! - an INITIAL kernel exists and has no `return` (the new assignments at
//!   its end always run);
//! - a field qualifies when it is a PARAMETER or ASSIGNED scalar that no
//!   kernel other than INITIAL writes and no FUNCTION/PROCEDURE writes;
//!   a global when nothing writes it; `dt` is fixed for a run (the engine
//!   sets it before INITIAL).

use std::collections::BTreeSet;

use super::walk;
use crate::ir::{
    BinOp, Expr, Field, FieldId, FieldKind, GlobalId, KernelKind, Mechanism, NodeArray, Place,
    SharedVar, Stmt,
};

/// Moves run-invariant math out of the state and current kernels of
/// `mech` into INITIAL (see the module documentation). Returns the new
/// fields, which INITIAL writes and the kernels read.
pub fn hoist_invariant(mech: &mut Mechanism) -> BTreeSet<FieldId> {
    let mut added = BTreeSet::new();
    let Some(init) = mech.kernels.iter().position(|k| k.kind == KernelKind::Init) else {
        return added;
    };
    let mut early_exit = false;
    walk::each_stmt(&mech.kernels[init].body, &mut |s| {
        if matches!(s, Stmt::Return) {
            early_exit = true;
        }
    });
    if early_exit {
        return added;
    }
    let mut written_fields: BTreeSet<FieldId> = BTreeSet::new();
    let mut written_globals: BTreeSet<GlobalId> = BTreeSet::new();
    for (k, kernel) in mech.kernels.iter().enumerate() {
        if k != init {
            written_fields.extend(walk::body_field_writes(&kernel.body));
        }
        globals_written(&kernel.body, &mut written_globals);
    }
    for f in &mech.functions {
        written_fields.extend(walk::body_field_writes(&f.body));
        globals_written(&f.body, &mut written_globals);
    }
    let fixed = |id: FieldId| {
        mech.field(id).is_some_and(|f| {
            matches!(f.kind, FieldKind::Parameter | FieldKind::Assigned) && f.len == 1
        }) && !written_fields.contains(&id)
    };
    let fixed_fields: Vec<bool> = mech.field_ids().map(fixed).collect();
    let mut found: Vec<Expr> = Vec::new();
    let first_new = mech.fields.len();
    for kernel in &mut mech.kernels {
        if !matches!(kernel.kind, KernelKind::State | KernelKind::Current) {
            continue;
        }
        each_root(&mut kernel.body, &mut |e| {
            replace(e, &fixed_fields, &written_globals, &mut found, first_new);
        });
    }
    for (k, e) in found.into_iter().enumerate() {
        let id = FieldId::new(first_new + k);
        mech.fields.push(Field {
            name: format!("_invariant{k}"),
            kind: FieldKind::Assigned,
            unit: None,
            default: 0.0,
            len: 1,
            range: false,
        });
        mech.kernels[init]
            .body
            .push(Stmt::Assign(Place::Field(id, None), e));
        added.insert(id);
    }
    added
}

/// Calls `f` on every statement's own expressions (not their
/// subexpressions: [`replace`] walks down from the root, so that the
/// largest invariant subexpression moves, not its costly parts one by one).
fn each_root(body: &mut [Stmt], f: &mut impl FnMut(&mut Expr)) {
    for s in body {
        for e in walk::stmt_exprs_mut(s) {
            f(e);
        }
        for list in walk::nested_mut(s) {
            each_root(list, f);
        }
    }
}

/// Globals `body` assigns or accumulates into.
fn globals_written(body: &[Stmt], out: &mut BTreeSet<GlobalId>) {
    walk::each_stmt(body, &mut |s| match s {
        Stmt::Assign(Place::Global(g), _) | Stmt::Accumulate(Place::Global(g), _) => {
            out.insert(*g);
        }
        Stmt::Ode {
            state: Place::Global(g),
            ..
        } => {
            out.insert(*g);
        }
        _ => {}
    });
}

/// Replaces the largest invariant subexpressions of `e` worth a field (see
/// [`worth_a_field`]) by loads of new fields (ids from `first_new` on, in `found`
/// order; equal expressions share one).
fn replace(
    e: &mut Expr,
    fixed: &[bool],
    written_globals: &BTreeSet<GlobalId>,
    found: &mut Vec<Expr>,
    first_new: usize,
) {
    if invariant(e, fixed, written_globals) && worth_a_field(e) {
        let k = match found.iter().position(|x| x == e) {
            Some(k) => k,
            None => {
                found.push(e.clone());
                found.len() - 1
            }
        };
        *e = Expr::Load(Place::Field(FieldId::new(first_new + k), None));
        return;
    }
    for c in walk::children_mut(e) {
        replace(c, fixed, written_globals, found, first_new);
    }
}

/// True when `e`'s value is fixed for a run once INITIAL has run.
fn invariant(e: &Expr, fixed: &[bool], written_globals: &BTreeSet<GlobalId>) -> bool {
    match e {
        Expr::Const(_) => true,
        Expr::Load(Place::Field(id, None)) => fixed.get(id.index()).copied().unwrap_or(false),
        Expr::Load(Place::Global(g)) => !written_globals.contains(g),
        Expr::Load(Place::Shared(SharedVar::Dt)) => true,
        // The engine fixes node areas before INITIAL and no kernel writes them.
        Expr::Load(Place::Node(NodeArray::Area)) => true,
        Expr::Load(_) => false,
        Expr::Unary(_, a) => invariant(a, fixed, written_globals),
        Expr::Binary(_, a, b) => {
            invariant(a, fixed, written_globals) && invariant(b, fixed, written_globals)
        }
        Expr::Math(_, args) => args.iter().all(|a| invariant(a, fixed, written_globals)),
        Expr::Call(..) | Expr::Builtin(..) | Expr::FunctionTable(..) => false,
    }
}

/// True when `e` costs more than loading a field: it calls a libm
/// function or divides (a division takes as long as several loads), and
/// it reads a value (an expression of constants alone is folded instead).
fn worth_a_field(e: &Expr) -> bool {
    fn costly(e: &Expr) -> bool {
        matches!(
            e,
            Expr::Math(..) | Expr::Binary(BinOp::Div | BinOp::Pow, ..)
        ) || walk::children(e).into_iter().any(costly)
    }
    fn reads(e: &Expr) -> bool {
        matches!(e, Expr::Load(_)) || walk::children(e).into_iter().any(reads)
    }
    costly(e) && reads(e)
}
