//! The kernels, shaped like the C that nocmodl writes:
//! - `init` (nrn_init): v and ion variables in, every STATE `x = x0`,
//!   the INITIAL body, written ion concentrations/potentials out;
//! - `current` (nrn_cur): the BREAKPOINT body without SOLVE evaluated at
//!   v + 0.001 and at v, g = (i(v+0.001) - i(v))/0.001, ion currents and
//!   their di/dv accumulated into the ion arrays, `rhs -= i`, `diag += g`
//!   (signs flipped for ELECTRODE_CURRENT; point processes scaled by
//!   100/area). With CONDUCTANCE hints: one evaluation, g = sum of them.
//! - `state` (nrn_state): v and ions in, the SOLVE statements, the rest of
//!   BREAKPOINT when the mechanism has no current, written ion values out;
//! - `net_receive` / `net_receive_init`, `before_*` / `after_*`.

use super::body::{Body, Role};
use super::layout::Context;
use crate::front::nmodl::ast::{self, ItemKind, StmtKind};
use crate::ir::{
    BinOp, Expr, FieldId, IonId, Kernel, KernelKind, LocalId, MechKind, NodeArray, Phase, Place,
    Stmt,
};

/// Builds every function and kernel of the mechanism.
pub fn build(cx: &mut Context) {
    let module = cx.module;
    for item in &module.items {
        match &item.kind {
            ItemKind::Function(fd) | ItemKind::Procedure(fd) => function(cx, fd, item),
            _ => {}
        }
    }
    let mut initial = None;
    let mut breakpoint = None;
    for item in &module.items {
        match &item.kind {
            ItemKind::Initial(b) => initial = Some(b),
            ItemKind::Breakpoint(b) => breakpoint = Some(b),
            _ => {}
        }
    }
    init_kernel(cx, initial);
    if let Some(bp) = breakpoint {
        current_kernel(cx, bp);
        state_kernel(cx, bp);
    }
    // BEFORE/AFTER blocks by kernel, in the order of their first block.
    let mut around: Vec<(KernelKind, Vec<(&ast::Block, crate::diag::Span)>)> = Vec::new();
    for item in &module.items {
        let kind = match &item.kind {
            ItemKind::Before { when, .. } => phase(cx, when).map(KernelKind::Before),
            ItemKind::After { when, .. } => phase(cx, when).map(KernelKind::After),
            _ => None,
        };
        let (Some(kind), ItemKind::Before { body, .. } | ItemKind::After { body, .. }) =
            (kind, &item.kind)
        else {
            continue;
        };
        match around.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, blocks)) => blocks.push((body, item.span)),
            None => around.push((kind, vec![(body, item.span)])),
        }
    }
    for (kind, blocks) in around {
        around_kernel(cx, kind, &blocks);
    }
    for item in &module.items {
        match &item.kind {
            ItemKind::NetReceive { params, body } => net_receive(cx, params, body),
            ItemKind::Constructor(b) | ItemKind::Destructor(b) => {
                let only_c = b
                    .stmts
                    .iter()
                    .all(|s| matches!(s.kind, StmtKind::Verbatim(_)));
                if !only_c {
                    cx.diags_warn.push(
                        crate::diag::Diagnostic::warning(
                            super::W_IGNORED,
                            "CONSTRUCTOR/DESTRUCTOR code is ignored by nmc",
                        )
                        .with_primary(item.span, "never runs")
                        .with_help("move per-instance set-up into INITIAL"),
                    );
                }
            }
            _ => {}
        }
    }
}

fn phase(cx: &mut Context, when: &ast::Ident) -> Option<Phase> {
    match when.name.as_str() {
        "BREAKPOINT" => Some(Phase::Breakpoint),
        "SOLVE" => Some(Phase::Solve),
        "INITIAL" => Some(Phase::Initial),
        "STEP" => Some(Phase::Step),
        other => {
            cx.error(
                super::E_UNSUPPORTED,
                when.span,
                format!("BEFORE/AFTER `{other}` is not a known phase"),
                "phase",
            );
            None
        }
    }
}

