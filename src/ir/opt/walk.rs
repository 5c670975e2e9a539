//! Small traversals of IR bodies shared by the specialisation passes: the
//! expressions a statement evaluates, what a body reads and writes, and
//! summaries of FUNCTION/PROCEDURE bodies (which fields they may read,
//! whether they write anything but their own locals).

use std::collections::BTreeSet;

use crate::ir::{Expr, FieldId, FuncId, LocalId, Mechanism, Place, Stmt};

/// The expressions `s` evaluates itself (not those of nested statement
/// lists), including index expressions of the places it names.
pub(super) fn stmt_exprs(s: &Stmt) -> Vec<&Expr> {
    let mut out = Vec::new();
    match s {
        Stmt::Assign(p, e) | Stmt::Accumulate(p, e) => {
            out.push(e);
            place_exprs(p, &mut out);
        }
        Stmt::If { cond, .. } | Stmt::While { cond, .. } => out.push(cond),
        Stmt::Eval(e) | Stmt::NetEvent(e) | Stmt::NetMove(e) => out.push(e),
        Stmt::NetSend { delay, flag } => out.extend([delay, flag]),
        Stmt::Print { args, .. } => out.extend(args),
        Stmt::WatchOn { flag, .. } => out.push(flag),
        Stmt::Equation { lhs, rhs, .. } => out.extend([lhs, rhs]),
        Stmt::Table {
            outputs,
            depend,
            from,
            to,
            ..
        } => {
            for p in outputs.iter().chain(depend) {
                place_exprs(p, &mut out);
            }
            out.extend([from, to]);
        }
        Stmt::Ode { state, rhs, .. } => {
            place_exprs(state, &mut out);
            out.push(rhs);
        }
        Stmt::Reaction(r) => {
            for (_, p) in r.lhs.iter().chain(&r.rhs) {
                place_exprs(p, &mut out);
            }
            out.push(&r.forward);
            out.extend(r.backward.as_ref());
            for (p, e) in &r.volumes {
                place_exprs(p, &mut out);
                out.push(e);
            }
        }
        Stmt::Conserve { terms, total, .. } => {
            for (_, p) in terms {
                place_exprs(p, &mut out);
            }
            out.push(total);
        }
        Stmt::Return | Stmt::Solve { .. } => {}
    }
    out
}

/// The statement lists nested directly in `s`.
pub(super) fn nested(s: &Stmt) -> Vec<&[Stmt]> {
    match s {
        Stmt::If {
            then, otherwise, ..
        } => vec![then, otherwise],
        Stmt::While { body, .. } | Stmt::Solve { body, .. } => vec![body],
        _ => Vec::new(),
    }
}

/// Mutable [`stmt_exprs`].
pub(super) fn stmt_exprs_mut(s: &mut Stmt) -> Vec<&mut Expr> {
    let mut out = Vec::new();
    match s {
        Stmt::Assign(p, e) | Stmt::Accumulate(p, e) => {
            out.push(e);
            place_exprs_mut(p, &mut out);
        }
        Stmt::If { cond, .. } | Stmt::While { cond, .. } => out.push(cond),
        Stmt::Eval(e) | Stmt::NetEvent(e) | Stmt::NetMove(e) => out.push(e),
        Stmt::NetSend { delay, flag } => out.extend([delay, flag]),
        Stmt::Print { args, .. } => out.extend(args),
        Stmt::WatchOn { flag, .. } => out.push(flag),
        Stmt::Equation { lhs, rhs, .. } => out.extend([lhs, rhs]),
        Stmt::Table {
            outputs,
            depend,
            from,
            to,
            ..
        } => {
            for p in outputs.iter_mut().chain(depend) {
                place_exprs_mut(p, &mut out);
            }
            out.extend([from, to]);
        }
        Stmt::Ode { state, rhs, .. } => {
            place_exprs_mut(state, &mut out);
            out.push(rhs);
        }
        Stmt::Reaction(r) => {
            for (_, p) in r.lhs.iter_mut().chain(&mut r.rhs) {
                place_exprs_mut(p, &mut out);
            }
            out.push(&mut r.forward);
            out.extend(r.backward.as_mut());
            for (p, e) in &mut r.volumes {
                place_exprs_mut(p, &mut out);
                out.push(e);
            }
        }
        Stmt::Conserve { terms, total, .. } => {
            for (_, p) in terms {
                place_exprs_mut(p, &mut out);
            }
            out.push(total);
        }
        Stmt::Return | Stmt::Solve { .. } => {}
    }
    out
}