/// A FUNCTION or PROCEDURE: parameters are locals `0..n`; a FUNCTION's
/// result is the local named after it; TABLE statements come first.
fn function(cx: &mut Context, fd: &ast::FuncDef, item: &ast::Item) {
    let Some(&id) = cx.funcs.get(&fd.name.name) else {
        return;
    };
    if cx.mech.functions[id].body != Vec::new() || !cx.mech.functions[id].locals.is_empty() {
        return;
    }
    let mut b = Body::new(Role::Function);
    for p in &fd.params {
        b.declare_local(&p.name.name);
    }
    let returns = matches!(item.kind, ItemKind::Function(_));
    let result = if returns {
        let r = b.temp(&fd.name.name);
        b.bind_local(&fd.name.name, r);
        b.result = Some(r);
        r
    } else {
        b.temp("result")
    };
    let stmts = cx.block(&mut b, &fd.body);
    let (mut tables, rest): (Vec<_>, Vec<_>) = stmts
        .into_iter()
        .partition(|s| matches!(s, Stmt::Table { .. }));
    tables.extend(rest);
    let f = &mut cx.mech.functions[id];
    f.locals = b.locals;
    f.result = result;
    f.body = tables;
}

fn load(p: Place) -> Expr {
    Expr::Load(p)
}

fn field(f: FieldId) -> Place {
    Place::Field(f, None)
}

fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}

/// `v = node.v` (not for artificial cells).
fn v_in(cx: &Context, out: &mut Vec<Stmt>) {
    if let Some(v) = cx.v_field {
        out.push(Stmt::Assign(field(v), load(Place::Node(NodeArray::V))));
    }
}

/// nocmodl's get_ion_variables: every READ variable, and written
/// concentrations, copied in from the ion arrays.
fn ions_in(cx: &Context, out: &mut Vec<Stmt>) {
    for iv in &cx.ion_vars {
        if iv.read || (iv.write && iv.conc) {
            let len = cx.mech.fields[iv.field].len;
            if len == 1 {
                out.push(Stmt::Assign(
                    field(iv.field),
                    load(Place::Ion(iv.ion, iv.name.clone())),
                ));
            }
        }
    }
}

/// nocmodl's set_ion_variables for non-current writes: written
/// concentrations and reversal potentials copied out.
fn ions_out(cx: &Context, out: &mut Vec<Stmt>) {
    for iv in &cx.ion_vars {
        if iv.write && !iv.current && cx.mech.fields[iv.field].len == 1 {
            out.push(Stmt::Assign(
                Place::Ion(iv.ion, iv.name.clone()),
                load(field(iv.field)),
            ));
        }
    }
}

fn push_kernel(cx: &mut Context, kind: KernelKind, locals: Vec<String>, body: Vec<Stmt>) {
    cx.mech.kernels.push(Kernel { kind, locals, body });
}

fn init_kernel(cx: &mut Context, initial: Option<&ast::Block>) {
    let mut b = Body::new(Role::Kernel);
    let mut out = Vec::new();
    v_in(cx, &mut out);
    ions_in(cx, &mut out);
    // initstates: every STATE (except ion concentrations) starts at x0.
    let mut states: Vec<(String, FieldId, usize)> = Vec::new();
    for (i, f) in cx.mech.fields_with_ids() {
        if f.kind == crate::ir::FieldKind::State
            && !cx.ion_vars.iter().any(|iv| iv.field == i && iv.conc)
        {
            states.push((f.name.clone(), i, f.len));
        }
    }
    for (name, f, len) in states {
        let init = format!("{name}0");
        let value = match cx.names.get(&init) {
            Some(super::layout::Binding::Global(g)) => load(Place::Global(*g)),
            Some(super::layout::Binding::Field(g)) => load(field(*g)),
            Some(super::layout::Binding::Const(c)) => Expr::Const(*c),
            _ => continue,
        };
        if len == 1 {
            out.push(Stmt::Assign(field(f), value));
        } else {
            for k in 0..len {
                out.push(Stmt::Assign(
                    Place::Field(f, Some(Box::new(Expr::Const(k as f64)))),
                    value.clone(),
                ));
            }
        }
    }
    if let Some(init) = initial {
        out.extend(cx.block(&mut b, init));
    }
    ions_out(cx, &mut out);
    push_kernel(cx, KernelKind::Init, b.locals, out);
}

/// The BREAKPOINT statements other than SOLVE.
fn without_solve(bp: &ast::Block) -> Vec<ast::Stmt> {
    bp.stmts
        .iter()
        .filter(|s| !matches!(s.kind, StmtKind::Solve { .. }))
        .cloned()
        .collect()
}

fn conductances(bp: &ast::Block) -> Vec<(ast::Ident, Option<ast::Ident>)> {
    bp.stmts
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Conductance { name, ion } => Some((name.clone(), ion.clone())),
            _ => None,
        })
        .collect()
}

/// Sum of the currents' fields.
fn current_sum(cx: &Context) -> Expr {
    let mut sum: Option<Expr> = None;
    for c in &cx.currents {
        let x = load(field(c.field));
        sum = Some(match sum {
            None => x,
            Some(s) => bin(BinOp::Add, s, x),
        });
    }
    sum.unwrap_or(Expr::Const(0.0))
}

/// `x * 1e2/area` for point processes, `x` otherwise.
fn scaled(cx: &Context, x: Expr) -> Expr {
    if cx.mech.kind == MechKind::Density {
        x
    } else {
        bin(
            BinOp::Mul,
            x,
            bin(
                BinOp::Div,
                Expr::Const(1e2),
                load(Place::Node(NodeArray::Area)),
            ),
        )
    }
}