/// Mutable [`nested`].
pub(super) fn nested_mut(s: &mut Stmt) -> Vec<&mut Vec<Stmt>> {
    match s {
        Stmt::If {
            then, otherwise, ..
        } => vec![then, otherwise],
        Stmt::While { body, .. } | Stmt::Solve { body, .. } => vec![body],
        _ => Vec::new(),
    }
}

fn place_exprs<'a>(p: &'a Place, out: &mut Vec<&'a Expr>) {
    if let Place::Field(_, Some(e)) | Place::GlobalArray(_, e) = p {
        out.push(e);
    }
}

fn place_exprs_mut<'a>(p: &'a mut Place, out: &mut Vec<&'a mut Expr>) {
    if let Place::Field(_, Some(e)) | Place::GlobalArray(_, e) = p {
        out.push(e);
    }
}

/// The direct subexpressions of `e` (arguments, operands, index).
pub(super) fn children(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Const(_) => Vec::new(),
        Expr::Load(p) => {
            let mut out = Vec::new();
            place_exprs(p, &mut out);
            out
        }
        Expr::Unary(_, a) => vec![a],
        Expr::Binary(_, a, b) => vec![a, b],
        Expr::Math(_, args)
        | Expr::Call(_, args)
        | Expr::Builtin(_, args)
        | Expr::FunctionTable(_, args) => args.iter().collect(),
    }
}

/// Mutable [`children`].
pub(super) fn children_mut(e: &mut Expr) -> Vec<&mut Expr> {
    match e {
        Expr::Const(_) => Vec::new(),
        Expr::Load(p) => {
            let mut out = Vec::new();
            place_exprs_mut(p, &mut out);
            out
        }
        Expr::Unary(_, a) => vec![a],
        Expr::Binary(_, a, b) => vec![a, b],
        Expr::Math(_, args)
        | Expr::Call(_, args)
        | Expr::Builtin(_, args)
        | Expr::FunctionTable(_, args) => args.iter_mut().collect(),
    }
}

/// Calls `f` on every expression of `body` (nested statements and
/// subexpressions included), outermost first.
pub(super) fn each_expr<'a>(body: &'a [Stmt], f: &mut impl FnMut(&'a Expr)) {
    fn expr<'a>(e: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
        f(e);
        for c in children(e) {
            expr(c, f);
        }
    }
    for s in body {
        for e in stmt_exprs(s) {
            expr(e, f);
        }
        for list in nested(s) {
            each_expr(list, f);
        }
    }
}

/// Calls `f` on every statement of `body`, nested ones included.
pub(super) fn each_stmt<'a>(body: &'a [Stmt], f: &mut impl FnMut(&'a Stmt)) {
    for s in body {
        f(s);
        for list in nested(s) {
            each_stmt(list, f);
        }
    }
}

/// Rewrites every expression of `body` bottom-up with `f`.
pub(super) fn map_exprs(body: &mut [Stmt], f: &mut impl FnMut(&mut Expr)) {
    fn expr(e: &mut Expr, f: &mut impl FnMut(&mut Expr)) {
        for c in children_mut(e) {
            expr(c, f);
        }
        f(e);
    }
    for s in body {
        for e in stmt_exprs_mut(s) {
            expr(e, f);
        }
        for list in nested_mut(s) {
            map_exprs(list, f);
        }
    }
}

/// Renumbers every local of `body` by adding `base`.
pub(super) fn shift_locals(body: &mut [Stmt], base: usize) {
    fn place(p: &mut Place, base: usize) {
        if let Place::Local(l) = p {
            *l = l.shifted(base);
        }
    }
    fn stmts(body: &mut [Stmt], base: usize) {
        for s in body.iter_mut() {
            match s {
                Stmt::Assign(p, _) | Stmt::Accumulate(p, _) | Stmt::Ode { state: p, .. } => {
                    place(p, base)
                }
                _ => {}
            }
            for list in nested_mut(s) {
                stmts(list, base);
            }
        }
    }
    stmts(body, base);
    map_exprs(body, &mut |e| {
        if let Expr::Load(p) = e {
            place(p, base);
        }
    });
}

/// The functions `body` calls directly.
pub(super) fn calls(body: &[Stmt]) -> BTreeSet<FuncId> {
    let mut out = BTreeSet::new();
    each_expr(body, &mut |e| {
        if let Expr::Call(id, _) = e {
            out.insert(*id);
        }
    });
    out
}

/// Per function: every function it can reach through calls (itself only
/// when it is recursive).
pub(super) fn reachable(mech: &Mechanism) -> Vec<BTreeSet<FuncId>> {
    let direct: Vec<BTreeSet<FuncId>> = mech.functions.iter().map(|f| calls(&f.body)).collect();
    (0..direct.len())
        .map(|start| {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<FuncId> = direct[start].iter().copied().collect();
            while let Some(f) = stack.pop() {
                if seen.insert(f)
                    && let Some(next) = direct.get(f.index())
                {
                    stack.extend(next.iter().copied());
                }
            }
            seen
        })
        .collect()
}

/// Per function: true when calling it changes nothing but its own locals
/// and touches no engine service (no random numbers, FUNCTION_TABLE,
/// events or printing), also through the functions it calls, and it is
/// not recursive. Such a call commutes with any evaluation that writes
/// nothing it reads, and can be dropped when its value is unused.
pub(super) fn write_free(mech: &Mechanism) -> Vec<bool> {
    let reach = reachable(mech);
    let own: Vec<bool> = mech
        .functions
        .iter()
        .map(|f| body_write_free(&f.body))
        .collect();
    (0..mech.functions.len())
        .map(|k| {
            !reach[k].contains(&FuncId::new(k))
                && own[k]
                && reach[k]
                    .iter()
                    .all(|&g| own.get(g.index()).copied().unwrap_or(false))
        })
        .collect()
}

/// True when `body` writes only locals and uses no engine service (calls
/// are not followed).
fn body_write_free(body: &[Stmt]) -> bool {
    let mut ok = true;
    each_stmt(body, &mut |s| match s {
        Stmt::Assign(Place::Local(_), _)
        | Stmt::Accumulate(Place::Local(_), _)
        | Stmt::If { .. }
        | Stmt::While { .. }
        | Stmt::Eval(_)
        | Stmt::Return
        | Stmt::Table { .. } => {}
        _ => ok = false,
    });
    each_expr(body, &mut |e| {
        if matches!(e, Expr::Builtin(..) | Expr::FunctionTable(..)) {
            ok = false;
        }
    });
    ok
}
/// Per function: the fields it (or anything it calls) may read, by id.
/// Accumulating into a field reads it.
pub(super) fn function_field_reads(mech: &Mechanism) -> Vec<BTreeSet<FieldId>> {
    let own: Vec<BTreeSet<FieldId>> = mech
        .functions
        .iter()
        .map(|f| body_field_reads(&f.body))
        .collect();
    reachable(mech)
        .iter()
        .enumerate()
        .map(|(k, reach)| {
            let mut all = own[k].clone();
            for &g in reach {
                if let Some(r) = own.get(g.index()) {
                    all.extend(r.iter().copied());
                }
            }
            all
        })
        .collect()
}