fn current_kernel(cx: &mut Context, bp: &ast::Block) {
    if cx.currents.is_empty() || cx.mech.kind == MechKind::ArtificialCell {
        return;
    }
    let Some(v) = cx.v_field else { return };
    let body_stmts = without_solve(bp);
    let conds = conductances(bp);
    let mut b = Body::new(Role::Kernel);
    let mut out = Vec::new();
    ions_in(cx, &mut out);
    let rhs = b.temp("_rhs");
    let g = b.temp("_g");
    let ion_currents: Vec<(crate::ir::IonId, FieldId, String)> = cx
        .currents
        .iter()
        .filter_map(|c| {
            let ion = c.ion?;
            let name = cx.mech.fields[c.field].name.clone();
            Some((ion, c.field, name))
        })
        .collect();
    if conds.is_empty() {
        // _g_local = _nrn_current(v + .001)
        let i1 = b.temp("_i1");
        out.push(Stmt::Assign(
            field(v),
            bin(
                BinOp::Add,
                load(Place::Node(NodeArray::V)),
                Expr::Const(0.001),
            ),
        ));
        out.extend(cx.stmts(&mut b, &body_stmts));
        out.push(Stmt::Assign(Place::Local(i1), current_sum(cx)));
        // _di<ion> = i<ion>
        let saved: Vec<LocalId> = ion_currents
            .iter()
            .map(|(_, f, name)| {
                let l = b.temp(&format!("_d{name}"));
                out.push(Stmt::Assign(Place::Local(l), load(field(*f))));
                l
            })
            .collect();
        // _rhs = _nrn_current(v)
        out.push(Stmt::Assign(field(v), load(Place::Node(NodeArray::V))));
        out.extend(cx.stmts(&mut b, &body_stmts));
        out.push(Stmt::Assign(Place::Local(rhs), current_sum(cx)));
        for ((ion, f, name), l) in ion_currents.iter().zip(&saved) {
            let didv = bin(
                BinOp::Div,
                bin(BinOp::Sub, load(Place::Local(*l)), load(field(*f))),
                Expr::Const(0.001),
            );
            let ion_name = &cx.mech.ions[*ion].name;
            let _ = name;
            out.push(Stmt::Accumulate(
                Place::Ion(*ion, format!("di{ion_name}dv")),
                scaled(cx, didv),
            ));
        }
        out.push(Stmt::Assign(
            Place::Local(g),
            bin(
                BinOp::Div,
                bin(BinOp::Sub, load(Place::Local(i1)), load(Place::Local(rhs))),
                Expr::Const(0.001),
            ),
        ));
    } else {
        out.push(Stmt::Assign(field(v), load(Place::Node(NodeArray::V))));
        out.extend(cx.stmts(&mut b, &body_stmts));
        out.push(Stmt::Assign(Place::Local(rhs), current_sum(cx)));
        let mut gsum: Option<Expr> = None;
        let mut per_ion = Vec::new();
        for (name, ion) in &conds {
            let Some(p) = cx.name_place(&mut b, name, None) else {
                continue;
            };
            gsum = Some(match gsum {
                None => load(p.clone()),
                Some(s) => bin(BinOp::Add, s, load(p.clone())),
            });
            if let Some(ion) = ion
                && let Some(id) = cx.mech.ions.iter().position(|u| u.name == ion.name)
            {
                per_ion.push((IonId::new(id), p));
            }
        }
        out.push(Stmt::Assign(
            Place::Local(g),
            gsum.unwrap_or(Expr::Const(0.0)),
        ));
        for (id, p) in per_ion {
            let ion_name = cx.mech.ions[id].name.clone();
            out.push(Stmt::Accumulate(
                Place::Ion(id, format!("di{ion_name}dv")),
                scaled(cx, load(p)),
            ));
        }
    }
    // set_ion_variables(0): currents accumulated, other writes copied.
    for (ion, f, name) in &ion_currents {
        out.push(Stmt::Accumulate(
            Place::Ion(*ion, name.clone()),
            scaled(cx, load(field(*f))),
        ));
    }
    ions_out(cx, &mut out);
    let rhs_v = scaled(cx, load(Place::Local(rhs)));
    let g_v = scaled(cx, load(Place::Local(g)));
    if cx.electrode {
        out.push(Stmt::Accumulate(Place::Node(NodeArray::Rhs), rhs_v));
        out.push(Stmt::Accumulate(
            Place::Node(NodeArray::Diag),
            Expr::Unary(crate::ir::UnOp::Neg, Box::new(g_v)),
        ));
    } else {
        out.push(Stmt::Accumulate(
            Place::Node(NodeArray::Rhs),
            Expr::Unary(crate::ir::UnOp::Neg, Box::new(rhs_v)),
        ));
        out.push(Stmt::Accumulate(Place::Node(NodeArray::Diag), g_v));
    }
    push_kernel(cx, KernelKind::Current, b.locals, out);
}

fn state_kernel(cx: &mut Context, bp: &ast::Block) {
    let has_solve = bp
        .stmts
        .iter()
        .any(|s| matches!(s.kind, StmtKind::Solve { .. }));
    let no_current = cx.currents.is_empty() || cx.mech.kind == MechKind::ArtificialCell;
    if !has_solve && !no_current {
        return;
    }
    let mut b = Body::new(Role::Kernel);
    let mut out = Vec::new();
    v_in(cx, &mut out);
    ions_in(cx, &mut out);
    let solves: Vec<ast::Stmt> = bp
        .stmts
        .iter()
        .filter(|s| matches!(s.kind, StmtKind::Solve { .. }))
        .cloned()
        .collect();
    out.extend(cx.stmts(&mut b, &solves));
    if no_current {
        out.extend(cx.stmts(&mut b, &without_solve(bp)));
    }
    ions_out(cx, &mut out);
    push_kernel(cx, KernelKind::State, b.locals, out);
}

fn net_receive(cx: &mut Context, params: &[ast::Param], body: &ast::Block) {
    cx.mech.net_receive_args = params.iter().map(|p| p.name.name.clone()).collect();
    let mut b = Body::new(Role::NetReceive);
    b.bind_flag();
    for (k, p) in params.iter().enumerate() {
        b.bind_net_arg(&p.name.name, k);
    }
    let mut out = Vec::new();
    v_in(cx, &mut out);
    ions_in(cx, &mut out);
    out.extend(cx.block(&mut b, body));
    ions_out(cx, &mut out);
    let nested = b.net_initial.take();
    push_kernel(cx, KernelKind::NetReceive, b.locals, out);
    if let Some(init) = nested {
        let mut bi = Body::new(Role::NetReceive);
        bi.bind_flag();
        for (k, p) in params.iter().enumerate() {
            bi.bind_net_arg(&p.name.name, k);
        }
        let stmts = cx.block(&mut bi, &init);
        push_kernel(cx, KernelKind::NetReceiveInit, bi.locals, stmts);
    }
}

/// The kernel of a mechanism's BEFORE or AFTER blocks of one phase.
///
/// NEURON runs each block over every instance in turn, in the order of the
/// file. nmc has one kernel per phase: the blocks run one after the other
/// for each instance, which gives the same results when no block writes
/// something that another reads or writes and that other instances can
/// see too (a POINTER's target, a GLOBAL, an ion variable or `v` at a
/// node, an engine service such as `net_send`); otherwise the blocks are
/// refused (E0601) rather than run in another order.
fn around_kernel(cx: &mut Context, kind: KernelKind, blocks: &[(&ast::Block, crate::diag::Span)]) {
    let mut b = Body::new(Role::Kernel);
    let mut out = Vec::new();
    v_in(cx, &mut out);
    ions_in(cx, &mut out);
    let bodies: Vec<Vec<Stmt>> = blocks
        .iter()
        .map(|(body, _)| cx.block(&mut b, body))
        .collect();
    let shares: Vec<Shares> = bodies.iter().map(|body| shares(cx, body)).collect();
    for j in 1..bodies.len() {
        for i in 0..j {
            if let Some(what) = shares[i].conflict(&shares[j]) {
                let d = crate::diag::Diagnostic::error(
                    super::E_UNSUPPORTED,
                    format!(
                        "two {} blocks of this mechanism share {what}",
                        phase_name(kind)
                    ),
                )
                .with_primary(blocks[j].1, "this block")
                .with_secondary(blocks[i].1, "and this one")
                .with_note(
                    "NEURON runs each block over every instance in turn; nmc runs a mechanism's blocks of one phase one after the other for each instance, which can change what one instance sees of another's writes",
                )
                .with_help("merge the blocks into one, or keep one of them");
                cx.diags.push(d);
                return;
            }
        }
    }
    out.extend(bodies.into_iter().flatten());
    ions_out(cx, &mut out);
    push_kernel(cx, kind, b.locals, out);
}

/// `BEFORE STEP` and the like, for messages.
fn phase_name(kind: KernelKind) -> String {
    let (which, p) = match kind {
        KernelKind::Before(p) => ("BEFORE", p),
        KernelKind::After(p) => ("AFTER", p),
        _ => return "kernel".into(),
    };
    let p = match p {
        Phase::Breakpoint => "BREAKPOINT",
        Phase::Solve => "SOLVE",
        Phase::Initial => "INITIAL",
        Phase::Step => "STEP",
    };
    format!("{which} {p}")
}

/// What a block reads and writes that other instances may see too.
#[derive(Default)]
struct Shares {
    reads: std::collections::BTreeSet<String>,
    writes: std::collections::BTreeSet<String>,
    /// Writes through a POINTER, a call or an engine service: may touch
    /// anything shared.
    writes_anything: bool,
    /// Reads through a POINTER or a call.
    reads_anything: bool,
}