/// Fields `body` loads or accumulates into anywhere (not following calls).
pub(super) fn body_field_reads(body: &[Stmt]) -> BTreeSet<FieldId> {
    let mut out = BTreeSet::new();
    each_expr(body, &mut |e| {
        if let Expr::Load(Place::Field(id, _)) = e {
            out.insert(*id);
        }
    });
    each_stmt(body, &mut |s| {
        if let Stmt::Accumulate(Place::Field(id, _), _) = s {
            out.insert(*id);
        }
    });
    out
}

/// Fields `body` assigns or accumulates into anywhere (not following calls).
pub(super) fn body_field_writes(body: &[Stmt]) -> BTreeSet<FieldId> {
    let mut out = BTreeSet::new();
    each_stmt(body, &mut |s| match s {
        Stmt::Assign(Place::Field(id, _), _) | Stmt::Accumulate(Place::Field(id, _), _) => {
            out.insert(*id);
        }
        Stmt::Ode {
            state: Place::Field(id, _),
            ..
        } => {
            out.insert(*id);
        }
        _ => {}
    });
    out
}

/// True when evaluating `e` has no effect beyond its value: no engine
/// service and only calls of functions `write_free` marks.
pub(super) fn effect_free(e: &Expr, write_free: &[bool]) -> bool {
    match e {
        Expr::Builtin(..) | Expr::FunctionTable(..) => false,
        Expr::Call(id, _) if !write_free.get(id.index()).copied().unwrap_or(false) => false,
        _ => children(e).into_iter().all(|c| effect_free(c, write_free)),
    }
}

/// Fields some place of `mech` (kernels, functions, WATCH conditions)
/// accesses with an index, or declared with more than one element: their
/// elements are not tracked one by one.
pub(super) fn indexed_fields(mech: &Mechanism) -> BTreeSet<FieldId> {
    let mut out: BTreeSet<FieldId> = mech
        .fields_with_ids()
        .filter(|(_, f)| f.len > 1)
        .map(|(id, _)| id)
        .collect();
    let mut note_place = |p: &Place| {
        if let Place::Field(id, Some(_)) = p {
            out.insert(*id);
        }
    };
    let bodies = mech
        .kernels
        .iter()
        .map(|k| &k.body)
        .chain(mech.functions.iter().map(|f| &f.body));
    let watch_body: Vec<Stmt> = mech.watches.iter().cloned().map(Stmt::Eval).collect();
    for body in bodies.chain(std::iter::once(&watch_body)) {
        each_stmt(body, &mut |s| {
            if let Stmt::Assign(p, _) | Stmt::Accumulate(p, _) | Stmt::Ode { state: p, .. } = s {
                note_place(p);
            }
        });
        each_expr(body, &mut |e| {
            if let Expr::Load(p) = e {
                note_place(p);
            }
        });
    }
    out
}

/// Adds to `out` the fields evaluating `e` may read, including everything
/// the functions it calls may read (`fn_reads`, see
/// [`function_field_reads`]).
pub(super) fn expr_field_reads(
    e: &Expr,
    fn_reads: &[BTreeSet<FieldId>],
    out: &mut BTreeSet<FieldId>,
) {
    match e {
        Expr::Load(Place::Field(id, _)) => {
            out.insert(*id);
        }
        Expr::Call(id, _) => {
            if let Some(r) = fn_reads.get(id.index()) {
                out.extend(r.iter().copied());
            }
        }
        _ => {}
    }
    for c in children(e) {
        expr_field_reads(c, fn_reads, out);
    }
}

/// Adds to `out` the locals `e` loads.
pub(super) fn expr_local_reads(e: &Expr, out: &mut BTreeSet<LocalId>) {
    if let Expr::Load(Place::Local(l)) = e {
        out.insert(*l);
    }
    for c in children(e) {
        expr_local_reads(c, out);
    }
}