impl Shares {
    /// Something one of the two blocks writes and the other reads or
    /// writes, described, if any.
    fn conflict(&self, other: &Shares) -> Option<String> {
        let one_way = |a: &Shares, b: &Shares| -> Option<String> {
            if a.writes_anything && (b.reads_anything || b.writes_anything) {
                return Some("values they reach through POINTERs, calls or engine services".into());
            }
            if a.writes_anything
                && let Some(x) = b.reads.iter().chain(&b.writes).next()
            {
                return Some(format!(
                    "`{x}` (the other writes through a POINTER, call or engine service)"
                ));
            }
            if (b.reads_anything || b.writes_anything)
                && let Some(x) = a.writes.iter().next()
            {
                return Some(format!(
                    "`{x}` (the other reaches it through a POINTER, call or engine service)"
                ));
            }
            a.writes
                .iter()
                .find(|x| b.reads.contains(*x) || b.writes.contains(*x))
                .map(|x| format!("`{x}`"))
        };
        one_way(self, other).or_else(|| one_way(other, self))
    }
}

/// The [`Shares`] of a lowered block.
fn shares(cx: &Context, body: &[Stmt]) -> Shares {
    let mut out = Shares::default();
    share_stmts(cx, body, &mut out);
    out
}

fn share_stmts(cx: &Context, body: &[Stmt], out: &mut Shares) {
    for s in body {
        match s {
            Stmt::Assign(p, e) | Stmt::Accumulate(p, e) => {
                share_place(cx, p, true, out);
                if matches!(s, Stmt::Accumulate(..)) {
                    share_place(cx, p, false, out);
                }
                share_expr(cx, e, out);
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                share_expr(cx, cond, out);
                share_stmts(cx, then, out);
                share_stmts(cx, otherwise, out);
            }
            Stmt::While { cond, body } => {
                share_expr(cx, cond, out);
                share_stmts(cx, body, out);
            }
            Stmt::Eval(e) => share_expr(cx, e, out),
            Stmt::Return => {}
            // engine services and anything else: shared effects
            _ => {
                out.writes_anything = true;
                out.reads_anything = true;
            }
        }
    }
}

fn share_expr(cx: &Context, e: &Expr, out: &mut Shares) {
    match e {
        Expr::Const(_) => {}
        Expr::Load(p) => share_place(cx, p, false, out),
        Expr::Unary(_, a) => share_expr(cx, a, out),
        Expr::Binary(_, a, b) => {
            share_expr(cx, a, out);
            share_expr(cx, b, out);
        }
        Expr::Math(_, args) => args.iter().for_each(|a| share_expr(cx, a, out)),
        Expr::Call(_, args) | Expr::Builtin(_, args) | Expr::FunctionTable(_, args) => {
            out.writes_anything = true;
            out.reads_anything = true;
            args.iter().for_each(|a| share_expr(cx, a, out));
        }
    }
}

fn share_place(cx: &Context, p: &Place, write: bool, out: &mut Shares) {
    use crate::ir::FieldKind;
    let named = match p {
        Place::Local(_) | Place::NetArg(_) => None,
        Place::Field(id, index) => {
            if let Some(i) = index {
                share_expr(cx, i, out);
            }
            let field = cx.mech.fields.get(id.index());
            match field.map(|f| &f.kind) {
                Some(FieldKind::Pointer) => {
                    if write {
                        out.writes_anything = true;
                    } else {
                        out.reads_anything = true;
                    }
                    None
                }
                Some(FieldKind::Ion { .. } | FieldKind::Voltage) => field.map(|f| f.name.clone()),
                _ => None,
            }
        }
        Place::Global(g) => cx.mech.globals.get(g.index()).map(|g| g.name.clone()),
        Place::GlobalArray(id, i) => {
            share_expr(cx, i, out);
            Some(format!("table {id}"))
        }
        Place::Node(n) => Some(format!("{n:?}").to_lowercase()),
        Place::Ion(_, name) => Some(name.clone()),
        Place::Shared(s) => Some(format!("{s:?}").to_lowercase()),
    };
    if let Some(name) = named {
        if write {
            out.writes.insert(name);
        } else {
            out.reads.insert(name);
        }
    }
}
